"""Crawl benchmark: the review spider over a local site of 5,000 review pages (plus index pages).

    .venv/bin/python bench/crawl.py [--pages 5000] [--concurrency 16]

Throttling is off here (AutoThrottle off, no download delay, 16 requests in flight): this measures
Earful's crawling machinery (Scrapy, the profile spider, pipelines, the subprocess pipe), not a
site's patience. Target: at least 50 pages/s. The polite defaults that real crawls use are printed
first, for reference; they are deliberately far slower per site.

Last line: ``pages_per_s=<x>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.models import RawMention
from crawlers.config import CrawlSettings
from crawlers.runner import RunSpec, run_spider
from crawlers.scrapy_settings import scrapy_settings
from crawlers.testing.replicas import profile_path
from crawlers.testing.replicas.sites import BENCH_REVIEWS_PER_PAGE, FixtureSite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="review pages on the site")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight to the site")
    args = parser.parse_args()

    polite = scrapy_settings(CrawlSettings(), source="bench")
    print("polite defaults (real crawls):")
    for key in (
        "USER_AGENT",
        "ROBOTSTXT_OBEY",
        "AUTOTHROTTLE_ENABLED",
        "AUTOTHROTTLE_TARGET_CONCURRENCY",
        "DOWNLOAD_DELAY",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_TIMEOUT",
        "DOWNLOAD_MAXSIZE",
    ):
        print(f"  {key} = {polite[key]}")
    print(
        f"  => at most ~{1 / polite['DOWNLOAD_DELAY']:.0f} pages/s per site before AutoThrottle slows further"
    )

    crawl = CrawlSettings(
        autothrottle=False,
        download_delay=0,
        concurrent_requests=args.concurrency,
        concurrent_requests_per_domain=args.concurrency,
        allowed_hosts=["127.0.0.1"],
        log_level="ERROR",
        batch_size=500,
    )
    with FixtureSite(bench_pages=args.pages) as site:
        spec = RunSpec(
            spider="reviews",
            source="bench",
            args={"profile": profile_path("bench"), "base_url": site.url},
            crawl=crawl.model_dump(mode="json"),
        )
        started = time.perf_counter()
        run = run_spider(spec, idle_timeout=300)
        elapsed = time.perf_counter() - started
    if run.error:
        print(run.error, file=sys.stderr)
        return 1
    stats = run.stats or {}
    pages = int(stats.get("response_received_count", 0))
    items = sum(isinstance(i, RawMention) for i in run.journal)
    rejected = len(run.journal) - items
    expected = args.pages * BENCH_REVIEWS_PER_PAGE
    print(
        f"throttling off, {args.concurrency} in flight: {pages} pages (incl. robots.txt and index pages), "
        f"{items} items ({expected} expected), {rejected} rejected"
    )
    print(f"wall {elapsed:.1f}s, including the spider subprocess start")
    print(f"items_per_s={items / elapsed:.1f}")
    print(f"pages_per_s={pages / elapsed:.1f}")
    return 0 if items == expected and not rejected else 1


if __name__ == "__main__":
    sys.exit(main())
