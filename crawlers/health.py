"""Source health: is each collector alive, productive and fresh? Open-source crawlers fail silently;
this is the signal that says one broke.

Storage-agnostic on purpose (crawlers/ does not know the stores): one small JSON file per source under
a directory per workspace, replaced atomically. ``earful sources status`` renders
:meth:`HealthStore.status`.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.models import DEFAULT_WORKSPACE, AwareDatetime
from core.settings import Settings
from core.workspaces import WorkspaceFiles

HISTORY = 20
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class RunRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    started_at: AwareDatetime
    finished_at: AwareDatetime
    ok: bool
    items: int = 0
    rejected: int = 0
    errors: int = Field(0, description="Pages or requests that failed during the run")
    pages: int = 0
    newest_item_at: AwareDatetime | None = None
    error: str | None = None


class HealthState(StrEnum):
    ok = "ok"
    never_run = "never_run"
    failing = "failing"  # the last run failed
    stale = "stale"  # runs succeed but nothing new for too long
    empty = "empty"  # the last successful runs collected nothing
    degraded = "degraded"  # succeeded, but many pages or items were rejected


class SourceHealth(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    workspace: str = Field(DEFAULT_WORKSPACE, description="A file written before workspaces: 'default'")
    runs: int = 0
    failures_total: int = 0
    consecutive_failures: int = 0
    items_total: int = 0
    rejected_total: int = 0
    errors_total: int = 0
    last_run_at: AwareDatetime | None = None
    last_success_at: AwareDatetime | None = None
    last_error: str | None = None
    last_error_at: AwareDatetime | None = None
    newest_item_at: AwareDatetime | None = Field(
        None, description="Freshness: the newest mention ever collected"
    )
    history: tuple[RunRecord, ...] = ()

    @property
    def items_last_run(self) -> int | None:
        return self.history[-1].items if self.history else None

    def state(self, now: datetime | None = None, stale_after: timedelta = timedelta(days=2)) -> HealthState:
        now = now or datetime.now(UTC)
        if not self.history:
            return HealthState.never_run
        last = self.history[-1]
        if not last.ok:
            return HealthState.failing
        if self.newest_item_at is None or now - self.newest_item_at > stale_after:
            recent = self.history[-3:]
            if all(r.ok and r.items == 0 for r in recent):
                return HealthState.empty if self.newest_item_at is None else HealthState.stale
            if self.newest_item_at is not None:
                return HealthState.stale
        if last.items + last.rejected and last.rejected > max(5, (last.items + last.rejected) // 10):
            return HealthState.degraded
        if last.errors and last.errors > max(5, last.pages // 10):
            return HealthState.degraded
        return HealthState.ok


class HealthStore(WorkspaceFiles):
    """One JSON file per source of one workspace, under ``<root>/workspaces/<workspace>/`` (created on
    first write). Scoped at construction like the mention stores: it reads and writes only that
    directory, and a record that names another workspace reads as unreadable. For the default
    workspace, files directly in `root` (written before workspaces) are read too, until the source's
    next run writes its file in the workspace's directory."""

    def _path(self, source: str, directory: Path | None = None) -> Path:
        return (directory or self.directory) / f"{_SAFE.sub('_', source)}.json"

    def _read(self, path: Path, source: str) -> SourceHealth:
        try:
            health = SourceHealth.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:  # a corrupt file must not hide the source: start over, visibly
            return self._unreadable(source, path)
        if health.workspace != self._workspace:
            return self._unreadable(source, path)
        return health

    def _unreadable(self, source: str, path: Path) -> SourceHealth:
        return SourceHealth(
            source=source,
            workspace=self._workspace,
            last_error=f"health file {path.name} was unreadable; reset",
        )

    def get(self, source: str) -> SourceHealth:
        for directory in (self.directory, self.legacy_directory):  # the workspace's own file first
            if directory is None:
                continue
            path = self._path(source, directory)
            try:
                return self._read(path, source)
            except FileNotFoundError:
                continue
        return SourceHealth(source=source, workspace=self._workspace)

    def record(self, source: str, run: RunRecord) -> SourceHealth:
        """Add one run's outcome and return the updated health."""
        old = self.get(source)
        newest = max((d for d in (old.newest_item_at, run.newest_item_at) if d is not None), default=None)
        new = old.model_copy(
            update={
                "runs": old.runs + 1,
                "failures_total": old.failures_total + (0 if run.ok else 1),
                "consecutive_failures": 0 if run.ok else old.consecutive_failures + 1,
                "items_total": old.items_total + run.items,
                "rejected_total": old.rejected_total + run.rejected,
                "errors_total": old.errors_total + run.errors,
                "last_run_at": run.finished_at,
                "last_success_at": run.finished_at if run.ok else old.last_success_at,
                "last_error": run.error if not run.ok else old.last_error,
                "last_error_at": run.finished_at if not run.ok else old.last_error_at,
                "newest_item_at": newest,
                "history": (*old.history, run)[-HISTORY:],
                "workspace": self._workspace,
            }
        )
        self._write(source, new)
        return new

    def _write(self, source: str, health: SourceHealth) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(source)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(health.model_dump_json(indent=2))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def all(self) -> list[SourceHealth]:
        """This workspace's sources (for the default workspace, the files written before workspaces
        too, where the workspace's directory has none for that file)."""
        paths: dict[str, Path] = {}
        for directory in self.directories():  # the workspace's own files, read last, win
            paths.update((path.name, path) for path in directory.glob("*.json"))
        return [self._read(paths[name], paths[name].stem) for name in sorted(paths)]

    def status(
        self, sources: list[str] | None = None, now: datetime | None = None
    ) -> list[dict[str, object]]:
        """Rows for `earful sources status`: one per source, configured ones included even if never run."""
        now = now or datetime.now(UTC)
        known = {h.source: h for h in self.all()}
        names = list(sources) if sources is not None else sorted(known)
        rows: list[dict[str, object]] = []
        for name in names:
            h = known.get(name) or SourceHealth(source=name)
            age = (now - h.newest_item_at) if h.newest_item_at else None
            rows.append(
                {
                    "source": name,
                    "state": h.state(now).value,
                    "last_success_at": h.last_success_at,
                    "items_last_run": h.items_last_run,
                    "runs": h.runs,
                    "errors_total": h.errors_total,
                    "rejected_total": h.rejected_total,
                    "consecutive_failures": h.consecutive_failures,
                    "freshness_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                    "last_error": h.last_error,
                }
            )
        return rows


def build_health_store(settings: Settings, *, workspace: str) -> HealthStore:
    """The workspace's health store under the configured directory (`crawl.health_dir`, else
    ``<home>/health``)."""
    return HealthStore(settings.crawl.health_dir or settings.home / "health", workspace=workspace)
