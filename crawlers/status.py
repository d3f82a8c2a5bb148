"""What the sources page shows of each source: its health (state, runs, freshness, the last errors) and
the input items it rejected. Read-only: the health files (`crawlers.health`) and the rejected-item log
(`crawlers.rejected`) of one workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from core.models import AwareDatetime
from crawlers.health import HealthState, HealthStore, RunRecord, SourceHealth
from crawlers.rejected import RejectedLog, RejectedSummary

STALE_AFTER = timedelta(days=2)


class RunError(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime = Field(description="When the failed run finished")
    error: str


class SourceStatus(BaseModel):
    """One source as an operator reads it."""

    model_config = ConfigDict(frozen=True)

    source: str
    state: HealthState
    runs: int
    consecutive_failures: int
    failures_total: int
    items_total: int
    items_last_run: int | None
    errors_total: int = Field(description="Pages or requests that failed, over every run")
    last_run_at: AwareDatetime | None
    last_success_at: AwareDatetime | None
    newest_item_at: AwareDatetime | None = Field(description="The newest mention ever collected")
    freshness_hours: float | None = Field(description="Hours since newest_item_at")
    last_errors: tuple[RunError, ...] = Field(description="The failed runs' errors, newest first")
    recent_runs: tuple[RunRecord, ...] = Field(description="The last runs, newest first")
    rejected: RejectedSummary


def source_status(
    health: SourceHealth,
    rejected: RejectedSummary,
    *,
    now: datetime,
    latest: int = 5,
    stale_after: timedelta = STALE_AFTER,
) -> SourceStatus:
    runs = tuple(reversed(health.history))
    errors = [RunError(at=r.finished_at, error=r.error) for r in runs if not r.ok and r.error]
    if not errors and health.last_error and health.last_error_at:  # older than the kept history
        errors = [RunError(at=health.last_error_at, error=health.last_error)]
    age = now - health.newest_item_at if health.newest_item_at else None
    return SourceStatus(
        source=health.source,
        state=health.state(now, stale_after),
        runs=health.runs,
        consecutive_failures=health.consecutive_failures,
        failures_total=health.failures_total,
        items_total=health.items_total,
        items_last_run=health.items_last_run,
        errors_total=health.errors_total,
        last_run_at=health.last_run_at,
        last_success_at=health.last_success_at,
        newest_item_at=health.newest_item_at,
        freshness_hours=None if age is None else round(age.total_seconds() / 3600, 1),
        last_errors=tuple(errors[:latest]),
        recent_runs=runs[:latest],
        rejected=rejected,
    )


def source_statuses(
    health: HealthStore,
    rejected: RejectedLog,
    *,
    now: datetime | None = None,
    latest: int = 5,
    stale_after: timedelta = STALE_AFTER,
) -> list[SourceStatus]:
    """Every source of the workspace that has a health record or rejected items, by name; `latest` of
    its last runs, errors and rejected items."""
    now = now or datetime.now(UTC)
    known = {h.source: h for h in health.all()}
    names = sorted(set(known) | set(rejected.sources()))
    return [
        source_status(
            known.get(name) or SourceHealth(source=name, workspace=health.workspace),
            rejected.summary(name, latest),
            now=now,
            latest=latest,
            stale_after=stale_after,
        )
        for name in names
    ]
