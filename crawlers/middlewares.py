"""Downloader middlewares: the SSRF guard, Retry-After and rate-limit backoff per site, charset repair."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from charset_normalizer import from_bytes
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

from core.errors import UnsafeTarget
from core.http import retry_after_seconds
from crawlers.safety import TargetGuard

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase

log = logging.getLogger(__name__)


def guard_from_settings(settings: Any) -> TargetGuard:
    return TargetGuard.from_config(
        settings.getbool("EARFUL_ALLOW_PRIVATE"), settings.getlist("EARFUL_ALLOWED_HOSTS")
    )


class RefusedRequest(IgnoreRequest):
    """A request the guard refused; carries the reason to the spider's errback (and the report)."""


class TargetGuardMiddleware:
    """Refuses non-http(s) URLs and IP-literal private targets before any connection is made.

    Host names are checked after resolution by :class:`GuardedResolver`; redirects come back through
    here as new requests, so a public page redirecting to 169.254.169.254 is refused too."""

    def __init__(self, guard: TargetGuard) -> None:
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetGuardMiddleware:
        return cls(guard_from_settings(crawler.settings))

    def process_request(self, request: Request) -> None:
        try:
            self.guard.check_url(request.url, resolve=False)
        except UnsafeTarget as exc:
            raise RefusedRequest(str(exc)) from exc


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to private addresses (DNS rebinding)."""

    guard: TargetGuard = TargetGuard()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.guard = guard_from_settings(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        deferred = super().getHostByName(name, timeout)

        def _check(address: str) -> str:
            self.guard.check_address(name, address)
            return address

        return deferred.addCallback(_check)


class RetryAfterMiddleware:
    """On 429 (or 503 with Retry-After) slows the whole site down for as long as it asked, then retries.

    The site's download slot gets the wait as its delay, so every queued request to that site waits,
    not only the one that was refused; the delay is restored after the next good response. A wait
    longer than ``EARFUL_MAX_RETRY_AFTER`` gives the page up with a reason (reported, not silent)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("EARFUL_MAX_RETRY_AFTER", 120.0)
        self.max_times = max(1, crawler.settings.getint("RETRY_TIMES", 2)) + 1
        self._saved_delay: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def _slot(self, request: Request) -> tuple[str, Any]:
        downloader: Any = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return "", None
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key, slot = self._slot(request)
        wait = retry_after_seconds(response.headers)
        limited = response.status == 429 or (response.status == 503 and wait is not None)
        if not limited:
            if slot is not None and key in self._saved_delay and response.status < 400:
                slot.delay = self._saved_delay.pop(key)
            return response
        stats = self.crawler.stats
        tries = int(request.meta.get("earful_rate_limited", 0)) + 1
        wait = 1.0 if wait is None else wait
        if wait > self.max_wait or tries > self.max_times:
            if stats:
                stats.inc_value("earful/rate_limited_gave_up")
            raise IgnoreRequest(
                f"HTTP {response.status}: rate limited, asked to wait {wait:.0f}s (try {tries}); given up"
            )
        if slot is not None:
            self._saved_delay.setdefault(key, slot.delay)
            slot.delay = max(slot.delay, wait)
            slot.lastseen = time.monotonic()
        if stats:
            stats.inc_value("earful/rate_limited")
        log.info("%s: HTTP %s, waiting %.1fs before retrying", request.url, response.status, wait)
        retry = request.replace(dont_filter=True)
        retry.meta["earful_rate_limited"] = tries
        return retry


class CharsetRepairMiddleware:
    """Fixes pages whose declared charset is wrong (GB18030 served as UTF-8, Big5 with no charset).

    Scrapy trusts the HTTP header over the page; when the body does not decode under the declared
    encoding, try what the page's <meta> says, then charset detection (charset-normalizer)."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        body = response.body
        encoding = response.encoding
        header = http_content_type_encoding(_header(response, "Content-Type"))
        declared = html_body_declared_encoding(body) if isinstance(response, HtmlResponse) else None
        if (header or declared) and _decodes(body, encoding):
            return response
        # declared but wrong, or never declared (Scrapy then falls back to cp1252, which decodes anything)
        candidates: list[str] = [declared] if declared else []
        best = from_bytes(body[:200_000]).best()
        if best is not None:
            candidates.append(best.encoding)
        candidates += ["utf-8", "gb18030", "big5hkscs", "shift_jis"]
        for candidate in candidates:
            resolved = resolve_encoding(candidate) or candidate
            if _decodes(body, resolved):
                if resolved != encoding:
                    log.debug("%s: declared %s, decoded as %s", response.url, encoding, resolved)
                    return response.replace(encoding=resolved)
                return response
        return response


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _decodes(body: bytes, encoding: str) -> bool:
    """Decodes with at most a stray bad byte per thousand (a truncated page still counts as decoding)."""
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        return False
    return text.count("\ufffd") <= max(2, len(text) // 1000)
