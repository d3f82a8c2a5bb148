"""The runner: one spider per subprocess, items streamed back, and SpiderSource as a Source.

SpiderSource passes the shared source contract over the fixture site in tests/contracts/test_source.py;
here, the crawl-specific rules: a completed crawl rests until `recrawl_after`, a dead child is a
retryable error, health is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ConfigError, SourceUnavailable
from core.models import DEFAULT_WORKSPACE, RawMention, SourceCursor
from crawlers.base import Source
from crawlers.health import HealthState, HealthStore
from crawlers.runner import RunSpec, SpiderSource, encode_line, iter_batches
from crawlers.testing.contracts import drain
from crawlers.testing.replicas import profile_path
from crawlers.testing.replicas.sites import FixtureSite
from demo.site import DemoSite
from tests.crawlers.spiders.conftest import fast_crawl_settings


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite(huge_bytes=2_000_000) as fixture:
        yield fixture


@pytest.fixture(scope="module", autouse=True)
def _close_runs() -> Iterator[None]:
    yield
    SpiderSource.close_all()


def make_source(site: FixtureSite, name: str, tmp: Path | None = None, **kw: object) -> SpiderSource:
    return SpiderSource(
        name,
        "reviews",
        args={"profile": profile_path("reviews"), "base_url": site.url},
        crawl=fast_crawl_settings(),
        health=HealthStore(tmp, workspace=DEFAULT_WORKSPACE) if tmp else None,
        idle_timeout=120,
        **kw,  # type: ignore[arg-type]
    )


def test_completed_crawl_rests_then_crawls_again_for_newer(site: FixtureSite, tmp_path: Path) -> None:
    source = make_source(site, "rest-reviews", tmp_path, recrawl_after=0.0)
    done = drain(source, 100)
    assert done.cursor is not None
    state = json.loads(done.cursor.value or "{}")
    newest = max(m.published_at for m in done.mentions)
    assert state["since"] == newest.isoformat()  # the watermark is the newest date seen
    assert "run" not in state
    again = drain(source, 100, done.cursor)  # recrawl_after=0: a new run, told `since`
    assert again.cursor is not None
    assert json.loads(again.cursor.value or "{}")["since"] == state["since"]
    health = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE).get("rest-reviews")
    assert health.runs == 2
    assert health.items_last_run == len(again.mentions)
    assert health.state() in (HealthState.ok, HealthState.degraded, HealthState.stale)


def test_mid_run_cursor_of_a_lost_run_recrawls_without_gaps(site: FixtureSite) -> None:
    source = make_source(site, "lost-reviews")
    everything = drain(source, 1000)
    lost = SourceCursor(source="lost-reviews", value=json.dumps({"since": None, "run": "gone", "offset": 3}))
    SpiderSource.close_all()  # as if the process had died: its runs are gone
    again = drain(make_source(site, "lost-reviews"), 1000, lost)
    assert set(again.ids) == set(everything.ids)  # re-read from the start: duplicates, never a gap


def test_a_dead_spider_is_a_retryable_error_and_recorded(site: FixtureSite, tmp_path: Path) -> None:
    source = SpiderSource(
        "dead",
        "crawlers.spiders.review:ReviewSpider",
        args={"profile": str(tmp_path / "missing.yaml")},
        crawl=fast_crawl_settings(),
        health=HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE),
        idle_timeout=120,
    )
    with pytest.raises(SourceUnavailable, match="exited with code") as info:
        source.fetch(None, 10)
    assert info.value.retryable
    health = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE).get("dead")
    assert health.consecutive_failures == 1
    assert health.state() is HealthState.failing
    assert health.last_error
    assert "missing.yaml" in health.last_error


def test_iter_batches_streams_in_batches(site: FixtureSite) -> None:
    spec = RunSpec(
        spider="reviews",
        source="batches",
        args={"profile": profile_path("reviews"), "base_url": site.url},
        crawl=fast_crawl_settings(batch_size=2).model_dump(mode="json"),
    )
    batches = list(iter_batches(spec, idle_timeout=120))
    assert len(batches) >= 3
    assert sum(isinstance(i, RawMention) for b in batches for i in b) == 10


def test_from_config_validates_early(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a 'profile'"):
        SpiderSource.from_config("s", {"spider": "reviews"})
    with pytest.raises(ConfigError, match="cannot read site profile"):
        SpiderSource.from_config("s", {"spider": "reviews", "profile": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError, match="unknown spider"):
        SpiderSource.from_config("s", {"spider": "nope"})
    source = SpiderSource.from_config(
        "s",
        {
            "spider": "feed",
            "feed_urls": ["http://x/feed"],
            "recrawl_after": 60,
            "crawl": {"download_delay": 2},
        },
    )
    assert source.crawl.download_delay == 2
    assert source.recrawl_after == 60
    assert isinstance(source, Source)


def test_wire_format_is_one_json_object_per_line() -> None:
    line = encode_line("mention", {"text": "雀鸣\n"})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {"kind": "mention", "data": {"text": "雀鸣\n"}}


def test_demo_site_with_the_shipped_profile() -> None:
    with DemoSite() as demo:
        source = SpiderSource(
            "demo-reviews",
            "reviews",
            args={"profile": "demo-reviews", "base_url": demo.url},
            crawl=fast_crawl_settings(),
            idle_timeout=120,
        )
        everything = drain(source, 500)
        reviews = [i for i in demo.items if i["type"] == "review"]
    assert len(everything.mentions) == len(reviews)
    assert not everything.rejected
    by_url = {m.url.rsplit("/", 1)[-1]: m for m in everything.mentions if m.url}
    sample = reviews[0]
    mention = by_url[str(sample["id"])]
    assert mention.rating == float(sample["rating"])
    assert mention.author is not None
    assert mention.author.handle == sample["author"]["handle"]
