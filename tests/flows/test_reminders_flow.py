"""The reminders flow end to end: customers in the directory, a staff file and a channels file pointing
at a real local webhook receiver; each owner's digest arrives once per local day in their language,
however often the flow runs. On SQLite, and on Elasticsearch (integration), where the outbox is an index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alerts.channels.catalog import channels_file
from alerts.outbox import DeliveryState
from alerts.store import build_alert_stores
from alerts.testing import CONTRACT_TIMEOUT, WebhookReceiver
from core.errors import ConfigError
from core.models import DEFAULT_WORKSPACE, Customer, Tier
from core.settings import CrmSettings, Settings
from crm.cli import crm_app
from crm.customers import build_customer_directory
from crm.reminders import digest_id
from crm.staff import staff_file
from flows.reminders import REMINDERS_CRON, reminders_deployment, reminders_flow

# 2026-12-28 01:30 UTC: 09:30 in Shanghai (Dec 28), 17:30 in Los Angeles (Dec 27).
NOW = datetime(2026, 12, 28, 1, 30, tzinfo=UTC)
CUSTOMERS = [
    Customer(code="C1", name="李雷", birthday=date(1986, 12, 30), owner="alice", tier=Tier.gold),
    Customer(code="C2", name="Han Meimei", anniversary=date(2021, 12, 31), owner="Alice"),
    Customer(code="C3", name="Bo Chen", birthday=date(2000, 1, 2), owner="bob"),
    Customer(code="C4", name="Renewal Co", contract_renewal=date(2027, 1, 20), owner="bob"),
    Customer(code="C5", name="Nobody's", birthday=date(1990, 12, 29)),  # no owner, no default channel
    Customer(code="C6", name="Far Off", birthday=date(1990, 6, 1), owner="bob"),
]
SHANGHAI_DEFAULT = {"reminders": {"timezone": "Asia/Shanghai"}}  # owners not in the staff file
STAFF = {
    "staff": [
        {
            "id": "alice",
            "name": "Alice Wang",
            "timezone": "Asia/Shanghai",
            "channels": ["hook"],
            "language": "zh",
        },
        {"id": "bob", "name": "Bob", "timezone": "America/Los_Angeles", "channels": ["hook"]},
    ]
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


def _setup(settings: Settings, receiver: WebhookReceiver, staff: dict[str, Any] = STAFF) -> Settings:
    channels = {"channels": [{**receiver.channel_config(), "name": "hook"}]}
    for path, data in (
        (channels_file(settings, workspace=DEFAULT_WORKSPACE), channels),
        (staff_file(settings, workspace=DEFAULT_WORKSPACE), staff),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    directory = build_customer_directory(settings, workspace=DEFAULT_WORKSPACE)
    try:
        directory.upsert(CUSTOMERS)
    finally:
        directory.close()
    return settings


def _sqlite(home: Path, receiver: WebhookReceiver) -> Settings:
    return _setup(
        Settings(home=home, alerts={"http_timeout": CONTRACT_TIMEOUT}, crm=SHANGHAI_DEFAULT), receiver
    )


def _messages(receiver: WebhookReceiver) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for request in receiver.accepted:
        message = json.loads(request.body)
        out[message["alert_id"]] = message
    assert len(out) == len(receiver.accepted), "a digest arrived twice"
    return out


def _check_first_run(receiver: WebhookReceiver, report: Any) -> None:
    alice, bob = digest_id("alice", date(2026, 12, 28)), digest_id("bob", date(2026, 12, 27))
    assert sorted(report.digests) == sorted([alice, bob, digest_id("unassigned", date(2026, 12, 28))])
    assert (report.enqueued, report.already_enqueued, report.delivered, report.failed) == (2, 0, 2, 0)
    assert report.without_channel == ["unassigned"]
    messages = _messages(receiver)
    assert set(messages) == {alice, bob}
    zh = messages[alice]
    assert zh["title"] == "Alice Wang 的客户提醒（2026-12-28）：2 条"
    assert zh["rule"] == "客户提醒"
    assert [s["title"] for s in zh["sections"]] == ["生日", "周年纪念"]
    assert zh["sections"][0]["fields"] == [
        {"label": "★ 李雷（C1）", "value": "2026-12-30 生日（2 天后），满 40 岁"}
    ]
    en = messages[bob]
    assert en["title"] == "Customer reminders for Bob, 2026-12-27: 2"
    assert [(s["title"], [f["value"] for f in s["fields"]]) for s in en["sections"]] == [
        ("Birthdays", ["birthday on 2027-01-02 (in 6 days), turns 27"]),
        ("Contract renewals", ["contract renewal on 2027-01-20 (in 24 days)"]),
    ]


def test_each_owner_gets_one_digest_a_local_day_in_their_language(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    settings = _sqlite(tmp_path, receiver)
    first = reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW)
    _check_first_run(receiver, first)
    # Later the same local day for both (Los Angeles is still on Dec 27 at 07:59 UTC): nothing new.
    for later in (NOW, NOW + timedelta(hours=6, minutes=29)):
        again = reminders_flow.fn(settings, DEFAULT_WORKSPACE, later)
        assert (again.enqueued, again.already_enqueued, again.delivered) == (0, 2, 0)
    assert len(receiver.accepted) == 2
    # 08:30 UTC: a new day in Los Angeles (00:30, before the send hour) and still Dec 28 in Shanghai.
    assert reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW + timedelta(hours=7)).enqueued == 0
    # 16:30 UTC: 08:30 on Dec 28 in Los Angeles: Bob's next digest; Shanghai is past midnight, 00:30.
    next_day = reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW + timedelta(hours=15))
    assert next_day.digests == [digest_id("bob", date(2026, 12, 28))]
    assert (next_day.enqueued, next_day.delivered) == (1, 1)
    assert len(receiver.accepted) == 3
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        assert stores.outbox.counts()[DeliveryState.sent] == 3


def test_a_down_receiver_leaves_the_digest_pending_for_the_next_run(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    settings = _sqlite(tmp_path, receiver)
    receiver.stop()
    report = reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW)
    assert (report.enqueued, report.delivered, report.pending) == (2, 0, 2)
    receiver.start()
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        retry_at = max(r.next_attempt_at for r in stores.outbox.list(state=DeliveryState.pending))
    # The retry is due on the dispatcher's (real) clock; the run is later the same local day.
    again = reminders_flow.fn(settings, DEFAULT_WORKSPACE, max(NOW, retry_at) + timedelta(minutes=1))
    assert (again.enqueued, again.already_enqueued, again.delivered, again.pending) == (0, 2, 2, 0)
    assert len(_messages(receiver)) == 2


def test_a_staff_channel_that_does_not_exist_stops_the_run_before_anything_is_sent(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    staff = {"staff": [{"id": "alice", "channels": ["hook", "typo-channel"]}]}
    settings = _setup(Settings(home=tmp_path), receiver, staff)
    with pytest.raises(ConfigError, match="staff member 'alice': no channel 'typo-channel'"):
        reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW)
    wrong_default = settings.model_copy(update={"crm": CrmSettings(reminders={"default_channels": ["nope"]})})
    with pytest.raises(ConfigError, match=r"crm\.reminders\.default_channels: no channel 'nope'"):
        reminders_flow.fn(wrong_default, DEFAULT_WORKSPACE, NOW)
    assert receiver.received == []


def test_the_default_recipient_and_channels_come_from_settings(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    settings = Settings(
        home=tmp_path,
        alerts={"http_timeout": CONTRACT_TIMEOUT},
        crm={
            "reminders": {
                "default_recipient": "front-desk",
                "default_channels": ["hook"],
                "timezone": "Asia/Tokyo",
            }
        },
    )
    report = reminders_flow.fn(_setup(settings, receiver), DEFAULT_WORKSPACE, NOW)
    assert report.without_channel == []
    assert digest_id("front-desk", date(2026, 12, 28)) in _messages(receiver)


def test_the_cli_lists_what_is_due_per_owner(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    _sqlite(tmp_path, receiver)
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(crm_app, ["remind", "--days", "400", "--owner", "BOB", "--json"])
    assert result.exit_code == 0, result.output
    (digest,) = json.loads(result.output)
    assert digest["recipient"]["id"] == "bob"
    assert [r["customer_code"] for r in digest["reminders"]][-1] == "C6"  # 400 days: June too
    assert all(r["text"] for r in digest["reminders"])
    result = runner.invoke(crm_app, ["remind", "--days", "400"])
    assert result.exit_code == 0, result.output
    assert "Alice Wang (alice)" in result.output
    assert "no channel: not delivered" in result.output  # the ownerless customers' digest


def test_the_deployment_runs_hourly_for_one_workspace() -> None:
    deployment = reminders_deployment("acme")
    assert deployment.name == "reminders-acme"
    assert deployment.parameters == {"workspace": "acme"}
    (schedule,) = deployment.schedules or []
    assert schedule.schedule.cron == REMINDERS_CRON  # type: ignore[union-attr]


@pytest.mark.integration
def test_the_flow_uses_the_elasticsearch_outbox_once_per_day(
    tmp_path: Path, receiver: WebhookReceiver, es_url: str, es_prefix: str
) -> None:
    settings = _setup(
        Settings(
            home=tmp_path,
            store={"backend": "elasticsearch"},
            elasticsearch={"hosts": [es_url], "index_prefix": es_prefix},
            alerts={"http_timeout": CONTRACT_TIMEOUT},
            crm=SHANGHAI_DEFAULT,
        ),
        receiver,
    )
    first = reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW)
    _check_first_run(receiver, first)
    again = reminders_flow.fn(settings, DEFAULT_WORKSPACE, NOW + timedelta(hours=1))
    assert (again.enqueued, again.already_enqueued, again.delivered) == (0, 2, 0)
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        sent = stores.outbox.list(state=DeliveryState.sent)
        expected = [digest_id("alice", date(2026, 12, 28)), digest_id("bob", date(2026, 12, 27))]
        assert sorted(r.alert_id for r in sent) == sorted(expected)
    assert len(receiver.accepted) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_remind_send_runs_the_flow_through_its_entry_point(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.models import utcnow
    from core.settings import get_settings

    tomorrow = utcnow().date() + timedelta(days=1)  # due within 7 days at any hour of the real today
    settings = _setup(Settings(home=tmp_path), receiver, {"staff": [{"id": "alice", "channels": ["hook"]}]})
    with build_customer_directory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert(
            [Customer(code="T1", name="Tomorrow", birthday=tomorrow.replace(year=1992), owner="alice")]
        )
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_CRM__REMINDERS__SEND_HOUR", "0")
    get_settings.cache_clear()
    runner = CliRunner()
    for expected in ("1 enqueued, 0 already sent today, 1 delivered", "0 enqueued, 1 already sent today"):
        result = runner.invoke(crm_app, ["remind", "--send"])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    assert [json.loads(r.body)["title"] for r in receiver.accepted] == [
        f"Customer reminders for alice, {utcnow().date().isoformat()}: 1"
    ]
