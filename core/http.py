"""Reading the waits that HTTP servers ask for: ``Retry-After`` and rate-limit reset headers.

One parser for the spiders (``crawlers.middlewares``), the platform connectors and the demo source
(``crawlers.connectors.base.ApiClient``). Standard library only.

``Retry-After`` (RFC 9110, section 10.2.3) is either delay-seconds (digits; a decimal fraction is
accepted, as some APIs send one) or an HTTP-date. Anything else (a negative number, ``inf``, ``nan``,
words) is garbage and reads as ``None``: the caller then falls back to its own backoff. A date in the
past reads as ``0``. A wait is never longer than :data:`MAX_WAIT` (a year), so it stays finite and
JSON-serialisable in error details; callers compare it with their own, much shorter, limit anyway.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

MAX_WAIT = 365 * 24 * 3600.0
_DELAY = re.compile(r"\d+(\.\d+)?")
_EPOCH_THRESHOLD = 1e9  # a reset header above this is an epoch time, below it a delay

_REMAINING = (
    "X-RateLimit-Remaining",
    "X-Rate-Limit-Remaining",
    "RateLimit-Remaining",
    "X-Ratelimit-Remaining",
)
_RESET = ("X-RateLimit-Reset", "X-Rate-Limit-Reset", "RateLimit-Reset", "X-Ratelimit-Reset")


class Headers(Protocol):
    """What the parser reads: httpx's and Scrapy's case-insensitive headers both fit."""

    def get(self, key: str, /) -> Any: ...


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from one ``Retry-After`` value; ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if _DELAY.fullmatch(text):
        return min(MAX_WAIT, float(text))
    when = _http_date(text)
    if when is None:
        return None
    return _until(when.timestamp(), now)


def retry_after_seconds(headers: Headers, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After``, else from an exhausted rate-limit window
    (``*RateLimit-Remaining: 0`` with a ``*RateLimit-Reset`` as a delay, an epoch time or an ISO time);
    ``None`` when the headers ask for no wait or cannot be read."""

    def header(name: str) -> str | None:
        value = headers.get(name)
        if value is None:
            return None
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)

    retry_after = header("Retry-After")
    if retry_after:
        return parse_retry_after(retry_after, now)
    remaining = next((v for v in map(header, _REMAINING) if v is not None), None)
    reset = next((v for v in map(header, _RESET) if v is not None), None)
    if remaining is None or reset is None:
        return None
    try:
        if float(remaining) > 0:
            return None
    except ValueError:
        return None
    reset = reset.strip()
    if _DELAY.fullmatch(reset):
        seconds = float(reset)
        return _until(seconds, now) if seconds > _EPOCH_THRESHOLD else min(MAX_WAIT, seconds)
    try:  # Mastodon sends an ISO timestamp
        when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _until(_aware(when).timestamp(), now)


def _http_date(text: str) -> datetime | None:
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _aware(when: datetime) -> datetime:
    """HTTP dates are GMT; one without a zone (``-0000``) is read as UTC, not as local time."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _until(timestamp: float, now: float | None) -> float:
    now = time.time() if now is None else now
    return min(MAX_WAIT, max(0.0, timestamp - now))
