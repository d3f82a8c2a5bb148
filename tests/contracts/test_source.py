"""The source contract over every registered ``earful.sources`` entry point, each on inputs it can read
without the internet: the file source on CSV and JSONL exports, the demo source on the demo site, the
spider source on the fixture site, and each platform connector against its replica
(crawlers/testing/replicas). A kind with several modes (search, comments, hashtag) runs each.

`SOURCE_CASES` is the table: case id -> the registered kind, how to build a fresh source of it, and what
its input holds. tests/contracts/test_registry_coverage.py checks that it covers every entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.registry import SOURCES
from crawlers.base import Source
from crawlers.connectors.appstore import AppStoreConnector
from crawlers.connectors.base import Connector
from crawlers.connectors.bluesky import BlueskyConnector
from crawlers.connectors.hackernews import HackerNewsConnector
from crawlers.connectors.mastodon import MastodonConnector
from crawlers.connectors.reddit import RedditConnector
from crawlers.connectors.weibo import WeiboConnector
from crawlers.connectors.x import XConnector
from crawlers.connectors.youtube import YouTubeConnector
from crawlers.runner import SpiderSource
from crawlers.safety import TargetGuard
from crawlers.sources.file import FileSource
from crawlers.testing.contracts import SourceContract, SourceTraits
from crawlers.testing.replicas import profile_path
from crawlers.testing.replicas.apis import ApiReplicas
from crawlers.testing.replicas.sites import FixtureSite
from demo.site import DemoSite
from demo.source import DemoSiteSource
from tests.crawlers.connectors.conftest import Sleeps, replica_settings
from tests.crawlers.file_samples import CSV_TEXT, JSON_MAPPING, JSONL_LINES, MAPPING, write_jsonl
from tests.crawlers.spiders.conftest import fast_crawl_settings

SourceFactory = Callable[[], Source]


@dataclass(frozen=True)
class SourceCase:
    """One input the contract runs a registered source on."""

    #: The ``earful.sources`` entry point under test.
    kind: str
    #: A fresh source over the input, each call; the fixtures it needs come from the test's request, so
    #: that a case starts only its own servers.
    build: Callable[[pytest.FixtureRequest], SourceFactory]
    traits: SourceTraits = field(default_factory=SourceTraits)


def _csv_export(request: pytest.FixtureRequest) -> SourceFactory:
    path = request.getfixturevalue("tmp_path") / "reviews.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return lambda: FileSource("reviews", path, mapping=MAPPING)


def _jsonl_export(request: pytest.FixtureRequest) -> SourceFactory:
    path = write_jsonl(request.getfixturevalue("tmp_path") / "posts.jsonl", list(JSONL_LINES))
    return lambda: FileSource("posts", path, mapping=JSON_MAPPING, platform="twitter")


def _jsonl_without_ids(request: pytest.FixtureRequest) -> SourceFactory:
    """No id column: ids are hashes of the row content, stable across instances."""
    rows = [{"text": f"post {i}", "published_at": f"2026-11-0{i}T00:00:00Z"} for i in range(1, 6)]
    path = write_jsonl(request.getfixturevalue("tmp_path") / "noid.jsonl", list(rows))
    return lambda: FileSource("noid", path)


def _demo_site(request: pytest.FixtureRequest) -> SourceFactory:
    """The demo site listens on loopback, which the SSRF guard refuses unless allowed."""
    site: DemoSite = request.getfixturevalue("demo_site")
    return lambda: DemoSiteSource("demo", site.url, guard=TargetGuard.loopback_allowed())


def _fixture_site_reviews(request: pytest.FixtureRequest) -> SourceFactory:
    """The crawl runs once; fresh SpiderSource objects continue the same run, as after a failed task."""
    site: FixtureSite = request.getfixturevalue("fixture_site")
    return lambda: SpiderSource(
        "contract-reviews",
        "reviews",
        args={"profile": profile_path("reviews"), "base_url": site.url},
        crawl=fast_crawl_settings(),
        idle_timeout=120,
    )


def _replica(cls: type[Connector], **options: Any) -> Callable[[pytest.FixtureRequest], SourceFactory]:
    def build(request: pytest.FixtureRequest) -> SourceFactory:
        replicas: ApiReplicas = request.getfixturevalue("api_replicas")
        return lambda: cls(
            f"test-{cls.platform}",
            {**options, "page_size": 3},
            settings=replica_settings(replicas),
            guard=TargetGuard.loopback_allowed(),
            sleep=Sleeps(),
        )

    return build


_REPLICA = SourceTraits(min_mentions=5, expects_rejected=True, page_size=2)

SOURCE_CASES: dict[str, SourceCase] = {
    "file-csv": SourceCase("file", _csv_export, SourceTraits(min_mentions=5, expects_rejected=True)),
    "file-jsonl": SourceCase("file", _jsonl_export, SourceTraits(min_mentions=4, expects_rejected=True)),
    "file-jsonl-without-ids": SourceCase("file", _jsonl_without_ids, SourceTraits(min_mentions=3)),
    # several hundred items: pages of 40 still cross many boundaries
    "demo": SourceCase(
        "demo", _demo_site, SourceTraits(min_mentions=300, expects_rejected=True, page_size=40)
    ),
    "spider": SourceCase(
        "spider", _fixture_site_reviews, SourceTraits(min_mentions=5, expects_rejected=True, page_size=3)
    ),
    "hackernews": SourceCase("hackernews", _replica(HackerNewsConnector, query="quillfinch"), _REPLICA),
    "reddit-search": SourceCase("reddit", _replica(RedditConnector, query="quillfinch"), _REPLICA),
    "reddit-comments": SourceCase(
        "reddit", _replica(RedditConnector, subreddit="headphones", mode="comments"), _REPLICA
    ),
    "mastodon-hashtag": SourceCase("mastodon", _replica(MastodonConnector, hashtag="quillfinch"), _REPLICA),
    "mastodon-search": SourceCase("mastodon", _replica(MastodonConnector, query="quillfinch"), _REPLICA),
    "bluesky": SourceCase("bluesky", _replica(BlueskyConnector, query="quillfinch"), _REPLICA),
    "youtube-search": SourceCase("youtube", _replica(YouTubeConnector, query="quillfinch"), _REPLICA),
    "youtube-comments": SourceCase("youtube", _replica(YouTubeConnector, video_id="vid9"), _REPLICA),
    "x": SourceCase("x", _replica(XConnector, query="quillfinch"), _REPLICA),
    "appstore": SourceCase(
        "appstore", _replica(AppStoreConnector, app_id="284882215", country="gb"), _REPLICA
    ),
    "weibo": SourceCase("weibo", _replica(WeiboConnector, query="雀鸣"), _REPLICA),
}


@pytest.fixture(scope="module")
def demo_site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running


@pytest.fixture(scope="module")
def fixture_site() -> Iterator[FixtureSite]:
    with FixtureSite(huge_bytes=2_000_000) as site:
        yield site


@pytest.fixture(scope="module")
def api_replicas() -> Iterator[ApiReplicas]:
    with ApiReplicas() as replicas:
        yield replicas


@pytest.fixture(scope="module", autouse=True)
def _close_spider_runs() -> Iterator[None]:
    yield
    SpiderSource.close_all()


@pytest.fixture(params=sorted(SOURCE_CASES))
def source_case(request: pytest.FixtureRequest) -> SourceCase:
    case: SourceCase = SOURCE_CASES[request.param]
    return case


class TestSources(SourceContract):
    @pytest.fixture
    def source_factory(self, source_case: SourceCase, request: pytest.FixtureRequest) -> SourceFactory:
        return source_case.build(request)

    @pytest.fixture
    def source_traits(self, source_case: SourceCase) -> SourceTraits:
        return source_case.traits


def test_each_case_builds_the_registered_class(
    source_case: SourceCase, request: pytest.FixtureRequest
) -> None:
    registered = SOURCES.load(source_case.kind)
    assert isinstance(registered, type)
    assert isinstance(source_case.build(request)(), registered)
