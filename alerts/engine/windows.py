"""Time arithmetic of the engine: windows, seasonal slots and digest due times, in a rule's zone.

Windows tile each *local* day by real elapsed time from local midnight: a 1-hour window starts at
each real hour after midnight, so every window of an hour or less is full length, also on the days
daylight-saving time changes (a 25-hour day has 25 hourly windows). When the window does not divide
that day's length (a 6-hour window on a 23- or 25-hour day) the last window of the day is cut short at
the next midnight; the engine scales a short window's counts to the full length before judging them.
Digest due times follow the wall clock instead (every 6 h is 00:00, 06:00, 12:00, 18:00 local, as a
cron would be): that is what a person reading a digest expects.

Times are epoch seconds (int for window bounds) so that the state is plain JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from cronsim import CronSim

WEEK = 7 * 86400


@lru_cache(maxsize=4096)
def _midnight(day: date, zone: str) -> int:
    return int(datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).timestamp())


def _day_bounds(t: float, zone: str) -> tuple[int, int]:
    """Local midnight at or before `t` and the next one, as epoch seconds."""
    day = datetime.fromtimestamp(t, ZoneInfo(zone)).date()
    start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    if start > t:  # a zone whose clocks fall back across midnight: the day began at the earlier one
        start = _midnight(day - timedelta(days=1), zone)
    return start, max(end, start + 3600)


def window_bounds(t: float, window: int, zone: str) -> tuple[int, int]:
    """The window (start, end) holding epoch second `t`: windows of `window` seconds from local midnight."""
    day_start, day_end = _day_bounds(t, zone)
    start = day_start + int((t - day_start) // window) * window
    return start, min(start + window, day_end)


def window_slot(start: int, zone: str) -> str:
    """The seasonal slot of a window: its local weekday and its offset from local midnight."""
    day_start, _ = _day_bounds(start, zone)
    weekday = datetime.fromtimestamp(day_start, ZoneInfo(zone)).isoweekday()
    return f"{weekday}+{start - day_start}"


def next_due(after: float, zone: str, *, every: int | None = None, cron: str | None = None) -> float:
    """The first digest due time strictly after `after` (epoch seconds)."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(after, tz)
    if cron is not None:
        return next(CronSim(cron, local)).timestamp()
    assert every is not None
    day = local.date()
    for offset in range(0, 86400 + every, every):  # the wall-clock grid of today, then tomorrow's 00:00
        naive = datetime.combine(day, time(0)) + timedelta(seconds=offset)
        due = naive.replace(tzinfo=tz).timestamp()  # fold=0: a time in a DST gap moves forward
        if due > after:
            return due
    raise AssertionError("unreachable: tomorrow's midnight is after today")  # pragma: no cover


def at(seconds: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)
