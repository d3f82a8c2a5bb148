"""GET /api/v1/dashboard over the real app and a SQLite home: the library's numbers for a query or a
saved search, the default period, located 400s for bad input, 401 and 403."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.testing import add_user, api_key, api_settings, signed_in
from api.web.pages.dashboard import chart_labels
from core.models import SavedSearch
from core.settings import Settings
from index.aggregations import zone
from index.backends import build_mention_store, made_ready
from index.base import MentionStore
from index.testing.corpus import BASE_TIME, enriched_mention, enriched_mentions
from reports.charts import CATEGORY_LABEL_KEYS, CHART_LABEL_KEYS, missing_labels
from reports.dashboard import DashboardRequest, build_dashboard

CORPUS = enriched_mentions(200, seed=3)
FROM, TO = "2026-11-02", "2026-11-08"  # inclusive dates: [11-02 00:00, 11-09 00:00)
START, END = BASE_TIME + timedelta(days=1), BASE_TIME + timedelta(days=8)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[MentionStore]:
    opened = made_ready(build_mention_store(settings, workspace="default"))
    opened.upsert(CORPUS)
    yield opened
    opened.close()


@pytest.fixture
def client(settings: Settings, store: MentionStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {api_key(settings, role='viewer')}"
        yield test_client


def expected(store: MentionStore, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"start": START, "end": END, **fields}
    return build_dashboard(store, DashboardRequest(**values)).model_dump(mode="json")


def test_the_dashboard_of_a_query(client: TestClient, store: MentionStore) -> None:
    response = client.get("/api/v1/dashboard", params={"query": "battery OR 电池", "from": FROM, "to": TO})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == expected(store, query="battery OR 电池")
    assert body["total"] > 0
    assert body["interval"] == "day"
    assert len(body["volume"]) == 7
    assert body["start"] == "2026-11-02T00:00:00Z"


def test_every_mention_without_a_query_and_the_options(client: TestClient, store: MentionStore) -> None:
    params = {"from": FROM, "to": TO, "interval": "hour", "tz": "Asia/Shanghai", "top_n": "3"}
    response = client.get("/api/v1/dashboard", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    start = datetime(2026, 11, 2, tzinfo=zone("Asia/Shanghai"))  # the dates are days in tz
    assert body == expected(
        store, start=start, end=start + timedelta(days=7), interval="hour", tz="Asia/Shanghai", top_n=3
    )
    assert len(body["volume"]) == 7 * 24
    assert len(body["top_sources"]) == 3
    assert body["total"] == sum(1 for m in CORPUS if start <= m.published_at < start + timedelta(days=7))


def test_a_saved_search_by_name(client: TestClient, store: MentionStore, settings: Settings) -> None:
    store.save_search(SavedSearch(name="complaints", owner="ana", query="intent:complaint"))  # type: ignore[attr-defined]
    response = client.get("/api/v1/dashboard", params={"saved_search": "complaints", "from": FROM, "to": TO})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == expected(store, query="intent:complaint")
    assert body["top_intents"][0]["key"] == "complaint"
    missing = client.get("/api/v1/dashboard", params={"saved_search": "nothing"})
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["field"] == "saved_search"


def test_the_default_period_is_the_last_30_days(
    settings: Settings, store: MentionStore, client: TestClient
) -> None:
    now = datetime.now(UTC)
    recent = [
        enriched_mention("recent-1", published_at=now - timedelta(days=1), platform="freshnet"),
        enriched_mention("recent-2", published_at=now - timedelta(days=29), platform="freshnet"),
        enriched_mention("older", published_at=now - timedelta(days=45), platform="freshnet"),
    ]
    store.upsert(recent)
    # (the corpus may fall in the last days too: only the freshnet platform counts)
    body = client.get("/api/v1/dashboard", params={"query": "source:freshnet"}).json()
    assert (body["total"], body["previous_total"], body["change_pct"]) == (2, 1, 100.0)
    end = datetime.fromisoformat(body["end"])
    assert end - datetime.fromisoformat(body["start"]) == timedelta(days=30)
    assert abs(end - now) < timedelta(minutes=5)
    seven = client.get("/api/v1/dashboard", params={"query": "source:freshnet", "days": 7}).json()
    assert seven["total"] == 1


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"from": "last tuesday"}, 400, "invalid_input", "from"),
        ({"from": "2026-11-09", "to": "2026-11-01"}, 400, "invalid_input", "to"),
        ({"tz": "Mars/Olympus"}, 400, "invalid_input", None),
        ({"interval": "hour", "days": 90}, 400, "invalid_input", None),
        ({"query": "x", "saved_search": "y"}, 400, "invalid_input", "query"),
        ({"interval": "minute"}, 422, "invalid_request", None),
        ({"days": 0}, 422, "invalid_request", None),
        ({"surprise": "1"}, 422, "invalid_request", None),
    ],
)
def test_bad_input_is_a_located_4xx(
    client: TestClient, params: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    response = client.get("/api/v1/dashboard", params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["request_id"] == response.headers["X-Request-ID"]
    if field is not None:
        assert error["details"]["field"] == field


def test_a_bad_query_says_where(client: TestClient) -> None:
    response = client.get("/api/v1/dashboard", params={"query": 'acme AND "battery'})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "query_syntax_error"
    assert error["details"]["position"] == 9
    assert error["details"]["reason"]


def test_a_query_over_the_limit_is_refused(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"max_query_chars": 20})
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {api_key(settings, role='viewer')}"
        response = client.get("/api/v1/dashboard", params={"query": "a OR " * 10 + "b"})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["max_query_chars"] == 20


def test_credentials_and_workspaces(settings: Settings, store: MentionStore) -> None:
    add_user(settings, "ana", role="viewer")
    with TestClient(create_app(settings)) as client:
        anonymous = client.get("/api/v1/dashboard")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "unauthenticated"
        signed_in(client, "ana")
        assert client.get("/api/v1/dashboard", params={"from": FROM, "to": TO}).status_code == 200
        elsewhere = client.get("/api/v1/dashboard", headers={"X-Earful-Workspace": "acme"})
        assert elsewhere.status_code == 403
        assert elsewhere.json()["error"]["code"] == "forbidden"


def test_another_workspace_sees_its_own_mentions(settings: Settings, store: MentionStore) -> None:
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {api_key(settings, role='analyst', workspace='acme')}"
        body = client.get("/api/v1/dashboard", params={"from": FROM, "to": TO}).json()
    assert body["total"] == 0
    assert body["top_sources"] == []


# --- the page ------------------------------------------------------------------------------------
@pytest.fixture
def browser(settings: Settings, store: MentionStore) -> Iterator[TestClient]:
    """A client signed in as an analyst (a session, as a browser has)."""
    add_user(settings, "ana", role="analyst")
    with TestClient(create_app(settings)) as test_client:
        signed_in(test_client, "ana")
        yield test_client


def specs(html: str) -> list[dict[str, Any]]:
    return [json.loads(unescape(m)) for m in re.findall(r"data-spec='([^']*)'", html)]


def test_the_page_has_the_form_the_numbers_and_five_charts(browser: TestClient, store: MentionStore) -> None:
    page = browser.get("/dashboard", params={"from": FROM, "to": TO})
    assert page.status_code == 200
    html = page.text
    assert 'hx-get="/dashboard"' in html
    assert 'hx-push-url="true"' in html
    assert 'id="dashboard-body"' in html
    data = build_dashboard(store, DashboardRequest(start=START, end=END))
    assert f'data-total="{data.total}"' in html
    charts = specs(html)
    assert len(charts) == 5
    assert all(spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/") for spec in charts)
    volume = charts[0]["data"]["values"]
    assert [v["count"] for v in volume] == [b.count for b in data.volume]
    # the numbers readable without JS
    assert html.count("<details>") == 5
    assert "<summary>Data table</summary>" in html


def test_an_htmx_request_gets_the_body_only(browser: TestClient) -> None:
    body = browser.get("/dashboard", params={"from": FROM, "to": TO}, headers={"HX-Request": "true"})
    assert body.status_code == 200
    assert "<html" not in body.text
    assert "dashboard-totals" in body.text
    assert len(specs(body.text)) == 5
    restore = browser.get(
        "/dashboard",
        params={"days": 7},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text  # htmx restoring history wants the whole page


def test_a_preset_wins_over_the_forms_dates(browser: TestClient) -> None:
    html = browser.get("/dashboard", params={"days": 7, "from": FROM, "to": TO}).text
    assert '<option value="7" selected>' in html
    custom = browser.get("/dashboard", params={"days": "", "from": FROM, "to": TO}).text
    assert '<option value="" selected>Custom dates</option>' in custom
    assert "2026-11-02 00:00 to 2026-11-09 00:00 (UTC), by Day" in custom


def test_a_bad_query_is_located_in_the_page(browser: TestClient) -> None:
    page = browser.get("/dashboard", params={"query": "acme AND (", "days": 7})
    assert page.status_code == 400
    assert 'id="dashboard-query"' in page.text  # the form is still there to fix it
    assert 'value="acme AND ("' in page.text
    assert 'class="flash flash--error"' in page.text
    assert "acme AND (\n          ^" in page.text
    fragment = browser.get("/dashboard", params={"query": "acme AND ("}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200  # htmx swaps 2xx only: the fragment says what is wrong
    assert "flash--error" in fragment.text
    assert "<html" not in fragment.text
    missing = browser.get("/dashboard", params={"saved_search": "gone"})
    assert missing.status_code == 404
    assert "no saved search named" in missing.text


def test_saved_searches_are_offered_and_escaped(browser: TestClient, store: MentionStore) -> None:
    store.save_search(SavedSearch(name="<b>loud</b>", owner="zed", query="acme"))  # type: ignore[attr-defined]
    store.save_search(SavedSearch(name="mine", owner="ana", query="nimbus"))  # type: ignore[attr-defined]
    html = browser.get("/dashboard", params={"saved_search": "mine"}).text
    assert '<option value="mine" selected>mine</option>' in html
    assert '<option value="&lt;b&gt;loud&lt;/b&gt;">&lt;b&gt;loud&lt;/b&gt; (by zed)</option>' in html
    assert "<b>loud</b>" not in html
    assert "Query: nimbus" in html


def test_the_page_in_chinese(settings: Settings, store: MentionStore) -> None:
    add_user(settings, "li", role="viewer", language="zh")
    with TestClient(create_app(settings)) as client:
        signed_in(client, "li")
        html = client.get("/dashboard", params={"from": FROM, "to": TO}).text
    assert '<html lang="zh-CN">' in html
    assert "情感趋势" in html
    trend = specs(html)[1]
    assert {v["sentiment_name"] for v in trend["data"]["values"]} == {"正面", "中性", "负面", "未评分"}
    assert trend["encoding"]["x"]["title"] == "时段"


def test_every_chart_word_exists_in_both_languages() -> None:
    for lang in ("en", "zh"):
        words = chart_labels(lang)
        assert missing_labels(words, (*CHART_LABEL_KEYS, *CATEGORY_LABEL_KEYS)) == []
    assert chart_labels("zh")["sentiment.negative"] == "负面"


def test_the_page_without_a_session_goes_to_login(settings: Settings, store: MentionStore) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get("/dashboard?days=7", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard%3Fdays%3D7"
