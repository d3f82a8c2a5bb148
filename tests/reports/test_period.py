"""reports.period: every period name at a fixed moment, in zones with daylight-saving changes, and the
refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.errors import InvalidInput
from reports.period import MAX_PERIOD_DAYS, ReportPeriod, check_period_name, resolve_period

NY = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-03-11, 10:00 in New York (14:00 UTC): the spring change was on Sunday 2026-03-08
NOW = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)


def local(day: date, tz: ZoneInfo = NY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def bounds(period: ReportPeriod) -> tuple[date, date, date, date]:
    """The local dates of the four bounds (ends exclusive)."""
    zone = ZoneInfo(period.timezone)
    return (
        period.previous_start.astimezone(zone).date(),
        period.previous_end.astimezone(zone).date(),
        period.start.astimezone(zone).date(),
        period.end.astimezone(zone).date(),
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("today", ("2026-03-10", "2026-03-11", "2026-03-11", "2026-03-12")),
        ("yesterday", ("2026-03-09", "2026-03-10", "2026-03-10", "2026-03-11")),
        ("last-week", ("2026-02-23", "2026-03-02", "2026-03-02", "2026-03-09")),
        ("this-week", ("2026-03-02", "2026-03-09", "2026-03-09", "2026-03-16")),
        ("last-month", ("2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01")),
        ("this-month", ("2026-02-01", "2026-03-01", "2026-03-01", "2026-04-01")),
        ("last-7-days", ("2026-02-25", "2026-03-04", "2026-03-04", "2026-03-11")),
        ("last-1-days", ("2026-03-09", "2026-03-10", "2026-03-10", "2026-03-11")),
        ("2026-03-01..2026-03-08", ("2026-02-21", "2026-03-01", "2026-03-01", "2026-03-09")),
        ("2026-03-08..2026-03-08", ("2026-03-07", "2026-03-08", "2026-03-08", "2026-03-09")),
        (" last-week ", ("2026-02-23", "2026-03-02", "2026-03-02", "2026-03-09")),
    ],
)
def test_each_name_at_a_fixed_moment(name: str, expected: tuple[str, str, str, str]) -> None:
    period = resolve_period(name, tz="America/New_York", now=NOW)
    assert bounds(period) == tuple(date.fromisoformat(d) for d in expected)
    assert period.name == name.strip()
    assert period.timezone == "America/New_York"
    # every bound is a local midnight
    for bound in (period.previous_start, period.previous_end, period.start, period.end):
        assert bound.astimezone(NY).time() == datetime.min.time()
    assert period.previous_end == period.start


def test_the_day_is_the_zone_s_day() -> None:
    # 2026-03-11 14:00 UTC is 22:00 in Shanghai: still the 11th; 17:00 UTC is already the 12th there
    assert resolve_period("today", tz="Asia/Shanghai", now=NOW).first_day == date(2026, 3, 11)
    late = NOW + timedelta(hours=3)
    period = resolve_period("today", tz="Asia/Shanghai", now=late)
    assert period.first_day == period.last_day == date(2026, 3, 12)
    assert period.start == local(date(2026, 3, 12), SHANGHAI)
    assert resolve_period("today", tz="+08:00", now=late).start == period.start
    assert resolve_period("today", now=late).start == datetime(2026, 3, 11, tzinfo=UTC)


def test_a_week_across_a_daylight_saving_change_lasts_its_real_hours() -> None:
    spring = resolve_period("last-week", tz="America/New_York", now=NOW)
    assert (spring.end - spring.start.astimezone(UTC)) == timedelta(hours=7 * 24 - 1)
    assert (spring.previous_end.astimezone(UTC) - spring.previous_start) == timedelta(days=7)
    assert (spring.first_day, spring.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    autumn = resolve_period("2026-10-26..2026-11-01", tz="America/New_York")
    assert autumn.end.astimezone(UTC) - autumn.start.astimezone(UTC) == timedelta(hours=7 * 24 + 1)
    assert autumn.start.astimezone(UTC) == datetime(2026, 10, 26, 4, tzinfo=UTC)
    assert autumn.end.astimezone(UTC) == datetime(2026, 11, 2, 5, tzinfo=UTC)


def test_a_midnight_that_does_not_exist_starts_at_the_first_instant_after_it() -> None:
    # Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06: that day starts at 01:00 -03:00
    period = resolve_period("2026-09-06..2026-09-06", tz="America/Santiago")
    assert period.start.astimezone(UTC) == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert period.end.astimezone(UTC) == datetime(2026, 9, 7, 3, tzinfo=UTC)
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=23)
    assert (period.first_day, period.last_day) == (date(2026, 9, 6), date(2026, 9, 6))


@pytest.mark.parametrize(
    ("now", "current", "previous"),
    [
        # a calendar month against the calendar month before it, whatever their lengths
        (datetime(2026, 3, 31, 12, tzinfo=UTC), ("2026-02-01", "2026-03-01"), ("2026-01-01", "2026-02-01")),
        (datetime(2026, 1, 10, 12, tzinfo=UTC), ("2025-12-01", "2026-01-01"), ("2025-11-01", "2025-12-01")),
        (datetime(2024, 3, 2, 12, tzinfo=UTC), ("2024-02-01", "2024-03-01"), ("2024-01-01", "2024-02-01")),
        (datetime(2026, 8, 1, 12, tzinfo=UTC), ("2026-07-01", "2026-08-01"), ("2026-06-01", "2026-07-01")),
    ],
)
def test_last_month(now: datetime, current: tuple[str, str], previous: tuple[str, str]) -> None:
    period = resolve_period("last-month", now=now)
    assert (period.start.date().isoformat(), period.end.date().isoformat()) == current
    assert (period.previous_start.date().isoformat(), period.previous_end.date().isoformat()) == previous


def test_this_week_on_monday_and_sunday() -> None:
    monday = resolve_period("this-week", now=datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    sunday = resolve_period("this-week", now=datetime(2026, 3, 15, 23, 59, tzinfo=UTC))
    assert monday == sunday
    assert monday.first_day == date(2026, 3, 9)
    assert monday.first_day.weekday() == 0
    last = resolve_period("last-week", now=datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    assert (last.first_day, last.last_day) == (date(2026, 3, 2), date(2026, 3, 8))


def test_a_year_long_range_and_the_longest_last_days() -> None:
    period = resolve_period("2024-01-01..2024-12-31")  # 366 days in a leap year
    assert period.end - period.start == timedelta(days=366)
    assert period.previous_start == datetime(2022, 12, 31, tzinfo=UTC)  # as many days before it
    longest = resolve_period(f"last-{MAX_PERIOD_DAYS}-days", now=NOW)
    assert longest.end - longest.start == timedelta(days=MAX_PERIOD_DAYS)


@pytest.mark.parametrize(
    ("name", "tz", "message"),
    [
        ("last-fortnight", "UTC", "unknown period"),
        ("", "UTC", "unknown period"),
        ("last-0-days", "UTC", "N must be 1 to 366"),
        ("last-367-days", "UTC", "N must be 1 to 366"),
        ("last-1000-days", "UTC", "N must be 1 to 366"),
        ("2026-03-08..2026-03-01", "UTC", "ends before it starts"),
        ("2024-01-01..2025-01-01", "UTC", "longer than 366 days"),
        ("2026-02-30..2026-03-01", "UTC", "day is out of range"),
        ("last-week", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_periods_are_refused(name: str, tz: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        resolve_period(name, tz=tz, now=NOW)
    if "zone" not in message:
        assert caught.value.details == {"field": "period", "value": name}


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        resolve_period("today", now=datetime(2026, 3, 11, 14, 0))


def test_check_period_name() -> None:
    assert check_period_name(" last-30-days ") == "last-30-days"
    assert check_period_name("2026-01-01..2026-01-31") == "2026-01-01..2026-01-31"
    with pytest.raises(ValueError, match="unknown period"):
        check_period_name("someday")


def test_a_period_must_be_ordered() -> None:
    t = datetime(2026, 3, 1, tzinfo=UTC)
    day = timedelta(days=1)
    ReportPeriod(name="x", timezone="UTC", start=t, end=t + day, previous_start=t - day, previous_end=t)
    for start, end, previous_start, previous_end in [
        (t, t, t - day, t),  # empty
        (t, t + day, t - day, t + day),  # the previous period overlaps it
        (t, t + day, t, t - day),  # the previous period is backwards
    ]:
        with pytest.raises(ValidationError, match="must end after it starts"):
            ReportPeriod(
                name="x",
                timezone="UTC",
                start=start,
                end=end,
                previous_start=previous_start,
                previous_end=previous_end,
            )
    with pytest.raises(ValidationError, match="timezone-aware"):
        ReportPeriod(
            name="x",
            timezone="UTC",
            start=datetime(2026, 3, 1),
            end=t + day,
            previous_start=t - day,
            previous_end=t,
        )
