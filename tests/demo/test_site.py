"""The demo site: its generated data and what it serves (HTML for spiders, JSON for the API)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from core.models import parse_datetime
from demo.site import ANCHOR, DemoSite, load_items
from demo.site.__main__ import main as demo_site_main
from demo.site.generate import MALFORMED_DATE, WINDOW_DAYS, dumps, generate


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running


@pytest.fixture(scope="module")
def client(site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=5) as http:
        yield http


def test_checked_in_data_is_what_the_generator_makes() -> None:
    assert dumps(generate()) == dumps(load_items())
    assert demo_site_main(["check"]) == 0


def test_generator_is_deterministic_and_varies_with_the_seed() -> None:
    assert dumps(generate()) == dumps(generate())
    assert dumps(generate(seed=1)) != dumps(generate())


def test_data_covers_languages_brands_types_and_labels() -> None:
    items = load_items()
    assert 300 <= len(items) <= 400
    assert len({item["id"] for item in items}) == len(items)
    langs = Counter(item["lang"] for item in items)
    assert langs["en"] > 150
    assert langs["zh-Hans"] > 80
    assert langs["zh-Hant"] > 30
    assert set(Counter(item["brand"] for item in items)) == {
        "quillfinch",
        "munchbird",
        "cobaltwing",
        "kestrelle",
    }
    assert set(Counter(item["type"] for item in items)) == {"review", "forum", "social", "news"}
    labels = Counter(item["label"] for item in items)
    for label in (
        "praise",
        "complaint",
        "question",
        "purchase_intent",
        "churn_risk",
        "bug_report",
        "feature_request",
    ):
        assert labels[label] >= 15, label
    assert labels["malformed"] == 1
    # some authors recur, as in real communities
    assert Counter(item["author"]["handle"] for item in items).most_common(1)[0][1] >= 10
    assert all(1 <= item["rating"] <= 5 for item in items if item["type"] == "review")
    assert all(item["rating"] is None for item in items if item["type"] != "review")
    # primary texts are unique (replies may repeat "Same here")
    primary = [item["text"] for item in items if item["label"] != "reply"]
    assert len(set(primary)) == len(primary)


def test_dates_are_spread_over_thirty_days_before_a_fixed_anchor() -> None:
    dates = [
        parse_datetime(item["created_at"]) for item in load_items() if item["created_at"] != MALFORMED_DATE
    ]
    assert min(dates) >= ANCHOR - timedelta(days=WINDOW_DAYS)
    assert max(dates) <= ANCHOR
    assert max(dates) - min(dates) > timedelta(days=25)
    ids = [item["id"] for item in load_items()]
    assert ids == sorted(ids)  # ids grow with time, like a platform's


def test_api_pages_by_since_id(client: httpx.Client) -> None:
    first = client.get("/api/posts", params={"limit": 5}).json()
    assert len(first["items"]) == 5
    assert first["has_more"] is True
    second = client.get("/api/posts", params={"limit": 5, "since_id": first["next_since_id"]}).json()
    assert second["items"][0]["id"] > first["items"][-1]["id"]
    last_id = load_items()[-1]["id"]
    end = client.get("/api/posts", params={"since_id": last_id}).json()
    assert end == {"items": [], "next_since_id": last_id, "has_more": False}
    item = first["items"][0]
    assert item["platform"] == "demo"
    assert "label" not in item  # the generator's ground truth is not served
    assert item["url"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("query", "message"),
    [({"limit": 0}, "limit must be between 1 and 100"), ({"since_id": "x"}, "since_id must be an integer")],
)
def test_api_rejects_bad_parameters(client: httpx.Client, query: dict[str, str | int], message: str) -> None:
    response = client.get("/api/posts", params=query)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_review_pages_link_to_each_other_and_cover_every_review(client: httpx.Client) -> None:
    seen: list[str] = []
    url: str | None = "/reviews"
    pages = 0
    while url:
        html = client.get(url).text
        pages += 1
        seen += re.findall(r'<article class="review" id="review-(\d+)"', html)
        assert html.count('class="review-rating" data-rating="') == html.count('<article class="review"')
        next_link = re.search(r'<a class="next" rel="next" href="([^"]+)"', html)
        url = next_link.group(1).replace("&amp;", "&") if next_link else None
    reviews = [str(item["id"]) for item in load_items() if item["type"] == "review"]
    assert pages >= 4
    assert sorted(seen) == sorted(reviews)
    assert len(seen) == len(set(seen))


def test_forum_pages_and_threads(client: httpx.Client) -> None:
    html = client.get("/forum/page/1").text
    threads = re.findall(r'<a href="/forum/thread/(\d+)">', html)
    assert len(threads) == 20
    assert '<a class="next" rel="next" href="/forum/page/2">' in html
    items = load_items()
    thread_id = next(item["thread_id"] for item in items if item["reply_to"])
    posts = [str(item["id"]) for item in items if item["thread_id"] == thread_id]
    page = client.get(f"/forum/thread/{thread_id}").text
    assert re.findall(r'<div class="post" id="post-(\d+)"', page) == posts
    assert 'data-reply-to="' in page
    assert client.get("/forum").status_code == 302


def test_text_is_escaped_and_languages_marked(client: httpx.Client) -> None:
    review = next(item for item in load_items() if item["type"] == "review" and item["lang"] == "zh-Hant")
    html = client.get(f"/reviews/{review['id']}").text
    assert f'lang="{review["lang"]}"' in html
    assert review["text"] in html
    assert client.get("/robots.txt").text.startswith("User-agent: *")


@pytest.mark.parametrize(
    "path",
    ["/reviews?page=99", "/reviews?page=0", "/forum/page/999", "/forum/thread/1", "/nope", "/reviews/abc"],
)
def test_unknown_pages_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_start_stop_and_free_port() -> None:
    site = DemoSite()
    with pytest.raises(RuntimeError):
        _ = site.url
    site.start()
    url = site.url
    assert httpx.get(url + "/").status_code == 200
    site.stop()
    site.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/", timeout=2)
