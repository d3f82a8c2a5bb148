"""Dates as sites print them, English and Chinese, absolute and relative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.dates import normalise_chinese_numerals, parse_date

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
SH = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年11月1日", "2026-11-01T00:00:00+08:00"),
        ("2026年11月1日 14:30", "2026-11-01T14:30:00+08:00"),
        ("2026年11月1日 下午3:05", "2026-11-01T15:05:00+08:00"),
        ("11月1日 08:00", "2026-11-01T08:00:00+08:00"),  # dateparser alone reads this as 2011
        ("12月30日", "2025-12-30T00:00:00+08:00"),  # yearless and in the future: last year
        ("3天前", "2026-11-07T20:00:00+08:00"),
        ("三天前", "2026-11-07T20:00:00+08:00"),
        ("十二小时前", "2026-11-10T08:00:00+08:00"),
        ("半小时前", "2026-11-10T19:30:00+08:00"),
        ("5分钟前", "2026-11-10T19:55:00+08:00"),
        ("刚刚", "2026-11-10T20:00:00+08:00"),
        ("昨天 12:30", "2026-11-09T12:30:00+08:00"),
        ("前天 10:00", "2026-11-08T10:00:00+08:00"),
        ("一周前", "2026-11-03T20:00:00+08:00"),
        ("2 hours ago", "2026-11-10T18:00:00+08:00"),
        ("May 3, 2024", "2024-05-03T00:00:00+08:00"),
        ("2026-11-07T18:20:00+01:00", "2026-11-07T18:20:00+01:00"),
    ],
)
def test_parses_site_dates(text: str, expected: str) -> None:
    value = parse_date(text, now=NOW, timezone=SH)
    assert value is not None
    assert value == datetime.fromisoformat(expected)
    assert value.utcoffset() is not None


def test_profile_formats_come_first_and_naive_takes_the_profile_timezone() -> None:
    assert parse_date("01/11/2026", ["%d/%m/%Y"], timezone="UTC") == datetime(2026, 11, 1, tzinfo=UTC)
    # without the format, dateparser would read it month-first
    assert parse_date("01/11/2026", ["%d/%m/%Y"], timezone=SH) == datetime(
        2026, 11, 1, tzinfo=UTC
    ) - timedelta(hours=8)


@pytest.mark.parametrize("text", ["", "   ", None, "sometime last spring?", "not a date"])
def test_unreadable_is_none(text: str | None) -> None:
    assert parse_date(text, now=NOW) is None


def test_chinese_numerals() -> None:
    assert normalise_chinese_numerals("二十三小时前") == "23小时前"
    assert normalise_chinese_numerals("一百零五天前") == "105天前"
    assert normalise_chinese_numerals("两个月前") == "2个月前"


def test_unknown_timezone_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        parse_date("2026-01-01", timezone="Mars/Olympus")
