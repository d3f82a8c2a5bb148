"""The scores flow: recompute one workspace's customer scores (RFM, value tiers, lifetime value,
churn risk) from its customers, orders, linked mentions and cases. The logic is
`crm.scores.recompute_scores`; this module only gives it a Prefect task (retried when the error says
so) and a flow, and the nightly schedule.

When it runs:
- after every import: the import commands call `crm.scores.recompute_scores` themselves (crm may not
  import flows; it is the same function the task runs), so scores are fresh when the import returns;
- nightly: `nightly_deployment()` is the Prefect deployment of this flow on a cron schedule (02:30 in
  the given time zone by default); `earful`'s operators serve it with
  ``python -m flows.scores serve [WORKSPACE...]`` or declare the same in infra/prefect/prefect.yaml
  (``prefect deploy --prefect-file infra/prefect/prefect.yaml``). Recency and "alive" move with the
  calendar even when nothing is imported, which is why it also runs nightly.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext

from core.models import DEFAULT_WORKSPACE
from core.settings import Settings, get_settings
from crm.scores.run import OrderReader, RecomputeReport, recompute_scores
from crm.scores.score import OpenCases
from flows.tasks import retry_if_retryable

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

NIGHTLY_CRON = "30 2 * * *"


@task(name="recompute-scores", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def recompute_task(
    settings: Settings,
    workspace: str,
    orders: OrderReader | None,
    open_cases: OpenCases | None,
    now: datetime | None,
) -> RecomputeReport:
    """Read everything, fit the models, replace the stored scores (idempotent: a retry rewrites)."""
    return recompute_scores(settings, workspace=workspace, orders=orders, open_cases=open_cases, now=now)


@flow(name="scores", validate_parameters=False, log_prints=False)
def scores_flow(
    settings: Settings | None = None,
    workspace: str = DEFAULT_WORKSPACE,
    *,
    orders: Any = None,
    open_cases: Any = None,
    now: datetime | None = None,
) -> RecomputeReport:
    """Recompute `workspace`'s scores. `orders` (an `OrderReader`; default: the workspace's order
    store), `open_cases` (`OpenCases`; default: the open cases of the workspace's case store) and `now`
    (default: the current time) are for in-process callers that have them; they are typed Any because
    Prefect builds a JSON schema of a deployed flow's parameters, which a protocol or a callable has not."""
    settings = settings or get_settings()
    if FlowRunContext.get() is None:  # `scores_flow.fn()`: the plain call, no Prefect API
        return recompute_scores(settings, workspace=workspace, orders=orders, open_cases=open_cases, now=now)
    task_options: dict[str, Any] = {
        "retries": settings.listen.task_retries,
        "retry_delay_seconds": settings.listen.task_retry_delay,
    }
    return recompute_task.with_options(**task_options)(settings, workspace, orders, open_cases, now)


def nightly_deployment(
    workspace: str = DEFAULT_WORKSPACE, *, cron: str = NIGHTLY_CRON, timezone: str = "UTC"
) -> RunnerDeployment:
    """The nightly run of the scores flow for one workspace, as a Prefect deployment (nothing is sent
    to a server until it is served or applied)."""
    from prefect.schedules import Cron

    # outside an event loop Prefect's dual sync/async method returns the deployment itself
    return cast(
        "RunnerDeployment",
        scores_flow.to_deployment(
            name=f"nightly-scores-{workspace}",
            schedule=Cron(cron, timezone=timezone),
            parameters={"workspace": workspace},
            tags=["earful", "crm", "scores"],
        ),
    )


def main(argv: list[str]) -> None:
    """``python -m flows.scores serve [WORKSPACE...]``: serve the nightly deployments (blocks)."""
    if argv[:1] != ["serve"]:
        raise SystemExit("usage: python -m flows.scores serve [WORKSPACE...]")
    from prefect import serve

    serve(*(nightly_deployment(workspace) for workspace in argv[1:] or [DEFAULT_WORKSPACE]))


if __name__ == "__main__":
    main(sys.argv[1:])
