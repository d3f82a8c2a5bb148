"""The customer 360 view, built by the library from a directory and a mention store (SQLite here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.errors import InvalidInput
from core.models import (
    DEFAULT_WORKSPACE,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    RawMention,
    Sentiment,
    SentimentLabel,
)
from crm import records_testing
from crm.customer360 import EXCERPT_CHARS, Customer360, build_customer360
from crm.customers import CustomerRecord, SQLiteCustomerDirectory
from crm.interactions import SQLiteInteractionStore
from crm.orders import SQLiteOrderStore
from crm.testing import ANA, BO
from crm.timeline import TimelineEntry, timeline
from index.backends.sqlite import SQLiteMentionStore

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def mention(n: int, text: str = "", **fields: Any) -> EnrichedMention:
    raw = RawMention(
        platform="demo",
        native_id=f"m{n}",
        source="test",
        text=text or f"mention {n}",
        published_at=NOW - timedelta(hours=n),  # m0 is the newest
        author=Author(platform="demo", handle=f"user{n}"),
    )
    return EnrichedMention.from_raw(raw, lang="en", **fields)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLiteCustomerDirectory, SQLiteMentionStore]]:
    path = tmp_path / "earful.db"
    with (
        SQLiteMentionStore(path=path, workspace=DEFAULT_WORKSPACE) as store,
        SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory,
    ):
        directory.upsert(
            [CustomerRecord(customer=ANA, order_numbers=("#A12345",)), CustomerRecord(customer=BO)]
        )
        yield directory, store


def test_the_view_holds_master_data_linked_mentions_and_open_complaints(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore],
) -> None:
    directory, store = stores
    ana = CustomerLink(customer_id=ANA.id, confidence=0.85, method="handle", evidence=("handle",))
    negative = Sentiment(label=SentimentLabel.negative, score=-0.8, confidence=0.9)
    positive = Sentiment(label=SentimentLabel.positive, score=0.8, confidence=0.9)
    complaint = (Intent(label=IntentLabel.complaint, confidence=0.9),)
    long_text = "parcel lost " * 30
    store.upsert(
        [
            mention(0, long_text, customer=ana, sentiment=negative, intents=complaint),
            mention(1, customer=ana, sentiment=positive),
            mention(2, customer=ana, sentiment=positive),
            mention(3, customer=ana, sentiment=negative, intents=complaint),
            mention(4, customer=ana, sentiment=positive),
            mention(5, customer=ana, sentiment=positive),
            mention(6, customer=ana, sentiment=positive),
            mention(7, "not linked"),
            mention(8, "another customer", customer=ana.model_copy(update={"customer_id": BO.id})),
        ]
    )
    store.refresh()

    view = build_customer360(ANA, directory, store)

    assert isinstance(view, Customer360)
    assert (view.customer, view.order_numbers) == (ANA, ("#A12345",))
    assert view.mentions == 7
    assert view.sentiment == {
        SentimentLabel.negative: round(2 / 7, 4),
        SentimentLabel.positive: round(5 / 7, 4),
    }
    assert [m.id for m in view.latest] == [mention(n).id for n in range(5)]  # newest first, five of them
    assert view.open_complaints == 2  # no case workflow yet: every linked complaint is open
    assert [m.id for m in view.latest_complaints] == [mention(0).id, mention(3).id]
    first = view.latest[0]
    assert len(first.excerpt) == EXCERPT_CHARS
    assert first.excerpt.endswith("…")
    assert long_text.startswith(first.excerpt[:-1])
    assert (first.sentiment, first.intents, first.link) == (negative.label, (IntentLabel.complaint,), ana)
    assert first.published_at == NOW
    with pytest.raises(ValidationError):  # frozen: a view is a snapshot
        view.mentions = 0  # type: ignore[misc]


def test_a_customer_without_mentions_has_an_empty_view(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore],
) -> None:
    directory, store = stores
    view = build_customer360(BO, directory, store, latest=3)
    assert (view.mentions, view.sentiment, view.latest, view.open_complaints) == (0, {}, (), 0)
    assert view.order_numbers == ()


def test_a_view_across_two_workspaces_is_refused(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore], tmp_path: Path
) -> None:
    directory, _ = stores
    with (
        SQLiteMentionStore(path=tmp_path / "earful.db", workspace="tenant-b") as other,
        pytest.raises(InvalidInput, match="different workspaces"),
    ):
        build_customer360(ANA, directory, other)


# --- interactions, orders and the timeline -------------------------------------------------------
def test_the_view_and_the_timeline_hold_interactions_and_orders(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore], tmp_path: Path
) -> None:
    directory, store = stores
    link = CustomerLink(customer_id=ANA.id, confidence=0.85, method="handle", evidence=("handle",))
    store.upsert([mention(n, f"mention {n}", customer=link) for n in (1, 5)])  # 1 and 5 hours before NOW
    store.refresh()
    path = tmp_path / "earful.db"
    with (
        SQLiteOrderStore(path=path, workspace=DEFAULT_WORKSPACE) as orders,
        SQLiteInteractionStore(path=path, workspace=DEFAULT_WORKSPACE) as interactions,
    ):
        orders.upsert(
            [
                records_testing.order(0, ANA.id, amount="10", ordered_at=NOW - timedelta(hours=2)),
                records_testing.order(1, ANA.id, amount="5.5", ordered_at=NOW - timedelta(hours=4)),
                records_testing.order(
                    2, ANA.id, amount="7", currency="EUR", ordered_at=NOW - timedelta(days=9)
                ),
                records_testing.order(3, BO.id),
            ]
        )
        call = records_testing.interaction(0, ANA.id, at=NOW - timedelta(hours=3), outcome="refund agreed")
        interactions.upsert([call, records_testing.interaction(1, BO.id)])

        view = build_customer360(ANA, directory, store, interactions=interactions, orders=orders, latest=2)
        assert (view.interactions, view.latest_interactions) == (1, (call,))
        summary = view.orders
        assert summary.count == 3
        assert summary.totals == {"CNY": Decimal("15.5"), "EUR": Decimal("7")}
        assert (summary.first_order, summary.last_order) == (
            NOW - timedelta(days=9),
            NOW - timedelta(hours=2),
        )
        assert [o.order_id for o in summary.latest] == ["o0", "o1"]
        assert build_customer360(ANA, directory, store).orders.count == 0  # without the stores: empty

        page = timeline(ANA.id, mentions=store, interactions=interactions, orders=orders, limit=3)
        assert [(e.kind, e.ref) for e in page.entries] == [
            ("mention", mention(1).id),
            ("order", "o0"),
            ("interaction", call.id),
        ]
        assert page.next_offset == 3
        assert page.entries[1].title == "order o0: 10 CNY via tmall"
        assert page.entries[2].title == "phone by li.wei"
        assert page.entries[2].detail == "outcome: refund agreed; call 0"
        rest = timeline(ANA.id, mentions=store, interactions=interactions, orders=orders, limit=3, offset=3)
        assert [(e.kind, e.ref) for e in rest.entries] == [
            ("order", "o1"),
            ("mention", mention(5).id),
            ("order", "o2"),
        ]
        assert rest.next_offset is None

        def notes(customer_id: str, n: int) -> list[TimelineEntry]:  # another kind plugs in as a source
            return [TimelineEntry(kind="note", at=NOW, title="VIP: call before visiting", ref="n1")][:n]

        first = timeline(ANA.id, orders=orders, sources=[notes], limit=1).entries[0]
        assert (first.kind, first.ref) == ("note", "n1")

        with (
            SQLiteOrderStore(path=path, workspace="tenant-b") as other,
            pytest.raises(InvalidInput, match="different workspaces"),
        ):
            build_customer360(ANA, directory, store, orders=other)
