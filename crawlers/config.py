"""Settings of the collection layer, as the crawlers read them (the models live in core)."""

from __future__ import annotations

from core.settings import (
    AppStoreSettings,
    BlueskySettings,
    ConnectorSettings,
    CrawlSettings,
    HackerNewsSettings,
    MastodonSettings,
    RedditSettings,
    WeiboSettings,
    XSettings,
    YouTubeSettings,
    get_settings,
)

__all__ = [
    "AppStoreSettings",
    "BlueskySettings",
    "ConnectorSettings",
    "CrawlSettings",
    "HackerNewsSettings",
    "MastodonSettings",
    "RedditSettings",
    "WeiboSettings",
    "XSettings",
    "YouTubeSettings",
    "connector_settings",
    "crawl_settings",
]


def crawl_settings() -> CrawlSettings:
    return get_settings().crawl


def connector_settings() -> ConnectorSettings:
    return get_settings().connectors
