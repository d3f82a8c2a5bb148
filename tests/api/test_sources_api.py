"""GET /api/v1/sources and the /sources page: each source's health and rejected items, from the real
health files and rejected-item log of a tmp home."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.testing import add_user, api_key, api_settings, signed_in
from core.models import Rejected
from core.settings import Settings
from crawlers.health import RunRecord, build_health_store
from crawlers.rejected import build_rejected_log

NOW = datetime.now(UTC)
EVIL = '<script>alert("x")</script>'


def run(at: datetime, *, ok: bool = True, items: int = 10, error: str | None = None) -> RunRecord:
    return RunRecord(
        started_at=at - timedelta(minutes=2),
        finished_at=at,
        ok=ok,
        items=items,
        newest_item_at=at - timedelta(hours=1) if ok else None,
        error=error,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = api_settings(tmp_path)
    health = build_health_store(settings, workspace="default")
    health.record("reviews", run(NOW - timedelta(hours=3)))
    health.record("forum", run(NOW - timedelta(hours=5)))
    health.record("forum", run(NOW - timedelta(hours=1), ok=False, items=0, error=f"HTTP 503 {EVIL}"))
    rejected = build_rejected_log(settings, workspace="default")
    rejected.append(
        "reviews",
        [
            Rejected(source="reviews", locator=f"reviews.csv:{i}", reason="no text", raw=f"{i},,")
            for i in range(8)
        ],
    )
    rejected.append("reviews", [Rejected(source="reviews", locator=f"{EVIL}.csv:9", reason=EVIL, raw=EVIL)])
    build_health_store(settings, workspace="acme").record("acme-only", run(NOW))
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {api_key(settings, role='viewer')}"
        yield test_client


def test_each_source_with_its_health_and_rejected_items(client: TestClient) -> None:
    response = client.get("/api/v1/sources")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["workspace"] == "default"
    by_name = {s["source"]: s for s in body["sources"]}
    assert list(by_name) == ["forum", "reviews"]  # not acme's
    forum, reviews = by_name["forum"], by_name["reviews"]
    assert (forum["state"], forum["runs"], forum["consecutive_failures"]) == ("failing", 2, 1)
    assert forum["last_errors"][0]["error"] == f"HTTP 503 {EVIL}"
    assert forum["rejected"] == {"source": "forum", "count": 0, "latest": []}
    assert reviews["state"] == "ok"
    assert reviews["items_last_run"] == 10
    assert reviews["freshness_hours"] == pytest.approx(4.0, abs=0.1)
    assert reviews["rejected"]["count"] == 9
    assert len(reviews["rejected"]["latest"]) == 5
    assert reviews["rejected"]["latest"][0] == {
        "source": "reviews",
        "locator": f"{EVIL}.csv:9",
        "reason": EVIL,
        "raw": EVIL,
    }
    assert [r["ok"] for r in forum["recent_runs"]] == [False, True]  # newest first


def test_latest_sets_how_many_and_is_bounded(client: TestClient) -> None:
    body = client.get("/api/v1/sources", params={"latest": 2}).json()
    reviews = next(s for s in body["sources"] if s["source"] == "reviews")
    assert [r["locator"] for r in reviews["rejected"]["latest"]] == [f"{EVIL}.csv:9", "reviews.csv:7"]
    too_many = client.get("/api/v1/sources", params={"latest": 51})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "invalid_request"


def test_another_workspace_has_its_own_sources(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {api_key(settings, role='agent', workspace='acme')}"
        body = client.get("/api/v1/sources").json()
    assert [s["source"] for s in body["sources"]] == ["acme-only"]


def test_credentials(settings: Settings) -> None:
    add_user(settings, "bo", role="agent")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/sources").status_code == 401
        signed_in(client, "bo")
        assert client.get("/api/v1/sources").status_code == 200
        denied = client.get("/api/v1/sources", headers={"X-Earful-Workspace": "acme"})
        assert denied.status_code == 403


# --- the page ------------------------------------------------------------------------------------
def test_the_page_shows_states_counts_and_escaped_rejections(settings: Settings) -> None:
    add_user(settings, "bo", role="viewer")
    with TestClient(create_app(settings)) as client:
        signed_in(client, "bo")
        page = client.get("/sources")
    assert page.status_code == 200
    html = page.text
    assert 'data-state="failing"' in html
    assert 'data-state="ok"' in html
    assert "Rejected items" in html
    assert "Latest rejected items (9 in all)" in html
    assert EVIL not in html  # a rejected item's text, an error message: escaped
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "HTTP 503 &lt;script&gt;" in html


def test_the_page_in_chinese(settings: Settings) -> None:
    add_user(settings, "li", role="viewer", language="zh")
    with TestClient(create_app(settings)) as client:
        signed_in(client, "li")
        html = client.get("/sources").text
    assert '<html lang="zh-CN">' in html
    assert "数据源" in html
    assert "失败" in html


def test_the_page_without_a_session_goes_to_login(settings: Settings) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get("/sources", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sources"


def test_an_empty_workspace(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    add_user(settings, "bo", role="viewer")
    with TestClient(create_app(settings)) as client:
        signed_in(client, "bo")
        assert client.get("/api/v1/sources").json()["sources"] == []
        assert "No source has run in this workspace yet." in client.get("/sources").text
