"""What every platform connector shares, so each connector is only its API's shape.

- :class:`ApiClient`: async httpx with the SSRF guard, a response size cap, retries with exponential
  backoff on timeouts, 5xx and unreadable JSON, and rate limits honoured: ``Retry-After`` (seconds or
  HTTP date) on 429/503, and ``*RateLimit-Remaining: 0`` with a reset time pauses *before* the next
  request. A wait longer than ``max_retry_after`` raises :class:`RateLimited` with ``retry_after``.
- :class:`Connector`: the Source protocol over newest-first paged APIs. A run pages back from the
  newest item until it reaches the watermark of the previous run (or the API has no more pages).

Cursor (JSON in ``SourceCursor.value``)::

    {"since": "<watermark>", "at_since": [ids at exactly that time],   # completed runs
     "token": "<page token of the current page>", "skip": n,           # mid-run position
     "hwm": "<newest seen this run>", "hwm_ids": [...]}

A page holding more items than the caller's `limit` is re-requested with the same token and `skip`,
so a fresh process resumes exactly where the last saved cursor points. The watermark only moves when
a run completes, so a crash means re-reading, never a gap.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import (
    ConfigError,
    NotConfigured,
    PlatformApiError,
    RateLimited,
    ResponseTooLarge,
    SourceError,
    SourceUnavailable,
    UnsafeTarget,
    validation_reason,
)
from core.http import retry_after_seconds
from core.models import DEFAULT_WORKSPACE, RawMention, Rejected, SourceCursor
from crawlers.base import FetchResult
from crawlers.config import (
    ConnectorSettings,
    CrawlSettings,
    connector_settings,
    crawl_settings,
)
from crawlers.dedup import Deduplicator
from crawlers.health import HealthStore, RunRecord
from crawlers.safety import TargetGuard

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end from synchronous code (the Source protocol's `fetch`); called from
    async code, it runs on its own loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class RetryPolicy:
    max_retries: int = 4
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0

    @classmethod
    def from_settings(cls, s: ConnectorSettings) -> RetryPolicy:
        return cls(s.max_retries, s.initial_backoff, s.max_backoff, s.max_retry_after)

    def backoff(self, attempt: int) -> float:
        base = min(self.max_backoff, self.initial_backoff * 2**attempt)
        return float(base * (0.75 + random.random() / 2))  # jitter, not security


@dataclass
class ApiClient:
    """One platform's HTTP client. `classify` lets a connector map its API's error bodies."""

    base_url: str
    platform: str
    timeout: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    guard: TargetGuard = field(default_factory=TargetGuard)
    sleep: Sleep = asyncio.sleep
    transport: httpx.AsyncBaseTransport | None = None
    max_bytes: int = MAX_RESPONSE_BYTES
    classify: Callable[[httpx.Response, Any], Exception | None] | None = None
    # The spiders' user agent (CrawlSettings.resolved_user_agent): one identity for every request we send
    user_agent: str = field(default_factory=lambda: crawl_settings().resolved_user_agent())
    waits: list[float] = field(default_factory=list)  # every wait taken, for health and tests
    requests: int = 0
    _paused_until: float = 0.0
    _checked_hosts: set[str] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> ApiClient:
        self._client = httpx.AsyncClient(
            timeout=self.timeout,
            transport=self.transport,
            follow_redirects=False,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "application/json",
                **self.headers,
            },
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def set_header(self, name: str, value: str) -> None:
        """A header for every later request (a token obtained in `prepare`)."""
        self.headers[name] = value
        if self._client is not None:
            self._client.headers[name] = value

    def url(self, path: str) -> str:
        if urlsplit(path).scheme:
            return path
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))

    def _check(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        if host in self._checked_hosts:
            return
        try:
            self.guard.check_url(url)
        except UnsafeTarget as exc:
            raise ConfigError(f"{self.platform}: {exc}", details=exc.details) from exc
        self._checked_hosts.add(host)

    async def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.policy.max_retry_after:
            raise RateLimited(
                f"{self.platform}: {why}; asked to wait {seconds:.0f}s"
                f" (more than {self.policy.max_retry_after:.0f}s)",
                retry_after=seconds,
                details={"platform": self.platform},
            )
        if seconds > 0:
            log.info("%s: %s, waiting %.1fs", self.platform, why, seconds)
            self.waits.append(seconds)
            await self.sleep(seconds)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        auth: tuple[str, str] | None = None,
    ) -> tuple[Any, httpx.Response]:
        """The decoded JSON body and the response; raises the error tree's exceptions."""
        if self._client is None:
            raise RuntimeError("use `async with ApiClient(...)`")
        url = self.url(path)
        self._check(url)
        # None, not {}: httpx replaces a URL's own query (a Link header's next page) with an empty dict
        clean = {k: v for k, v in (params or {}).items() if v is not None} or None
        last: str = ""
        for attempt in range(self.policy.max_retries + 1):
            pause = self._paused_until - time.time()
            if pause > 0:
                await self._wait(pause, "rate limit exhausted")
            try:
                response, body = await self._send(method, url, clean, headers, json_body, data, auth)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                if attempt < self.policy.max_retries:
                    await self.sleep(self.policy.backoff(attempt))
                continue
            self._note_limits(response)
            status = response.status_code
            if status == 429 or (status == 503 and "retry-after" in response.headers):
                wait = retry_after_seconds(response.headers)
                last = f"HTTP {status}"
                if attempt >= self.policy.max_retries:
                    raise RateLimited(
                        f"{self.platform}: still rate limited after {attempt + 1} attempts",
                        retry_after=wait,
                        details={"platform": self.platform, "url": url},
                    )
                await self._wait(wait if wait is not None else self.policy.backoff(attempt), f"HTTP {status}")
                continue
            payload: Any = None
            decoded = True
            try:
                payload = json.loads(body) if body.strip() else None
            except ValueError:
                decoded = False
            custom = self.classify(response, payload) if self.classify else None
            if custom is not None:
                if isinstance(custom, RateLimited) and attempt < self.policy.max_retries:
                    await self._wait(custom.retry_after or self.policy.backoff(attempt), str(custom))
                    last = str(custom)
                    continue
                raise custom
            if status >= 500:
                last = f"HTTP {status}"
                if attempt < self.policy.max_retries:
                    await self.sleep(self.policy.backoff(attempt))
                continue
            if status >= 400:
                snippet = body[:300].decode("utf-8", errors="replace")
                kind = "credentials rejected" if status in (401, 403) else "request rejected"
                raise PlatformApiError(
                    f"{self.platform}: {kind} (HTTP {status}): {snippet}",
                    details={"platform": self.platform, "status": status, "url": url},
                )
            if not decoded:  # malformed or truncated JSON: usually a broken connection, so retry
                last = f"unreadable JSON ({len(body)} bytes)"
                if attempt < self.policy.max_retries:
                    await self.sleep(self.policy.backoff(attempt))
                continue
            return payload, response
        raise SourceUnavailable(
            f"{self.platform}: {url} unavailable after {self.policy.max_retries + 1} attempts: {last}",
            details={"platform": self.platform, "url": url},
        )

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        data: Any,
        auth: tuple[str, str] | None,
    ) -> tuple[httpx.Response, bytes]:
        assert self._client is not None
        self.requests += 1
        request = self._client.build_request(
            method, url, params=params, headers=headers, json=json_body, data=data
        )
        if auth is not None:
            request = next(httpx.BasicAuth(*auth).auth_flow(request))
        response = await self._client.send(request, stream=True)
        try:
            declared = int(response.headers.get("content-length") or 0)
            if self.max_bytes and declared > self.max_bytes:
                raise ResponseTooLarge(f"{self.platform}: {url} is {declared} bytes (limit {self.max_bytes})")
            chunks = bytearray()
            async for chunk in response.aiter_bytes():
                chunks.extend(chunk)
                if self.max_bytes and len(chunks) > self.max_bytes:
                    raise ResponseTooLarge(f"{self.platform}: {url} larger than {self.max_bytes} bytes")
        finally:
            await response.aclose()
        return response, bytes(chunks)

    def _note_limits(self, response: httpx.Response) -> None:
        """Pause before the next request when the API says the window is used up."""
        if response.status_code == 429:
            return
        wait = retry_after_seconds(response.headers)
        if wait is not None and wait > 0:
            self._paused_until = max(self._paused_until, time.time() + wait)


# --- the paging Source -----------------------------------------------------------------------------
class Page(BaseModel):
    """One API page: raw items newest first, the next page's token (None: no more)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[Any]
    next_token: str | None = None
    locator: str = ""


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")

    since: datetime | None = None
    at_since: list[str] = []
    token: str | None = None
    skip: int = 0
    hwm: datetime | None = None
    hwm_ids: list[str] = []
    running: bool = False


class Connector:
    """Base of the platform connectors. Subclasses set `platform`, `settings_key` and implement
    :meth:`configure` (read options and credentials, raise NotConfigured), :meth:`page` and
    :meth:`to_mention`. Bad items become Rejected (locator: the API page, reason, raw)."""

    platform: ClassVar[str] = ""
    settings_key: ClassVar[str] = ""
    known_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        settings: ConnectorSettings | None = None,
        guard: TargetGuard | None = None,
        health: HealthStore | None = None,
        sleep: Sleep | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        dedup: Deduplicator | None = None,
        crawl: CrawlSettings | None = None,
    ) -> None:
        self.name = name
        self.options = dict(options or {})
        unknown = sorted(set(self.options) - self.known_options - {"base_url", "page_size", "max_pages"})
        if unknown:
            raise ConfigError(
                f"source {name!r}: unknown options {unknown} for {self.platform}; "
                f"known: {sorted(self.known_options | {'base_url', 'page_size', 'max_pages'})}"
            )
        self.settings = settings or connector_settings()
        section = getattr(self.settings, self.settings_key)
        self.section = section
        self.base_url = str(self.options.get("base_url") or section.base_url)
        if not self.base_url:
            raise NotConfigured(f"source {name!r}: {self.platform} needs base_url", details={"source": name})
        self.page_size = int(self.options.get("page_size") or self.max_page_size)
        self.max_pages = int(self.options.get("max_pages") or 0)  # per fetch call; 0: no limit
        crawl = crawl or crawl_settings()
        self.guard = guard or TargetGuard.from_config(crawl.allow_private_networks, crawl.allowed_hosts)
        self.health = health
        self.sleep = sleep or asyncio.sleep
        self.transport = transport
        self.dedup = dedup or Deduplicator(crawl.near_duplicate_threshold)
        self.user_agent = crawl.resolved_user_agent()
        self.policy = RetryPolicy.from_settings(self.settings)
        self.last_client: ApiClient | None = None
        self.configure()

    max_page_size: ClassVar[int] = 100

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], settings: Any = None) -> Connector:
        # The settings the run was given (not the process-wide ones): a sources file run with --home or
        # allowed hosts must reach the connector as it reaches the spiders.
        connectors: ConnectorSettings | None = getattr(settings, "connectors", None)
        crawl: CrawlSettings | None = getattr(settings, "crawl", None)
        options = {k: v for k, v in config.items() if k not in ("type", "enabled", "name")}
        home = getattr(settings, "home", None)
        health_dir = (
            (crawl.health_dir if crawl is not None else None)
            or crawl_settings().health_dir
            or (f"{home}/health" if home else None)
        )
        return cls(
            name,
            options,
            settings=connectors,
            crawl=crawl,
            health=HealthStore(health_dir, workspace=DEFAULT_WORKSPACE) if health_dir else None,
        )

    # --- for subclasses ----------------------------------------------------------------------------
    def configure(self) -> None:
        """Read options and credentials; raise NotConfigured when something required is missing."""

    def require(self, value: Any, what: str) -> Any:
        if value is None or value == "":
            raise NotConfigured(
                f"source {self.name!r}: {self.platform} needs {what} "
                f"(EARFUL_CONNECTORS__{self.settings_key.upper()}__... or the source's options)",
                details={"source": self.name, "platform": self.platform},
            )
        return value

    def secret(self, attr: str) -> str | None:
        value = getattr(self.section, attr, None)
        return value.get_secret_value() if value is not None else None

    def client(self, headers: Mapping[str, str] | None = None) -> ApiClient:
        self.last_client = ApiClient(
            base_url=self.base_url,
            platform=self.platform,
            timeout=self.section.timeout,
            headers=dict(headers or {}),
            policy=self.policy,
            guard=self.guard,
            sleep=self.sleep,
            transport=self.transport,
            classify=self.classify,
            user_agent=self.user_agent,
        )
        return self.last_client

    def classify(self, response: httpx.Response, payload: Any) -> Exception | None:
        """Map a platform-specific error body to the error tree (None: the generic rules apply)."""
        return None

    async def prepare(self, client: ApiClient) -> None:
        """Authenticate once per fetch when the API needs a token."""

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        raise NotImplementedError

    def to_mention(self, raw: Any) -> RawMention:
        raise NotImplementedError

    def item_time(self, raw: Any) -> datetime | None:
        """When an item was posted, for the stop rule; None keeps it out of the rule."""
        return None

    # --- Source protocol ----------------------------------------------------------------------------
    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        return run_sync(self.afetch(cursor, limit))

    async def afetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        state = self._parse(cursor)
        started = datetime.now(UTC)
        try:
            return await self._afetch(state, limit, started)
        except SourceError as exc:
            self._record(started, ok=False, items=0, rejected=0, error=str(exc))
            raise

    async def _afetch(self, state: _State, limit: int, started: datetime) -> FetchResult:
        mentions: list[RawMention] = []
        rejected: list[Rejected] = []
        done = False
        pages = 0
        async with self.client() as client:
            await self.prepare(client)
            while len(mentions) < limit and not done:
                page = await self.page(client, state.token, state.since)
                pages += 1
                items = page.items[state.skip :]
                position = state.skip
                for raw in items:
                    if len(mentions) >= limit:
                        break
                    position += 1
                    when = self._time(raw)
                    if when is not None and self._is_old(raw, when, state):
                        done = True
                        break
                    try:
                        mention = self.to_mention(raw)
                    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
                        rejected.append(
                            Rejected(
                                source=self.name,
                                locator=f"{page.locator or self.platform} item {position}",
                                reason=_reason(exc),
                                raw=json.dumps(raw, ensure_ascii=False, default=str)[:2000],
                            )
                        )
                        continue
                    self._raise_hwm(state, mention)
                    kept = self.dedup.apply(mention, keep_repeats=True)
                    if kept is not None:
                        mentions.append(kept)
                if done:
                    break
                if position >= len(page.items):  # page used up: on to the next one
                    state.token, state.skip = page.next_token, 0
                    if page.next_token is None:
                        done = True
                else:
                    state.skip = position
                if self.max_pages and pages >= self.max_pages and not done:
                    break
        if done:
            self._complete(state)
        else:
            state.running = True
        cursor = SourceCursor(source=self.name, value=self._dump(state, done))
        if done:
            self._record(started, ok=True, items=len(mentions), rejected=len(rejected), newest=state.since)
        return FetchResult(mentions=tuple(mentions), rejected=tuple(rejected), cursor=cursor, exhausted=done)

    # --- cursor helpers ------------------------------------------------------------------------------
    def _time(self, raw: Any) -> datetime | None:
        try:
            return self.item_time(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def _native(self, raw: Any) -> str | None:
        try:
            return self.to_mention(raw).native_id
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            return None

    def _is_old(self, raw: Any, when: datetime, state: _State) -> bool:
        if state.since is None:
            return False
        if when < state.since:
            return True
        return when == state.since and (self._native(raw) in state.at_since)

    @staticmethod
    def _raise_hwm(state: _State, mention: RawMention) -> None:
        when = mention.published_at
        if when > datetime.now(UTC):  # a clock-skewed item must not push the watermark into the future
            return
        if state.hwm is None or when > state.hwm:
            state.hwm, state.hwm_ids = when, [mention.native_id]
        elif when == state.hwm and mention.native_id not in state.hwm_ids:
            state.hwm_ids.append(mention.native_id)

    @staticmethod
    def _complete(state: _State) -> None:
        if state.hwm is not None and (state.since is None or state.hwm > state.since):
            state.since, state.at_since = state.hwm, state.hwm_ids
        elif state.hwm is not None and state.hwm == state.since:
            state.at_since = sorted(set(state.at_since) | set(state.hwm_ids))
        state.token, state.skip, state.hwm, state.hwm_ids, state.running = None, 0, None, [], False

    @staticmethod
    def _dump(state: _State, done: bool) -> str:
        data: dict[str, Any] = {
            "since": state.since.isoformat() if state.since else None,
            "at_since": sorted(state.at_since),
        }
        if not done:
            data.update(
                token=state.token,
                skip=state.skip,
                running=True,
                hwm=state.hwm.isoformat() if state.hwm else None,
                hwm_ids=state.hwm_ids,
            )
        return json.dumps(data, sort_keys=True)

    def _parse(self, cursor: SourceCursor | None) -> _State:
        if cursor is None or not cursor.value:
            return _State()
        try:
            return _State.model_validate_json(cursor.value)
        except ValidationError as exc:
            raise SourceError(f"source {self.name!r}: unreadable cursor {cursor.value!r}") from exc

    def _record(
        self,
        started: datetime,
        *,
        ok: bool,
        items: int,
        rejected: int,
        error: str | None = None,
        newest: datetime | None = None,
    ) -> None:
        if self.health is None:
            return
        client = self.last_client
        self.health.record(
            self.name,
            RunRecord(
                started_at=started,
                finished_at=datetime.now(UTC),
                ok=ok,
                items=items,
                rejected=rejected,
                errors=0 if ok else 1,
                pages=client.requests if client else 0,
                newest_item_at=newest,
                error=error[:1000] if error else None,
            ),
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return validation_reason(exc)
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return f"{type(exc).__name__}: {exc}"


def parse_time(value: Any) -> datetime:
    """ISO 8601 (with Z), epoch seconds, or RFC 2822 as APIs print them; always aware."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")  # Weibo/Twitter v1 style
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def html_to_text(html: str | None) -> str:
    """Post bodies that APIs return as HTML (Mastodon, HN comments): paragraphs kept, tags gone."""
    if not html:
        return ""
    import html_text

    return str(html_text.extract_text(html, guess_layout=True)).strip()


def first_of(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) not in (None, ""):
            return data[key]
    return None


def listify(value: Any) -> Sequence[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
