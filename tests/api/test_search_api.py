"""Search over HTTP: pages, facets, highlights, histogram, cursors, the syntax check, streamed exports
(CSV safe for spreadsheets), saved searches, limits and roles. The real app over the real SQLite store."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.testing import add_user, api_key, error_of, signed_in
from core.models import DEFAULT_WORKSPACE, EnrichedMention, SentimentLabel
from core.settings import Settings
from index.aggregations import histogram
from index.backends import build_mention_store
from index.export import CSV_COLUMNS
from index.query import evaluate_query, parse
from index.testing.corpus import BASE_TIME, chronological, enriched_mention, enriched_mentions, newest_first

LATE = '(refund OR "money back") NEAR/5 late'


def _literal() -> list[EnrichedMention]:
    """Mentions the late-refund query finds, one that starts with a formula, and one that does not match."""
    return [
        enriched_mention(
            "late1",
            "Munchbird charged me twice and the refund is already 40 hours late.",
            published_at=BASE_TIME + timedelta(hours=1),
        ),
        enriched_mention(
            "late2",
            "We landed 3 hours late & I want my money back <now>.",
            published_at=BASE_TIME + timedelta(days=1),
            platform="reddit",
        ),
        enriched_mention(
            "formula",
            '=HYPERLINK("http://evil.example","refund") came late',
            title="@SUM(1+1)",
            published_at=BASE_TIME + timedelta(days=2),
        ),
        enriched_mention(
            "other", "The refund came quickly, thanks.", published_at=BASE_TIME + timedelta(days=3)
        ),
    ]


@pytest.fixture
def corpus(settings: Settings) -> list[EnrichedMention]:
    mentions = [*enriched_mentions(60, seed=11), *_literal()]
    store = build_mention_store(settings, workspace=DEFAULT_WORKSPACE, ensure_ready=True)
    try:
        store.upsert(mentions)
    finally:
        store.close()
    return mentions


def _user(settings: Settings, client: TestClient, role: Role) -> None:
    add_user(settings, role.value, role=role)
    signed_in(client, role.value)


@pytest.fixture
def analyst(settings: Settings, client: TestClient, corpus: list[EnrichedMention]) -> TestClient:
    _user(settings, client, Role.ANALYST)
    return client


def _matching(corpus: list[EnrichedMention], query: str) -> list[EnrichedMention]:
    node = parse(query)
    return [m for m in corpus if evaluate_query(node, m) is not None]


# --- search --------------------------------------------------------------------------------------
def test_search_returns_hits_with_chips_highlights_facets_and_histogram(
    analyst: TestClient, corpus: list[EnrichedMention]
) -> None:
    body = {"query": LATE, "facets": ["platform", "sentiment"], "histogram": "day", "size": 10}
    response = analyst.post("/api/v1/search", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    expected = newest_first(_matching(corpus, LATE))
    assert [m.id for m in expected] == [
        corpus[-2].id,
        corpus[-3].id,
        corpus[-4].id,
    ]  # formula, late2, late1: the literal ones
    assert result["total"] == 3
    assert [hit["id"] for hit in result["hits"]] == [m.id for m in expected]
    hit = result["hits"][1]
    assert hit["text"] == "We landed 3 hours late & I want my money back <now>."  # JSON: the text as is
    assert (hit["platform"], hit["sentiment"], hit["lang"]) == ("reddit", "neutral", "en")
    assert isinstance(hit["intents"], list)
    assert isinstance(hit["aspects"], list)
    # highlights: HTML-escaped text, only <em> as markup
    assert result["highlights"][hit["id"]]["text"] == [
        "We landed 3 hours <em>late</em> &amp; I want my <em>money back</em> &lt;now&gt;."
    ]
    assert result["facets"]["platform"] == [{"key": "web", "count": 2}, {"key": "reddit", "count": 1}]
    assert result["facets"]["sentiment"] == [{"key": "neutral", "count": 3}]
    want = histogram(((m.published_at, 1) for m in expected), "day")
    assert result["histogram"] == [b.model_dump() for b in want]
    assert result["next_cursor"] is None


def test_filters_text_and_sort(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    body = {
        "text": "refund",
        "filters": {"platforms": ["web"], "sentiments": ["neutral"]},
        "sort": "oldest",
        "highlight": False,
    }
    result = analyst.post("/api/v1/search", json=body).json()
    ids = [h["id"] for h in result["hits"]]
    assert ids == [
        m.id for m in chronological(_literal()) if m.platform == "web" and "refund" in m.text.lower()
    ]
    assert result["highlights"] == {}


def test_cursor_pages_through_every_hit_once(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    seen: list[str] = []
    body: dict[str, Any] = {"size": 7, "filters": {"langs": ["en"]}, "histogram": "none"}
    for _ in range(100):
        result = analyst.post("/api/v1/search", json=body).json()
        seen += [h["id"] for h in result["hits"]]
        if result["next_cursor"] is None:
            break
        body["search_after"] = result["next_cursor"]
    english = newest_first([m for m in corpus if m.lang == "en"])
    assert seen == [m.id for m in english]
    assert len(seen) > 7  # several pages


def test_bad_cursors_and_offsets_are_400(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    cursor = analyst.post("/api/v1/search", json={"size": 2}).json()["next_cursor"]
    assert cursor
    error = error_of(
        analyst.post("/api/v1/search", json={"size": 2, "search_after": "garbage!"}), 400, "invalid_input"
    )
    assert error["details"]["field"] == "search_after"
    other = analyst.post("/api/v1/search", json={"size": 2, "search_after": cursor, "sort": "oldest"})
    error_of(other, 400, "invalid_input")


def test_bad_query_is_400_with_its_position(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    error = error_of(
        analyst.post("/api/v1/search", json={"query": "refund AND (late"}), 400, "query_syntax_error"
    )
    assert error["details"]["position"] == len("refund AND (late")
    assert error["details"]["expected"]
    assert error["details"]["caret"].splitlines()[:2] == ["refund AND (late", " " * 16 + "^"]


def test_limits(settings: Settings, analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    limit = settings.api.max_query_chars
    too_long = "refund OR " * (limit // 10) + "late"
    assert len(too_long) > limit
    error = error_of(analyst.post("/api/v1/search", json={"query": too_long}), 400, "invalid_input")
    assert error["details"]["max_query_chars"] == limit
    error_of(analyst.post("/api/v1/search", json={"text": "x" * (limit + 1)}), 400, "invalid_input")
    error_of(analyst.post("/api/v1/search/check", json={"query": too_long}), 400, "invalid_input")
    too_many = analyst.post("/api/v1/search", json={"size": settings.api.max_page_size + 1})
    error = error_of(too_many, 422, "invalid_request")
    assert error["details"]["errors"][0]["loc"] == ["body", "size"]
    error_of(analyst.post("/api/v1/search", json={"size": -1}), 422, "invalid_request")
    error_of(analyst.post("/api/v1/search", json={"unknown": 1}), 422, "invalid_request")
    error_of(analyst.post("/api/v1/search", json={"histogram": "year"}), 422, "invalid_request")
    error_of(
        analyst.post("/api/v1/search", json={"histogram": "day", "tz": "Mars/Base"}), 400, "invalid_input"
    )
    ok = analyst.post("/api/v1/search", json={"size": settings.api.max_page_size})
    assert ok.status_code == 200
    assert len(ok.json()["hits"]) == len(corpus)


# --- check ---------------------------------------------------------------------------------------
def test_check_reports_the_located_error_and_warnings(analyst: TestClient) -> None:
    bad = analyst.post("/api/v1/search/check", json={"query": "refund AND (late"})
    assert bad.status_code == 200
    result = bad.json()
    assert result["ok"] is False
    error = result["error"]
    assert error["position"] == 16
    assert error["expected"]
    assert error["caret"].splitlines()[:2] == ["refund AND (late", " " * 16 + "^"]
    good = analyst.post("/api/v1/search/check", json={"query": "refund and late"}).json()
    assert good["ok"] is True
    assert good["error"] is None
    assert [w["code"] for w in good["warnings"]] == ["lowercase_operator"]
    assert good["warnings"][0]["position"] == 7


# --- export --------------------------------------------------------------------------------------
def test_export_csv_streams_the_matches_escaped(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    with analyst.stream("POST", "/api/v1/search/export?format=csv", json={"query": LATE}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="earful-default-')
        text = "".join(response.iter_text())
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == list(CSV_COLUMNS)
    expected = chronological(_matching(corpus, LATE))
    assert [r[0] for r in rows[1:]] == [m.id for m in expected]
    formula = dict(zip(CSV_COLUMNS, rows[3], strict=True))
    assert formula["text"] == "'" + '=HYPERLINK("http://evil.example","refund") came late'
    assert formula["title"] == "'@SUM(1+1)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_export_jsonl_has_every_field(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    body = {"filters": {"sentiments": ["neutral"], "langs": ["en"]}}
    response = analyst.post("/api/v1/search/export?format=jsonl", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    got = [EnrichedMention.model_validate(json.loads(line)) for line in response.text.splitlines()]
    expected = chronological(
        [m for m in corpus if m.sentiment.label is SentimentLabel.neutral and m.lang == "en"]
    )
    assert got == expected
    error_of(analyst.post("/api/v1/search/export?format=xlsx", json={}), 422, "invalid_request")
    error_of(
        analyst.post("/api/v1/search/export", json={"query": "a NEAR/3 NOT b"}), 400, "query_syntax_error"
    )


# --- saved searches ------------------------------------------------------------------------------
def test_saved_searches_crud(analyst: TestClient) -> None:
    assert analyst.get("/api/v1/saved-searches").json() == {"owner": "analyst", "searches": []}
    created = analyst.post("/api/v1/saved-searches", json={"name": "late refunds", "query": LATE})
    assert created.status_code == 201
    saved = created.json()
    assert (saved["name"], saved["owner"], saved["query"]) == ("late refunds", "analyst", LATE)
    replaced = analyst.post(
        "/api/v1/saved-searches", json={"name": "late refunds", "query": "refund", "description": "wider"}
    )
    assert replaced.status_code == 200
    assert replaced.json()["created_at"] == saved["created_at"]
    analyst.post("/api/v1/saved-searches", json={"name": "battery", "query": "battery OR 电池"})
    listed = analyst.get("/api/v1/saved-searches").json()
    assert [(s["name"], s["query"]) for s in listed["searches"]] == [
        ("battery", "battery OR 电池"),
        ("late refunds", "refund"),
    ]
    assert analyst.get("/api/v1/saved-searches/late%20refunds").json()["description"] == "wider"
    bad = analyst.post("/api/v1/saved-searches", json={"name": "broken", "query": "refund AND (late"})
    details = error_of(bad, 400, "query_syntax_error")["details"]
    assert (details["position"], details["caret"].splitlines()[1]) == (16, " " * 16 + "^")
    assert analyst.delete("/api/v1/saved-searches/battery").status_code == 204
    error_of(analyst.delete("/api/v1/saved-searches/battery"), 404, "not_found")
    error_of(analyst.get("/api/v1/saved-searches/battery"), 404, "not_found")
    assert [s["name"] for s in analyst.get("/api/v1/saved-searches").json()["searches"]] == ["late refunds"]


def test_saved_searches_belong_to_their_owner(
    settings: Settings, analyst: TestClient, make_client: Any
) -> None:
    analyst.post("/api/v1/saved-searches", json={"name": "mine", "query": "refund"})
    add_user(settings, "ada", role=Role.ADMIN)
    other: TestClient = make_client()
    signed_in(other, "ada")
    assert other.get("/api/v1/saved-searches").json()["searches"] == []
    error_of(other.get("/api/v1/saved-searches/mine"), 404, "not_found")
    key = api_key(settings, role=Role.ANALYST)
    keyed: TestClient = make_client(headers={"Authorization": f"Bearer {key}"})
    assert keyed.post("/api/v1/saved-searches", json={"name": "k", "query": "late"}).status_code == 201
    assert keyed.get("/api/v1/saved-searches").json()["owner"].startswith("key:")


# --- roles ---------------------------------------------------------------------------------------
@pytest.fixture
def viewer(settings: Settings, client: TestClient, corpus: list[EnrichedMention]) -> TestClient:
    _user(settings, client, Role.VIEWER)
    return client


def test_a_viewer_searches_but_neither_exports_nor_saves(viewer: TestClient) -> None:
    assert viewer.post("/api/v1/search", json={"query": LATE}).json()["total"] == 3
    assert viewer.post("/api/v1/search/check", json={"query": LATE}).json()["ok"] is True
    assert viewer.get("/api/v1/saved-searches").status_code == 200
    error_of(viewer.post("/api/v1/search/export", json={}), 403, "forbidden")
    error_of(viewer.post("/api/v1/saved-searches", json={"name": "x", "query": "late"}), 403, "forbidden")
    error_of(viewer.delete("/api/v1/saved-searches/x"), 403, "forbidden")


def test_without_credentials_everything_is_401(client: TestClient) -> None:
    for method, path, body in [
        ("POST", "/api/v1/search", {}),
        ("POST", "/api/v1/search/check", {"query": "x"}),
        ("POST", "/api/v1/search/export", {}),
        ("GET", "/api/v1/saved-searches", None),
        ("POST", "/api/v1/saved-searches", {"name": "x", "query": "y"}),
        ("GET", "/api/v1/saved-searches/x", None),
        ("DELETE", "/api/v1/saved-searches/x", None),
    ]:
        error_of(client.request(method, path, json=body), 401, "unauthenticated")


def test_a_session_write_needs_its_csrf_token(analyst: TestClient) -> None:
    del analyst.headers["X-CSRF-Token"]
    error_of(analyst.post("/api/v1/saved-searches", json={"name": "x", "query": "y"}), 403, "csrf_failed")
