"""The CRM step of the listen flows: each stored batch goes through the complaint rule
(`crm.cases.assign_to_cases`), which opens or joins the customers' cases, beside alerting.

Both run as ``after_write`` hooks, composed by `each_hook`: every hook sees every batch, and one hook's
failure (the case store down, a bug) neither stops the others nor the listening; it is logged, counted
in its summary, and reported by `flows.listen.call_after_write` as the batch's hook error. The rule is
idempotent, so the batches a failure skipped get their cases when they are replayed (a rerun, a spool
drain, `earful listen --backfill`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.models import EnrichedMention, utcnow
from core.settings import CaseSettings, Settings
from crm.cases import CaseStore, assign_to_cases, build_case_store
from crm.cases.rule import CustomerLookup
from flows.tasks import AfterWrite

log = logging.getLogger(__name__)


class CasesSummary(BaseModel):
    """What the complaint rule did in a run."""

    model_config = ConfigDict(extra="forbid")

    complaints: int = Field(0, description="Linked complaint mentions seen")
    opened: int = Field(0, description="Cases opened")
    joined: int = Field(0, description="Complaints added to an open case")
    errors: list[str] = Field(default_factory=list)


class CaseStep:
    """An ``after_write`` hook: the complaint rule over each stored batch. Owns its case store and the
    customer directory it reads account owners from; `close()` closes both."""

    def __init__(
        self,
        store: CaseStore,
        customers: CustomerLookup | None = None,
        *,
        policy: CaseSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
        closing: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.store = store
        self.customers = customers
        self.policy = policy or CaseSettings()
        self.clock = clock
        self.summary = CasesSummary()
        self._closing = (store.close, *closing)

    def __call__(self, batch: Sequence[EnrichedMention]) -> None:
        try:
            report = assign_to_cases(
                batch, self.store, now=self.clock(), policy=self.policy, customers=self.customers
            )
        except Exception as exc:
            self.summary.errors.append(f"{type(exc).__name__}: {exc}")
            raise
        self.summary.complaints += report.complaints
        self.summary.opened += len(report.opened)
        self.summary.joined += len(report.joined)

    def close(self) -> None:
        for close in self._closing:
            close()


def build_case_step(settings: Settings, *, workspace: str) -> CaseStep:
    """The workspace's case store and customer directory next to its mention store, and the configured
    policy (``crm.cases``). Nothing is opened before the first batch."""
    from crm.customers import build_customer_directory

    directory = build_customer_directory(settings, workspace=workspace)
    return CaseStep(
        build_case_store(settings, workspace=workspace),
        directory,
        policy=settings.crm.cases,
        closing=(directory.close,),
    )


def each_hook(*hooks: AfterWrite | None) -> AfterWrite | None:
    """One hook calling every given hook in order, each isolated from the others' failures; the first
    failure is raised once all have run (so the caller reports it). None when no hook is given."""
    present = [hook for hook in hooks if hook is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def hook(batch: Sequence[EnrichedMention]) -> None:
        failure: Exception | None = None
        for each in present:
            try:
                each(batch)
            except Exception as exc:
                log.error("after_write hook %s failed: %s", getattr(each, "__qualname__", each), exc)
                failure = failure or exc
        if failure is not None:
            raise failure

    return hook
