"""Dates as sites print them: ISO, a profile's explicit formats, English and Chinese, absolute and
relative ("3天前", "昨天 12:30", "2026年11月1日", "2 hours ago").

Order: ISO 8601 (fast), the profile's `strptime` formats, Chinese absolute dates (dateparser misreads
a yearless "11月1日 08:00"), then dateparser for everything relative or spelled out, after Chinese
numerals are turned into digits (dateparser does not read "三天前"). Naive results take the profile's
timezone; relative ones are computed from `now`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")
_CN_ABSOLUTE = re.compile(
    r"^(?:(?P<y>\d{2,4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"
    r"(?:\s*(?P<ampm>上午|下午|晚上|凌晨)?\s*(?P<H>\d{1,2})\s*[:：点时]\s*(?P<M>\d{1,2})?\s*分?"
    r"(?:\s*[:：]\s*(?P<S>\d{1,2})\s*秒?)?)?$"
)
_HALF = re.compile(r"半(个)?(小时|钟头)")


def _cn_to_int(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105."""
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[char] if current else _CN_DIGITS[char]
    return total + current


def normalise_chinese_numerals(text: str) -> str:
    text = _HALF.sub("30分钟", text)
    return _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(0))), text)


@lru_cache(maxsize=64)
def get_timezone(name: str | None) -> tzinfo:
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def _aware(value: datetime, tz: tzinfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _chinese_absolute(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    match = _CN_ABSOLUTE.match(text)
    if not match:
        return None
    g = match.groupdict()
    local_now = now.astimezone(tz)
    year = int(g["y"]) if g["y"] else local_now.year
    if year < 100:
        year += 2000
    hour = int(g["H"] or 0)
    if g["ampm"] in ("下午", "晚上") and hour < 12:
        hour += 12
    try:
        value = datetime(year, int(g["m"]), int(g["d"]), hour, int(g["M"] or 0), int(g["S"] or 0), tzinfo=tz)
    except ValueError:
        return None
    if not g["y"] and value > local_now + timedelta(days=1):  # "12月30日" read in January: last year
        value = value.replace(year=year - 1)
    return value


def parse_date(
    text: str | None,
    formats: Sequence[str] = (),
    *,
    now: datetime | None = None,
    timezone: str | None = None,
    languages: Sequence[str] = ("en", "zh"),
) -> datetime | None:
    """An aware datetime for `text`, or None when it cannot be read (the caller reports why)."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text:
        return None
    tz = get_timezone(timezone)
    now = now or datetime.now(UTC)
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return _aware(datetime.strptime(text, fmt), tz)
        except ValueError:
            continue
    cn = normalise_chinese_numerals(text) if re.search(r"[\u4e00-\u9fff]", text) else text
    absolute = _chinese_absolute(cn, now, tz)
    if absolute is not None:
        return absolute
    return _dateparser(cn, now, tz, tuple(languages))


def _dateparser(text: str, now: datetime, tz: tzinfo, languages: tuple[str, ...]) -> datetime | None:
    import dateparser  # type: ignore[import-untyped,unused-ignore]  # slow: loads language data

    tz_name = getattr(tz, "key", None) or "UTC"
    settings: dict[str, Any] = {
        "RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None),
        "TIMEZONE": tz_name,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    try:
        value = dateparser.parse(text, languages=list(languages), settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if value is None:
        return None
    return _aware(value, tz)
