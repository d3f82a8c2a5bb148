"""Platform API connectors (async httpx), each a Source: see :mod:`crawlers.connectors.base`.

Register them in pyproject.toml under ``earful.sources`` (reddit, hackernews, mastodon, bluesky,
youtube, x, appstore, weibo)."""

CONNECTORS = {
    "reddit": "crawlers.connectors.reddit:RedditConnector",
    "hackernews": "crawlers.connectors.hackernews:HackerNewsConnector",
    "mastodon": "crawlers.connectors.mastodon:MastodonConnector",
    "bluesky": "crawlers.connectors.bluesky:BlueskyConnector",
    "youtube": "crawlers.connectors.youtube:YouTubeConnector",
    "x": "crawlers.connectors.x:XConnector",
    "appstore": "crawlers.connectors.appstore:AppStoreConnector",
    "weibo": "crawlers.connectors.weibo:WeiboConnector",
}
