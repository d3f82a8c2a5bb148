"""When a report runs: a cron expression or a fixed interval, in the report's time zone (the definition's
`timezone`: one zone for the period and the schedule, so "last-week at Monday 9:00" means one calendar).

A cron is read as wall-clock time in the zone, as Prefect's `Cron` schedule and cron(8) read it: ``0 9 * *
*`` in America/New_York fires at 09:00 local every day, 14:00 UTC in winter and 13:00 UTC in summer. An
interval counts from `anchor` in absolute time (``1d`` is 24 hours, so its local hour moves at a
daylight-saving change; use a cron for "every day at nine").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError
from pydantic import Field, field_validator, model_validator

from core.models import AwareDatetime, Frozen
from core.settings import Seconds


class ReportSchedule(Frozen):
    """Exactly one of `cron` and `every`."""

    cron: str | None = Field(None, description="Cron expression (5 fields), in the report's time zone")
    every: Seconds | None = Field(
        None, ge=60, description="Or: every this many seconds (or 1h, 1d), from `anchor`"
    )
    anchor: AwareDatetime = Field(
        datetime(2026, 1, 5, tzinfo=UTC), description="Where an interval schedule counts from"
    )

    @field_validator("cron")
    @classmethod
    def _cron_fires(cls, cron: str | None) -> str | None:
        if cron is None:
            return None
        cron = " ".join(cron.split())
        try:
            next(CronSim(cron, datetime(2000, 1, 1, tzinfo=UTC)))
        except CronSimError as exc:  # cronsim refuses dates that never exist (Feb 30, Apr 31) itself
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from exc
        except StopIteration as exc:
            raise ValueError(f"cron expression {cron!r} never fires") from exc
        return cron

    @model_validator(mode="after")
    def _one_kind(self) -> ReportSchedule:
        if (self.cron is None) == (self.every is None):
            raise ValueError("a schedule has either a cron or an interval (every), not both or neither")
        return self

    @property
    def every_delta(self) -> timedelta | None:
        return None if self.every is None else timedelta(seconds=self.every)


__all__ = ["ReportSchedule"]
