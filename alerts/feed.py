"""The live feed of the inbox: the alerts raised or worked on since a reader last looked, read from the
alert store, the one truth the process that raises alerts (the listen flow) and the readers (the HTTP
API's live inbox, one poll a second per connection) share.

A reader holds a cursor, an opaque string (`encode_mark` of the store's `ChangeMark`): it starts from
`feed_start` (what is already there is not news) and passes the cursor of each page to the next
call of `feed_after`; after a restart it resumes from the last cursor it got (SSE's
``Last-Event-ID``). Each alert comes as it is now, once per page, in the order of its latest change,
flagged ``new`` when it was added after the cursor (else it was there and has been worked on since).
Delivery is at least once: a reader may see an alert again (a store that settles its latest changes
repeats those of its last moments), never miss one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alerts.inbox import Alert
from alerts.store.base import AlertStore, ChangeMark
from core.errors import InvalidInput
from core.models import utcnow
from index.aggregations import from_epoch_micros, to_epoch_micros

#: Feed entries one call returns at most.
FEED_PAGE = 100


def encode_mark(at: datetime, item_id: str = "") -> str:
    """A place in an ordered list of alerts, as text: ``<microseconds since the epoch>.<id>``."""
    return f"{to_epoch_micros(at)}.{item_id}"


def decode_mark(text: str, name: str = "cursor") -> tuple[datetime, str]:
    """The (time, id) of `encode_mark`'s text; InvalidInput naming `name` when it is not one."""
    micros, dot, item_id = text.strip().partition(".")
    if not dot or not micros.isdigit() or len(micros) > 18:
        raise InvalidInput(f"{name}: not a cursor of the inbox: {text!r}", details={name: text})
    return from_epoch_micros(int(micros)), item_id


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedItem(_Frozen):
    """An alert as it is now; ``cursor`` resumes the feed after it."""

    cursor: str
    new: bool = Field(description="Added after the cursor the reader held (else: worked on since)")
    alert: Alert


class FeedPage(_Frozen):
    """What changed after a cursor, and the cursor to resume from (the given one when nothing did)."""

    items: tuple[FeedItem, ...] = ()
    cursor: str


def _mark(cursor: str) -> ChangeMark:
    at, item_id = decode_mark(cursor)
    return ChangeMark(at=at, id=item_id)


def feed_start(alerts: AlertStore, *, now: datetime | None = None) -> str:
    """The cursor of a reader that starts now: the alerts already there are not news."""
    mark = alerts.latest_mark(now or utcnow())
    return encode_mark(mark.at, mark.id)


def feed_after(
    alerts: AlertStore, cursor: str | None, *, now: datetime | None = None, limit: int = FEED_PAGE
) -> FeedPage:
    """The alerts added or worked on after `cursor` (every alert of the store when None), the first
    `limit` in the order of their latest change. InvalidInput for a cursor that is not one."""
    after = _mark(cursor) if cursor else None
    changes = alerts.changed_since(after, now=now or utcnow(), limit=limit)
    items = tuple(
        FeedItem(
            cursor=encode_mark(c.mark.at, c.mark.id),
            new=after is None or c.new_since(after),
            alert=c.alert,
        )
        for c in changes
    )
    last = items[-1].cursor if items else (cursor or encode_mark(from_epoch_micros(0)))
    return FeedPage(items=items, cursor=last)


__all__ = ["FEED_PAGE", "FeedItem", "FeedPage", "decode_mark", "encode_mark", "feed_after", "feed_start"]
