"""The profile-driven review/forum spider over sloppy English pages and mis-declared Chinese ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import ConfigError
from crawlers.profiles import load_profile, shipped_profiles
from crawlers.spiders.review import read_rating
from tests.crawlers.spiders.conftest import Crawl


def test_reviews_are_extracted_from_broken_markup(crawls: dict[str, Crawl], fixture_site: object) -> None:
    crawl = crawls["reviews"]
    assert crawl.run.error is None
    by_id = {m.native_id.rsplit("/", 1)[-1]: m for m in crawl.mentions}
    assert set(by_id) == {"r101", "r102", "r103", "r104", "r105", "r106", "r108", "r109", "r110", "r112"}
    r103 = by_id["r103"]
    assert r103.text.startswith("It crushes ice in seconds.")
    assert r103.title == "Loud but strong"
    assert r103.rating == 4.0
    assert r103.product == "Munchbird Blender"
    assert r103.author is not None
    assert (r103.author.display_name, r103.author.native_id) == ("Priya", "u-31")
    assert r103.published_at == datetime(2026, 11, 7, 17, 20, tzinfo=UTC)
    assert by_id["r101"].published_at == datetime(2026, 11, 9, tzinfo=UTC)  # profile format "%b %d, %Y"
    assert r103.lang_hint == "en"
    assert r103.metadata["profile"] == "fixture-reviews"
    assert all(m.source == "fixture-reviews" and m.platform == "web" for m in crawl.mentions)


def test_same_review_reached_twice_is_kept_once(crawls: dict[str, Crawl]) -> None:
    # every review is on a listing page and on its own permalink page: one mention each
    crawl = crawls["reviews"]
    ids = [m.id for m in crawl.mentions]
    assert len(ids) == len(set(ids))
    assert crawl.stats["earful/duplicates_same_id"] >= 10
    assert all(m.url == m.native_id for m in crawl.mentions)


def test_cross_posts_are_flagged(crawls: dict[str, Crawl]) -> None:
    by_id = {m.native_id.rsplit("/", 1)[-1]: m for m in crawls["reviews"].mentions}
    assert by_id["r106"].metadata["duplicate_kind"] == "cross_post"
    assert by_id["r106"].metadata["duplicate_of"] == by_id["r101"].id


def test_bad_items_and_pages_are_reported_not_dropped(crawls: dict[str, Crawl]) -> None:
    reasons = {(r.locator.split("/", 3)[-1], r.reason.split(":")[0]) for r in crawls["reviews"].rejected}
    assert ("reviews?page=2 item 3", "published_at") in reasons  # "sometime last spring?"
    assert ("reviews?page=3 item 3", "text") in reasons  # empty review
    assert ("private/staff-notes", "Forbidden by robots.txt") in reasons
    assert ("huge", "page too large") in reasons
    undated = next(r for r in crawls["reviews"].rejected if "page=2 item 3" in r.locator)
    assert "sometime last spring?" in undated.reason
    assert undated.raw
    assert "Undated" in undated.raw
    assert all(r.source == "fixture-reviews" for r in crawls["reviews"].rejected)


def test_gb18030_page_behind_a_lying_header(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["zh"]
    texts = {m.native_id.rsplit("#", 1)[-1]: m for m in crawl.mentions}
    assert len(texts) == 6
    assert texts["p1"].text == "雀鸣Q3耳机降噪效果很好，地铁上基本听不到噪音，推荐购买。"
    assert texts["p1"].author is not None
    assert texts["p1"].author.display_name == "小王"
    # relative dates are computed from the crawl's time; absolute ones keep the site's timezone
    collected = texts["p1"].collected_at
    assert abs(texts["p1"].published_at - collected) < timedelta(minutes=5)  # 刚刚
    assert abs(texts["p2"].published_at - (collected - timedelta(hours=3))) < timedelta(minutes=5)  # 三小时前
    assert abs(texts["p4"].published_at - (collected - timedelta(days=3))) < timedelta(minutes=5)  # 3天前
    assert texts["p5"].published_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 2026年11月1日 14:30 +08
    assert texts["p6"].published_at.isoformat() == "2026-10-28T00:00:00+08:00"
    assert not crawl.rejected


def test_big5_page_without_any_charset(crawls: dict[str, Crawl]) -> None:
    texts = {m.native_id.rsplit("#", 1)[-1]: m for m in crawls["tw"].mentions}
    assert texts["t1"].text == "鈷翼航空的服務很好，空服員非常親切，下次還會搭乘。"
    assert texts["t2"].published_at.isoformat() == "2026-10-03T20:10:00+08:00"


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [("4/5", 5, 4.0), ("8", 10, 4.0), ("80%", 5, 4.0), ("★★★☆☆", 5, 3.0), ("4,5", 5, 4.5)],
)
def test_ratings_are_stored_out_of_five(value: str, scale: float, expected: float) -> None:
    assert read_rating(value, scale) == (expected, None)


def test_unreadable_rating_is_explained() -> None:
    rating, problem = read_rating("great", 5)
    assert rating is None
    assert problem is not None
    assert "great" in problem


def test_shipped_profiles_load() -> None:
    assert {"demo-reviews", "demo-forum"} <= set(shipped_profiles())
    for name in shipped_profiles():
        assert load_profile(name).name == name


def test_bad_profiles_are_configuration_errors(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.yaml"
    path.write_text("name: x\nstart_urls: [/]\nitem: 'div[['\nfields: {text: p, date: time}\n")
    with pytest.raises(ConfigError, match="invalid selector"):
        load_profile(path)
    with pytest.raises(ConfigError, match="shipped"):
        load_profile("no-such-profile")
