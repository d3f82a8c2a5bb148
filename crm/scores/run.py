"""Recompute a workspace's scores from its stores: every customer of the directory, every order, the
linked mentions of the lookback window and the open cases; then replace the stored scores.

`recompute_scores` is what runs after an import (the import commands call it directly: crm may not
import flows) and what the Prefect flow `flows.scores.scores_flow` wraps for the nightly run.

Orders come from the workspace's order store (`crm.orders.build_order_store`) unless given. Open cases
come from the `open_cases` callable (customer id -> count) when given, else from the workspace's case
store (`workspace_open_cases`), so every caller (import, flow, `earful crm scores --recompute`) counts
them the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from core.models import IntentLabel, SentimentLabel, utcnow
from core.settings import Settings
from crm.scores.score import (
    MentionCounts,
    MentionSignals,
    ModelParameters,
    OpenCases,
    Purchase,
    ScorePolicy,
    score_customers,
)
from crm.scores.store import build_score_store
from index.base import MentionFilter

if TYPE_CHECKING:
    from index.base import MentionStore

CHURN_INTENTS = (IntentLabel.churn_risk, IntentLabel.complaint)


class OrderReader(Protocol):
    """What scoring needs of an order store."""

    def iter_all(self, batch_size: int = 1000) -> Iterator[Purchase]: ...


@dataclass(frozen=True)
class RecomputeReport:
    workspace: str
    computed_at: datetime
    scored: int
    skipped: int
    ignored_orders: int
    parameters: ModelParameters


def mention_signals(store: MentionStore, *, since: datetime) -> MentionSignals:
    """customer id -> their linked mentions since `since`: total, negative, churn_risk or complaint."""

    def counts(customer_id: str) -> MentionCounts:
        linked = MentionFilter(customer_ids=(customer_id,), since=since)
        share = store.sentiment_share(linked)
        intents = store.count(linked.model_copy(update={"intents": CHURN_INTENTS}))
        negative = share.counts.get(SentimentLabel.negative, 0)
        return MentionCounts(mentions=share.total, negative=negative, intents=intents)

    return counts


def workspace_open_cases(settings: Settings, *, workspace: str) -> OpenCases:
    """customer id -> their open cases in `workspace`'s case store, read once now."""
    from crm.cases import build_case_store, open_case_counts

    with build_case_store(settings, workspace=workspace) as cases:
        counts = open_case_counts(cases)
    return lambda customer_id: counts.get(customer_id, 0)


def recompute_scores(
    settings: Settings,
    *,
    workspace: str,
    orders: OrderReader | None = None,
    open_cases: OpenCases | None = None,
    now: datetime | None = None,
    policy: ScorePolicy | None = None,
) -> RecomputeReport:
    """Score every customer of `workspace` and replace its stored scores (module docstring)."""
    from crm.customers import build_customer_directory
    from crm.orders import build_order_store
    from index.backends import build_mention_store

    now = now or utcnow()
    policy = policy or ScorePolicy()
    if open_cases is None:
        open_cases = workspace_open_cases(settings, workspace=workspace)
    directory = build_customer_directory(settings, workspace=workspace)
    mentions = build_mention_store(settings, workspace=workspace)
    reader = orders if orders is not None else build_order_store(settings, workspace=workspace)
    scores = build_score_store(settings, workspace=workspace)
    try:
        customers = list(directory.iter_all())
        run = score_customers(
            customers,
            reader.iter_all(),
            now=now,
            mention_signals=mention_signals(
                mentions, since=now - timedelta(days=policy.mention_lookback_days)
            ),
            open_cases=open_cases,
            policy=policy,
        )
        scores.replace_all(run.scores)
    finally:
        for closable in (directory, mentions, scores, reader):
            close = getattr(closable, "close", None)
            if close is not None and closable is not orders:
                close()
    skipped = sum(1 for s in run.scores if s.skipped)
    return RecomputeReport(
        workspace=workspace,
        computed_at=now,
        scored=len(run.scores) - skipped,
        skipped=skipped,
        ignored_orders=run.ignored_orders,
        parameters=run.parameters,
    )
