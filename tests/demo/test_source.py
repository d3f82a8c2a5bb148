"""DemoSiteSource against the real demo site, and its retry rules against a scripted flaky server.

Both listen on loopback, which the SSRF guard refuses unless allowed: every source here gets
``TargetGuard.loopback_allowed()``, as the connectors' tests do."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError, NotConfigured, RateLimited, SourceError, SourceUnavailable
from core.models import SourceCursor
from core.registry import SOURCES
from core.settings import CrawlSettings, Settings
from crawlers.safety import TargetGuard
from crawlers.testing.contracts import drain
from demo.site import DemoSite, load_items
from demo.site.generate import MALFORMED_DATE
from demo.source import DemoSiteSource


def local(name: str, url: str, **options: Any) -> DemoSiteSource:
    """A demo source allowed to reach loopback (the demo site and the scripted servers run there)."""
    return DemoSiteSource(name, url, guard=TargetGuard.loopback_allowed(), **options)


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running


def test_everything_comes_through_mapped(site: DemoSite) -> None:
    everything = drain(local("demo", site.url), limit=150)
    items = [item for item in load_items() if item["created_at"] != MALFORMED_DATE]
    assert [m.native_id for m in everything.mentions] == [str(item["id"]) for item in items]

    by_id = {m.native_id: m for m in everything.mentions}
    review = next(item for item in items if item["type"] == "review")
    mention = by_id[str(review["id"])]
    assert mention.platform == "demo"
    assert mention.text == review["text"]
    assert mention.rating == review["rating"]
    assert mention.url == f"{site.url}/reviews/{review['id']}"
    assert mention.author is not None
    assert mention.author.native_id == review["author"]["id"]
    assert mention.author.handle == review["author"]["handle"]
    assert mention.metadata == {"brand": review["brand"], "type": "review"}

    reply = next(item for item in items if item["reply_to"])
    assert by_id[str(reply["id"])].parent_native_id == str(reply["reply_to"])
    assert by_id[str(reply["id"])].thread_id == str(reply["thread_id"])
    tagged = next(item for item in items if item["hashtags"] and item["mentions"])
    assert by_id[str(tagged["id"])].hashtags == tuple(tagged["hashtags"])
    assert by_id[str(tagged["id"])].mentions == tuple(tagged["mentions"])
    assert {m.lang_hint for m in everything.mentions} == {"en", "zh"}


def test_the_malformed_item_is_rejected_with_its_reason(site: DemoSite) -> None:
    everything = drain(local("demo", site.url), limit=500)
    [bad] = everything.rejected
    assert bad.reason == f"unparseable created_at {MALFORMED_DATE!r}: expected ISO 8601 or epoch"
    bad_id = next(item["id"] for item in load_items() if item["created_at"] == MALFORMED_DATE)
    assert bad.locator == f"{site.url}/api/posts#id={bad_id}"
    assert bad.raw is not None
    assert MALFORMED_DATE in bad.raw


def test_a_batch_larger_than_the_api_page_takes_several_requests(site: DemoSite) -> None:
    result = local("demo", site.url).fetch(None, 250)
    assert len(result.mentions) == 250
    assert not result.exhausted
    assert result.cursor.value == result.mentions[-1].native_id or result.rejected


# --- failures, against a scripted server on loopback ----------------------------------------------
PAGE = {
    "items": [
        {
            "id": 7,
            "text": "hello",
            "created_at": "2026-11-01T00:00:00Z",
            "author": {"id": "u1", "handle": "a"},
        }
    ],
    "next_since_id": 7,
    "has_more": False,
}


class Scripted:
    """Answers each request with the next scripted (status, headers, body); records when they came."""

    def __init__(self, script: list[tuple[int, dict[str, str], Any]]) -> None:
        self.script = list(script)
        self.times: list[float] = []
        self.agents: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.times.append(time.monotonic())
                outer.agents.append(self.headers.get("User-Agent", ""))
                status, headers, body = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def fast(url: str, **kwargs: Any) -> DemoSiteSource:
    options: dict[str, Any] = {"backoff": 0.01, "max_backoff": 0.05, "max_retries": 3, "timeout": 2.0}
    options.update(kwargs)
    return local("flaky", url, **options)


def test_5xx_is_retried_then_succeeds() -> None:
    with Scripted([(503, {}, "busy"), (502, {}, "bad gateway"), (200, {}, PAGE)]) as server:
        result = fast(server.url).fetch(None, 10)
    assert [m.native_id for m in result.mentions] == ["7"]
    assert len(server.times) == 3
    assert result.cursor.value == "7"
    assert result.exhausted


def test_5xx_that_persists_is_source_unavailable() -> None:
    with (
        Scripted([(500, {}, "boom")]) as server,
        pytest.raises(SourceUnavailable, match="after 4 attempts: HTTP 500") as info,
    ):
        fast(server.url).fetch(None, 10)
    assert len(server.times) == 4
    assert info.value.retryable


def test_connection_refused_is_source_unavailable() -> None:
    with Scripted([(200, {}, PAGE)]) as server:
        url = server.url
    with pytest.raises(SourceUnavailable, match="ConnectError"):
        fast(url, max_retries=1).fetch(None, 10)


def test_429_honours_retry_after_then_succeeds() -> None:
    with Scripted([(429, {"Retry-After": "1"}, "slow down"), (200, {}, PAGE)]) as server:
        result = fast(server.url).fetch(None, 10)
    assert len(result.mentions) == 1
    assert server.times[1] - server.times[0] >= 0.95  # waited as told, not the 0.01 s backoff


def test_429_that_persists_is_rate_limited_with_retry_after() -> None:
    with Scripted([(429, {"Retry-After": "0"}, "slow down")]) as server, pytest.raises(RateLimited) as info:
        fast(server.url, max_retries=2).fetch(None, 10)
    assert info.value.retry_after == 0
    assert info.value.retryable
    assert len(server.times) == 3


def test_429_asking_for_a_long_wait_is_raised_at_once() -> None:
    started = time.monotonic()
    with Scripted([(429, {"Retry-After": "3600"}, "later")]) as server, pytest.raises(RateLimited) as info:
        fast(server.url).fetch(None, 10)
    assert info.value.retry_after == 3600
    assert len(server.times) == 1
    assert time.monotonic() - started < 1


def test_4xx_and_garbage_are_not_retried() -> None:
    with Scripted([(404, {}, "no such api")]) as server, pytest.raises(SourceError, match="HTTP 404") as info:
        fast(server.url).fetch(None, 10)
    assert not isinstance(info.value, SourceUnavailable)
    assert len(server.times) == 1
    with (
        Scripted([(200, {}, "<html>not json</html>")]) as server,
        pytest.raises(SourceError, match="invalid JSON"),
    ):
        fast(server.url).fetch(None, 10)


def test_items_that_cannot_become_mentions_are_rejected_one_by_one() -> None:
    page = {
        "items": [
            {"id": 1, "text": "", "created_at": "2026-11-01T00:00:00Z"},
            {"id": 2, "text": "ok", "created_at": "2026-11-01T00:00:00Z"},
            {"id": 3, "text": "no date"},
            {"id": 4, "text": "bad stars", "created_at": "2026-11-01T00:00:00Z", "rating": 99},
            "not an object",
        ],
        "next_since_id": 5,
        "has_more": False,
    }
    with Scripted([(200, {}, page)]) as server:
        result = fast(server.url).fetch(SourceCursor(source="flaky", value="0"), 10)
    assert [m.native_id for m in result.mentions] == ["2"]
    assert [r.reason for r in result.rejected] == [
        "missing text",
        "missing created_at",
        "invalid rating: Input should be less than or equal to 10",
        "expected an object, got str",
    ]
    assert result.cursor.value == "5"


def test_from_config() -> None:
    source = DemoSiteSource.from_config("demo", {"url": "http://127.0.0.1:1/", "max_retries": 1}, Settings())
    assert source.base_url == "http://127.0.0.1:1"
    assert source.max_retries == 1
    with pytest.raises(NotConfigured, match="'url' is required"):
        DemoSiteSource.from_config("demo", {}, Settings())
    with pytest.raises(ConfigError, match="unknown keys"):
        DemoSiteSource.from_config("demo", {"url": "http://x", "retries": 2}, Settings())
    with pytest.raises(ConfigError, match="must be http"):
        DemoSiteSource.from_config("demo", {"url": "127.0.0.1:8000"}, Settings())
    assert SOURCES.load("demo") is DemoSiteSource


# --- the SSRF guard, as for the connectors --------------------------------------------------------
def test_a_private_target_is_refused_unless_allowed(tmp_path: Path) -> None:
    with Scripted([(200, {}, PAGE)]) as server:
        config = {"url": server.url}
        strict = DemoSiteSource.from_config("demo", config, Settings(home=tmp_path))
        with pytest.raises(ConfigError, match=r"refusing '127\.0\.0\.1'.*allowed_hosts"):
            strict.fetch(None, 10)
        with pytest.raises(ConfigError, match="refusing"):
            DemoSiteSource("demo", server.url, guard=TargetGuard()).fetch(None, 10)
        assert server.times == []  # refused before any connection

        # allowed by the run's settings (a sources file run with crawl.allowed_hosts), or by a guard
        allowed = Settings(home=tmp_path, crawl=CrawlSettings(allowed_hosts=["127.0.0.1"]))
        result = DemoSiteSource.from_config("demo", config, allowed).fetch(None, 10)
        assert [m.native_id for m in result.mentions] == ["7"]
        assert len(local("demo", server.url).fetch(None, 10).mentions) == 1


def test_unsafe_schemes_and_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(ConfigError, match="must be http"):
        DemoSiteSource("demo", "file:///etc/passwd")
    with pytest.raises(ConfigError, match="credentials in URLs"):
        local("demo", "http://user:pw@127.0.0.1:1").fetch(None, 10)


def test_requests_carry_the_one_user_agent() -> None:
    crawl = CrawlSettings(contact_url="https://example.org/bot", allowed_hosts=["127.0.0.1"])
    with Scripted([(200, {}, PAGE)]) as server:
        DemoSiteSource("demo", server.url, crawl=crawl).fetch(None, 10)
    assert server.agents == [crawl.resolved_user_agent()]
