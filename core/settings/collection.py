"""Settings of the collection layer: crawling politeness and safety, and platform credentials.

Part of the nested settings (`EARFUL_CRAWL__*`, `EARFUL_CONNECTORS__*`); kept in their own module of the
settings package because the connector sections are long.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from core.settings.base import Section, earful_version


class CrawlSettings(Section):
    """How Earful crawls the web: polite by default, safe always."""

    user_agent: str | None = Field(
        None,
        description="User agent of the spiders and the platform connectors; default "
        "'EarfulBot/<version> (+<contact_url>)' so sites can reach us",
    )
    contact_url: str = Field(
        "https://github.com/earful/earful#crawler",
        description="Page explaining the crawler, in the user agent",
    )
    obey_robots_txt: bool = Field(True, description="Obey robots.txt (turn off only for sites you own)")
    autothrottle: bool = Field(
        True, description="Adapt the request rate to each site's latency (AutoThrottle)"
    )
    autothrottle_start_delay: float = Field(1.0, ge=0, description="AutoThrottle's first delay, in seconds")
    autothrottle_max_delay: float = Field(30.0, ge=0, description="Longest AutoThrottle delay, in seconds")
    autothrottle_target_concurrency: float = Field(
        1.0, gt=0, description="Requests AutoThrottle aims to have in flight per site"
    )
    download_delay: float = Field(0.5, ge=0, description="Minimum seconds between two requests to one site")
    concurrent_requests: int = Field(16, ge=1, description="Requests in flight across all sites")
    concurrent_requests_per_domain: int = Field(2, ge=1, description="Requests in flight per site")
    download_timeout: float = Field(30.0, gt=0, description="Seconds before a page download is abandoned")
    max_page_bytes: int = Field(
        8 * 1024 * 1024,
        ge=0,
        description="Largest page downloaded, in bytes (0: no limit); larger is reported",
    )
    warn_page_bytes: int = Field(2 * 1024 * 1024, ge=0, description="Pages above this size are logged")
    retry_times: int = Field(2, ge=0, description="Retries of a page that failed with 5xx or a timeout")
    max_retry_after: float = Field(
        120.0, ge=0, description="Longest Retry-After honoured by waiting; longer gives the page up, reported"
    )
    max_pages: int = Field(0, ge=0, description="Stop a spider after this many pages (0: no limit)")
    allow_private_networks: bool = Field(
        False, description="Allow private, loopback and link-local targets (SSRF guard off: tests, intranets)"
    )
    allowed_hosts: list[str] = Field(
        [], description="Hosts or IP networks allowed even when private, e.g. ['127.0.0.1', '10.1.0.0/16']"
    )
    batch_size: int = Field(200, ge=1, description="Items a spider subprocess streams back per batch")
    near_duplicate_threshold: float = Field(
        0.85, gt=0, le=1, description="Estimated Jaccard similarity above which a mention is a near-duplicate"
    )
    min_text_chars: int = Field(1, ge=0, description="Shorter texts are rejected as empty, with a reason")
    health_dir: Path | None = Field(
        None, description="Where source health is kept; default 'health' under home"
    )
    log_level: str = Field("WARNING", description="Log level inside spider subprocesses")

    def resolved_user_agent(self) -> str:
        """The one user agent of every request Earful sends: spiders' pages and connectors' API calls."""
        return self.user_agent or f"EarfulBot/{earful_version()} (+{self.contact_url})"


class _Platform(Section):
    base_url: str = Field(description="API root; point it at a replica or a proxy for tests")
    timeout: float = Field(30.0, gt=0, description="Seconds before a request times out")


class RedditSettings(_Platform):
    base_url: str = Field("https://oauth.reddit.com", description="Reddit OAuth API root")
    auth_url: str = Field(
        "https://www.reddit.com/api/v1/access_token", description="Where the app-only OAuth token is obtained"
    )
    client_id: str | None = Field(None, description="Reddit app client id (script or web app)")
    client_secret: SecretStr | None = Field(None, description="Reddit app client secret")


class HackerNewsSettings(_Platform):
    base_url: str = Field("https://hn.algolia.com/api/v1", description="Hacker News Algolia search API root")


class MastodonSettings(_Platform):
    base_url: str = Field("", description="Instance root, e.g. https://mastodon.social (required)")
    access_token: SecretStr | None = Field(None, description="Access token; full-text search needs one")


class BlueskySettings(_Platform):
    base_url: str = Field("https://bsky.social/xrpc", description="XRPC root of the PDS/AppView used")
    identifier: str | None = Field(None, description="Handle or DID of the account searching")
    app_password: SecretStr | None = Field(None, description="App password of that account")


class YouTubeSettings(_Platform):
    base_url: str = Field("https://www.googleapis.com/youtube/v3", description="YouTube Data API v3 root")
    api_key: SecretStr | None = Field(
        None, description="API key of a Google Cloud project with the API enabled"
    )


class XSettings(_Platform):
    base_url: str = Field("https://api.x.com/2", description="X API v2 root")
    bearer_token: SecretStr | None = Field(None, description="App-only bearer token")


class AppStoreSettings(_Platform):
    base_url: str = Field("https://itunes.apple.com", description="Apple customer-reviews RSS root")


class WeiboSettings(_Platform):
    base_url: str = Field("https://api.weibo.com/2", description="Weibo open API root")
    access_token: SecretStr | None = Field(None, description="OAuth2 access token with search permission")


class ConnectorSettings(Section):
    """Platform API credentials and endpoints. A connector without its credentials is disabled."""

    max_retries: int = Field(
        4, ge=0, description="Retries of a request that failed with 429, 5xx or a timeout"
    )
    initial_backoff: float = Field(1.0, ge=0, description="Seconds before the first retry; doubles each time")
    max_backoff: float = Field(60.0, ge=0, description="Longest wait between two retries, in seconds")
    max_retry_after: float = Field(
        300.0, ge=0, description="Longest Retry-After/rate-limit reset waited for; longer raises RateLimited"
    )
    reddit: RedditSettings = Field(default_factory=RedditSettings, description="Reddit")
    hackernews: HackerNewsSettings = Field(default_factory=HackerNewsSettings, description="Hacker News")
    mastodon: MastodonSettings = Field(default_factory=MastodonSettings, description="Mastodon")
    bluesky: BlueskySettings = Field(default_factory=BlueskySettings, description="Bluesky")
    youtube: YouTubeSettings = Field(default_factory=YouTubeSettings, description="YouTube Data API v3")
    x: XSettings = Field(default_factory=XSettings, description="X (Twitter) API v2")
    appstore: AppStoreSettings = Field(
        default_factory=AppStoreSettings, description="Apple App Store reviews"
    )
    weibo: WeiboSettings = Field(default_factory=WeiboSettings, description="Weibo open API")
