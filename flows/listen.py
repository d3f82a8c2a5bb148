"""The listen flow: per source, fetch a batch, enrich it, upsert it in one bulk, and only then save the
source's cursor. A crash means a rerun, never a gap; a rerun duplicates nothing (ids are deterministic).

When the store is down (StoreUnavailable after the task's retries) the batch goes to the spool, the
cursor stays where it was, that source stops, and the run ends Failed with its report: the data is
safe on disk and the next run drains the spool before fetching anything new.

The logic is :func:`run_listen`, a plain function; :func:`listen_flow` wires the parts from settings
and runs it through Prefect tasks. ``listen_flow.fn()`` runs the same code without Prefect.

A run is for one workspace: the store, its cursors, the customer directory linking reads, the spool,
the rejected items and the health records are all that workspace's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from prefect import flow
from prefect.context import FlowRunContext
from pydantic import BaseModel, ConfigDict, Field, computed_field

from alerts.outbox import DeliveryState
from core.errors import (
    ConfigError,
    EarfulError,
    ListenIncomplete,
    NotConfigured,
    PartialWriteError,
    StoreUnavailable,
    is_retryable,
)
from core.models import EnrichedMention, RawMention, Rejected, utcnow
from core.settings import Settings, get_settings
from crawlers.base import Source
from crawlers.health import HealthStore, RunRecord, build_health_store
from crawlers.rejected import RejectedLog
from flows.cases import CasesSummary, CaseStep, build_case_step, each_hook
from flows.sources_config import SourcesConfig
from flows.spool import DrainReport, Spool
from flows.tasks import PLAIN_STEPS, AfterWrite, Enriching, Steps, task_steps
from flows.wiring import (
    LinkingEnricher,
    Store,
    WiredSources,
    build_alerting,
    build_enricher,
    build_sources,
    build_store,
)

if TYPE_CHECKING:
    from alerts.pipeline import AlertPipeline

log = logging.getLogger(__name__)

MAX_REJECTED_SAMPLES = 10  # per source in the report; the full list is in the rejected file


# --- the report ----------------------------------------------------------------------------------
SourceStatus = Literal["ok", "failed", "disabled", "skipped"]


class SourceReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    status: SourceStatus = "ok"
    batches: int = Field(0, description="Batches fetched")
    fetched: int = Field(0, description="Mentions fetched")
    indexed: int = Field(0, description="Mentions written (created + updated, and any partial write)")
    created: int = 0
    updated: int = 0
    skipped: int = Field(0, description="Left untouched by the write policy")
    rejected: int = Field(
        0, description="Input items that could not become mentions (or that the store refused for good)"
    )
    rejected_samples: list[Rejected] = Field(default_factory=list, description="The first few, with where")
    rejected_file: str | None = None
    spooled: list[str] = Field(default_factory=list, description="Spool files of batches not indexed")
    cursor: str | None = Field(None, description="The saved cursor at the end of the run")
    exhausted: bool = False
    newest_at: datetime | None = Field(None, description="Newest publication date fetched (freshness)")
    errors: list[str] = Field(default_factory=list)
    disabled_reason: str | None = None

    def fail(self, exc: BaseException) -> None:
        self.status = "failed"
        self.errors.append(_describe(exc))

    def add_rejected(self, items: tuple[Rejected, ...] | list[Rejected]) -> None:
        self.rejected += len(items)
        room = MAX_REJECTED_SAMPLES - len(self.rejected_samples)
        if room > 0:
            self.rejected_samples.extend(items[:room])


class AlertsSummary(BaseModel):
    """What alerting did in a run: alerts raised from its batches (and its closing tick), and what the
    dispatch rounds at its end delivered."""

    model_config = ConfigDict(extra="forbid")

    rules: int = Field(0, description="Enabled rules evaluated")
    matched: int = Field(0, description="(rule, mention) matches")
    raised: int = Field(0, description="New alerts stored in the inbox")
    duplicates: int = Field(0, description="Alerts already in the inbox (a rerun, a backfill)")
    muted: int = Field(0, description="Alerts not raised because their key is snoozed")
    late: int = Field(0, description="Matched mentions published in an already closed window")
    delivered: int = Field(0, description="Deliveries sent by this run's dispatch rounds")
    failed: int = Field(0, description="Deliveries that failed for good in this run")
    pending: int = Field(0, description="Deliveries waiting in the outbox (retries, quiet hours)")
    disabled_channels: dict[str, str] = Field(default_factory=dict, description="Channel -> why")
    errors: list[str] = Field(default_factory=list)


class ListenReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_started_at: datetime | None = Field(
        None, description="When the flow's body began (after Prefect's start-up), before wiring"
    )
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    store: str = ""
    workspace: str = Field("", description="The workspace the run listened for")
    flow_run_id: str | None = None
    drain: DrainReport = Field(default_factory=DrainReport)
    sources: list[SourceReport] = Field(default_factory=list)
    alerts: AlertsSummary | None = Field(None, description="Alerting in this run (listen_flow)")
    cases: CasesSummary | None = Field(
        None, description="Cases the complaint rule opened or joined (listen_flow)"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Every source done and nothing waiting in the spool because of this run."""
        return (
            all(s.status in ("ok", "disabled") for s in self.sources)
            and not self.drain.remaining
            and not self.drain.errors
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def totals(self) -> dict[str, int]:
        keys = ("batches", "fetched", "indexed", "created", "updated", "skipped", "rejected")
        totals = {k: sum(getattr(s, k) for s in self.sources) for k in keys}
        totals["spooled_batches"] = sum(len(s.spooled) for s in self.sources)
        return totals

    def source(self, name: str) -> SourceReport:
        for report in self.sources:
            if report.source == name:
                return report
        raise KeyError(name)


# --- progress ------------------------------------------------------------------------------------
class ProgressEvent(BaseModel):
    """What a progress display needs; no UI library leaks into the flow."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["drained", "source_started", "batch", "source_finished"]
    source: str | None = None
    batch: int = 0
    fetched: int = Field(0, description="In this batch")
    indexed: int = Field(0, description="In this batch")
    rejected: int = Field(0, description="In this batch")
    spooled: bool = False
    report: SourceReport | None = Field(None, description="The source's report so far")
    drain: DrainReport | None = None


ProgressHook = Callable[[ProgressEvent], None]


def _emit(progress: ProgressHook | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)


# --- the logic -----------------------------------------------------------------------------------
def _is_bug(exc: BaseException) -> bool:
    """Our own errors explain themselves; anything else gets its traceback logged."""
    return not isinstance(exc, EarfulError)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _refused(
    batch: Sequence[EnrichedMention],
    source: str,
    exc: PartialWriteError,
    owners: Mapping[str, str] | None = None,
) -> list[Rejected]:
    """Mentions the store refused for good become rejected items: reported, kept, not retried forever.
    `owners` maps a mention id to its source, for a batch of several sources (``listen --follow``)."""
    by_id = {m.id: m for m in batch}
    refused = []
    for failure in exc.failures:
        mention_id = str(failure.get("id", ""))
        mention = by_id.get(mention_id)
        refused.append(
            Rejected(
                source=(owners or {}).get(mention_id, source),
                locator=(mention.url if mention and mention.url else f"mention:{mention_id}"),
                reason=f"refused by the store: {failure.get('reason') or failure.get('error') or exc}",
                raw=mention.text[:500] if mention else None,
            )
        )
    return refused


def _batch_event(name: str, report: SourceReport, fetched: int, **counts: Any) -> ProgressEvent:
    return ProgressEvent(
        kind="batch", source=name, batch=report.batches, fetched=fetched, report=report, **counts
    )


@dataclass(frozen=True)
class Upserted:
    """What one upsert of a batch came to (:func:`upsert_outcome`): shared by the one-shot and the follow
    loop, which differ only in what they do about it."""

    committed: bool  # the store has the batch, but for `refused`: cursors may move
    store_down: bool = False  # not committed because the store would not take it: the caller spools it
    created: int = 0
    updated: int = 0
    skipped: int = 0
    refused: tuple[Rejected, ...] = ()
    refused_ids: frozenset[str] = frozenset()
    error: BaseException | None = None

    @property
    def written(self) -> int:
        return self.created + self.updated


def upsert_outcome(
    batch: Sequence[EnrichedMention],
    name: str,
    store: Store,
    steps: Steps,
    owners: Mapping[str, str] | None = None,
) -> Upserted:
    """Upsert one batch (the task retries what is retryable) and say what came of it; never raises for
    the store's failures. `name` names the batch in logs and refused items (`owners`: see `_refused`)."""
    try:
        upserted = steps.upsert(store, batch)
    except PartialWriteError as exc:
        if is_retryable(exc):  # still failing after the retries: like a store that is down
            return Upserted(committed=False, store_down=True, error=exc)
        # Refused for good (mapping, bad value): report those as rejected, keep the rest, move on.
        refused = _refused(batch, name, exc, owners)
        counts = {k: int(exc.details.get(k, 0)) for k in ("created", "updated", "skipped")}
        if "created" not in exc.details:  # the backend did not split them: count them as updated
            counts["updated"] = len(batch) - len(refused)
        return Upserted(
            committed=True,
            refused=tuple(refused),
            refused_ids=frozenset(str(f.get("id", "")) for f in exc.failures),
            error=exc,
            created=counts["created"],
            updated=counts["updated"],
            skipped=counts["skipped"],
        )
    except StoreUnavailable as exc:
        return Upserted(committed=False, store_down=True, error=exc)
    except Exception as exc:
        log.error("source %r: upsert failed: %s", name, exc, exc_info=_is_bug(exc))
        return Upserted(committed=False, error=exc)
    return Upserted(
        committed=True, created=upserted.created, updated=upserted.updated, skipped=upserted.skipped
    )


def _write(
    batch: list[EnrichedMention], name: str, store: Store, steps: Steps, spool: Spool, report: SourceReport
) -> tuple[bool, int, list[Rejected], frozenset[str]]:
    """Upsert one batch. Returns (committed, written, refused, refused ids): not committed means the
    cursor must not move: the batch is spooled (store down) or the error is reported (a bug) and the
    batch is fetched again next run."""
    outcome = upsert_outcome(batch, name, store, steps)
    if outcome.store_down:
        report.spooled.append(str(spool.put(name, batch)))
    report.created += outcome.created
    report.updated += outcome.updated
    report.skipped += outcome.skipped
    if outcome.error is not None:
        if outcome.committed:
            report.errors.append(_describe(outcome.error))
        else:
            report.fail(outcome.error)
    return outcome.committed, outcome.written, list(outcome.refused), outcome.refused_ids


def call_after_write(
    after_write: AfterWrite | None, batch: Sequence[EnrichedMention], refused_ids: frozenset[str], name: str
) -> str | None:
    """Hand the mentions a committed batch actually stored (refused ones left out) to the hook. Its
    failure is logged and returned, never raised: the batch is stored, and a hook (alerting) must not
    stop listening. Returns the error's description, or None."""
    if after_write is None:
        return None
    written = [m for m in batch if m.id not in refused_ids] if refused_ids else list(batch)
    if not written:
        return None
    try:
        after_write(written)
    except Exception as exc:
        log.error("%s: after_write hook failed: %s", name, exc, exc_info=_is_bug(exc))
        return f"after_write: {_describe(exc)}"
    return None


def _listen_source(
    source: Source,
    name: str,
    enricher: Enriching,
    store: Store,
    settings: Settings,
    steps: Steps,
    spool: Spool,
    rejected_log: RejectedLog,
    progress: ProgressHook | None,
    after_write: AfterWrite | None = None,
) -> SourceReport:
    report = SourceReport(source=name)
    try:
        cursor = steps.load_cursor(store, name)
    except Exception as exc:
        log.error("source %r: cursor not loaded: %s", name, exc, exc_info=_is_bug(exc))
        report.fail(exc)
        return report
    report.cursor = cursor.value if cursor else None
    _emit(progress, ProgressEvent(kind="source_started", source=name, report=report))
    max_batches = settings.listen.max_batches
    while max_batches is None or report.batches < max_batches:
        try:
            result = steps.fetch(source, cursor, settings.listen.batch_size)
            batch = steps.enrich(enricher, result.mentions) if result.mentions else []
        except Exception as exc:  # one failing source must not stop the others; reported, run fails
            log.error("source %r: fetch/enrich failed: %s", name, exc, exc_info=_is_bug(exc))
            report.fail(exc)
            break
        report.batches += 1
        report.fetched += len(result.mentions)
        report.newest_at = _newest(report.newest_at, result.mentions)
        committed, written, refused, refused_ids = (
            _write(batch, name, store, steps, spool, report) if batch else (True, 0, [], frozenset())
        )
        if not committed:
            _emit(progress, _batch_event(name, report, len(result.mentions), spooled=bool(report.spooled)))
            break
        report.indexed += written
        # Stored, cursor not yet saved: a crash here fetches the batch again, and the hook sees the
        # same ids again (idempotent for it too), never misses them.
        hook_error = call_after_write(after_write, batch, refused_ids, f"source {name!r}")
        if hook_error:
            report.errors.append(hook_error)
        moved = result.cursor.value != (cursor.value if cursor else None)
        if moved:
            new_cursor = result.cursor.model_copy(update={"source": name})
            try:
                steps.save_cursor(store, new_cursor)
            except Exception as exc:
                # The batch is indexed; without its cursor it is fetched again next run (idempotent).
                log.error("source %r: cursor not saved: %s", name, exc, exc_info=_is_bug(exc))
                report.fail(exc)
                break
            cursor = new_cursor
            report.cursor = cursor.value
        # Rejections are recorded once their batch is committed; an uncommitted batch is fetched again.
        rejected = [*result.rejected, *refused]
        if rejected:
            report.rejected_file = str(rejected_log.append(name, rejected))
            report.add_rejected(rejected)
        _emit(
            progress,
            _batch_event(name, report, len(result.mentions), indexed=written, rejected=len(rejected)),
        )
        if result.exhausted:
            report.exhausted = True
            break
        if not moved and not result.mentions and not result.rejected:
            log.warning(
                "source %r returned nothing and kept its cursor without saying it is exhausted; "
                "stopping it for this run",
                name,
            )
            report.exhausted = True
            break
    _emit(progress, ProgressEvent(kind="source_finished", source=name, report=report))
    return report


def _newest(current: datetime | None, mentions: tuple[RawMention, ...]) -> datetime | None:
    now = utcnow()  # a clock-skewed future date must not make a source look fresh forever
    dates = [m.published_at for m in mentions if m.published_at <= now]
    return max([d for d in (current, *dates) if d is not None], default=None)


def _health_of(source: Source, settings: Settings, workspace: str) -> HealthStore:
    """The source's own health store when it has one for this workspace (spiders, connectors; see
    `build_sources`), else the workspace's under the home's."""
    own = getattr(source, "health", None)
    if isinstance(own, HealthStore) and own.workspace == workspace:
        return own
    return build_health_store(settings, workspace=workspace)


def _record_health(
    health: HealthStore, name: str, runs_before: int, started: datetime, report: SourceReport
) -> None:
    """One health record per source per run. Sources that record themselves (with pages and error
    counts the flow cannot see) are left alone; the flow records the others, and the runs that ended
    without the source saying how (a batch limit, a failed write, an exception outside its own)."""
    try:
        if health.get(name).runs != runs_before:
            return
        ok = report.status == "ok"
        health.record(
            name,
            RunRecord(
                started_at=started,
                finished_at=utcnow(),
                ok=ok,
                items=report.fetched,
                rejected=report.rejected,
                errors=len(report.errors),
                newest_item_at=report.newest_at,
                error=None if ok else "; ".join(report.errors)[:1000] or report.status,
            ),
        )
    except (OSError, ValueError) as exc:  # health is a signal about the run, never a reason to fail it
        log.warning("source %r: health not recorded: %s", name, exc)


def _close(source: Source, name: str) -> None:
    close = getattr(source, "close", None)  # spiders stop their subprocess; not every source has one
    if callable(close):
        try:
            close()
        except Exception as exc:
            log.warning("source %r: not closed cleanly: %s", name, exc)


def run_listen(
    sources: Mapping[str, Source],
    enricher: Enriching,
    store: Store,
    settings: Settings,
    *,
    progress: ProgressHook | None = None,
    steps: Steps = PLAIN_STEPS,
    disabled: Mapping[str, str] | None = None,
    store_name: str | None = None,
    after_write: AfterWrite | None = None,
) -> ListenReport:
    """Drain the spool, then listen to each source in turn, recording each one's health; the sources
    are closed at the end (spider subprocesses stopped), whatever happens. Never raises for a source's
    failure: the returned report says what happened (``report.ok``); callers decide how to fail.

    The run is for the store's workspace (``store.workspace``, fixed when it was built): the spool,
    the rejected items and the health records are that workspace's, so they cannot disagree with it.

    `after_write` is called with the mentions of each committed batch that the store took, after the
    upsert and before the cursor is saved; its failure is logged and listed in the source's errors."""
    workspace = store.workspace
    report = ListenReport(store=store_name or settings.store.backend, workspace=workspace)
    spool = Spool(settings.spool_dir, workspace=workspace)
    rejected_log = RejectedLog(settings.rejected_dir, workspace=workspace)
    try:
        try:
            report.drain = steps.drain(spool, store, after_write)
        except Exception as exc:
            # The store is still down: fetching more would only spool more. Every source waits.
            log.error("spool not drained: %s", exc)
            report.drain.errors.append(_describe(exc))
            report.drain.remaining = max(report.drain.remaining, len(spool.pending()))
            report.sources = [
                SourceReport(source=n, status="skipped", errors=["spool not drained; store unavailable"])
                for n in sources
            ]
        else:
            _emit(progress, ProgressEvent(kind="drained", drain=report.drain))
            for name, source in sources.items():
                health = _health_of(source, settings, workspace)
                runs_before, started = health.get(name).runs, utcnow()
                source_report = _listen_source(
                    source, name, enricher, store, settings, steps, spool, rejected_log, progress, after_write
                )
                _close(source, name)  # done with it: a spider's subprocess must not outlive its turn
                _record_health(health, name, runs_before, started, source_report)
                report.sources.append(source_report)
    finally:
        for name, source in sources.items():
            _close(source, name)
    for name, reason in (disabled or {}).items():
        report.sources.append(SourceReport(source=name, status="disabled", disabled_reason=reason))
    report.finished_at = utcnow()
    return report


# --- the flow ------------------------------------------------------------------------------------
def _settings_with(
    settings: Settings, store: str | None, max_batches: int | None, batch_size: int | None
) -> Settings:
    update: dict[str, Any] = {}
    if store is not None:
        update["store"] = settings.store.model_copy(update={"backend": store})
    listen: dict[str, Any] = {}
    if max_batches is not None:
        listen["max_batches"] = max_batches
    if batch_size is not None:
        listen["batch_size"] = batch_size
    if listen:
        update["listen"] = settings.listen.model_copy(update=listen)
    return settings.model_copy(update=update) if update else settings


def load_sources_config(path: Path | str | None, settings: Settings) -> SourcesConfig:
    path = path or settings.listen.sources_file
    if path is None:
        raise ConfigError(
            "no sources to listen to: pass --config sources.yaml or set EARFUL_LISTEN__SOURCES_FILE"
        )
    return SourcesConfig.load(path)


MAX_DISPATCH_ROUNDS = 50  # bounds the deliveries a run waits for (a round sends up to batch_size)


def finish_alerting(alerting: AlertPipeline) -> AlertsSummary:
    """The end of a run's alerting: one tick (windows that closed meanwhile, digests due, flatlines),
    then dispatch rounds until nothing is due now; what waits for a retry or the end of quiet hours
    stays in the outbox for the next run (or `earful listen --follow`)."""
    summary = AlertsSummary(rules=len(alerting.rules))
    if alerting.rules:
        alerting.tick()
    dispatcher = alerting.dispatcher()
    for _ in range(MAX_DISPATCH_ROUNDS):
        try:
            round_ = dispatcher.run_once()
        except EarfulError as exc:  # the outbox is unreachable: deliveries wait for the next run
            summary.errors.append(f"dispatch: {_describe(exc)}")
            break
        summary.delivered += round_.sent
        summary.failed += round_.failed
        if round_.handled + round_.lost_races < dispatcher.settings.batch_size:
            break
    totals = alerting.totals
    summary.matched, summary.raised, summary.duplicates = totals.matched, totals.alerts, totals.duplicates
    summary.muted, summary.late = totals.muted, totals.late
    summary.errors = [*totals.errors, *summary.errors]
    summary.disabled_channels = dict(alerting.disabled_channels)
    try:
        summary.pending = alerting.stores.outbox.counts()[DeliveryState.pending]
    except EarfulError as exc:
        summary.errors.append(f"outbox: {_describe(exc)}")
    log.info(
        "alerts: %d raised, %d delivered, %d pending, %d failed",
        summary.raised,
        summary.delivered,
        summary.pending,
        summary.failed,
    )
    return summary


@flow(name="listen", validate_parameters=False, log_prints=False)
def listen_flow(
    sources_file: str | None = None,
    *,
    sources: SourcesConfig | None = None,
    settings: Settings | None = None,
    store: str | None = None,
    max_batches: int | None = None,
    batch_size: int | None = None,
    progress: ProgressHook | None = None,
    built_sources: Mapping[str, Source] | None = None,
    workspace: str | None = None,
) -> ListenReport:
    """Listen to the configured sources once. Returns the report; raises :class:`ListenIncomplete`
    (carrying it) when a source failed, so the flow run ends Failed while the data waits in the spool.

    Sources come from `sources` or the YAML file (`sources_file`, else ``settings.listen.sources_file``).
    `store`, `max_batches` and `batch_size` override the settings for this run. `built_sources` are
    sources built by the caller (the demo: loopback targets allowed), listened to after the configured
    ones; like those, they are closed when the run ends. `workspace` is the workspace the run is for
    (`SourcesConfig.workspace_for`: this one, else the sources file's, else ``default``); the store,
    the customer directory, the spool, the rejected items and the health records are all built for it.

    Alerting (`flows.wiring.build_alerting`) runs inline: each committed batch goes through the
    workspace's rules before its cursor is saved; at the end one tick closes what is due and dispatch
    rounds deliver until nothing is due now. ``report.alerts`` sums it up. Each batch then goes through
    the complaint rule (`flows.cases`), isolated from alerting's failures; ``report.cases`` sums it up.
    """
    started, body_started_at = time.monotonic(), utcnow()
    settings = _settings_with(settings or get_settings(), store, max_batches, batch_size)
    config = sources if sources is not None else load_sources_config(sources_file, settings)
    context = FlowRunContext.get()
    steps = task_steps(settings) if context is not None else PLAIN_STEPS
    built = dict(built_sources or {})
    workspace = config.workspace_for(workspace)
    mention_store = build_store(settings, workspace=workspace)
    wired = WiredSources()
    enricher: LinkingEnricher | None = None
    alerting: AlertPipeline | None = None
    alerts_off: str | None = None
    case_step: CaseStep | None = None
    try:
        case_step = build_case_step(settings, workspace=workspace)
        try:
            alerting = build_alerting(settings, workspace=workspace, store=mention_store)
        except NotConfigured as exc:
            alerts_off = f"alerting disabled: {exc}"
            log.warning("%s", alerts_off)
        wired = build_sources(config, settings, workspace=workspace)
        clash = sorted(set(built) & (set(wired.sources) | set(wired.disabled)))
        if clash:
            raise ConfigError(f"source names used twice: {clash}", details={"sources": clash})
        enricher = build_enricher(settings, workspace=workspace)
        report = run_listen(
            {**wired.sources, **built},
            enricher,
            mention_store,
            settings,
            progress=progress,
            steps=steps,
            disabled=wired.disabled,
            after_write=each_hook(alerting.process if alerting is not None else None, case_step),
        )
        report.cases = case_step.summary
        if alerting is not None:
            report.alerts = finish_alerting(alerting)
        else:
            report.alerts = AlertsSummary(errors=[alerts_off or "alerting disabled"])
    finally:
        for name, source in {**wired.sources, **built}.items():  # when run_listen was never reached
            _close(source, name)
        if enricher is not None:
            enricher.close()  # the customer directory it reads
        if alerting is not None:
            alerting.close()
        if case_step is not None:
            case_step.close()
        mention_store.close()
    report.flow_started_at = body_started_at
    if context is not None and context.flow_run is not None:
        report.flow_run_id = str(context.flow_run.id)
    log.info("listen finished in %.1fs: %s", time.monotonic() - started, report.totals)
    if not report.ok:
        failed = {s.source: s.errors for s in report.sources if s.status in ("failed", "skipped")}
        raise ListenIncomplete(
            f"listen incomplete: {len(failed)} source(s) failed; "
            f"batches not indexed wait in {Spool(settings.spool_dir, workspace=workspace).directory}",
            report=report,
            details={
                "failed": failed,
                "spooled": [p for s in report.sources for p in s.spooled],
                "drain_errors": report.drain.errors,
            },
        )
    return report
