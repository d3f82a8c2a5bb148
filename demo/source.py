"""A source over the demo site's JSON API, written the way a real platform connector is.

``GET {url}/api/posts?since_id=N&limit=M`` -> ``{"items": [...], "next_since_id": N, "has_more": bool}``.
The cursor is ``since_id``. Requests go through the connectors' :class:`ApiClient`: the SSRF guard (the
demo site on loopback must be allowed, as any private target: ``crawl.allowed_hosts`` or a `guard`),
the one user agent, a response size cap, retries with exponential backoff on 5xx, connection errors and
timeouts (then SourceUnavailable), and 429 waiting for Retry-After (then RateLimited; at once when the
wait asked for is longer than ``max_retry_after``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from core.errors import ConfigError, InvalidInput, NotConfigured, SourceError, validation_reason
from core.models import Author, RawMention, Rejected, SourceCursor, parse_datetime
from crawlers.base import FetchResult
from crawlers.config import CrawlSettings, crawl_settings
from crawlers.connectors.base import ApiClient, RetryPolicy, Sleep, run_sync
from crawlers.safety import TargetGuard
from crawlers.sources.file import snippet

if TYPE_CHECKING:
    from core.settings import Settings

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
        sleep: Sleep | None = None,
        guard: TargetGuard | None = None,
        crawl: CrawlSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"source {name!r}: url must be http(s), got {base_url!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.platform = platform
        self.timeout = timeout
        self.max_retries = max_retries
        self.policy = RetryPolicy(max_retries, backoff, max_backoff, max_retry_after)
        crawl = crawl or crawl_settings()
        self.guard = guard or TargetGuard.from_config(crawl.allow_private_networks, crawl.allowed_hosts)
        self.user_agent = crawl.resolved_user_agent()
        self.sleep = sleep or asyncio.sleep
        self.transport = transport

    @classmethod
    def from_config(
        cls, name: str, config: Mapping[str, Any], settings: Settings | None = None
    ) -> DemoSiteSource:
        """From a ``sources.yaml`` entry: url (required), platform, timeout, max_retries, backoff.
        The run's crawl settings (not the process's) decide which private targets are allowed."""
        known = {"url", "platform", "timeout", "max_retries", "backoff", "max_backoff", "max_retry_after"}
        unknown = sorted(set(config) - known - {"type", "kind", "enabled"})
        if unknown:
            raise ConfigError(f"source {name!r}: unknown keys {unknown}; known: {sorted(known)}")
        if not config.get("url"):
            raise NotConfigured(f"source {name!r}: 'url' is required (the demo site's address)")
        options = {key: config[key] for key in known - {"url"} if config.get(key) is not None}
        crawl: CrawlSettings | None = getattr(settings, "crawl", None)
        return cls(name, str(config["url"]), crawl=crawl, **options)

    # --- fetching ---------------------------------------------------------------------------------
    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        return run_sync(self._afetch(cursor, limit))

    def _client(self) -> ApiClient:
        return ApiClient(
            base_url=self.base_url,
            platform=self.platform,
            timeout=self.timeout,
            policy=self.policy,
            guard=self.guard,
            sleep=self.sleep,
            transport=self.transport,
            classify=self._classify,
            user_agent=self.user_agent,
        )

    async def _afetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        since_id = self._parse_cursor(cursor)
        mentions: list[RawMention] = []
        rejected: list[Rejected] = []
        exhausted = False
        async with self._client() as client:
            while len(mentions) < limit:
                # Ask for no more than fits: a page is consumed whole, so the cursor never skips items.
                want = min(limit - len(mentions), API_MAX_LIMIT)
                params = {"since_id": str(since_id), "limit": str(want)}
                page: dict[str, Any] = (await client.request_json("GET", API_PATH, params=params))[0]
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

    def _classify(self, response: httpx.Response, payload: Any) -> Exception | None:
        """A 200 that is not a page is the API's bug, not a broken connection: raised, not retried."""
        if response.status_code != 200:
            return None  # the client's rules: 5xx retried, 429 waited for, other 4xx raised
        if payload is None:
            return SourceError(f"source {self.name!r}: {API_PATH} returned invalid JSON (or none)")
        if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
            return SourceError(f"source {self.name!r}: {API_PATH} returned no 'items' list")
        return None

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
            raise ValueError(validation_reason(exc, invalid=True)) from None


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
