"""The demo's alerting parts: its presets (created once), its channel entry (merged into the workspace's
channels file), its receiver (real HTTP, Earful's signature checked) and the table of delivered alerts,
fed by the real dispatcher over the real outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from rich.console import Console

from alerts.channels import build_channel
from alerts.channels.catalog import channels_file, load_channels
from alerts.channels.config import WebhookChannelConfig
from alerts.dispatch import Dispatcher
from alerts.store import build_alert_stores
from alerts.testing import make_alert_message
from core.settings import Settings
from demo.alerting import (
    DEMO_CHANNEL,
    DemoReceiver,
    describe_presets,
    ensure_presets,
    show_delivered,
    snippet_text,
    write_demo_channel,
)

WORKSPACE = "demo-ws"


def test_presets_are_created_once_and_a_users_edit_is_kept(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    [(rule, created)] = ensure_presets(settings, workspace=WORKSPACE)
    assert created
    assert rule.query == "intent:complaint AND tier:(gold OR platinum)"
    assert rule.channels == (DEMO_CHANNEL,)
    assert "created" in describe_presets([(rule, created)])
    with build_alert_stores(settings, workspace=WORKSPACE) as stores:
        stores.rules.save(rule.model_copy(update={"enabled": False}))  # the user switched it off
    [(again, created)] = ensure_presets(settings, workspace=WORKSPACE)
    assert not created
    assert again.enabled is False  # left as the user made it
    assert "already there" in describe_presets([(again, created)])
    with build_alert_stores(settings, workspace=WORKSPACE) as stores:
        assert [r.id for r in stores.rules.list()] == [rule.id]
    with build_alert_stores(settings, workspace="other") as stores:
        assert stores.rules.list() == []  # only the demo's workspace


def test_the_demo_channel_is_one_entry_the_users_channels_stay(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = channels_file(settings, workspace=WORKSPACE)
    path.parent.mkdir(parents=True)
    mine = {"name": "oncall", "kind": "webhook", "url": "${ONCALL_URL}", "secret": "${ONCALL_SECRET}"}
    path.write_text(yaml.safe_dump({"channels": [mine]}), encoding="utf-8")
    for port in (8001, 8002):  # a second run: the receiver's port changed
        write_demo_channel(
            settings, workspace=WORKSPACE, url=f"http://127.0.0.1:{port}/alerts", secret="s" * 20
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["channels"][0] == mine  # as written, ${VAR} kept
    assert [c["name"] for c in data["channels"]] == ["oncall", DEMO_CHANNEL]
    env = {"ONCALL_URL": "https://example.com/hook", "ONCALL_SECRET": "x" * 20}
    loaded = load_channels(path, environ=env)
    assert set(loaded) == {"oncall", DEMO_CHANNEL}
    demo = loaded[DEMO_CHANNEL]
    assert isinstance(demo, WebhookChannelConfig)
    assert demo.url.get_secret_value() == "http://127.0.0.1:8002/alerts"


def test_the_receiver_keeps_signed_alerts_once_and_refuses_the_rest(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with DemoReceiver() as receiver:
        config = {"kind": "webhook", "name": DEMO_CHANNEL, "url": receiver.url, "secret": receiver.secret}
        channel = build_channel(config, settings)
        forged = build_channel({**config, "secret": "not-the-demo-secret-0123"}, settings)
        try:
            assert channel.send(make_alert_message(alert_id="a1")).ok
            assert channel.send(make_alert_message(alert_id="a1")).ok  # a retry: acknowledged, kept once
            assert channel.send(make_alert_message(alert_id="a2")).ok
            refused = forged.send(make_alert_message(alert_id="a3"))
        finally:
            channel.close()
            forged.close()
    assert refused.status == 401
    assert set(receiver.received.messages) == {"a1", "a2"}
    assert (receiver.received.duplicates, receiver.received.refused) == (1, 1)
    assert receiver.received.messages["a1"].title == make_alert_message().title


def test_delivered_alerts_are_shown_with_their_explanation_and_which_run_sent_them(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    now = datetime.now(UTC)
    with DemoReceiver() as receiver, build_alert_stores(settings, workspace=WORKSPACE) as stores:
        stores.ensure_ready()
        for alert_id in ("earlier-1", "now-1"):
            stores.outbox.enqueue(
                make_alert_message(alert_id=alert_id, workspace=WORKSPACE), DEMO_CHANNEL, now=now
            )
        config = {"kind": "webhook", "name": DEMO_CHANNEL, "url": receiver.url, "secret": receiver.secret}
        channel = build_channel(config, settings)
        try:
            report = Dispatcher(stores.outbox, {DEMO_CHANNEL: channel}).run_once()
        finally:
            channel.close()
        assert report.sent == 2
        receiver.received.messages.pop("earlier-1")  # as if a previous run had received it
        console = Console(record=True, width=200)
        records = show_delivered(settings, console, workspace=WORKSPACE, received=receiver.received)
    out = console.export_text()
    assert [r.alert_id for r in records] == ["earlier-1", "now-1"]
    assert "Alerts delivered to the demo-webhook webhook: 2 (1 in this run, 1 in an earlier run" in out
    assert "this run" in out
    assert "earlier run" in out
    assert "Complaint from a gold customer" in out  # title
    assert "Query: intent:complaint AND tier:(gold OR platinum)" in out  # why
    assert "Matches in window: 12 (baseline 3.1, k=3)" in out  # numbers
    assert "Tier: gold" in out  # customer
    assert "I am still waiting for my refund & nobody answers" in out  # snippet, unescaped


def test_snippets_show_matches_in_bold_and_never_markup() -> None:
    text = snippet_text("a <em>refund</em> [red]now[/] &amp; &lt;b&gt;")
    assert text.plain == "a refund [red]now[/] & <b>"
    bold = [text.plain[span.start : span.end] for span in text.spans if "bold" in str(span.style)]
    assert bold == ["refund"]
    assert snippet_text(None).plain == ""
    assert snippet_text("x" * 500, limit=50).plain.endswith("…")
