"""Earful's crawl settings mapped onto Scrapy's: the single place where that translation lives.

Scrapy reads them through :class:`crawlers.addon.EarfulAddon`, which the runner enables; the
Earful-specific values travel as ``EARFUL_*`` Scrapy settings.
"""

from __future__ import annotations

from typing import Any

from crawlers.config import CrawlSettings

PIPELINES = {
    "crawlers.pipelines.NormalisePipeline": 100,
    "crawlers.pipelines.ValidatePipeline": 200,
    "crawlers.pipelines.DedupePipeline": 300,
    "crawlers.pipelines.BatchWriterPipeline": 900,
}
DOWNLOADER_MIDDLEWARES = {
    # before RobotsTxt (100) so even robots.txt is never fetched from a forbidden host
    "crawlers.middlewares.TargetGuardMiddleware": 50,
    # process_response runs in reverse order: ours (560) sees 429/503 before RetryMiddleware (550)
    "crawlers.middlewares.RetryAfterMiddleware": 560,
    "crawlers.middlewares.CharsetRepairMiddleware": 600,
}


def scrapy_settings(crawl: CrawlSettings, *, source: str, sink_fd: int | None = None) -> dict[str, Any]:
    """The Scrapy settings for one spider run of `source`."""
    return {
        "BOT_NAME": "earful",
        "USER_AGENT": crawl.resolved_user_agent(),
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": crawl.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": crawl.warn_page_bytes,
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        # 429 is ours (RetryAfterMiddleware honours Retry-After); the rest stays with RetryMiddleware
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "CLOSESPIDER_PAGECOUNT": crawl.max_pages,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": crawl.log_level,
        "DNS_RESOLVER": "crawlers.middlewares.GuardedResolver",
        "ITEM_PIPELINES": PIPELINES,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "EARFUL_SOURCE": source,
        "EARFUL_SINK_FD": sink_fd,
        "EARFUL_BATCH_SIZE": crawl.batch_size,
        "EARFUL_ALLOW_PRIVATE": crawl.allow_private_networks,
        "EARFUL_ALLOWED_HOSTS": list(crawl.allowed_hosts),
        "EARFUL_MAX_RETRY_AFTER": crawl.max_retry_after,
        "EARFUL_MIN_TEXT_CHARS": crawl.min_text_chars,
    }
