"""Alerts raised inline by the listen flow, end to end: a file source, a real store, rules in the rule
store, and a channels file pointing at a real local receiver of each platform (webhook, Slack, WeCom,
DingTalk, Feishu, and e-mail through a local SMTP server). Each alert arrives exactly once on each, with
its explanation; a rerun, or a replay of the same mentions under another source name, delivers nothing
new. The same on Elasticsearch (integration), where the alert stores are indices."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from alerts.channels.catalog import channels_file
from alerts.inbox import Alert
from alerts.outbox import DeliveryState
from alerts.store import AlertFilter, build_alert_stores
from alerts.testing import CONTRACT_TIMEOUT, HTTP_RECEIVERS, HttpReceiver, SmtpReceiver, WebhookReceiver
from core.models import DEFAULT_WORKSPACE, EnrichedMention
from core.settings import Settings
from flows.cli.run import print_follow_report, print_report
from flows.follow import follow_listen
from flows.listen import ListenReport, listen_flow, run_listen
from flows.tasks import PLAIN_STEPS
from flows.wiring import build_enricher, build_sources
from index.backends.sqlite import SQLiteMentionStore
from tests.flows.helpers import FlakyStore, file_sources, make_settings, write_export

QUERY = "refund OR 太慢"  # rows 12 (English) and 9 (Chinese) of the export
RULE = {"name": "Refunds and slowness", "owner": "support", "query": QUERY, "spec": {"kind": "every_match"}}


class Receivers:
    """One started receiver per platform, and the channels file that reaches them."""

    def __init__(self, stack: ExitStack) -> None:
        self.http: dict[str, HttpReceiver] = {
            kind: stack.enter_context(receiver_class())
            for kind, (receiver_class, _) in HTTP_RECEIVERS.items()
        }
        self.smtp = stack.enter_context(SmtpReceiver())

    def channels(self) -> list[dict[str, Any]]:
        out = [{**r.channel_config(), "name": kind} for kind, r in self.http.items()]
        out.append(
            {"name": "email", "kind": "email", "to": ["support@example.com"], "from": "earful@example.com"}
        )
        return out

    def texts(self) -> dict[str, list[str]]:
        """What arrived on each platform, as the people reading it see it."""
        out = {kind: r.texts() for kind, r in self.http.items()}
        out["email"] = ["\n".join(mail.parts().values()) for mail in self.smtp.accepted]
        return out


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    with ExitStack() as stack:
        yield Receivers(stack)


def _settings(home: Path, receivers: Receivers, **overrides: Any) -> Settings:
    alerts = {"http_timeout": CONTRACT_TIMEOUT, "smtp": receivers.smtp.smtp_settings().model_dump()}
    settings = make_settings(home, alerts=alerts, **overrides)
    path = channels_file(settings, workspace=DEFAULT_WORKSPACE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"channels": receivers.channels()}, allow_unicode=True), encoding="utf-8")
    return settings


def _save_rule(settings: Settings, channels: Sequence[str]) -> str:
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        stores.ensure_ready()
        return stores.rules.save({**RULE, "channels": list(channels)}).id


def _alerts(settings: Settings) -> list[Alert]:
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        return stores.alerts.list(AlertFilter())


def _check_each_alert_arrived_once_with_its_explanation(receivers: Receivers, alerts: list[Alert]) -> None:
    emphasis = {kind: mark for kind, (_, mark) in HTTP_RECEIVERS.items()} | {"email": lambda w: f"<b>{w}</b>"}
    for kind, texts in receivers.texts().items():
        assert len(texts) == len(alerts), kind
        for alert in alerts:
            [text] = [t for t in texts if alert.id in t]  # exactly once
            assert "Refunds and slowness" in text
            word = "Refund" if "Refund" in (alert.explanation.snippet or "") else "太慢"
            assert emphasis[kind](word) in text, (kind, text)


def test_the_listen_flow_raises_each_alert_once_on_every_channel_and_a_rerun_sends_nothing(
    tmp_path: Path, receivers: Receivers
) -> None:
    settings = _settings(tmp_path / "home", receivers)
    _save_rule(settings, ["webhook", "slack", "wecom", "dingtalk", "feishu", "email"])
    export = write_export(tmp_path)

    report = listen_flow.fn(sources=file_sources(export), settings=settings)
    assert report.ok
    assert report.alerts is not None
    summary = report.alerts
    assert (summary.rules, summary.matched, summary.raised) == (1, 2, 2)
    assert (summary.delivered, summary.pending, summary.failed, summary.errors) == (12, 0, 0, [])
    alerts = _alerts(settings)
    assert len(alerts) == 2
    chinese = next(a for a in alerts if "太慢" in (a.explanation.snippet or ""))
    assert chinese.explanation.snippet == "外卖送得<em>太慢</em>了，客服也不回复"
    _check_each_alert_arrived_once_with_its_explanation(receivers, alerts)
    console = Console(file=StringIO(), width=200)
    print_report(report, console)
    assert "Alerts: 2 raised, 12 delivered, 0 pending, 0 failed" in console.file.getvalue()  # type: ignore[attr-defined]

    rerun = listen_flow.fn(sources=file_sources(export), settings=settings)  # the cursor is at the end
    assert rerun.alerts is not None
    assert (rerun.alerts.raised, rerun.alerts.delivered) == (0, 0)
    replay = listen_flow.fn(sources=file_sources(export, name="replay"), settings=settings)  # same mentions
    assert replay.alerts is not None
    assert (replay.alerts.matched, replay.alerts.raised, replay.alerts.duplicates) == (2, 0, 2)
    assert replay.alerts.delivered == 0
    _check_each_alert_arrived_once_with_its_explanation(receivers, alerts)


def test_a_workspace_without_rules_or_channels_goes_through_untouched(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    report = listen_flow.fn(sources=file_sources(write_export(tmp_path)), settings=settings)
    assert report.ok
    assert report.alerts is not None
    assert (report.alerts.rules, report.alerts.raised, report.alerts.pending) == (0, 0, 0)
    console = Console(file=StringIO(), width=200)
    print_report(report, console)
    assert "Alerts" not in console.file.getvalue()  # type: ignore[attr-defined]


def test_after_write_gets_the_committed_batches_and_its_failure_loses_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    export = write_export(tmp_path)
    seen: list[list[str]] = []

    def explode(batch: Sequence[EnrichedMention]) -> None:
        seen.append([m.native_id for m in batch])
        raise RuntimeError("alerting bug")

    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        store.ensure_ready()
        report = _run(settings, export, store, explode)
        assert store.count() == 8
    source = report.source("export")
    assert seen == [["1", "3", "4"], ["6", "8", "9"], ["10", "11"]]
    assert source.status == "ok"
    assert source.cursor == "12"
    assert source.errors == ["after_write: RuntimeError: alerting bug"] * 3


def test_a_drained_spool_batch_is_handed_to_after_write_too(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    export = write_export(tmp_path)
    seen: list[list[str]] = []

    def collect(batch: Sequence[EnrichedMention]) -> None:
        seen.append([m.native_id for m in batch])

    with FlakyStore(settings, fail_on={2}) as flaky:  # the 2nd batch is spooled
        flaky.ensure_ready()
        assert not _run(settings, export, flaky, collect).ok
    assert seen == [["1", "3", "4"]]
    seen.clear()
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        report = _run(settings, export, store, collect)
    assert report.ok
    assert report.drain.files == 1
    # the spooled batch, then the source again from its cursor: fetched twice, alerted once (ids)
    assert seen == [["6", "8", "9"], ["6", "8", "9"], ["10", "11"]]


def _run(settings: Settings, export: Path, store: SQLiteMentionStore, after_write: Any) -> ListenReport:
    wired = build_sources(file_sources(export), settings, workspace=DEFAULT_WORKSPACE)
    enricher = build_enricher(settings, workspace=DEFAULT_WORKSPACE)
    try:
        return run_listen(
            wired.sources, enricher, store, settings, steps=PLAIN_STEPS, after_write=after_write
        )
    finally:
        enricher.close()


@pytest.mark.integration
def test_on_elasticsearch_the_alert_stores_work_in_the_flow(
    tmp_path: Path, es_url: str, es_prefix: str
) -> None:
    with WebhookReceiver() as hook:
        settings = make_settings(
            tmp_path / "home",
            store={"backend": "elasticsearch"},
            elasticsearch={"hosts": [es_url], "index_prefix": es_prefix},
            alerts={"http_timeout": CONTRACT_TIMEOUT},
        )
        path = channels_file(settings, workspace=DEFAULT_WORKSPACE)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump({"channels": [{**hook.channel_config(), "name": "hook"}]}), encoding="utf-8"
        )
        rule_id = _save_rule(settings, ["hook"])
        export = write_export(tmp_path)

        report = listen_flow.fn(sources=file_sources(export), settings=settings)
        assert report.alerts is not None
        assert (report.alerts.raised, report.alerts.delivered, report.alerts.errors) == (2, 1 * 2, [])
        replay = listen_flow.fn(sources=file_sources(export, name="replay"), settings=settings)
        assert replay.alerts is not None
        assert (replay.alerts.raised, replay.alerts.duplicates, replay.alerts.delivered) == (0, 2, 0)
        assert len(hook.accepted) == 2
        with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
            assert stores.alerts.count(AlertFilter(rule_id=rule_id)) == 2
            assert stores.outbox.counts()[DeliveryState.sent] == 2


def test_following_delivers_alerts_while_it_listens_not_only_when_it_stops(
    tmp_path: Path, receivers: Receivers
) -> None:
    settings = _settings(tmp_path / "home", receivers, listen={"flush_age": 0.05, "poll_interval": 0.2})
    _save_rule(settings, ["webhook"])
    webhook = receivers.http["webhook"]
    stop = threading.Event()
    seen_while_following: list[int] = []

    def watch(done: threading.Event) -> None:
        # The loop stops once the webhook has both alerts: they were sent by the background dispatcher.
        while not done.wait(0.05):
            if len(webhook.texts()) >= 2:
                seen_while_following.append(len(webhook.texts()))
                stop.set()
                return

    report = follow_listen(
        sources=file_sources(write_export(tmp_path)),
        settings=settings,
        follow_for=30,
        stop=stop,
        background=[watch],
    )
    assert report.stopped_by == "stop"
    assert seen_while_following == [2]
    assert report.alerts is not None
    assert (report.alerts.rules, report.alerts.raised, report.alerts.delivered) == (1, 2, 2)
    assert (report.alerts.pending, report.alerts.failed, report.alerts.errors) == (0, 0, [])
    assert len(webhook.texts()) == 2  # and nothing twice after the final rounds
    console = Console(file=StringIO(), width=200)
    print_follow_report(report, console)
    assert "Alerts: 2 raised, 2 delivered, 0 pending, 0 failed" in console.file.getvalue()  # type: ignore[attr-defined]
