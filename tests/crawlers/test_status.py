"""The sources page's view of a source: health and rejected items together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.models import Rejected
from core.settings import Settings
from crawlers.health import HealthState, HealthStore, RunRecord
from crawlers.rejected import RejectedLog, build_rejected_log
from crawlers.status import source_statuses

T = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def run(at: datetime, ok: bool = True, items: int = 10, error: str | None = None) -> RunRecord:
    return RunRecord(
        started_at=at - timedelta(minutes=1),
        finished_at=at,
        ok=ok,
        items=items,
        newest_item_at=at - timedelta(hours=3) if ok else None,
        error=error,
    )


def test_health_and_rejected_items_per_source(tmp_path: Path) -> None:
    health = HealthStore(tmp_path / "health", workspace="acme")
    health.record("feed", run(T - timedelta(hours=2)))
    health.record("feed", run(T - timedelta(hours=1), ok=False, items=0, error="HTTP 503"))
    health.record("feed", run(T, ok=False, items=0, error="timeout"))
    health.record("shop", run(T))
    rejected = RejectedLog(tmp_path / "rejected", workspace="acme")
    rejected.append("shop", [Rejected(source="shop", locator=f"p{i}", reason="no text") for i in range(7)])
    rejected.append("orphan", [Rejected(source="orphan", locator="x.csv:2", reason="<bad date>")])

    rows = source_statuses(health, rejected, now=T, latest=2)
    assert [r.source for r in rows] == ["feed", "orphan", "shop"]
    feed, orphan, shop = rows
    assert feed.state is HealthState.failing
    assert (feed.runs, feed.consecutive_failures, feed.items_total) == (3, 2, 10)
    assert [(e.at, e.error) for e in feed.last_errors] == [
        (T, "timeout"),
        (T - timedelta(hours=1), "HTTP 503"),
    ]
    assert [r.finished_at for r in feed.recent_runs] == [T, T - timedelta(hours=1)]
    assert feed.freshness_hours == 5.0
    assert feed.rejected.count == 0
    assert shop.state is HealthState.ok
    assert shop.rejected.count == 7
    assert [r.locator for r in shop.rejected.latest] == ["p6", "p5"]
    assert orphan.state is HealthState.never_run  # rejected items, no run recorded in this workspace
    assert orphan.rejected.latest[0].reason == "<bad date>"
    other = source_statuses(
        HealthStore(tmp_path / "health", workspace="globex"),
        RejectedLog(tmp_path / "rejected", workspace="globex"),
        now=T,
    )
    assert other == []  # another workspace sees none of it


def test_built_from_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    log = build_rejected_log(settings, workspace="acme")
    assert log.directory == settings.rejected_dir / "workspaces" / "acme"
