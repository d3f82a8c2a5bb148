"""A report's period: [start, end) in the report's time zone, and the previous period it is compared with.

Period names (``--period``, a report definition's ``period``), resolved at a moment ``now`` in ``tz``:

- ``yesterday``, ``today``: the calendar day; previous: the day before;
- ``last-week``: the last full calendar week, Monday to Sunday; ``this-week``: the current one (days to
  come count nothing);
- ``last-month``: the last full calendar month; ``this-month``: the current one;
- ``last-N-days`` (1 to 366): the N full days before today; previous: the N days before those;
- ``YYYY-MM-DD..YYYY-MM-DD``: those dates, both inclusive.

A calendar month is compared with the calendar month before it (31 days against 30); every other period
with the same length of days just before it. Bounds are local midnights, so a period across a
daylight-saving change lasts 23 or 25 hours more or less, as a calendar does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from pydantic import Field, model_validator

from core.errors import InvalidInput
from core.models import AwareDatetime, Frozen
from index.aggregations import zone

PERIOD_NAMES = ("yesterday", "today", "last-week", "this-week", "last-month", "this-month", "last-N-days")
_LAST_DAYS = re.compile(r"^last-(\d+)-days$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_PERIOD_DAYS = 366


class ReportPeriod(Frozen):
    """What one report covers; every bound is an aware datetime, `end` and `previous_end` exclusive."""

    name: str = Field(description="The period name or range it was resolved from")
    timezone: str
    start: AwareDatetime
    end: AwareDatetime
    previous_start: AwareDatetime
    previous_end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> ReportPeriod:
        if not (self.previous_start < self.previous_end <= self.start < self.end):
            raise ValueError("a period must end after it starts, and its previous period before it")
        return self

    @property
    def first_day(self) -> date:
        return self.start.astimezone(zone(self.timezone)).date()

    @property
    def last_day(self) -> date:
        """The last local day the period touches (its end is exclusive)."""
        return (self.end - timedelta(microseconds=1)).astimezone(zone(self.timezone)).date()


def _midnight(day: date, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone(tz))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _days(name: str, tz: str, first: date, last: date, end: datetime | None = None) -> ReportPeriod:
    """[first, last] inclusive (or up to `end`), compared with as many days just before."""
    length = (last - first).days + 1
    return ReportPeriod(
        name=name,
        timezone=tz,
        start=_midnight(first, tz),
        end=end or _midnight(last + timedelta(days=1), tz),
        previous_start=_midnight(first - timedelta(days=length), tz),
        previous_end=_midnight(first, tz),
    )


def resolve_period(name: str, *, tz: str = "UTC", now: datetime | None = None) -> ReportPeriod:
    """The period `name` stands for at `now` (default: the current time) in `tz`. InvalidInput for an
    unknown name, an unknown time zone, a range that ends before it starts or one over a year."""
    local_zone = zone(tz)  # InvalidInput for an unknown zone
    if now is not None and now.utcoffset() is None:  # astimezone would take it as the machine's time
        raise InvalidInput("the moment a period is resolved at needs a time zone", details={"now": str(now)})
    moment = (now or datetime.now(UTC)).astimezone(local_zone)
    today = moment.date()
    text = name.strip()
    if text == "today":
        return _days(text, tz, today, today)
    if text == "yesterday":
        day = today - timedelta(days=1)
        return _days(text, tz, day, day)
    if text in ("last-week", "this-week"):
        monday = today - timedelta(days=today.weekday())
        if text == "last-week":
            return _days(text, tz, monday - timedelta(days=7), monday - timedelta(days=1))
        return _days(text, tz, monday, monday + timedelta(days=6))
    if text in ("last-month", "this-month"):
        this_month = _month_start(today)
        first = this_month if text == "this-month" else _previous_month(this_month)
        following = (first + timedelta(days=32)).replace(day=1)
        before = _previous_month(first)
        return ReportPeriod(
            name=text,
            timezone=tz,
            start=_midnight(first, tz),
            end=_midnight(following, tz),
            previous_start=_midnight(before, tz),
            previous_end=_midnight(first, tz),
        )
    found = _LAST_DAYS.match(text)
    if found:
        count = int(found.group(1))
        if not 1 <= count <= MAX_PERIOD_DAYS:
            raise InvalidInput(
                f"period {name!r}: N must be 1 to {MAX_PERIOD_DAYS}",
                details={"field": "period", "value": name},
            )
        return _days(text, tz, today - timedelta(days=count), today - timedelta(days=1))
    found = _RANGE.match(text)
    if found:
        try:
            first, last = (date.fromisoformat(found.group(i)) for i in (1, 2))
        except ValueError as exc:
            raise InvalidInput(f"period {name!r}: {exc}", details={"field": "period", "value": name}) from exc
        if last < first:
            raise InvalidInput(
                f"period {name!r} ends before it starts", details={"field": "period", "value": name}
            )
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidInput(
                f"period {name!r} is longer than {MAX_PERIOD_DAYS} days",
                details={"field": "period", "value": name},
            )
        return _days(text, tz, first, last)
    raise InvalidInput(
        f"unknown period {name!r}: one of yesterday, today, last-week, this-week, last-month, this-month, "
        "last-N-days (last-7-days) or a date range YYYY-MM-DD..YYYY-MM-DD",
        details={"field": "period", "value": name},
    )


def check_period_name(name: str) -> str:
    """`name` when it resolves (ValueError otherwise): what a report definition stores is checked once."""
    try:
        resolve_period(name, now=datetime(2026, 1, 15, tzinfo=UTC))
    except InvalidInput as exc:
        raise ValueError(str(exc)) from exc
    return name.strip()


__all__ = ["MAX_PERIOD_DAYS", "PERIOD_NAMES", "ReportPeriod", "check_period_name", "resolve_period"]
