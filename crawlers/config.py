"""Settings of the collection layer, as the crawlers read them (the models live in core.settings)."""

from __future__ import annotations

from core.settings import ConnectorSettings, CrawlSettings, get_settings

__all__ = ["ConnectorSettings", "CrawlSettings", "connector_settings", "crawl_settings"]


def crawl_settings() -> CrawlSettings:
    return get_settings().crawl


def connector_settings() -> ConnectorSettings:
    return get_settings().connectors
