"""When a report runs: a cron expression or a fixed interval, in the report's time zone (the definition's
`timezone`: one zone for the period and the schedule, so "last-week at Monday 9:00" means one calendar).

A cron is read as wall-clock time in the zone, as Prefect's `Cron` schedule and cron(8) read it: ``0 9 * *
*`` in America/New_York fires at 09:00 local every day, 14:00 UTC in winter and 13:00 UTC in summer. An
interval counts from `anchor` in absolute time (``1d`` is 24 hours, so its local hour moves at a
daylight-saving change; use a cron for "every day at nine").

Daylight-saving changes follow cron(8) (Debian's, as `cronsim` implements it), for a cron whose minute
and hour are both fixed:

- a time the clocks skip (02:30 on a spring-forward night in New York) fires once, at the first minute
  that exists after it (03:00);
- a time the clocks repeat (01:30 on an autumn night) fires once, at its first occurrence;

and a cron with a wildcard minute or hour (``0 * * * *``) fires on every hour of real time: the repeated
local hour fires twice (two distinct instants), the skipped one never. A daily cron therefore fires once
per local day, every day, and a ``yesterday`` report covers each day once.

Prefect's own `Cron` schedule (croniter), which a deployment (`flows.reports`) hands the schedule to,
agrees on fixed times on ordinary days; on a daylight-saving day it may fire the skipped time earlier
(01:30 instead of 03:00) and leave out the repeated hour of an hourly cron. A report is never built
twice or skipped either way: its period comes from the time it runs, and one per local day is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError
from pydantic import Field, field_validator, model_validator

from core.errors import InvalidInput
from core.models import AwareDatetime, Frozen
from core.settings import Seconds
from index.aggregations import zone

CRON_FIELDS = 5  # minute hour day-of-month month day-of-week: cronsim reads a 6th field as seconds,
# Prefect (croniter) as something else, so a schedule has exactly five


class ReportSchedule(Frozen):
    """Exactly one of `cron` and `every`."""

    cron: str | None = Field(None, description="Cron expression (5 fields), in the report's time zone")
    every: Seconds | None = Field(
        None, ge=60, description="Or: every this many seconds (or 1h, 1d), from `anchor`"
    )
    anchor: AwareDatetime = Field(
        datetime(2026, 1, 5, tzinfo=UTC), description="Where an interval schedule counts from"
    )

    @field_validator("cron")
    @classmethod
    def _cron_fires(cls, cron: str | None) -> str | None:
        if cron is None:
            return None
        cron = " ".join(cron.split())
        fields = cron.split(" ")
        if len(fields) != CRON_FIELDS:
            raise ValueError(
                f"invalid cron expression {cron!r}: expected 5 fields (minute hour day-of-month month "
                f"day-of-week), got {len(fields)}"
            )
        try:
            next(CronSim(cron, datetime(2000, 1, 1, tzinfo=UTC)))
        except CronSimError as exc:
            if _fires_in_some_month(fields):  # cronsim refuses dates that never exist (Feb 30) itself
                raise ValueError(
                    f"cron expression {cron!r} never fires: no month it names has that day"
                ) from exc
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from exc
        except StopIteration as exc:
            raise ValueError(f"cron expression {cron!r} never fires") from exc
        return cron

    @model_validator(mode="after")
    def _one_kind(self) -> ReportSchedule:
        if (self.cron is None) == (self.every is None):
            raise ValueError("a schedule has either a cron or an interval (every), not both or neither")
        return self

    @property
    def every_delta(self) -> timedelta | None:
        return None if self.every is None else timedelta(seconds=self.every)


def _fires_in_some_month(fields: list[str]) -> bool:
    """Whether the expression is valid once its month is any month: then only the day and month
    together are impossible (``30 2``), which is a cron that never fires, not a typo."""
    try:
        next(CronSim(" ".join([*fields[:3], "*", fields[4]]), datetime(2000, 1, 1, tzinfo=UTC)))
    except (CronSimError, StopIteration):
        return False
    return True


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} must carry a time zone", details={"field": name})
    return value.astimezone(UTC)


def _cron_fires(cron: str, tz: str, start: datetime) -> Iterator[datetime]:
    # cronsim yields the first fire strictly after the moment it is given: one second before `start`
    # lets `start` itself fire. A moment in a repeated hour may yield a fire just before it: dropped.
    fires = CronSim(cron, (start - timedelta(seconds=1)).astimezone(zone(tz)))
    while True:
        try:
            fire = next(fires).astimezone(UTC)
        except StopIteration:  # no fire for 50 years
            return
        if fire >= start:
            yield fire


def _interval_fires(every: timedelta, anchor: datetime, start: datetime) -> Iterator[datetime]:
    steps = -((anchor - start) // every)  # the first k with anchor + k * every >= start
    fire = anchor.astimezone(UTC) + steps * every
    while True:
        yield fire
        fire += every


def _fires(schedule: ReportSchedule, tz: str, start: datetime) -> Iterator[datetime]:
    """Every fire at or after `start` (aware), in order, as UTC datetimes."""
    start = _aware(start, "start")
    if schedule.cron is not None:
        return _cron_fires(schedule.cron, tz, start)
    every = schedule.every_delta
    assert every is not None  # one kind or the other, checked by the model
    zone(tz)  # the zone does not move an interval, but an unknown one is refused all the same
    return _interval_fires(every, schedule.anchor, start)


def fire_times(
    schedule: ReportSchedule, tz: str, start: datetime, end: datetime, *, limit: int | None = None
) -> list[datetime]:
    """When `schedule` fires in [start, end) (aware datetimes), in `tz` (the report's zone): aware UTC
    datetimes in order, at most `limit` (the first ones) when given. InvalidInput for an unknown zone
    or a naive bound."""
    end = _aware(end, "end")
    out: list[datetime] = []
    for fire in _fires(schedule, tz, start):
        if fire >= end or (limit is not None and len(out) >= limit):
            break
        out.append(fire)
    return out


def next_fire(schedule: ReportSchedule, tz: str, after: datetime) -> datetime | None:
    """The first fire strictly after `after` (aware), as an aware UTC datetime; None when the cron
    fires no more (none in the next 50 years)."""
    after = _aware(after, "after")
    for fire in _fires(schedule, tz, after):
        if fire > after:
            return fire
    return None


__all__ = ["CRON_FIELDS", "ReportSchedule", "fire_times", "next_fire"]
