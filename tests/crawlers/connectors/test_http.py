"""The shared HTTP behaviour of connectors against scripted faults: Retry-After and rate-limit headers
honoured, 5xx and broken JSON retried, long waits turned into RateLimited, nothing silently lost."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import ConfigError, PlatformApiError, RateLimited, SourceError, SourceUnavailable
from core.settings import CrawlSettings
from crawlers.connectors.hackernews import HackerNewsConnector
from crawlers.connectors.mastodon import MastodonConnector
from crawlers.connectors.reddit import RedditConnector
from crawlers.connectors.weibo import WeiboConnector
from crawlers.connectors.youtube import YouTubeConnector
from crawlers.safety import TargetGuard
from crawlers.scrapy_settings import scrapy_settings
from crawlers.testing.contracts import drain
from crawlers.testing.replicas.apis import CORPUS, ApiReplicas, weibo_rate_limited, youtube_quota_exceeded
from crawlers.testing.replicas.server import Fault
from tests.crawlers.connectors.conftest import Make, Sleeps, replica_settings

N_GOOD = len(CORPUS)


def test_429_retry_after_is_honoured(apis: ApiReplicas, make: Make) -> None:
    sleeps = Sleeps()
    apis.faults.add("/hackernews", Fault(429, headers={"Retry-After": "7"}))
    done = drain(make(HackerNewsConnector, {"query": "q"}, sleep=sleeps), 100)
    assert len(done.mentions) == N_GOOD
    assert 7.0 in sleeps.waits


def test_retry_after_as_http_date(apis: ApiReplicas, make: Make) -> None:
    sleeps = Sleeps()
    when = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    apis.faults.add("/hackernews", Fault(503, headers={"Retry-After": when}))
    drain(make(HackerNewsConnector, {"query": "q"}, sleep=sleeps), 100)
    assert any(20 < w <= 31 for w in sleeps.waits)


def test_real_waiting_end_to_end(apis: ApiReplicas, make: Make) -> None:
    apis.faults.add("/hackernews", Fault(429, headers={"Retry-After": "1"}))
    connector = HackerNewsConnector(
        "real-sleep", {"query": "q"}, settings=replica_settings(apis), guard=TargetGuard.loopback_allowed()
    )
    started = time.monotonic()
    assert len(drain(connector, 100).mentions) == N_GOOD
    assert time.monotonic() - started >= 1.0


def test_too_long_a_wait_raises_rate_limited_with_retry_after(
    apis: ApiReplicas, make: Make, tmp_path: object
) -> None:
    apis.faults.add("/hackernews", Fault(429, headers={"Retry-After": "3600"}))
    connector = make(HackerNewsConnector, {"query": "q"}, health=True)
    with pytest.raises(RateLimited) as info:
        connector.fetch(None, 10)
    assert info.value.retry_after == 3600
    assert info.value.retryable
    assert connector.health is not None
    assert connector.health.get(connector.name).consecutive_failures == 1


def test_5xx_malformed_and_truncated_json_are_retried(apis: ApiReplicas, make: Make) -> None:
    apis.faults.add("/hackernews", Fault(500), Fault(502), Fault(kind="malformed"), Fault(kind="truncated"))
    sleeps = Sleeps()
    done = drain(make(HackerNewsConnector, {"query": "q"}, sleep=sleeps), 100)
    assert len(done.mentions) == N_GOOD
    assert [s for _, s in apis.faults.served] == [500, 502, 200, 200]
    assert len(sleeps.waits) == 4  # backoff after each


def test_persistent_failure_is_source_unavailable_and_the_cursor_does_not_move(
    apis: ApiReplicas, make: Make
) -> None:
    connector = make(HackerNewsConnector, {"query": "q"})
    first = connector.fetch(None, 2)
    apis.faults.add("/hackernews", *[Fault(kind="malformed")] * 10)
    with pytest.raises(SourceUnavailable, match="unreadable JSON"):
        connector.fetch(first.cursor, 2)
    apis.faults.clear()
    rest = drain(connector, 2, first.cursor)  # the flow retries from the saved cursor: no gap
    assert [m.id for m in first.mentions] + rest.ids == drain(
        make(HackerNewsConnector, {"query": "q"}), 100
    ).ids


def test_exhausted_rate_limit_window_pauses_before_the_next_request(apis: ApiReplicas, make: Make) -> None:
    sleeps = Sleeps()
    reset = str(int(time.time()) + 40)
    apis.rate_limit_headers["hackernews"] = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    connector = make(HackerNewsConnector, {"query": "q", "page_size": 3}, sleep=sleeps)
    connector.fetch(None, 10)
    assert sleeps.waits
    assert 30 < sleeps.waits[0] <= 41


def test_mastodon_iso_reset_header_is_understood(apis: ApiReplicas, make: Make) -> None:
    sleeps = Sleeps()
    reset = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    apis.rate_limit_headers["mastodon"] = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    connector = make(MastodonConnector, {"hashtag": "q", "page_size": 3}, sleep=sleeps)
    connector.fetch(None, 10)
    assert any(10 < w <= 21 for w in sleeps.waits)


def test_bad_credentials_are_a_non_retryable_error(apis: ApiReplicas, make: Make) -> None:
    settings = replica_settings(apis, reddit={"client_secret": "wrong"})
    with pytest.raises(PlatformApiError, match="credentials rejected") as info:
        make(RedditConnector, {"query": "q"}, settings=settings).fetch(None, 10)
    assert not info.value.retryable
    assert isinstance(info.value, SourceError)


def test_weibo_error_codes(apis: ApiReplicas, make: Make) -> None:
    sleeps = Sleeps()
    apis.faults.add("/weibo", weibo_rate_limited())
    assert drain(
        make(WeiboConnector, {"query": "q"}, sleep=sleeps), 100
    ).mentions  # rate limit: waited, retried
    assert sleeps.waits
    settings = replica_settings(apis, weibo={"access_token": "expired"})
    with pytest.raises(PlatformApiError, match=r"credentials rejected.*21332"):
        make(WeiboConnector, {"query": "q"}, settings=settings).fetch(None, 10)


def test_youtube_quota_is_rate_limited_without_hammering(apis: ApiReplicas, make: Make) -> None:
    apis.faults.add("/youtube", youtube_quota_exceeded())
    before = len(apis.requests_to("/youtube"))
    with pytest.raises(RateLimited, match="quota"):
        make(YouTubeConnector, {"query": "q"}).fetch(None, 10)
    assert len(apis.requests_to("/youtube")) == before + 1


def test_oversized_responses_are_refused(apis: ApiReplicas, make: Make) -> None:
    apis.faults.add("/hackernews", Fault(200, body=json.dumps({"hits": ["x" * 1000]})))
    connector = make(HackerNewsConnector, {"query": "q"})
    client = connector.client()
    client.max_bytes = 100

    import asyncio

    async def go() -> None:
        async with client:
            await client.request_json("GET", "search_by_date", params={"query": "q"})

    with pytest.raises(SourceError, match=r"1014 bytes \(limit 100\)"):
        asyncio.run(go())


def test_private_api_hosts_are_refused_without_an_allowance(apis: ApiReplicas) -> None:
    connector = HackerNewsConnector(
        "ssrf", {"query": "q"}, settings=replica_settings(apis), guard=TargetGuard()
    )
    with pytest.raises(ConfigError, match="refusing"):
        connector.fetch(None, 10)
    assert not apis.requests_to("/nothing")


def test_from_config_reads_credentials_from_settings(apis: ApiReplicas, tmp_path: object) -> None:
    class FakeSettings:  # what core.settings.Settings will carry once the sections are moved there
        connectors = replica_settings(apis)
        crawl = None
        home = str(tmp_path)

    connector = RedditConnector.from_config("r", {"type": "reddit", "query": "q"}, FakeSettings())
    assert isinstance(connector, RedditConnector)
    assert connector.client_id == "reddit-id"
    assert connector.health is not None
    with pytest.raises(ConfigError, match="unknown options"):
        RedditConnector.from_config("r", {"query": "q", "subredit": "typo"}, FakeSettings())


def test_from_config_uses_the_settings_of_the_run_not_the_process(tmp_path: Path) -> None:
    """A sources file run with its own settings (allowed hosts, home) configures connectors with them."""
    from core.errors import UnsafeTarget
    from core.settings import Settings
    from crawlers.connectors.hackernews import HackerNewsConnector

    config = {"type": "hackernews", "query": "aurora", "base_url": "http://127.0.0.1:9/api"}
    strict = HackerNewsConnector.from_config("hn", config, Settings(home=tmp_path))
    with pytest.raises(UnsafeTarget):
        strict.guard.check_url("http://127.0.0.1:9/api", resolve=False)

    allowed = Settings(home=tmp_path, crawl=CrawlSettings(allowed_hosts=["127.0.0.1"]))
    loopback = HackerNewsConnector.from_config("hn", config, allowed)
    loopback.guard.check_url("http://127.0.0.1:9/api", resolve=False)  # no error: allowed by this run
    assert loopback.health is not None


def test_connectors_send_the_spiders_user_agent(apis: ApiReplicas) -> None:
    """One identity for every request Earful sends: the crawl settings' user agent, contact URL included."""
    crawl = CrawlSettings(contact_url="https://example.org/our-bot")
    connector = HackerNewsConnector(
        "ua",
        {"query": "q"},
        settings=replica_settings(apis),
        guard=TargetGuard.loopback_allowed(),
        crawl=crawl,
    )
    before = len(apis.server.log)
    drain(connector, 100)
    agents = {r.headers.get("user-agent") for r in apis.server.log[before:]}
    assert agents == {crawl.resolved_user_agent()}
    assert crawl.resolved_user_agent().startswith("EarfulBot/")
    assert crawl.resolved_user_agent().endswith("(+https://example.org/our-bot)")
    scrapy_agent = scrapy_settings(crawl, source="s")["USER_AGENT"]
    assert scrapy_agent == crawl.resolved_user_agent()
