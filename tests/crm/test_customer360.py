"""The customer 360 view, built by the library from a directory and a mention store (SQLite here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from crm.customer360 import EXCERPT_CHARS, Customer360, build_customer360
from crm.customers import CustomerRecord, SQLiteCustomerDirectory
from crm.testing import ANA, BO
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
