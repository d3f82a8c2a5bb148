"""What the command line and the HTTP API share of working rules and the inbox (`alerts.manage`): the
inbox a page at a time, acknowledging, snoozing and resolving an alert, and a backtest's period. Over
the real SQLite stores in a temporary home."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.inbox import AlertStatus
from alerts.manage import (
    backtest_period,
    list_inbox,
    move_alert,
    remove_rule,
    snooze_alert,
    snooze_expiry,
)
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import T0, make_alert, make_rule
from core.errors import InvalidInput, NotFound
from core.settings import Settings


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[AlertStores]:
    with build_alert_stores(Settings(home=tmp_path), workspace="default") as opened:
        yield opened


def test_the_inbox_a_page_at_a_time(stores: AlertStores) -> None:
    alerts = [make_alert(f"m{i}", fired_at=T0 + timedelta(minutes=i // 2)) for i in range(5)]
    for alert in alerts:
        stores.alerts.add(alert)
    newest_first = [a.id for a in stores.alerts.list()]
    first = list_inbox(stores, limit=2)
    assert [a.id for a in first.alerts] == newest_first[:2]
    assert first.next_cursor is not None
    second = list_inbox(stores, limit=2, cursor=first.next_cursor)
    third = list_inbox(stores, limit=2, cursor=second.next_cursor)
    assert [a.id for a in (*second.alerts, *third.alerts)] == newest_first[2:]
    assert third.next_cursor is None
    assert list_inbox(stores, limit=5).next_cursor is None  # exactly one page
    with pytest.raises(InvalidInput, match="cursor"):
        list_inbox(stores, cursor="nonsense")
    with pytest.raises(InvalidInput, match="cursor"):
        list_inbox(stores, cursor="12.")


def test_the_inbox_by_rule_name_status_and_key(stores: AlertStores) -> None:
    rule = stores.rules.save(make_rule(), now=T0)
    sam, kim = make_alert("m1", key="author=sam"), make_alert("m2", key="author=kim")
    for alert in (sam, kim):
        stores.alerts.add(alert)
    stores.alerts.ack(sam.id, by="ana", at=T0)
    assert {a.id for a in list_inbox(stores, rule=rule.name).alerts} == {sam.id, kim.id}
    assert [a.id for a in list_inbox(stores, status=AlertStatus.open).alerts] == [kim.id]
    assert [a.id for a in list_inbox(stores, key="author=sam").alerts] == [sam.id]
    remove_rule(stores, rule.id)
    assert len(list_inbox(stores, rule=rule.id).alerts) == 2  # a removed rule's alerts stay
    assert list_inbox(stores, rule="no such rule").alerts == ()


def test_moving_an_alert_by_its_id_or_a_prefix(stores: AlertStores) -> None:
    alert = make_alert()
    stores.alerts.add(alert)
    acked = move_alert(stores.alerts, alert.id[:8], AlertStatus.acknowledged, by="ana", note="on it", at=T0)
    assert (acked.status, acked.history[-1].by, acked.history[-1].note) == (
        AlertStatus.acknowledged,
        "ana",
        "on it",
    )
    resolved = move_alert(
        stores.alerts, alert.id, AlertStatus.resolved, by="bo", at=T0 + timedelta(minutes=1)
    )
    assert resolved.status is AlertStatus.resolved
    assert stores.alerts.get(alert.id) == resolved
    with pytest.raises(InvalidInput, match="back to open"):
        move_alert(stores.alerts, alert.id, AlertStatus.open, by="ana")
    with pytest.raises(InvalidInput, match="needs an end"):
        move_alert(stores.alerts, alert.id, AlertStatus.snoozed, by="ana")
    with pytest.raises(NotFound):
        move_alert(stores.alerts, "ffffffff", AlertStatus.resolved, by="ana")


def test_snoozing_for_a_while_or_until_a_time(stores: AlertStores) -> None:
    one, two = make_alert("m1"), make_alert("m2")
    for alert in (one, two):
        stores.alerts.add(alert)
    snoozed = snooze_alert(stores.alerts, one.id, by="ana", for_="1h", now=T0)
    assert (snoozed.status, snoozed.snoozed_until) == (AlertStatus.snoozed, T0 + timedelta(hours=1))
    until = snooze_alert(stores.alerts, two.id, by="ana", until="2025-03-05T09:00:00+01:00", now=T0)
    assert until.snoozed_until == T0 + timedelta(hours=20)
    names = ("duration", "until")
    with pytest.raises(InvalidInput, match=r"^duration: expected a duration"):
        snooze_alert(stores.alerts, one.id, by="ana", for_="soon", names=names)
    with pytest.raises(InvalidInput, match="give exactly one of duration"):
        snooze_alert(stores.alerts, one.id, by="ana", names=names)
    with pytest.raises(InvalidInput, match="must end in the future"):
        snooze_expiry(T0, until=T0 - timedelta(seconds=1))


def test_a_backtest_period() -> None:
    assert backtest_period("30d", now=T0) == (T0 - timedelta(days=30), T0)
    assert backtest_period("12h", "2025-03-04T06:00:00Z", now=T0) == (
        T0 - timedelta(hours=12),
        T0 - timedelta(hours=6),
    )
    assert backtest_period("2025-03-01", now=T0)[0].isoformat() == "2025-03-01T00:00:00+00:00"
    with pytest.raises(InvalidInput, match="since: expected a duration back from now"):
        backtest_period("last week", now=T0)
    with pytest.raises(InvalidInput, match="empty"):
        backtest_period("1d", "2025-03-01T00:00:00Z", now=T0)
