"""Same mention twice: kept once. Cross-posts and near-duplicates: flagged with the original's id."""

from __future__ import annotations

from datetime import UTC, datetime

from core.models import RawMention
from crawlers.dedup import Deduplicator, Verdict

BASE = (
    "The Quillfinch Q3 headphones broke after two weeks, the left ear cup stopped working and support "
    "never answered my emails."
)
ZH = "航班延誤9個小時，完全沒有解釋，很失望。體驗很差。客服電話一直打不通，行李也丟了，再也不會選擇這家航空公司了。"  # noqa: E501


def mention(native_id: str, text: str, platform: str = "web") -> RawMention:
    return RawMention(
        platform=platform,
        native_id=native_id,
        source="t",
        text=text,
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_same_id_is_dropped_once_seen() -> None:
    dedup = Deduplicator()
    first = mention("a", BASE)
    assert dedup.apply(first) is first
    assert dedup.apply(mention("a", BASE + " edited")) is None
    assert dedup.counts[Verdict.same_id] == 1


def test_cross_post_is_flagged_with_the_original() -> None:
    dedup = Deduplicator()
    original = mention("a", BASE)
    dedup.apply(original)
    copy = dedup.apply(mention("b", "  " + BASE.upper() + "\n", platform="reddit"))
    assert copy is not None
    assert copy.metadata["duplicate_kind"] == "cross_post"
    assert copy.metadata["duplicate_of"] == original.id
    assert copy.id == mention("b", "x", platform="reddit").id  # keeps its own id


def test_near_duplicates_in_english_and_chinese() -> None:
    dedup = Deduplicator()
    en, zh = mention("a", BASE), mention("c", ZH)
    dedup.apply(en)
    dedup.apply(zh)
    near = dedup.apply(mention("b", BASE.replace("two weeks", "three weeks")))
    near_zh = dedup.apply(mention("d", ZH.replace("9個", "10個")))
    assert near is not None
    assert near_zh is not None
    assert near.metadata["duplicate_kind"] == "near_duplicate"
    assert near.metadata["duplicate_of"] == en.id
    assert 0.85 <= float(str(near.metadata["similarity"])) < 1
    assert near_zh.metadata["duplicate_of"] == zh.id


def test_different_and_short_texts_are_not_flagged() -> None:
    dedup = Deduplicator()
    dedup.apply(mention("a", BASE))
    other = dedup.apply(
        mention("b", "Completely different: the airline food was surprisingly tasty on my flight.")
    )
    assert other is not None
    assert "duplicate_kind" not in other.metadata
    dedup.apply(mention("c", "Great!"))
    short = dedup.apply(mention("d", "Great!"))  # short texts repeat by chance
    assert short is not None
    assert "duplicate_kind" not in short.metadata


def test_keep_repeats_returns_the_first_verdict_again() -> None:
    dedup = Deduplicator()
    dedup.apply(mention("a", BASE))
    first = dedup.apply(mention("b", BASE))
    again = dedup.apply(mention("b", BASE), keep_repeats=True)
    assert first is not None
    assert again is not None
    assert again.metadata == first.metadata


def test_exact_only_mode_imports_nothing_heavy() -> None:
    dedup = Deduplicator(near_duplicates=False)
    dedup.apply(mention("a", BASE))
    near = dedup.apply(mention("b", BASE.replace("two", "three")))
    copy = dedup.apply(mention("c", BASE))
    assert near is not None
    assert copy is not None
    assert "duplicate_kind" not in near.metadata
    assert copy.metadata["duplicate_kind"] == "cross_post"


def test_memory_is_bounded() -> None:
    dedup = Deduplicator(max_entries=3)
    for i in range(10):
        dedup.apply(mention(str(i), f"{i} " + BASE.replace("two", str(i))))
    assert len(dedup._ids) <= 3
    assert len(dedup._hashes) <= 3
