"""What every Earful spider shares: arguments, the reporting errback, selector helpers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector, SelectorList
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from core.models import Rejected, parse_datetime


def as_list(value: Any) -> list[str]:
    """Spider arguments arrive as lists (from the runner) or comma-separated strings (command line)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def describe_failure(failure: Failure) -> str:
    """A reason a person can act on, for the Rejected report."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    name = type(exc).__name__
    message = str(exc) or name
    if name == "DownloadCancelledError" or "maxsize" in message.lower():
        return f"page too large: {message}"
    if isinstance(exc, IgnoreRequest):
        return message if message != "IgnoreRequest" else "request ignored"
    if "Timeout" in name or "timed out" in message.lower():
        return f"timeout: {message}"
    return f"{name}: {message}"


class EarfulSpider(scrapy.Spider):
    """Base spider. Arguments: ``source`` (name of the configured source), ``since`` (ISO date: only
    what is newer matters), ``base_url`` (resolves relative start URLs)."""

    name = "earful"

    def __init__(
        self,
        source: str = "web",
        since: str | None = None,
        base_url: str | None = None,
        start_urls: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.since: datetime | None = parse_datetime(since) if since else None
        self.base_url = base_url
        self.now = datetime.now(UTC)
        self.arg_start_urls = [self.absolute(u) for u in as_list(start_urls)]

    def absolute(self, url: str) -> str:
        if self.base_url and not urlsplit(url).scheme:
            return urljoin(
                self.base_url if self.base_url.endswith("/") else self.base_url + "/", url.lstrip("/")
            )
        return url

    def initial_urls(self) -> list[str]:
        return self.arg_start_urls

    async def start(self) -> AsyncIterator[Any]:
        for url in self.initial_urls():
            yield self.request(url, self.parse)

    def request(self, url: str, callback: Any, errback: Any = None, **kwargs: Any) -> Request:
        return Request(url, callback=callback, errback=errback or self.errback, **kwargs)

    def errback(self, failure: Failure) -> Iterator[Rejected]:
        """A page that could not be fetched is reported (URL and reason), never skipped silently."""
        request: Request | None = getattr(failure, "request", None)
        url = request.url if request is not None else "unknown"
        if self.crawler and self.crawler.stats:
            self.crawler.stats.inc_value("earful/page_errors")
        yield self.reject(url, describe_failure(failure))

    def reject(self, locator: str, reason: str, raw: str | None = None) -> Rejected:
        return Rejected(source=self.source, locator=locator, reason=reason, raw=raw[:2000] if raw else None)

    def parse(self, response: Response, **kwargs: Any) -> Any:
        raise NotImplementedError


def select(node: Selector | Response, selector: str) -> SelectorList[Selector]:
    if selector.startswith("xpath:"):
        return node.xpath(selector[6:])
    return node.css(selector)


def texts(node: Selector | Response, selector: str | None) -> list[str]:
    """Strings a selector picks: text nodes and attributes as they are, elements as their whole text."""
    if not selector:
        return []
    out: list[str] = []
    for found in select(node, selector):
        if isinstance(found.root, str):
            out.append(found.root)
        else:
            out.append(" ".join(t.strip() for t in found.xpath(".//text()").getall() if t.strip()))
    return [t for t in out if t and t.strip()]


def first(node: Selector | Response, selector: str | None) -> str | None:
    found = texts(node, selector)
    return found[0].strip() if found else None


def joined(node: Selector | Response, selector: str | None, sep: str = "\n") -> str | None:
    found = texts(node, selector)
    return sep.join(t.strip() for t in found) if found else None


def unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
