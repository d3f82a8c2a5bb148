"""The live feed of the inbox (`alerts.feed`): a reader in one process learns, from the store alone, of
every alert another process raises or works on after its cursor; over every alert store backend
(SQLite; Elasticsearch under the integration marker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.feed import decode_mark, encode_mark, feed_after, feed_start
from alerts.inbox import AlertStatus
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import BACKEND_PARAMS, SETTLED, T0, WORKSPACE, backend_settings, make_alert
from core.errors import InvalidInput
from core.models import utcnow
from core.settings import Settings


@pytest.fixture(params=BACKEND_PARAMS)
def two_sides(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[AlertStores, AlertStores]]:
    """(writer, reader): two sets of stores on the same storage, as the listen flow and the API hold."""
    settings = backend_settings(request, str(request.param), tmp_path)
    with (
        build_alert_stores(settings, workspace=WORKSPACE) as writer,
        build_alert_stores(settings, workspace=WORKSPACE) as reader,
    ):
        writer.ensure_ready()
        yield writer, reader


def test_a_reader_learns_of_new_alerts_then_of_the_work_on_them(
    two_sides: tuple[AlertStores, AlertStores],
) -> None:
    writer, reader = two_sides
    writer.alerts.add(make_alert("m0"))  # there before the reader: not news
    cursor = feed_start(reader.alerts)
    first, second = make_alert("m1"), make_alert("m2")
    writer.alerts.add(first)
    writer.alerts.add(second)
    page = feed_after(reader.alerts, cursor, now=utcnow() + SETTLED)
    # at least once: a backend that settles may repeat what changed in its last moments before the start
    fresh = [item for item in page.items if item.alert.id in (first.id, second.id)]
    assert [(i.alert.id, i.new) for i in fresh] == [(first.id, True), (second.id, True)]
    assert page.cursor == page.items[-1].cursor
    writer.alerts.ack(first.id, by="ana", at=T0)
    later = feed_after(reader.alerts, page.cursor, now=utcnow() + SETTLED)
    assert [(i.alert.id, i.new, i.alert.status) for i in later.items] == [
        (first.id, False, AlertStatus.acknowledged)
    ]
    quiet = feed_after(reader.alerts, later.cursor, now=utcnow() + SETTLED)
    assert (quiet.items, quiet.cursor) == ((), later.cursor)  # nothing new: the same cursor back


def test_without_a_cursor_the_feed_is_every_alert(two_sides: tuple[AlertStores, AlertStores]) -> None:
    writer, reader = two_sides
    alerts = [make_alert(f"m{i}") for i in range(5)]
    for alert in alerts:
        writer.alerts.add(alert)
    page = feed_after(reader.alerts, None, now=utcnow() + SETTLED, limit=3)
    assert [i.alert.id for i in page.items] == [a.id for a in alerts[:3]]
    assert all(i.new for i in page.items)
    rest = feed_after(reader.alerts, page.cursor, now=utcnow() + SETTLED)
    assert [i.alert.id for i in rest.items] == [a.id for a in alerts[3:]]


@pytest.mark.parametrize("cursor", ["x", "12", "-5.abc", "abc.def", "9" * 19 + ".a"])
def test_a_bad_cursor_is_bad_input(tmp_path: Path, cursor: str) -> None:
    with (
        build_alert_stores(Settings(home=tmp_path), workspace=WORKSPACE) as stores,
        pytest.raises(InvalidInput, match="cursor"),
    ):
        feed_after(stores.alerts, cursor)


def test_marks_round_trip() -> None:
    assert decode_mark(encode_mark(T0, "abc.def")) == (T0, "abc.def")
    assert decode_mark(encode_mark(T0)) == (T0, "")
