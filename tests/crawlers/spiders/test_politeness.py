"""Politeness and safety in real crawls: Retry-After honoured, private targets refused, the
identifying user agent, robots.txt (see test_review for a forbidden page reported)."""

from __future__ import annotations

from crawlers.runner import RunSpec, run_spider
from crawlers.scrapy_settings import scrapy_settings
from crawlers.testing.replicas import profile_path
from crawlers.testing.replicas.server import Fault
from crawlers.testing.replicas.sites import FixtureSite
from tests.crawlers.spiders.conftest import Crawl, fast_crawl_settings


def _zh_spec(site: FixtureSite, **crawl: object) -> RunSpec:
    return RunSpec(
        spider="reviews",
        source="polite",
        args={"profile": profile_path("zh-forum"), "base_url": site.url},
        crawl=fast_crawl_settings(**crawl).model_dump(mode="json"),
    )


def test_retry_after_is_honoured_then_the_page_is_read(fixture_site: FixtureSite) -> None:
    fixture_site.server.faults.add(
        "/zh/forum", Fault(429, headers={"Retry-After": "1"}), Fault(503, headers={"Retry-After": "1"})
    )
    crawl = Crawl(run_spider(_zh_spec(fixture_site), idle_timeout=60))
    assert crawl.stats["earful/rate_limited"] == 2
    assert len(crawl.mentions) == 6
    assert not crawl.rejected
    served = [status for path, status in fixture_site.server.faults.served if path == "/zh/forum"]
    assert served[-2:] == [429, 503]


def test_too_long_a_wait_gives_the_page_up_with_a_reason(fixture_site: FixtureSite) -> None:
    fixture_site.server.faults.add("/zh/forum", Fault(429, headers={"Retry-After": "3600"}))
    crawl = Crawl(run_spider(_zh_spec(fixture_site), idle_timeout=60))
    assert crawl.mentions == []
    assert len(crawl.rejected) == 1
    assert "rate limited" in crawl.rejected[0].reason
    assert "3600" in crawl.rejected[0].reason


def test_loopback_is_refused_unless_allowed(fixture_site: FixtureSite) -> None:
    spec = _zh_spec(fixture_site, allowed_hosts=[])
    before = len(fixture_site.server.log)
    crawl = Crawl(run_spider(spec, idle_timeout=60))
    assert crawl.mentions == []
    assert [r.reason.split(":")[0] for r in crawl.rejected] == ["refusing '127.0.0.1'"]
    assert len(fixture_site.server.log) == before  # not even robots.txt was requested


def test_a_redirect_to_a_forbidden_address_is_refused(fixture_site: FixtureSite) -> None:
    port = fixture_site.url.rsplit(":", 1)[-1]
    target = f"http://127.0.0.2:{port}/zh/forum"  # loopback too, but not on the allow list
    spec = RunSpec(
        spider="reviews",
        source="polite",
        args={
            "profile": profile_path("zh-forum"),
            "start_urls": [f"{fixture_site.url}/redirect?to={target}"],
            "allowed_domains": ["127.0.0.1", "127.0.0.2"],
        },
        crawl=fast_crawl_settings(allowed_hosts=["127.0.0.1"]).model_dump(mode="json"),
    )
    crawl = Crawl(run_spider(spec, idle_timeout=60))
    assert crawl.mentions == []
    assert any(r.locator == target and "127.0.0.2" in r.reason for r in crawl.rejected)


def test_polite_defaults() -> None:
    from crawlers.config import CrawlSettings

    mapped = scrapy_settings(CrawlSettings(), source="s")
    assert mapped["ROBOTSTXT_OBEY"] is True
    assert mapped["AUTOTHROTTLE_ENABLED"] is True
    assert mapped["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert mapped["DOWNLOAD_DELAY"] >= 0.5
    assert mapped["DOWNLOAD_MAXSIZE"] > 0
    assert mapped["DOWNLOAD_TIMEOUT"] > 0
    assert mapped["USER_AGENT"].startswith("EarfulBot/")
    assert "(+http" in mapped["USER_AGENT"]
    assert 429 not in mapped["RETRY_HTTP_CODES"]  # ours, honouring Retry-After


def test_requests_carry_the_identifying_user_agent(
    fixture_site: FixtureSite, crawls: dict[str, Crawl]
) -> None:
    agents = {r.headers.get("user-agent", "") for r in fixture_site.server.log}
    assert agents
    assert all(a.startswith("EarfulBot/") for a in agents)
