"""Report schedules across daylight-saving changes: Prefect's schedule cases (its
tests/server/schemas/test_schedules.py) as cases of Earful's schedules, and the property that matters to a
brand manager: each local day (week, month) gets its report once, none twice, none skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.errors import InvalidInput
from reports.definitions import ReportDefinition
from reports.period import resolve_period
from reports.schedule import ReportSchedule, fire_times, next_fire

NEW_YORK = "America/New_York"
NY = ZoneInfo(NEW_YORK)


def cron(expression: str) -> ReportSchedule:
    return ReportSchedule(cron=expression)


def local_hours(fires: list[datetime], tz: str = NEW_YORK) -> list[int]:
    return [f.astimezone(ZoneInfo(tz)).hour for f in fires]


def utc_hours(fires: list[datetime]) -> list[int]:
    return [f.hour for f in fires]


def first(schedule: ReportSchedule, tz: str, start: datetime, n: int) -> list[datetime]:
    return fire_times(schedule, tz, start, start + timedelta(days=400), limit=n)


# --- Prefect's daylight-saving cases --------------------------------------------------------------
def test_nine_in_new_york_stays_nine_across_spring_forward() -> None:
    fires = first(cron("0 9 * * *"), NEW_YORK, datetime(2018, 3, 8, 9, tzinfo=NY), 5)
    assert local_hours(fires) == [9, 9, 9, 9, 9]
    assert utc_hours(fires) == [14, 14, 14, 13, 13]
    assert all(f.tzinfo is UTC for f in fires)


def test_nine_in_new_york_stays_nine_across_fall_back() -> None:
    fires = first(cron("0 9 * * *"), NEW_YORK, datetime(2018, 11, 1, 9, tzinfo=NY), 5)
    assert local_hours(fires) == [9, 9, 9, 9, 9]
    assert utc_hours(fires) == [13, 13, 13, 14, 14]


def test_hourly_across_spring_forward_skips_the_hour_that_does_not_exist() -> None:
    fires = first(cron("0 * * * *"), NEW_YORK, datetime(2018, 3, 10, 23, tzinfo=NY), 5)
    assert local_hours(fires) == [23, 0, 1, 3, 4]
    assert utc_hours(fires) == [4, 5, 6, 7, 8]  # one fire per real hour


def test_hourly_across_fall_back_fires_every_real_hour_once() -> None:
    start = datetime(2018, 11, 3, 23, tzinfo=NY)
    fires = first(cron("0 * * * *"), NEW_YORK, start, 6)
    # 01:00 comes twice in New York that night, an hour apart in real time: both fire, once each
    assert local_hours(fires) == [23, 0, 1, 1, 2, 3]
    assert utc_hours(fires) == [3, 4, 5, 6, 7, 8]
    assert len(set(fires)) == len(fires)
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(fires))


def test_a_time_the_clocks_skip_fires_once_just_after_the_change() -> None:
    start = datetime(2018, 3, 9, tzinfo=NY)
    fires = fire_times(cron("30 2 * * *"), NEW_YORK, start, start + timedelta(days=5))
    local = [f.astimezone(NY) for f in fires]
    # 02:30 does not exist on 11 March: cron(8) runs the job at the first minute after the change
    assert [(t.day, t.hour, t.minute) for t in local] == [
        (9, 2, 30),
        (10, 2, 30),
        (11, 3, 0),
        (12, 2, 30),
        (13, 2, 30),
    ]


def test_a_time_the_clocks_repeat_fires_once() -> None:
    start = datetime(2018, 11, 3, tzinfo=NY)
    fires = fire_times(cron("30 1 * * *"), NEW_YORK, start, start + timedelta(days=3))
    assert [f.astimezone(NY).day for f in fires] == [3, 4, 5]
    assert fires[1] == datetime(2018, 11, 4, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first of the two


def test_a_start_between_the_changes_on_the_day_of_the_change() -> None:
    # Prefect's regression case: the day of the change, before the change itself
    start = datetime(2023, 3, 12, 5, 10, 2, tzinfo=UTC)
    fires = first(cron("10 0 * * *"), "America/Montreal", start, 5)
    assert local_hours(fires) == [0, 0, 0, 0, 0]
    assert utc_hours(fires) == [4, 4, 4, 4, 4]
    assert fires[0].date() == date(2023, 3, 13)


def test_weekly_monday_nine_in_shanghai() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    fires = fire_times(cron("0 9 * * 1"), "Asia/Shanghai", start, datetime(2026, 4, 1, tzinfo=UTC))
    shanghai = [f.astimezone(ZoneInfo("Asia/Shanghai")) for f in fires]
    assert [t.day for t in shanghai] == [2, 9, 16, 23, 30]
    assert all(t.weekday() == 0 and t.hour == 9 and t.minute == 0 for t in shanghai)
    assert utc_hours(fires) == [1] * 5


# --- intervals: absolute time ---------------------------------------------------------------------
def test_a_daily_interval_is_24_hours_so_its_local_hour_moves() -> None:
    anchor = datetime(2018, 3, 8, 9, tzinfo=NY)
    every_day = ReportSchedule(every="1d", anchor=anchor)
    fires = first(every_day, NEW_YORK, anchor, 5)
    assert utc_hours(fires) == [14, 14, 14, 14, 14]
    assert local_hours(fires) == [9, 9, 9, 10, 10]  # unlike Prefect's interval, which keeps 9


def test_an_hourly_interval_across_fall_back_fires_every_real_hour_once() -> None:
    start = datetime(2018, 11, 3, 23, tzinfo=NY)
    fires = first(ReportSchedule(every="1h", anchor=start), NEW_YORK, start, 5)
    assert local_hours(fires) == [23, 0, 1, 1, 2]
    assert utc_hours(fires) == [3, 4, 5, 6, 7]


def test_an_interval_counts_from_its_anchor_either_way() -> None:
    # Prefect's case: a 17-hour interval anchored years after the start
    schedule = ReportSchedule(every=17 * 3600, anchor=datetime(2030, 2, 2, 5, 24, tzinfo=UTC))
    fires = first(schedule, "UTC", datetime(2021, 7, 1, tzinfo=UTC), 5)
    assert fires == [datetime(2021, 7, 1, 7, 24, tzinfo=UTC) + timedelta(hours=17 * i) for i in range(5)]


# --- bounds ---------------------------------------------------------------------------------------
def test_start_is_inclusive_and_end_exclusive() -> None:
    nine = datetime(2026, 1, 5, 9, tzinfo=UTC)
    daily = cron("0 9 * * *")
    assert fire_times(daily, "UTC", nine, nine + timedelta(days=2)) == [nine, nine + timedelta(days=1)]
    assert fire_times(daily, "UTC", nine + timedelta(microseconds=1), nine + timedelta(days=1)) == []
    assert fire_times(daily, "UTC", nine, nine) == []
    assert fire_times(daily, "UTC", nine, nine + timedelta(days=10), limit=3)[-1] == nine + timedelta(days=2)
    interval = ReportSchedule(every="1d", anchor=nine)
    assert fire_times(interval, "UTC", nine, nine + timedelta(days=2)) == [nine, nine + timedelta(days=1)]


def test_next_fire_is_strictly_after() -> None:
    daily = cron("0 9 * * *")
    nine = datetime(2018, 3, 10, 9, tzinfo=NY)
    assert next_fire(daily, NEW_YORK, nine) == datetime(2018, 3, 11, 13, tzinfo=UTC)
    assert next_fire(daily, NEW_YORK, nine - timedelta(seconds=1)) == nine.astimezone(UTC)
    # in the repeated hour, after the 01:30 that already fired: the next is the following night
    second_one_ten = datetime(2018, 11, 4, 1, 10, tzinfo=NY, fold=1)
    assert next_fire(cron("30 1 * * *"), NEW_YORK, second_one_ten) == datetime(2018, 11, 5, 6, 30, tzinfo=UTC)
    interval = ReportSchedule(every="1h", anchor=nine)
    assert next_fire(interval, NEW_YORK, nine) == nine + timedelta(hours=1)


def test_bad_arguments_are_refused_clearly() -> None:
    daily = cron("0 9 * * *")
    with pytest.raises(InvalidInput, match="unknown time zone: 'Mars/Olympus'"):
        fire_times(daily, "Mars/Olympus", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="start must carry a time zone"):
        fire_times(daily, "UTC", datetime(2026, 1, 1), datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="after must carry a time zone"):
        next_fire(daily, "UTC", datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9 30 2 *", "never fires: no month it names has that day"),
        ("0 9 31 4,6,9,11 *", "never fires"),
        ("0 25 * * *", "invalid cron expression '0 25 \\* \\* \\*': Bad hour"),
        ("every day", "expected 5 fields"),
        ("0 0 9 * * *", "expected 5 fields"),
        ("@daily", "expected 5 fields"),
    ],
)
def test_a_cron_that_never_fires_or_does_not_parse_is_refused(expression: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReportSchedule(cron=expression)
    with pytest.raises(ValidationError, match=message):
        ReportDefinition.model_validate({"name": "weekly", "schedule": {"cron": expression}})


def test_a_schedule_has_one_kind() -> None:
    with pytest.raises(ValidationError, match="either a cron or an interval"):
        ReportSchedule(cron="0 9 * * *", every="1d")
    with pytest.raises(ValidationError, match="either a cron or an interval"):
        ReportSchedule()
    with pytest.raises(ValidationError, match="greater than or equal to 60"):
        ReportSchedule(every=30)


# --- the property: each period reported once, none skipped ----------------------------------------
def periods(schedule: ReportSchedule, tz: str, period: str, year: int) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(tz)
    fires = fire_times(schedule, tz, datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone))
    return [(p.start, p.end) for p in (resolve_period(period, tz=tz, now=fire) for fire in fires)]


def assert_back_to_back(spans: list[tuple[datetime, datetime]]) -> None:
    assert len(set(spans)) == len(spans), "a period is reported twice"
    for (_, end), (start, _) in pairwise(spans):
        assert end == start, f"a gap or an overlap between {end} and {start}"


DAILY_CASES = [
    (NEW_YORK, "0 9 * * *", 2018),
    (NEW_YORK, "30 2 * * *", 2018),  # skipped in spring
    (NEW_YORK, "30 1 * * *", 2018),  # repeated in autumn
    (NEW_YORK, "0 0 * * *", 2018),
    ("Europe/Berlin", "30 2 * * *", 2026),
    ("Australia/Sydney", "30 2 * * *", 2026),  # the southern hemisphere's changes
    ("America/Sao_Paulo", "0 0 * * *", 2018),  # clocks changed at midnight: 00:00 did not exist
    ("Asia/Shanghai", "0 9 * * *", 2026),
]


@pytest.mark.parametrize(("tz", "expression", "year"), DAILY_CASES)
def test_a_daily_yesterday_report_covers_every_day_of_a_year_once(
    tz: str, expression: str, year: int
) -> None:
    spans = periods(cron(expression), tz, "yesterday", year)
    assert len(spans) == (date(year + 1, 1, 1) - date(year, 1, 1)).days
    assert_back_to_back(spans)
    assert spans[0][0] == datetime(year - 1, 12, 31, tzinfo=ZoneInfo(tz))


def test_a_weekly_and_a_monthly_report_cover_their_year_once() -> None:
    weeks = periods(cron("0 9 * * 1"), NEW_YORK, "last-week", 2018)
    assert len(weeks) == 53  # 2018 has 53 Mondays
    assert_back_to_back(weeks)
    months = periods(cron("0 6 1 * *"), "Europe/Berlin", "last-month", 2026)
    assert len(months) == 12
    assert_back_to_back(months)


@pytest.mark.parametrize(("tz", "expression", "year"), DAILY_CASES[:5])
def test_prefects_schedule_of_the_deployment_reports_the_same_days(
    tz: str, expression: str, year: int
) -> None:
    """The deployment hands the cron to Prefect, whose croniter reads daylight-saving days in its own
    way: the instants may differ on those days, the days reported may not."""
    from prefect.server.schemas.schedules import CronSchedule

    zone = ZoneInfo(tz)
    start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    schedule = CronSchedule(cron=expression, timezone=tz)
    dates = [
        d for d in asyncio.run(schedule.get_dates(start=start, end=end)) if d < end
    ]  # its end is inclusive
    prefect_spans = [(p.start, p.end) for p in (resolve_period("yesterday", tz=tz, now=d) for d in dates)]
    assert prefect_spans == periods(cron(expression), tz, "yesterday", year)
