"""Real spiders in real subprocesses against the fixture site (no mocks). The crawls the tests read
are started together once per session, so they run in parallel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.models import RawMention, Rejected
from crawlers.config import CrawlSettings
from crawlers.runner import RunSpec, SpiderRun, SpiderSource
from crawlers.testing.replicas import profile_path
from crawlers.testing.replicas.sites import FixtureSite

MAX_PAGE = 1_000_000


def fast_crawl_settings(**overrides: Any) -> CrawlSettings:
    """Fast and loopback-only: no throttling, loopback explicitly allowed, 1 MB page limit."""
    base: dict[str, Any] = {
        "allowed_hosts": ["127.0.0.0/8"],
        "autothrottle": False,
        "download_delay": 0,
        "max_page_bytes": MAX_PAGE,
        "retry_times": 1,
        "concurrent_requests_per_domain": 4,
    }
    return CrawlSettings.model_validate({**base, **overrides})


@dataclass
class Crawl:
    run: SpiderRun

    @property
    def mentions(self) -> list[RawMention]:
        return [m for m in self.run.journal if isinstance(m, RawMention)]

    @property
    def rejected(self) -> list[Rejected]:
        return [m for m in self.run.journal if isinstance(m, Rejected)]

    @property
    def stats(self) -> dict[str, Any]:
        return self.run.stats or {}

    def by_native(self) -> dict[str, RawMention]:
        return {m.native_id: m for m in self.mentions}


CRAWLS: dict[str, tuple[str, dict[str, Any]]] = {
    "reviews": ("reviews", {"profile": profile_path("reviews")}),
    "zh": ("reviews", {"profile": profile_path("zh-forum")}),
    "tw": ("reviews", {"profile": profile_path("tw-forum")}),
    "feed": ("feed", {"feed_urls": ["/feed.rss", "/feed.atom"]}),
    "sitemap": ("sitemap", {"sitemap_urls": ["/robots.txt"]}),
    "structured": ("structured", {"start_urls": ["/products/1"], "follow": "a.product::attr(href)"}),
}


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[FixtureSite]:
    with FixtureSite(huge_bytes=3 * MAX_PAGE) as site:
        yield site


@pytest.fixture(scope="session")
def crawls(fixture_site: FixtureSite) -> Iterator[dict[str, Crawl]]:
    runs = {}
    settings = fast_crawl_settings().model_dump(mode="json")
    for key, (spider, args) in CRAWLS.items():
        spec = RunSpec(
            spider=spider,
            source=f"fixture-{key}",
            args={**args, "base_url": fixture_site.url},
            crawl=settings,
        )
        runs[key] = SpiderRun(spec, idle_timeout=120).start()
    try:
        for run in runs.values():
            run.wait_for(10**9)
        yield {key: Crawl(run) for key, run in runs.items()}
    finally:
        for run in runs.values():
            run.close()


@pytest.fixture(scope="session", autouse=True)
def _stop_spider_sources() -> Iterator[None]:
    yield
    SpiderSource.close_all()
