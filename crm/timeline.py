"""A customer's timeline: everything that happened with them, newest first, one kind of entry per source
(mentions, interactions, orders; cases and their notes from `crm.cases.timeline`).

A source is a function ``(customer_id, n) -> its n newest entries`` (`TimelineSource`): `timeline`
asks each for ``offset + limit`` entries, merges them by time (ties: kind, then ref, descending, so the
order is stable across pages) and returns the page. That is exact for any page, at the price of
reading ``offset + limit`` entries from every source: fine for the pages people read; an export of a
whole history should read the stores directly.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, Field

from core.models import Frozen, SentimentLabel
from index.base import MentionFilter, SearchRequest

if TYPE_CHECKING:
    from crm.interactions import Interaction, InteractionStore
    from crm.orders import Order, OrderStore
    from index.base import MentionStore

DETAIL_CHARS = 160
MAX_WINDOW = 10_000  # offset + limit: the mention store pages no deeper


class TimelineEntry(Frozen):
    """One thing on a customer's timeline."""

    kind: str = Field(description="mention, interaction, order, case, case note")
    at: AwareDatetime
    title: str = Field(description="One line: what happened")
    detail: str | None = Field(None, description=f"More, cut to {DETAIL_CHARS} characters")
    ref: str = Field(description="The id of the record in its own store")
    sentiment: SentimentLabel | None = Field(None, description="A mention's sentiment")


class TimelinePage(Frozen):
    entries: tuple[TimelineEntry, ...]
    offset: int
    next_offset: int | None = Field(None, description="The offset of the next page; None on the last one")


TimelineSource = Callable[[str, int], Iterable[TimelineEntry]]


def cut(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _money(amount: Decimal | None, currency: str | None) -> str:
    return f"{amount} {currency or ''}".strip() if amount is not None else ""


def mention_entries(store: MentionStore) -> TimelineSource:
    def source(customer_id: str, n: int) -> list[TimelineEntry]:
        request = SearchRequest(filters=MentionFilter(customer_ids=(customer_id,)), sort="newest", limit=n)
        return [
            TimelineEntry(
                kind="mention",
                at=m.published_at,
                title=f"{m.platform} mention, {m.sentiment.label.value}"
                + "".join(f", {i.label.value}" for i in m.intents),
                detail=cut(m.text),
                ref=m.id,
                sentiment=m.sentiment.label,
            )
            for m in store.search(request).hits
        ]

    return source


def interaction_entry(i: Interaction) -> TimelineEntry:
    who = f" by {i.staff}" if i.staff else ""
    where = f" at {i.where}" if i.where else ""
    extras = [
        part
        for part in (
            f"outcome: {i.outcome}" if i.outcome else "",
            f"service: {i.service}" if i.service else "",
            f"cost {_money(i.cost, i.currency)}" if i.cost is not None else "",
            f"discount {_money(i.discount, i.currency)}" if i.discount is not None else "",
            i.notes or "",
        )
        if part
    ]
    return TimelineEntry(
        kind="interaction",
        at=i.at,
        title=f"{i.channel.value}{who}{where}",
        detail=cut("; ".join(extras)),
        ref=i.id,
    )


def interaction_entries(store: InteractionStore) -> TimelineSource:
    return lambda customer_id, n: [interaction_entry(i) for i in store.list(customer_id, limit=n)]


def order_entry(o: Order) -> TimelineEntry:
    via = f" via {o.channel}" if o.channel else ""
    return TimelineEntry(
        kind="order",
        at=o.ordered_at,
        title=f"order {o.order_id}: {_money(o.amount, o.currency)}{via}",
        detail=cut(", ".join(o.products)),
        ref=o.order_id,
    )


def order_entries(store: OrderStore) -> TimelineSource:
    return lambda customer_id, n: [order_entry(o) for o in store.list(customer_id, limit=n)]


def timeline(
    customer_id: str,
    *,
    mentions: MentionStore | None = None,
    interactions: InteractionStore | None = None,
    orders: OrderStore | None = None,
    sources: Sequence[TimelineSource] = (),
    limit: int = 20,
    offset: int = 0,
) -> TimelinePage:
    """One page of the customer's timeline, newest first, from the given stores and any other `sources`
    (all of one workspace: the caller builds them so). A customer's cases are such a source:
    `crm.cases.timeline.case_entries`."""
    limit, offset = max(limit, 0), max(offset, 0)
    window = min(offset + limit, MAX_WINDOW)
    everything = list(sources)
    if mentions is not None:
        everything.append(mention_entries(mentions))
    if interactions is not None:
        everything.append(interaction_entries(interactions))
    if orders is not None:
        everything.append(order_entries(orders))
    key: Callable[[TimelineEntry], tuple[object, ...]] = lambda e: (e.at, e.kind, e.ref)  # noqa: E731
    n = min(window + 1, MAX_WINDOW)
    streams = [sorted(source(customer_id, n), key=key, reverse=True) for source in everything]
    merged = list(heapq.merge(*streams, key=key, reverse=True))
    page = merged[offset:window]
    more = len(merged) > window and window < MAX_WINDOW
    return TimelinePage(entries=tuple(page), offset=offset, next_offset=window if more else None)
