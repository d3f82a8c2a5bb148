"""RSS and Atom feeds (feedparser): each entry's article is fetched and extracted (trafilatura).

Arguments: ``feed_urls`` (list or comma-separated), ``fetch_articles`` (default true: false keeps the
feed's own summary), ``since``. Entries older than `since` are skipped without fetching."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped,unused-ignore]
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.html import remove_tags

from crawlers.spiders.articles import ArticleSpider
from crawlers.spiders.base import as_bool, as_list, describe_failure


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


class FeedSpider(ArticleSpider):
    name = "feed"

    def __init__(self, feed_urls: Any = None, fetch_articles: Any = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed_urls = [self.absolute(u) for u in as_list(feed_urls)] or self.arg_start_urls
        self.fetch_articles = as_bool(fetch_articles, True)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.feed_urls:
            yield self.request(url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        headers = {k.decode().lower(): v[-1].decode("latin-1") for k, v in response.headers.items() if v}
        feed = feedparser.parse(response.body, response_headers={**headers, "content-location": response.url})
        if not feed.entries:
            problem = f": {feed.bozo_exception}" if feed.get("bozo") else ""
            yield self.reject(
                response.url,
                f"not a feed or no entries{problem}",
                response.text[:500] if hasattr(response, "text") else None,
            )
            return
        lang = (feed.feed.get("language") or "").split("-")[0] or None
        for index, entry in enumerate(feed.entries):
            link = entry.get("link")
            published = _entry_date(entry)
            if not link:
                yield self.reject(
                    f"{response.url} entry {index + 1}",
                    "feed entry without a link",
                    str(entry.get("title") or entry.get("id")),
                )
                continue
            if self.since and published and published < self.since:
                if self.crawler and self.crawler.stats:
                    self.crawler.stats.inc_value("earful/entries_older_than_cursor")
                continue
            summary = entry.get("summary") or ""
            content = entry.get("content") or []
            hint = {
                "title": entry.get("title"),
                "author": entry.get("author"),
                "published_at": published,
                "date_text": entry.get("published") or entry.get("updated"),
                "summary": remove_tags(content[0].get("value", "") if content else summary).strip(),
                "lang": lang,
                "metadata": {"feed": response.url, "entry_id": str(entry.get("id") or link)},
            }
            url = response.urljoin(link)
            if self.fetch_articles:
                yield self.request(
                    url, self.parse_article, errback=self.article_failed, cb_kwargs={"hint": hint}
                )
            else:
                yield self.fallback(hint, url)

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        hint = request.cb_kwargs.get("hint") or {}
        reason = describe_failure(failure)
        if self.crawler and self.crawler.stats:
            self.crawler.stats.inc_value("earful/page_errors")
        yield self.fallback(hint, request.url, reason)
