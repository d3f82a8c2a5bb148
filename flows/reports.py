"""The report flow: one run of a report definition, built, archived and delivered through the workspace's
alert channels, and the scheduled deployments that run each definition on its schedule.

One run, for one workspace and one definition, at `now` (a scheduled run: the time it was due, so a run
that starts late still reports the period of its schedule, `run_moment`):

1. reads the definition (NotFound naming it), resolves the period (the definition's or the one given:
   InvalidInput for one that does not resolve) and, when delivering, checks that each of its channels
   exists in the workspace's channels file: a wrong name stops the run before anything is built;
2. reads the alerts fired in the period from the alert store, builds the report from the stores,
   renders its formats and archives them (`reports.produce`; a task, retried when the error says so);
3. enqueues one delivery per channel in the workspace's outbox (`alerts.report_delivery`: e-mail sends
   the report's HTML with its PDF and other files attached, read from the archive; chat channels its
   summary, its files' names and a link to it), under the run's id: a run id names (report, period,
   language), so a second run of the same period (a schedule that fires twice, a rerun) delivers
   nothing new;
4. runs one dispatcher round; what waits for a retry (a mail server that is down) stays in the outbox
   for the next round of `earful listen --follow` or of the next run, and the report stays archived.

**Schedules.** `report_deployments(workspace)` gives one Prefect deployment per definition that has a
schedule: a cron in the definition's time zone (Prefect's `Cron`), or an interval from its anchor in
absolute time (Prefect's `Interval` in UTC, as `reports.schedule` reads it; Prefect would otherwise keep
the wall-clock hour of a whole-day interval). Serve them with ``python -m flows.reports [WORKSPACE]``;
``earful reports run NAME`` runs one now. Tests call ``report_flow.fn(...)`` or run the flow under
Prefect's test harness.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from prefect import Task, flow, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.base import Attachment
from alerts.outbox import DeliveryState
from alerts.report_delivery import enqueue_report, fired_between, report_channels, report_message
from alerts.store import AlertStores, build_alert_stores
from core.errors import EarfulError
from core.models import DEFAULT_WORKSPACE, utcnow
from core.settings import Settings, get_settings
from crm.customers import build_customer_directory
from crm.scores.store import build_score_store
from flows.tasks import retry_if_retryable
from index.backends import build_mention_store, made_ready
from index.base import MentionStore
from reports.archive import ReportArchive
from reports.definitions import ReportDefinition
from reports.manage import find_report
from reports.period import ReportPeriod
from reports.produce import ProducedReport, definition_period, produce, report_delivery
from reports.store import ReportStore, build_report_store

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

    from alerts.pipeline import AlertPipeline
    from crm.customers import CustomerStore
    from crm.scores.store import ScoreStore

log = logging.getLogger(__name__)

R = TypeVar("R")


class ReportDeliveryState(BaseModel):
    """Where the run's delivery through one channel stands after the run."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    state: DeliveryState
    attempts: int = 0
    reason: str = Field("", description="Why the last attempt did not succeed")


class ReportRun(BaseModel):
    """What one run did."""

    model_config = ConfigDict(extra="forbid")

    workspace: str
    report: str
    run_id: str
    period: str = Field(description="The period's name or range")
    start: datetime
    end: datetime
    total: int = Field(description="Mentions counted")
    files: list[str] = Field(default_factory=list, description="The archived files, as paths")
    enqueued: int = Field(0, description="Deliveries this run enqueued")
    already_enqueued: int = Field(0, description="Deliveries an earlier run of the same period enqueued")
    delivered: int = Field(0, description="Deliveries sent by this run's dispatcher round")
    deliveries: list[ReportDeliveryState] = Field(default_factory=list, description="One per channel")
    disabled_channels: dict[str, str] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)


# --- the steps, as tasks -----------------------------------------------------------------------------
@task(name="produce-report", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def produce_task(
    settings: Settings,
    mentions: MentionStore,
    report_store: ReportStore,
    archive: ReportArchive,
    alert_stores: AlertStores,
    definition: ReportDefinition,
    period: ReportPeriod,
    now: datetime,
    customers: CustomerStore,
    scores: ScoreStore,
) -> ProducedReport:
    """Read the period's alerts, build, render and archive (idempotent: a retry replaces the run)."""
    return produce(
        mentions,
        report_store,
        archive,
        definition,
        period_name=period.name,
        now=now,
        customers=customers,
        scores=scores,
        alerts=fired_between(alert_stores.alerts, period.start, period.end),
        top=settings.reports.top,
        samples=settings.reports.samples,
    )


@task(name="deliver-report", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def deliver_task(
    settings: Settings,
    alerting: AlertPipeline,
    archive: ReportArchive,
    produced: ProducedReport,
    definition: ReportDefinition,
    now: datetime,
    run: ReportRun,
) -> ReportRun:
    """Enqueue the run's deliveries (once per run and channel: a retry adds nothing) and send what is
    due in one dispatcher round."""
    content = report_delivery(archive, produced, public_url=settings.reports.public_url)
    message = report_message(
        workspace=content.workspace,
        run_id=content.run_id,
        report=content.report,
        title=content.title,
        summary=content.summary,
        html_body=content.html_body,
        attachments=tuple(Attachment(**f.model_dump()) for f in content.files),
        link=content.link,
        language=content.language,
        created_at=now,
    )
    outbox = alerting.stores.outbox
    enqueued = enqueue_report(outbox, message, definition.channels, now)
    update: dict[str, Any] = {
        "enqueued": enqueued,
        "already_enqueued": len(set(definition.channels)) - enqueued,
    }
    dispatcher = alerting.dispatcher()
    update["disabled_channels"] = dict(alerting.disabled_channels)
    errors = list(run.errors)
    try:  # a `now` in the past (a late or replayed run) must not hide what is due at the real time
        outcomes = dispatcher.run_once(max(now, utcnow())).outcomes
        ours = f"{message.alert_id}/"
        update["delivered"] = sum(
            1 for key, state in outcomes.items() if key.startswith(ours) and state is DeliveryState.sent
        )
    except EarfulError as exc:  # the outbox is unreachable: the deliveries wait for the next round
        errors.append(f"dispatch: {exc}")
    states = []
    for channel in dict.fromkeys(definition.channels):
        record = outbox.get(message.alert_id, channel)
        if record is not None:
            states.append(
                ReportDeliveryState(
                    channel=channel, state=record.state, attempts=record.attempts, reason=record.last_reason
                )
            )
    return run.model_copy(update={**update, "deliveries": states, "errors": errors})


def _step(step: Task[..., R], settings: Settings, *args: Any) -> R:
    """A step as a Prefect task with the listen settings' retries inside a flow run, as the plain
    function outside one (``report_flow.fn()``: no Prefect API)."""
    if FlowRunContext.get() is None:
        return step.fn(*args)
    options: dict[str, Any] = {
        "retries": settings.listen.task_retries,
        "retry_delay_seconds": settings.listen.task_retry_delay,
    }
    return step.with_options(**options)(*args)


# --- the flow ----------------------------------------------------------------------------------------
def run_moment(now: datetime | None = None) -> datetime:
    """The moment a run reports at: `now` when given; else, in a scheduled flow run, the time it was
    due (a run that starts late, after a worker was down, still reports its own period, and two late
    runs report two periods, not one twice); else the current time."""
    if now is not None:
        return now
    context = FlowRunContext.get()
    expected = context.flow_run.expected_start_time if context and context.flow_run else None
    if expected is None:
        return utcnow()
    # a plain aware datetime: Prefect gives a pendulum DateTime, whose arithmetic differs
    return datetime.fromtimestamp(expected.timestamp(), tz=UTC)


@flow(name="report", validate_parameters=False, log_prints=False)
def report_flow(
    workspace: str = DEFAULT_WORKSPACE,
    report: str = "",
    period: str | None = None,
    deliver: bool = True,
    now: datetime | None = None,
    *,
    settings: Settings | None = None,
) -> ReportRun:
    """Build, archive and (with `deliver`) deliver `workspace`'s report `report` for `period` (default:
    the definition's own) at `now` (default: the current time)."""
    from alerts.pipeline import AlertPipeline

    settings = settings or get_settings()
    now = run_moment(now)
    with ExitStack() as stack:
        report_store = build_report_store(settings, workspace=workspace)
        stack.callback(report_store.close)
        report_store.ensure_ready()
        definition = find_report(report_store, report)
        resolved = definition_period(definition, period, now)  # InvalidInput before anything is built
        channels = (
            report_channels(settings, workspace=workspace, report=report, channels=definition.channels)
            if deliver
            else {}
        )

        mentions = build_mention_store(settings, workspace=workspace)
        stack.callback(mentions.close)
        made_ready(mentions)
        customers = build_customer_directory(settings, workspace=workspace)
        stack.callback(customers.close)
        customers.ensure_ready()
        scores = build_score_store(settings, workspace=workspace)
        stack.callback(scores.close)
        scores.ensure_ready()
        alert_stores = build_alert_stores(settings, workspace=workspace)
        try:
            alert_stores.ensure_ready()
            delivering = deliver and bool(definition.channels)
            # the pipeline builds the channels and the dispatcher, and closes them with the stores
            alerting = (
                AlertPipeline(alert_stores, settings=settings, channels=channels) if delivering else None
            )
        except BaseException:
            alert_stores.close()
            raise
        stack.callback(alerting.close if alerting is not None else alert_stores.close)

        archive = ReportArchive(settings, workspace=workspace)
        produced = _step(
            produce_task,
            settings,
            settings,
            mentions,
            report_store,
            archive,
            alert_stores,
            definition,
            resolved,
            now,
            customers,
            scores,
        )
        archived = produced.archived
        run = ReportRun(
            workspace=workspace,
            report=definition.name,
            run_id=archived.id,
            period=archived.period_name,
            start=archived.start,
            end=archived.end,
            total=archived.total,
            files=[str(archive.file_path(archived.id, f.format)) for f in archived.files],
        )
        if alerting is not None:
            run = _step(deliver_task, settings, settings, alerting, archive, produced, definition, now, run)
    log.info(
        "report %s in %s (%s): %d files, %d deliveries enqueued, %d delivered",
        run.report,
        workspace,
        run.period,
        len(run.files),
        run.enqueued,
        run.delivered,
    )
    return run


# --- schedules ---------------------------------------------------------------------------------------
def report_deployment(definition: ReportDefinition, workspace: str = DEFAULT_WORKSPACE) -> RunnerDeployment:
    """The scheduled deployment of one definition (ValueError when it has no schedule). Building it
    contacts nothing; ``.apply()`` or ``prefect.serve`` needs a Prefect server."""
    from prefect.schedules import Cron, Interval

    schedule = definition.schedule
    if schedule is None:
        raise ValueError(f"report {definition.name!r} has no schedule")
    if schedule.cron is not None:
        prefect_schedule = Cron(schedule.cron, timezone=definition.timezone)
    else:
        every = schedule.every_delta
        assert every is not None  # one kind or the other
        prefect_schedule = Interval(every, anchor_date=schedule.anchor, timezone="UTC")
    deployment = report_flow.to_deployment(
        name=f"report-{workspace}-{definition.name}",
        schedule=prefect_schedule,
        parameters={"workspace": workspace, "report": definition.name},
        description=f"The report {definition.display_title!r}, built, archived and delivered",
        tags=["earful", "reports"],
    )
    # Called outside an event loop, Prefect's sync-compatible method returns the deployment itself.
    return cast("RunnerDeployment", deployment)


def report_deployments(
    workspace: str = DEFAULT_WORKSPACE, *, settings: Settings | None = None
) -> list[RunnerDeployment]:
    """One deployment per report definition of `workspace` that has a schedule, by name."""
    settings = settings or get_settings()
    store = build_report_store(settings, workspace=workspace)
    try:
        store.ensure_ready()
        definitions = store.list_reports()
    finally:
        store.close()
    return [report_deployment(d, workspace) for d in definitions if d.schedule is not None]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m flows.reports [WORKSPACE]``: serve the workspace's scheduled reports until
    interrupted (a long-running process that needs a Prefect server or Cloud)."""
    from prefect import serve

    args = list(sys.argv[1:] if argv is None else argv)
    workspace = args[0] if args else DEFAULT_WORKSPACE
    deployments = report_deployments(workspace)
    if not deployments:
        raise SystemExit(f"no report of workspace {workspace!r} has a schedule")
    serve(*deployments)


if __name__ == "__main__":  # pragma: no cover - a long-running server process
    main()


__all__ = [
    "ReportDeliveryState",
    "ReportRun",
    "report_deployment",
    "report_deployments",
    "report_flow",
    "run_moment",
]
