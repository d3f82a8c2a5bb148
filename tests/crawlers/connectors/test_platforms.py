"""Every connector maps the API's fields to RawMention (native ids, author ids), reports the replica's
one broken item, and is disabled with NotConfigured when its credentials are missing. The shared source
contract runs on each connector against its replica in tests/contracts/test_source.py."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import NotConfigured
from crawlers.connectors.appstore import AppStoreConnector
from crawlers.connectors.base import Connector
from crawlers.connectors.bluesky import BlueskyConnector
from crawlers.connectors.hackernews import HackerNewsConnector
from crawlers.connectors.mastodon import MastodonConnector
from crawlers.connectors.reddit import RedditConnector
from crawlers.connectors.weibo import WeiboConnector
from crawlers.connectors.x import XConnector
from crawlers.connectors.youtube import YouTubeConnector
from crawlers.testing.contracts import drain
from crawlers.testing.replicas.apis import CORPUS, ApiReplicas
from tests.crawlers.connectors.conftest import Make, replica_settings

ALL: list[tuple[type[Connector], dict[str, Any]]] = [
    (HackerNewsConnector, {"query": "q"}),
    (RedditConnector, {"query": "q"}),
    (MastodonConnector, {"hashtag": "q"}),
    (BlueskyConnector, {"query": "q"}),
    (YouTubeConnector, {"query": "q"}),
    (XConnector, {"query": "q"}),
    (AppStoreConnector, {"app_id": "1"}),
    (WeiboConnector, {"query": "q"}),
]


@pytest.mark.parametrize(("cls", "options"), ALL, ids=[c.platform for c, _ in ALL])
def test_maps_native_ids_authors_and_dates(make: Make, cls: type[Connector], options: dict[str, Any]) -> None:
    done = drain(make(cls, options), 1000)
    newest = CORPUS[0]
    first = done.mentions[0]
    assert first.platform == cls.platform
    assert first.published_at == newest.at
    assert first.text.startswith(newest.text[:20]) or newest.text[:20] in first.text
    assert first.author is not None
    assert first.author.native_id or first.author.handle
    assert len({m.native_id for m in done.mentions}) == len(done.mentions)
    assert [r.reason for r in done.rejected]  # the replica's broken item, reported
    assert all(r.raw for r in done.rejected)


@pytest.mark.parametrize(
    ("cls", "options", "section", "missing"),
    [
        (RedditConnector, {"query": "q"}, "reddit", {"client_secret": None}),
        (MastodonConnector, {"query": "q"}, "mastodon", {"access_token": None}),  # search needs a token
        (MastodonConnector, {"hashtag": "q"}, "mastodon", {"base_url": ""}),
        (BlueskyConnector, {"query": "q"}, "bluesky", {"app_password": None}),
        (YouTubeConnector, {"query": "q"}, "youtube", {"api_key": None}),
        (XConnector, {"query": "q"}, "x", {"bearer_token": None}),
        (WeiboConnector, {"query": "q"}, "weibo", {"access_token": None}),
        (HackerNewsConnector, {}, "hackernews", {}),  # no query
        (AppStoreConnector, {}, "appstore", {}),  # no app id
    ],
)
def test_missing_configuration_is_not_configured(
    apis: ApiReplicas,
    make: Make,
    cls: type[Connector],
    options: dict[str, Any],
    section: str,
    missing: dict[str, Any],
) -> None:
    with pytest.raises(NotConfigured, match=cls.platform):
        make(cls, options, settings=replica_settings(apis, **{section: missing}))


def test_mastodon_hashtag_needs_no_token(apis: ApiReplicas, make: Make) -> None:
    settings = replica_settings(apis, mastodon={"access_token": None})
    assert drain(make(MastodonConnector, {"hashtag": "quillfinch"}, settings=settings), 100).mentions


def test_platform_specific_fields(make: Make) -> None:
    x = drain(make(XConnector, {"query": "q"}), 100).mentions
    tagged = next(m for m in x if m.hashtags)
    assert tagged.hashtags == ("quillfinch",)
    assert tagged.author is not None
    assert tagged.author.followers == 10
    assert any(m.mentions == ("cobaltwing",) for m in x)
    reddit = drain(make(RedditConnector, {"subreddit": "headphones", "mode": "comments"}), 100).mentions
    assert reddit[0].native_id.startswith("t1_")
    assert reddit[0].parent_native_id == "t3_root1"
    assert reddit[0].site == "r/headphones"
    apps = drain(make(AppStoreConnector, {"app_id": "42", "country": "de"}), 100).mentions
    assert all(1 <= (m.rating or 0) <= 5 for m in apps)
    assert apps[0].country == "DE"
    assert apps[0].author is not None
    assert apps[0].author.native_id == "701"
    weibo = drain(make(WeiboConnector, {"query": "q"}), 100).mentions
    assert weibo[0].published_at.utcoffset() is not None
    assert weibo[0].author is not None
    assert weibo[0].author.location == "北京 海淀区"
    yt = drain(make(YouTubeConnector, {"query": "q"}), 100).mentions
    kinds = {m.metadata["kind"] for m in yt}
    assert kinds == {"video", "comment"}
    comment = next(m for m in yt if m.metadata["kind"] == "comment")
    assert comment.parent_native_id
    assert comment.parent_native_id.startswith("video:")
    masto = drain(make(MastodonConnector, {"hashtag": "q"}), 100).mentions
    assert "<p>" not in masto[0].text
    assert masto[0].lang_hint == "en"


def test_cross_posts_between_pages_are_flagged(make: Make) -> None:
    # Reddit search and comments serve the same texts: one connector instance sees both
    connector = make(RedditConnector, {"query": "q"})
    drain(connector, 100)
    other = make(RedditConnector, {"subreddit": "headphones", "mode": "comments"})
    other.dedup = connector.dedup  # a flow may share one Deduplicator across sources
    flagged = [m for m in drain(other, 100).mentions if m.metadata.get("duplicate_kind")]
    assert flagged
    assert all(m.metadata["duplicate_of"] for m in flagged)
