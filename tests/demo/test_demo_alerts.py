"""`earful demo`'s alerts with the quick tagger (no model weights): the VIP complaint preset fires on the
demo's data, each alert reaches the demo's loopback receiver once with its explanation, and a second
run shows the same alerts without delivering any again. tests/e2e runs the demo with the transformer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alerts.channels.catalog import channels_file
from alerts.outbox import DeliveryState
from alerts.store import build_alert_stores
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from demo.alerting import DEMO_CHANNEL
from tests.demo.helpers import demo_alerts, run_demo_cli

pytestmark = pytest.mark.slow  # two demo runs: about a minute


def test_the_demo_delivers_its_alerts_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run_demo_cli(home, "--tagger", "lexicon")
    out = first.stdout
    assert first.returncode == 0, out + first.stderr
    assert "Complaint from a VIP customer (intent:complaint AND tier:(gold OR platinum); created)" in out
    total, now, earlier = demo_alerts(out)
    assert total >= 5, out  # the demo's gold and platinum customers complain
    assert (now, earlier) == (total, 0)
    assert f"Alerts: {total} raised, {total} delivered, 0 pending, 0 failed" in out
    assert "Query: intent:complaint AND tier:(gold OR" in out  # the cell may wrap there
    assert "Tier: platinum" in out
    assert "Tier: gold" in out
    assert "Customer: Tom Avery" in out  # a platinum customer of the master file who complains
    assert "repeated deliveries" not in out
    settings = Settings(home=home)
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        assert stores.alerts.count() == total
        records = stores.outbox.list(limit=1000)
        assert len(records) == total
        assert {(r.channel, r.state, r.attempts) for r in records} == {(DEMO_CHANNEL, DeliveryState.sent, 1)}
    channels = yaml.safe_load(
        channels_file(settings, workspace=DEFAULT_WORKSPACE).read_text(encoding="utf-8")
    )
    assert [c["name"] for c in channels["channels"]] == [DEMO_CHANNEL]

    again = run_demo_cli(home, "--tagger", "lexicon")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "tier:(gold OR platinum); already there)" in again.stdout
    assert demo_alerts(again.stdout) == (total, 0, total)
    assert "Alerts: 0 raised, 0 delivered, 0 pending, 0 failed" in again.stdout
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        assert stores.alerts.count() == total
        assert {r.attempts for r in stores.outbox.list(limit=1000)} == {1}  # nothing sent again
