"""The one Retry-After parser (core.http): delay-seconds, HTTP-dates, garbage, negative and huge values,
and the rate-limit reset headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from core.http import MAX_WAIT, parse_retry_after, retry_after_seconds

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T = NOW.timestamp()


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        (b"30", 30.0),
    ],
)
def test_delay_seconds(value: str | bytes, seconds: float) -> None:
    assert parse_retry_after(value, now=T) == seconds


def test_http_date_in_the_future_past_and_without_zone() -> None:
    assert parse_retry_after(http_date(NOW + timedelta(seconds=90)), now=T) == 90.0
    assert parse_retry_after(http_date(NOW - timedelta(hours=1)), now=T) == 0.0
    # "-0000" means no zone information: read as UTC (an HTTP date is GMT), never as local time
    assert parse_retry_after("Sun, 01 Nov 2026 12:01:00 -0000", now=T) == 60.0


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "soon", "-5", "-0.5", "+10", "1e3", "inf", "nan", "NaN", "12 seconds", "Sun, 99 Foo"],
)
def test_garbage_and_negative_read_as_none(value: str | None) -> None:
    assert parse_retry_after(value, now=T) is None


def test_huge_values_are_capped_and_stay_finite_json() -> None:
    huge = parse_retry_after("9" * 400, now=T)
    assert huge == MAX_WAIT
    assert parse_retry_after(http_date(datetime(9999, 12, 31, tzinfo=UTC)), now=T) == MAX_WAIT
    json.dumps({"retry_after": huge}, allow_nan=False)  # no Infinity in error details


def test_headers_prefer_retry_after_and_are_case_insensitive_through_the_mapping() -> None:
    import httpx

    headers = httpx.Headers({"retry-after": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"})
    assert retry_after_seconds(headers, now=T) == 3.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "garbage"}), now=T) is None
    assert retry_after_seconds(httpx.Headers({}), now=T) is None


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"}, 60.0),  # a delay
        ({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(T) + 45)}, 45.0),  # an epoch time
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-01T12:00:30Z"}, 30.0),  # Mastodon
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-01T11:00:00Z"}, 0.0),  # past
        ({"RateLimit-Remaining": "5", "RateLimit-Reset": "60"}, None),  # window not used up
        ({"X-RateLimit-Remaining": "0"}, None),  # no reset: nothing to wait for
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-60"}, None),  # garbage, not a negative wait
        ({"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "60"}, None),
    ],
)
def test_rate_limit_reset_headers(headers: dict[str, str], seconds: float | None) -> None:
    import httpx

    assert retry_after_seconds(httpx.Headers(headers), now=T) == seconds


def test_scrapy_headers_with_bytes_values() -> None:
    from scrapy.http import Headers

    assert retry_after_seconds(Headers({"Retry-After": "12"}), now=T) == 12.0
