"""A Scrapy add-on that turns a spider run into an Earful one: politeness, safety, pipelines.

Enable it with ``ADDONS = {"crawlers.addon.EarfulAddon": 0}`` and pass the crawl settings as the
``EARFUL_CRAWL`` setting (a dict of :class:`crawlers.config.CrawlSettings`); without it the
environment's crawl settings apply. Values set at a higher priority (command line, spider) win.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

from crawlers.config import CrawlSettings, crawl_settings
from crawlers.scrapy_settings import scrapy_settings


class EarfulAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        raw: Any = settings.get("EARFUL_CRAWL")
        crawl = CrawlSettings.model_validate(raw) if raw else crawl_settings()
        mapped = scrapy_settings(
            crawl, source=settings.get("EARFUL_SOURCE") or "web", sink_fd=settings.get("EARFUL_SINK_FD")
        )
        for name in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES"):
            # merge into Scrapy's component dicts instead of replacing what a project added
            settings[name].update(mapped.pop(name), priority="addon")
        for name, value in mapped.items():
            settings.set(name, value, priority="addon")
