"""Sitemaps (and sitemap indexes, and robots.txt ``Sitemap:`` lines) → article pages → mentions.

Arguments: ``sitemap_urls`` (sitemap XML or robots.txt URLs), ``allow`` (regexes a page URL must
match, any of them), ``since`` (entries whose <lastmod> is older are skipped without fetching).
Our own parsing with Scrapy's Sitemap reader rather than SitemapSpider, so that every failed request
goes through the reporting errback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from core.models import parse_datetime
from crawlers.spiders.articles import ArticleSpider
from crawlers.spiders.base import as_list


class ArticleSitemapSpider(ArticleSpider):
    name = "sitemap"

    def __init__(self, sitemap_urls: Any = None, allow: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = [self.absolute(u) for u in as_list(sitemap_urls)] or self.arg_start_urls
        self.allow = [re.compile(p) for p in as_list(allow)]

    async def start(self) -> AsyncIterator[Any]:
        for url in self.sitemap_urls:
            yield self.request(url, self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.text, base_url=response.url):
                yield self.request(url, self.parse)
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body)
            except OSError as exc:
                yield self.reject(response.url, f"corrupt gzip sitemap: {exc}")
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several types on garbage
            yield self.reject(response.url, f"not a sitemap: {exc}")
            return
        if sitemap.type not in ("sitemapindex", "urlset"):
            yield self.reject(response.url, f"not a sitemap (root element {sitemap.type!r})")
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self.request(response.urljoin(loc), self.parse)
                continue
            if self.allow and not any(p.search(loc) for p in self.allow):
                continue
            lastmod = entry.get("lastmod")
            if self.since and lastmod:
                try:
                    if parse_datetime(lastmod) < self.since:
                        continue
                except ValueError:
                    pass  # an unreadable lastmod: fetch the page rather than miss it
            yield self.request(response.urljoin(loc), self.parse_article)
