"""A source over the demo site's JSON API, written the way a real platform connector is.

``GET {url}/api/posts?since_id=N&limit=M`` -> ``{"items": [...], "next_since_id": N, "has_more": bool}``.
The cursor is ``since_id``. Transient failures (5xx, connection errors, timeouts) are retried with
exponential backoff, then raised as SourceUnavailable; 429 waits for Retry-After and ends as RateLimited
(at once when the wait asked for is longer than we are willing to block).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from core.errors import ConfigError, InvalidInput, NotConfigured, RateLimited, SourceError, SourceUnavailable
from core.models import Author, RawMention, Rejected, SourceCursor, parse_datetime
from crawlers.base import FetchResult
from crawlers.sources.file import snippet

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)
API_PATH = "/api/posts"
API_MAX_LIMIT = 100  # the API's own cap per request; larger batches take several requests


class DemoSiteSource:
    """Posts, reviews and news from the demo site's API. Cursor: the last item id seen."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        platform: str = "demo",
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"source {name!r}: url must be http(s), got {base_url!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.platform = platform
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep

    @classmethod
    def from_config(
        cls, name: str, config: Mapping[str, Any], settings: Settings | None = None
    ) -> DemoSiteSource:
        """From a ``sources.yaml`` entry: url (required), platform, timeout, max_retries, backoff."""
        known = {"url", "platform", "timeout", "max_retries", "backoff", "max_backoff", "max_retry_after"}
        unknown = sorted(set(config) - known - {"type", "kind", "enabled"})
        if unknown:
            raise ConfigError(f"source {name!r}: unknown keys {unknown}; known: {sorted(known)}")
        if not config.get("url"):
            raise NotConfigured(f"source {name!r}: 'url' is required (the demo site's address)")
        options = {key: config[key] for key in known - {"url"} if config.get(key) is not None}
        return cls(name, str(config["url"]), **options)

    # --- fetching ---------------------------------------------------------------------------------
    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        since_id = self._parse_cursor(cursor)
        mentions: list[RawMention] = []
        rejected: list[Rejected] = []
        exhausted = False
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            while len(mentions) < limit:
                # Ask for no more than fits: a page is consumed whole, so the cursor never skips items.
                want = min(limit - len(mentions), API_MAX_LIMIT)
                params = {"since_id": str(since_id), "limit": str(want)}
                page = self._get(client, params)
                items = page["items"]
                for item in items:
                    try:
                        mentions.append(self._to_mention(item))
                    except ValueError as exc:
                        rejected.append(
                            Rejected(
                                source=self.name,
                                locator=self._locator(item, since_id),
                                reason=str(exc),
                                raw=snippet(json.dumps(item, ensure_ascii=False, default=str)),
                            )
                        )
                since_id = max(since_id, self._next_since_id(page, since_id))
                if not page.get("has_more") or not items:
                    exhausted = True
                    break
        value = str(since_id) if since_id or cursor is not None else None
        return FetchResult(
            mentions=tuple(mentions),
            cursor=SourceCursor(source=self.name, value=value),
            rejected=tuple(rejected),
            exhausted=exhausted,
        )

    def _locator(self, item: Any, since_id: int) -> str:
        """Where a rejected item is: its id in the feed (stable however the feed was paged)."""
        if isinstance(item, dict) and item.get("id") not in (None, ""):
            return f"{self.base_url}{API_PATH}#id={item['id']}"
        return f"{self.base_url}{API_PATH}?since_id={since_id} (an item without id)"

    def _parse_cursor(self, cursor: SourceCursor | None) -> int:
        if cursor is None or cursor.value is None:
            return 0
        try:
            return int(cursor.value)
        except ValueError:
            raise SourceError(
                f"source {self.name!r}: cursor {cursor.value!r} is not an item id",
                details={"source": self.name},
            ) from None

    def _next_since_id(self, page: dict[str, Any], since_id: int) -> int:
        try:
            return int(page.get("next_since_id") or since_id)
        except (TypeError, ValueError):
            raise SourceError(
                f"source {self.name!r}: bad next_since_id {page.get('next_since_id')!r}"
            ) from None

    def _get(self, client: httpx.Client, params: dict[str, str]) -> dict[str, Any]:
        """One API page, with retries. Raises RateLimited, SourceUnavailable or SourceError."""
        attempt = 0
        while True:
            problem: str
            retry_after: float | None = None
            try:
                response = client.get(API_PATH, params=params)
            except httpx.TransportError as exc:  # connection refused/reset, timeouts
                problem = f"{type(exc).__name__}: {exc or 'no detail'}"
            else:
                if response.status_code == 200:
                    return self._parse_page(response)
                if response.status_code == 429:
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                    problem = f"HTTP 429 (Retry-After: {response.headers.get('Retry-After', 'none')})"
                    if retry_after is not None and retry_after > self.max_retry_after:
                        raise self._rate_limited(problem, retry_after)
                elif response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                else:
                    raise SourceError(
                        f"source {self.name!r}: {API_PATH} answered HTTP {response.status_code}: "
                        f"{snippet(response.text, 200)}",
                        details={"source": self.name, "status": response.status_code},
                    )
            if attempt >= self.max_retries:
                if retry_after is not None or problem.startswith("HTTP 429"):
                    raise self._rate_limited(problem, retry_after)
                raise SourceUnavailable(
                    f"source {self.name!r}: {self.base_url} unavailable after {attempt + 1} attempts: "
                    f"{problem}",
                    details={"source": self.name, "url": self.base_url},
                )
            delay = (
                retry_after if retry_after is not None else min(self.max_backoff, self.backoff * 2**attempt)
            )
            log.info(
                "source %s: %s; retry %d/%d in %.2fs",
                self.name,
                problem,
                attempt + 1,
                self.max_retries,
                delay,
            )
            self._sleep(delay)
            attempt += 1

    def _rate_limited(self, problem: str, retry_after: float | None) -> RateLimited:
        return RateLimited(
            f"source {self.name!r}: rate limited by {self.base_url}: {problem}",
            retry_after=retry_after,
            details={"source": self.name, "retry_after": retry_after},
        )

    def _parse_page(self, response: httpx.Response) -> dict[str, Any]:
        try:
            page = response.json()
        except ValueError:
            raise SourceError(
                f"source {self.name!r}: {API_PATH} returned invalid JSON: {snippet(response.text, 200)}"
            ) from None
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise SourceError(f"source {self.name!r}: {API_PATH} returned no 'items' list")
        return page

    # --- mapping ----------------------------------------------------------------------------------
    def _to_mention(self, item: Any) -> RawMention:
        """Raises ValueError with the reason reported in `rejected`."""
        if not isinstance(item, dict):
            raise ValueError(f"expected an object, got {type(item).__name__}")
        if item.get("id") in (None, ""):
            raise ValueError("missing id")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("missing text")
        created = item.get("created_at")
        if created in (None, ""):
            raise ValueError("missing created_at")
        try:
            published_at = parse_datetime(created)
        except (ValueError, TypeError, OverflowError, OSError):
            raise ValueError(f"unparseable created_at {created!r}: expected ISO 8601 or epoch") from None
        platform = str(item.get("platform") or self.platform)
        author = item.get("author") if isinstance(item.get("author"), dict) else None
        lang = item.get("lang")
        try:
            return RawMention(
                platform=platform,
                native_id=str(item["id"]),
                source=self.name,
                text=text,
                title=item.get("title") or None,
                url=item.get("url"),
                site=item.get("site"),
                author=Author(
                    platform=platform,
                    native_id=_str(author.get("id")),
                    handle=_str(author.get("handle")),
                    display_name=_str(author.get("name")),
                    location=_str(author.get("country")),
                )
                if author
                else None,
                published_at=published_at,
                lang_hint=str(lang).split("-")[0].lower() if lang else None,
                country=item.get("country"),
                rating=item.get("rating"),
                product=item.get("product"),
                thread_id=_str(item.get("thread_id")),
                parent_native_id=_str(item.get("reply_to")),
                hashtags=tuple(str(tag) for tag in item.get("hashtags") or ()),
                mentions=tuple(str(handle).lstrip("@") for handle in item.get("mentions") or ()),
                metadata={
                    key: item[key]
                    for key in ("brand", "type")
                    if isinstance(item.get(key), str | int | float)
                },
            )
        except ValidationError as exc:
            errors = "; ".join(
                f"invalid {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise ValueError(errors) from None


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _retry_after(header: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
