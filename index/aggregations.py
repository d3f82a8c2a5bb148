"""Pure helpers that every backend uses for aggregations, so their answers are identical.

Date histogram keys
-------------------
A bucket's key is the ISO-8601 string of the bucket's *start instant* expressed in the requested time
zone, to the second, with its numeric offset (never ``Z``)::

    day   in Asia/Shanghai  -> '2026-11-01T00:00:00+08:00'
    hour  in UTC            -> '2026-11-01T13:00:00+00:00'
    week  (ISO, Monday)     -> '2026-10-26T00:00:00+08:00'
    month                   -> '2026-11-01T00:00:00-05:00'

Buckets are calendar intervals of the *local* wall clock of that zone (as Elasticsearch's
``calendar_interval`` with ``time_zone`` does): a day starts at local midnight, a week at local
midnight on Monday, a month at local midnight on its first day, an hour at local ``:00``. Where local
midnight does not exist (a DST jump at midnight), the start is the first instant after the gap. Buckets
are ordered by start instant, oldest first; empty buckets are omitted.

``tz`` is an IANA zone name (``'Europe/Paris'``), ``'UTC'``, or a fixed offset ``'+08:00'``.
Elasticsearch answers with the bucket start in epoch milliseconds: :func:`key_from_epoch_millis` turns
that into the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput
from index.base import Bucket, Interval

INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")
# Every current UTC offset and DST transition falls on a quarter hour, so counting per UTC quarter hour
# first and bucketing those slots is exact for every interval and zone (and much less data to move).
SLOT_SECONDS = 900
_OFFSET_RE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=256)
def zone(tz: str) -> tzinfo:
    """The tzinfo for a zone name, 'UTC' or a fixed offset like '+08:00'; InvalidInput otherwise."""
    if tz.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET_RE.match(tz)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(hours=24):
            raise InvalidInput(f"time zone offset out of range: {tz!r}", details={"tz": tz})
        return UTC if not delta else timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone: {tz!r}", details={"tz": tz}) from exc


def check_interval(interval: str) -> Interval:
    if interval not in INTERVALS:
        raise InvalidInput(
            f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}",
            details={"interval": interval},
        )
    return interval


def _canonical(wall: datetime, tz: tzinfo) -> datetime:
    # Round-tripping through UTC moves a non-existent wall time (DST gap) to a real instant.
    return wall.astimezone(UTC).astimezone(tz)


def bucket_start(value: datetime, interval: Interval, tz: str = "UTC") -> datetime:
    """Start of the calendar bucket that contains the aware datetime ``value``, in zone ``tz``."""
    if value.tzinfo is None:
        raise InvalidInput("bucket_start needs an aware datetime")
    zi = zone(tz)
    local = value.astimezone(zi)
    if interval == "hour":
        return _canonical(local.replace(minute=0, second=0, microsecond=0), zi)
    check_interval(interval)
    day = local.date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    return _canonical(datetime(day.year, day.month, day.day, tzinfo=zi), zi)


def format_key(start: datetime) -> str:
    """The bucket key of a bucket start: ISO 8601 to the second with a numeric offset."""
    return start.isoformat(timespec="seconds")


def bucket_key(value: datetime, interval: Interval, tz: str = "UTC") -> str:
    return format_key(bucket_start(value, interval, tz))


def key_from_epoch_millis(millis: int, tz: str = "UTC") -> str:
    """Key of a bucket whose start Elasticsearch reports as epoch milliseconds."""
    return format_key(datetime.fromtimestamp(millis / 1000, UTC).astimezone(zone(tz)))


def to_epoch_micros(value: datetime) -> int:
    """Exact integer microseconds since the epoch of an aware datetime."""
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_epoch_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def histogram(counts: Iterable[tuple[datetime, int]], interval: Interval, tz: str = "UTC") -> list[Bucket]:
    """Fold (instant, count) pairs into calendar buckets, oldest first; empty buckets never appear."""
    check_interval(interval)
    # Keyed by the UTC instant: aware datetimes of one zone compare by wall clock and ignore `fold`,
    # which would merge the two 01:00 hours of a DST fall-back.
    totals: dict[datetime, tuple[str, int]] = {}
    for instant, count in counts:
        start = bucket_start(instant, interval, tz)
        utc_start = start.astimezone(UTC)
        key, total = totals.get(utc_start, (format_key(start), 0))
        totals[utc_start] = (key, total + count)
    return [Bucket(key=key, count=n) for _, (key, n) in sorted(totals.items()) if n > 0]


def histogram_from_slots(
    slots: Iterable[tuple[int, int]], interval: Interval, tz: str = "UTC"
) -> list[Bucket]:
    """Like :func:`histogram`, from (UTC slot number of ``SLOT_SECONDS``, count) pairs."""
    step = timedelta(seconds=SLOT_SECONDS)
    return histogram(((_EPOCH + slot * step, count) for slot, count in slots), interval, tz)


def order_terms(counts: Iterable[tuple[str, int]], size: int) -> list[Bucket]:
    """Terms buckets: count descending, then key ascending (code point order, as UTF-8 bytes sort)."""
    ranked = sorted(((key, n) for key, n in counts if n > 0), key=lambda kv: (-kv[1], kv[0]))
    return [Bucket(key=key, count=n) for key, n in ranked[: max(size, 0)]]
