"""RSS/Atom and sitemap spiders: article text by trafilatura, one id per canonical URL."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.crawlers.spiders.conftest import Crawl


def _by_path(crawl: Crawl) -> dict[str, object]:
    return {m.native_id.split("/", 3)[-1]: m for m in crawl.mentions}


def test_feed_entries_become_extracted_articles(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["feed"]
    assert crawl.run.error is None
    by_path = {m.native_id.split("/", 3)[-1]: m for m in crawl.mentions}
    # RSS (with utm_* links) and Atom point at the same articles: one mention per canonical URL
    assert set(by_path) == {"news/1", "news/2", "news/3", "news/4", "news/5"}
    recall = by_path["news/1"]
    assert "replace the left ear cup" in recall.text
    assert "Subscribe now" not in recall.text  # boilerplate left out by trafilatura
    assert "All rights reserved" not in recall.text
    assert recall.title == "Quillfinch recalls Q3 headphones over ear-cup fault"
    assert recall.published_at == datetime(2026, 11, 8, 9, 0, tzinfo=UTC)
    assert recall.author is not None
    assert recall.author.display_name == "Ana Ruiz"
    assert str(recall.metadata["extracted_by"]).startswith("trafilatura")


def test_failed_article_keeps_the_feed_summary_with_the_reason(crawls: dict[str, Crawl]) -> None:
    by_path = {m.native_id.split("/", 3)[-1]: m for m in crawls["feed"].mentions}
    broken = by_path["news/5"]
    assert broken.metadata["article_error"] == "HTTP 500"
    assert broken.metadata["text_from"] == "feed summary"
    assert broken.text.startswith("This article's page always fails")


def test_sitemap_index_is_followed_and_articles_extracted(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["sitemap"]
    paths = {m.native_id.split("/", 3)[-1] for m in crawl.mentions}
    assert {"news/1", "news/2", "news/3", "news/4"} <= paths
    assert [r.reason for r in crawl.rejected if r.locator.endswith("/news/5")] == ["HTTP 500"]


def test_feed_and_sitemap_agree_on_ids(crawls: dict[str, Crawl]) -> None:
    feed = {m.native_id: m.id for m in crawls["feed"].mentions}
    sitemap = {m.native_id: m.id for m in crawls["sitemap"].mentions}
    shared = set(feed) & set(sitemap)
    assert len(shared) >= 4
    assert all(feed[k] == sitemap[k] for k in shared)


def test_schema_org_reviews_from_json_ld_and_microdata(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["structured"]
    by_author = {m.author.display_name: m for m in crawl.mentions if m.author}
    assert set(by_author) == {"Kim", "Ola", "Ute", "Raj"}
    kim = by_author["Kim"]
    assert kim.rating == 5.0
    assert kim.product == "Quillfinch Q3"
    assert kim.title == "Superb"
    assert kim.metadata["structured_data"] == "json-ld"
    assert kim.metadata["aggregate_rating"] == 4.2
    assert kim.metadata["review_count"] == 128
    assert kim.native_id.endswith("/products/1#jr1")
    ute = by_author["Ute"]
    assert ute.metadata["structured_data"] == "microdata"
    assert ute.rating == 4.0  # 8 out of 10 → 4 out of 5
    assert ute.product == "Munchbird Blender"
    assert ute.published_at == datetime(2026, 10, 30, tzinfo=UTC)
    reasons = [r.reason for r in crawl.rejected]
    assert any("not a date" in reason for reason in reasons)
