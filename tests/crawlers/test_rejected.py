"""The rejected-item log as the sources page reads it: a count and the latest items per source."""

from __future__ import annotations

from pathlib import Path

from core.models import DEFAULT_WORKSPACE, Rejected
from crawlers.rejected import RejectedLog, RejectedSummary


def items(source: str, n: int) -> list[Rejected]:
    return [Rejected(source=source, locator=f"f.csv:{i}", reason=f"bad row {i}") for i in range(n)]


def test_summary_counts_and_gives_the_latest_first(tmp_path: Path) -> None:
    log = RejectedLog(tmp_path, workspace="acme")
    log.append("feed", items("feed", 3))
    log.append("feed", items("feed", 9)[3:])
    summary = log.summary("feed", latest=3)
    assert summary.count == 9
    assert [r.locator for r in summary.latest] == ["f.csv:8", "f.csv:7", "f.csv:6"]
    assert log.summary("feed", latest=0).latest == ()
    assert log.summary("never") == RejectedSummary(source="never")


def test_sources_are_the_names_the_items_carry(tmp_path: Path) -> None:
    log = RejectedLog(tmp_path, workspace=DEFAULT_WORKSPACE)
    assert log.sources() == []
    log.append("shop reviews/cn", items("shop reviews/cn", 1))  # a name that is not a file name
    log.append("feed", items("feed", 2))
    assert log.path("shop reviews/cn").name == "shop_reviews_cn.jsonl"
    assert log.sources() == ["feed", "shop reviews/cn"]
    assert log.summary("shop reviews/cn").count == 1


def test_workspaces_see_only_their_own(tmp_path: Path) -> None:
    RejectedLog(tmp_path, workspace="acme").append("feed", items("feed", 2))
    other = RejectedLog(tmp_path, workspace="globex")
    assert other.sources() == []
    assert other.summary("feed").count == 0
    # a legacy file (written before workspaces, in the root) is the default workspace's
    (tmp_path / "old.jsonl").write_text(items("old", 1)[0].model_dump_json() + "\n", encoding="utf-8")
    default = RejectedLog(tmp_path, workspace=DEFAULT_WORKSPACE)
    assert default.sources() == ["old"]
    assert default.summary("old").count == 1
    assert RejectedLog(tmp_path, workspace="acme").sources() == ["feed"]
