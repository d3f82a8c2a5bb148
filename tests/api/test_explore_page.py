"""The Explore page through the real app (TestClient, HTML): results with highlights and chips, the live
query check, facets, load more, saving, exports, roles, and that nothing a person wrote is markup."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.testing import add_user, signed_in
from api.web.markup import highlighted
from core.models import DEFAULT_WORKSPACE, EnrichedMention
from core.settings import Settings
from index.backends import build_mention_store
from index.testing.corpus import BASE_TIME, enriched_mention, enriched_mentions, newest_first

LATE = '(refund OR "money back") NEAR/5 late'
HTMX = {"HX-Request": "true"}


@pytest.fixture
def corpus(settings: Settings) -> list[EnrichedMention]:
    mentions = [
        *enriched_mentions(50, seed=4),
        enriched_mention(
            "late",
            "The refund is 40 hours late <script>alert(1)</script> & <em>not</em> marked",
            title="<b>Refund</b> woes",
            published_at=BASE_TIME + timedelta(days=20),
            platform="reddit",
        ),
        enriched_mention(
            "money", "We landed late and I want my money back.", published_at=BASE_TIME + timedelta(days=19)
        ),
    ]
    store = build_mention_store(settings, workspace=DEFAULT_WORKSPACE, ensure_ready=True)
    try:
        store.upsert(mentions)
    finally:
        store.close()
    return mentions


def _as(settings: Settings, client: TestClient, role: Role) -> TestClient:
    add_user(settings, role.value, role=role)
    signed_in(client, role.value)
    return client


@pytest.fixture
def analyst(settings: Settings, client: TestClient, corpus: list[EnrichedMention]) -> TestClient:
    return _as(settings, client, Role.ANALYST)


@pytest.fixture
def viewer(settings: Settings, client: TestClient, corpus: list[EnrichedMention]) -> TestClient:
    return _as(settings, client, Role.VIEWER)


def _hit_ids(page: str) -> list[str]:
    return re.findall(r'<li class="hit card">.*?href="/mentions/([0-9a-f]+)"', page, re.S)


def test_results_are_highlighted_and_escaped(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    response = analyst.get("/explore", params={"q": LATE})
    assert response.status_code == 200
    page = response.text
    assert "text/html" in response.headers["content-type"]
    assert _hit_ids(page) == [corpus[-2].id, corpus[-1].id]
    # the highlighter's marks are the only markup; the mention's own tags are text
    assert "The <em>refund</em> is 40 hours <em>late</em> &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp; &lt;em&gt;not&lt;/em&gt; marked" in page
    assert "<script>alert" not in page
    assert "&lt;b&gt;Refund&lt;/b&gt; woes" in page
    assert "<em>late</em> and I want my <em>money back</em>." in page
    assert 'class="chip chip--neutral"' in page
    assert "2 mentions" in page
    assert 'class="chart"' in page
    spec = json.loads(html.unescape(re.search(r"data-spec='([^']+)'", page).group(1)))  # type: ignore[union-attr]
    assert [v["count"] for v in spec["data"]["values"]] == [1, 1]
    # facets filter through the URL
    assert f'href="/explore?q={LATE.replace(" ", "+")}' not in page  # parameters are URL-encoded
    assert "/explore?q=%28refund+OR+%22money+back%22%29+NEAR%2F5+late&amp;platform=reddit" in page


def test_the_fragment_for_htmx_and_the_page_for_a_history_restore(analyst: TestClient) -> None:
    fragment = analyst.get("/explore", params={"q": LATE}, headers=HTMX).text
    assert "<html" not in fragment
    assert "2 mentions" in fragment
    restore = analyst.get(
        "/explore", params={"q": LATE}, headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_filters_from_the_url(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    page = analyst.get("/explore", params={"platform": "reddit", "sort": "oldest"}).text
    reddit = [m for m in corpus if m.platform == "reddit"]
    assert sorted(_hit_ids(page)) == sorted(m.id for m in reddit)
    assert '<option value="reddit" selected>' in page
    zh = analyst.get("/explore", params={"lang": "zh", "sentiment": "negative"}).text
    expected = [
        m.id for m in newest_first(corpus) if m.lang == "zh" and m.sentiment.label.value == "negative"
    ]
    assert _hit_ids(zh) == expected[:20]
    assert analyst.get("/explore", params={"sentiment": "furious"}).status_code == 422


def test_load_more_follows_the_cursor(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    page = analyst.get("/explore", headers=HTMX).text
    seen = _hit_ids(page)
    for _ in range(10):
        found = re.search(r'hx-get="(/explore/more\?[^"]+)"', page)
        if found is None:
            break
        page = analyst.get(html.unescape(found.group(1)), headers=HTMX).text
        assert "<ol" not in page  # list items, appended where the button was
        seen += _hit_ids(page)
    assert seen == [m.id for m in newest_first(corpus)]
    broken = analyst.get("/explore/more", params={"cursor": "garbage"}, headers=HTMX)
    assert broken.status_code == 200
    assert "search_after" in broken.text


def test_a_bad_query_shows_its_caret(analyst: TestClient) -> None:
    page = analyst.get("/explore", params={"q": "refund AND (late"}).text
    assert '<pre class="query-caret">refund AND (late\n                ^\n' in page
    assert _hit_ids(page) == []


def test_live_check(analyst: TestClient, settings: Settings) -> None:
    bad = analyst.post("/explore/check", data={"q": "refund AND (late"})
    assert bad.status_code == 200
    assert '<pre class="query-caret">refund AND (late\n                ^\n' in bad.text
    assert 'role="alert"' in bad.text
    good = analyst.post("/explore/check", data={"q": "refund and late"}).text
    assert "The query is valid." in good
    assert "Column 8:" in good
    assert "is searched as a word" in good
    assert analyst.post("/explore/check", data={"q": "  "}).text.strip() == ""
    too_long = analyst.post("/explore/check", data={"q": "x" * (settings.api.max_query_chars + 1)}).text
    assert "too long" in too_long


def test_save_a_search(analyst: TestClient) -> None:
    page = analyst.get("/explore", params={"q": LATE}).text
    assert 'action="/explore/saved"' in page
    saved = analyst.post("/explore/saved", data={"name": "late <refunds>", "q": LATE})
    assert saved.status_code == 200
    assert "Saved as “late &lt;refunds&gt;”." in saved.text
    assert 'id="saved-list" class="saved-list" hx-swap-oob="true"' in saved.text
    assert [s["name"] for s in analyst.get("/api/v1/saved-searches").json()["searches"]] == ["late <refunds>"]
    bad = analyst.post("/explore/saved", data={"name": "broken", "q": "refund AND (late"}).text
    assert '<pre class="query-caret">refund AND (late\n' in bad
    assert "late &lt;refunds&gt;" in analyst.get("/explore").text  # the list on the page


def test_export_links_download_the_search(analyst: TestClient, corpus: list[EnrichedMention]) -> None:
    page = analyst.get("/explore", params={"q": LATE, "platform": "reddit"}).text
    links = [html.unescape(u) for u in re.findall(r'href="(/explore/export\?[^"]+)"', page)]
    assert len(links) == 2
    response = analyst.get(next(u for u in links if "format=csv" in u))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [corpus[-2].id]
    lines = analyst.get(next(u for u in links if "format=jsonl" in u)).text.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [corpus[-2].id]


def test_a_viewer_neither_saves_nor_exports(viewer: TestClient) -> None:
    page = viewer.get("/explore", params={"q": LATE}).text
    assert "2 mentions" in page
    assert "/explore/export" not in page
    assert 'action="/explore/saved"' not in page
    assert viewer.get("/explore/export", params={"q": LATE}).status_code == 403
    assert viewer.post("/explore/saved", data={"name": "x", "q": "late"}).status_code == 403


def test_without_a_session_the_page_sends_to_login(client: TestClient) -> None:
    response = client.get("/explore", params={"q": "late"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/explore%3Fq%3Dlate"


def test_chinese_labels(analyst: TestClient) -> None:
    analyst.cookies.set("lang", "zh")
    page = analyst.get("/explore", params={"q": LATE}).text
    assert "共 2 条提及" in page
    assert "探索提及" in page


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("a <em>b</em> c", "a <em>b</em> c"),
        ("&lt;script&gt; <em>x</em>", "&lt;script&gt; <em>x</em>"),
        ("<script>x</script> <em>y", "&lt;script&gt;x&lt;/script&gt; <em>y</em>"),
        ("</em>stray <em>open", "stray <em>open</em>"),
        ("<em onclick=x>z</em>", "&lt;em onclick=x&gt;z"),
        ("&amp;lt;", "&amp;lt;"),
    ],
)
def test_highlighted_allows_only_em(fragment: str, expected: str) -> None:
    assert str(highlighted(fragment)) == expected
    assert highlighted("") is None
