"""Source health: last success, items per run, errors, freshness; one JSON file per source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.models import DEFAULT_WORKSPACE
from crawlers.health import HealthState, HealthStore, RunRecord

T = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def run(ok: bool = True, items: int = 10, newest: datetime | None = T, **kw: object) -> RunRecord:
    return RunRecord(
        started_at=T - timedelta(minutes=1), finished_at=T, ok=ok, items=items, newest_item_at=newest, **kw
    )


def test_runs_accumulate_and_survive_a_new_store(tmp_path: Path) -> None:
    store = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    store.record("acme", run(items=5))
    store.record("acme", run(ok=False, items=0, newest=None, error="HTTP 503"))
    health = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE).get("acme")
    assert (health.runs, health.items_total, health.failures_total, health.consecutive_failures) == (
        2,
        5,
        1,
        1,
    )
    assert health.last_success_at == T
    assert health.last_error == "HTTP 503"
    assert health.newest_item_at == T
    assert health.state(T) is HealthState.failing
    store.record("acme", run(items=3))
    assert store.get("acme").consecutive_failures == 0
    assert store.get("acme").state(T) is HealthState.ok


def test_states(tmp_path: Path) -> None:
    store = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    assert store.get("never").state(T) is HealthState.never_run
    store.record("old", run(newest=T - timedelta(days=10)))
    assert store.get("old").state(T) is HealthState.stale
    for _ in range(3):
        store.record("empty", run(items=0, newest=None))
    assert store.get("empty").state(T) is HealthState.empty
    store.record("noisy", run(items=10, rejected=40))
    assert store.get("noisy").state(T) is HealthState.degraded


def test_status_rows_include_configured_sources_never_run(tmp_path: Path) -> None:
    store = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    store.record("a", run(items=7, newest=T - timedelta(hours=3)))
    rows = {r["source"]: r for r in store.status(["a", "b"], now=T)}
    assert rows["a"]["items_last_run"] == 7
    assert rows["a"]["freshness_hours"] == 3.0
    assert rows["a"]["state"] == "ok"
    assert rows["b"]["state"] == "never_run"
    assert {r["source"] for r in store.status(now=T)} == {"a"}


def test_history_is_bounded_and_a_corrupt_file_is_visible(tmp_path: Path) -> None:
    store = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    for _ in range(30):
        store.record("busy", run())
    assert len(store.get("busy").history) == 20
    assert store.get("busy").runs == 30
    (store.directory / "broken.json").write_text("{not json")
    broken = store.get("broken")
    assert broken.last_error
    assert "unreadable" in broken.last_error
    assert any(h.source == "broken" for h in store.all())


def test_workspaces_keep_their_own_health(tmp_path: Path) -> None:
    default = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    acme = HealthStore(tmp_path, workspace="acme")
    acme.record("feed", run(items=4))
    assert (tmp_path / "workspaces" / "acme" / "feed.json").exists()
    assert acme.get("feed").workspace == "acme"
    assert default.get("feed").runs == 0
    assert default.all() == []
    assert [h.source for h in acme.all()] == ["feed"]
    # a record of acme's copied into default's directory does not pass for default's
    default.directory.mkdir(parents=True)
    (default.directory / "feed.json").write_bytes((acme.directory / "feed.json").read_bytes())
    assert default.get("feed").runs == 0
    assert "unreadable" in (default.get("feed").last_error or "")


def test_files_from_before_workspaces_are_the_default_workspace(tmp_path: Path) -> None:
    """A health file directly in the root (no `workspace` field) is read as default's, never acme's;
    the next run writes the workspace's own file, which wins from then on."""
    HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE).record("feed", run(items=5))
    moved = tmp_path / "feed.json"
    (tmp_path / "workspaces" / "default" / "feed.json").rename(moved)
    data = moved.read_text().replace('"workspace": "default",', "")
    moved.write_text(data)
    assert '"workspace"' not in data
    default = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    assert default.get("feed").items_total == 5
    assert [h.source for h in default.all()] == ["feed"]
    assert HealthStore(tmp_path, workspace="acme").get("feed").runs == 0
    assert HealthStore(tmp_path, workspace="acme").all() == []
    default.record("feed", run(items=2))
    assert default.get("feed").items_total == 7
    assert (default.directory / "feed.json").exists()
    assert [h.items_total for h in default.all()] == [7]
