"""Continuous listening (``earful listen --follow``): poll every source at its own interval and index
what they say in micro-batches, until stopped.

**The loop.** One thread schedules everything: each source has a next poll time. A source whose last
fetch was not exhausted and brought something (mentions, rejected items or a moved cursor) is polled
again at once; one that is caught up (exhausted, or nothing new) waits its ``poll_interval`` (the
sources file's, else ``listen.poll_interval``); one that fails waits ``listen.failure_backoff``, doubled
on each consecutive failure up to ``listen.max_failure_backoff``, and never stops the others. The
earliest due source goes first, so a source with a long backlog cannot starve the others. Fetches are
blocking calls made one at a time: a slow fetch (a connector waiting out a rate limit) delays the
others' polls, but nothing is lost, only late.

**Micro-batches.** Fetched mentions of all sources are buffered and flushed (enriched once, upserted in
one bulk, handed to ``after_write``, then their sources' cursors saved and their rejected items
recorded) when the buffer holds ``listen.flush_size`` mentions or its oldest fetch is
``listen.flush_age`` seconds old. The buffer is checked before every fetch and the loop wakes for it
when idle, so a mention is indexed at most flush_age plus one fetch plus the flush itself after it
was fetched. A stop (SIGINT/SIGTERM, the ``stop`` event, ``--for``) lets the fetch in flight finish,
flushes the buffer, saves the cursors and closes the sources.

**Cursors and the spool.** The one-shot flow keeps a source's cursor behind a batch it had to spool
and stops the source, because its next run refetches it. Following, we move the cursor once the batch
is *durably* spooled (one fsynced file per source, `Spool.put`) and keep listening: the spool replays
the batch (ids are deterministic, so nothing is duplicated), and keeping the cursor behind it would
make every later poll refetch and respool the same items for as long as the store is down, and lose
whatever a source with a short retention window (a search API's last days) dropped meanwhile. Two
rules keep that safe:
- while the spool holds batches, a new micro-batch never goes to the store before them (an older
  version of a mention replayed later would overwrite the newer one): the loop drains the spool
  first and, if the store is still down, spools the new batch behind them. Drains are retried with
  the same backoff, also while idle;
- a drained file's mentions go to ``after_write`` before the file is deleted (`Spool.drain`'s
  ``after_write``): they will never be fetched again, and an alert is raised only for a stored mention.
Cursors live in the store too: while it is down they are not saved (counted as ``cursor_errors``)
and are saved at the first flush after it is back; a stop before that refetches, on the next start,
what the spool also holds, which the idempotent upsert absorbs. A micro-batch that is neither stored
nor spooled (enrichment failed, a bug in the store, a full disk) moves no cursor: its sources are
rewound to their last committed cursor and refetch it after the failure backoff.

**Hooks.** ``after_write`` gets the mentions a committed micro-batch stored (refused ones left out),
after the upsert and before the cursors are saved: a crash in between refetches the batch and the hook
sees the same ids again, never misses them. Its failure is logged and counted; the loop goes on and the
batch stays stored. ``background`` callables run in daemon threads from the start, each given an event
that is set once the last micro-batch is flushed (so an outbox dispatcher can send what it produced),
and are joined before returning.

**Prefect.** Follow mode is a plain loop, not a flow run: a flow run that never ends has no useful
state, accumulates task runs without bound, and a task's retries sleep inside the call, holding up every
other source. The loop retries on its own schedule instead (per-source backoff, the spool's drain
probe), with the same error classification (`upsert_outcome`). It calls the same :class:`Steps` as the
one-shot flow, :data:`PLAIN_STEPS` unless told otherwise. ``listen.max_batches`` does not apply.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.errors import ConfigError, NotConfigured
from core.models import EnrichedMention, RawMention, Rejected, SourceCursor, utcnow
from core.settings import Settings, get_settings
from crawlers.base import Source
from crawlers.health import HealthStore
from crawlers.rejected import RejectedLog
from flows.cases import CasesSummary, CaseStep, build_case_step, each_hook
from flows.follow_alerting import FollowAlerting
from flows.listen import (
    AlertsSummary,
    ProgressEvent,
    ProgressHook,
    SourceReport,
    Upserted,
    _close,
    _describe,
    _emit,
    _health_of,
    _is_bug,
    _newest,
    _record_health,
    _settings_with,
    call_after_write,
    load_sources_config,
    upsert_outcome,
)
from flows.sources_config import SourcesConfig
from flows.spool import Spool
from flows.tasks import PLAIN_STEPS, AfterWrite, Enriching, Steps
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

Background = Callable[[threading.Event], None]
JOIN_TIMEOUT = 30.0  # seconds a background callable gets to return once told to stop


# --- time ----------------------------------------------------------------------------------------
class Clock(Protocol):
    """Where the loop reads the time and waits: tests inject one that does not sleep."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def wait(self, stop: threading.Event, seconds: float | None) -> bool:
        """Wait up to `seconds` (None: until stopped); True when `stop` is set."""
        ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float | None) -> bool:
        return stop.wait(None if seconds is None else max(0.0, seconds))


def backoff(failures: int, settings: Settings) -> float:
    """Seconds before trying again after `failures` consecutive failures (1, 2, ...)."""
    first, cap = settings.listen.failure_backoff, settings.listen.max_failure_backoff
    return float(min(cap, first * 2 ** min(max(failures, 1) - 1, 30)))


# --- the report ----------------------------------------------------------------------------------
class FollowSourceReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    status: Literal["ok", "failing", "disabled"] = Field(
        "ok", description="failing: its last poll or micro-batch failed"
    )
    poll_interval: float | None = Field(None, description="Seconds it waits once caught up")
    polls: int = Field(0, description="Fetches tried")
    fetched: int = 0
    indexed: int = Field(0, description="Mentions stored by committed micro-batches")
    spooled: int = Field(0, description="Mentions spooled because the store was down")
    rejected: int = 0
    failures: int = Field(0, description="Failed polls and micro-batches lost (fetched again)")
    cursor: str | None = Field(None, description="The last saved cursor")
    newest_at: datetime | None = None
    last_error: str | None = None
    disabled_reason: str | None = None


class FollowReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    store: str = ""
    workspace: str = ""
    stopped_by: Literal["stop", "limit"] | None = Field(
        None, description="stop: the stop event or a signal; limit: --for / listen.follow_for"
    )
    flushes: int = Field(0, description="Micro-batches flushed")
    drained_files: int = Field(0, description="Spool files indexed (and announced) while following")
    drained_mentions: int = 0
    spool_waiting: int = Field(0, description="Spool files left at the end: the store was still down")
    hook_errors: int = Field(0, description="after_write failures (logged)")
    background_errors: int = Field(0, description="Background callables that raised (logged)")
    cursor_errors: int = Field(0, description="Cursors not saved at once (saved at a later flush)")
    sources: list[FollowSourceReport] = Field(default_factory=list)
    alerts: AlertsSummary | None = Field(None, description="Alerting while following (follow_listen)")
    cases: CasesSummary | None = Field(None, description="Cases opened or joined while following")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def totals(self) -> dict[str, int]:
        keys = ("polls", "fetched", "indexed", "spooled", "rejected", "failures")
        return {k: sum(getattr(s, k) for s in self.sources) for k in keys}

    def source(self, name: str) -> FollowSourceReport:
        for report in self.sources:
            if report.source == name:
                return report
        raise KeyError(name)


# --- the loop's state ----------------------------------------------------------------------------
@dataclass
class _Fetched:
    """One fetch's result waiting in the buffer."""

    source: str
    mentions: tuple[RawMention, ...]
    rejected: tuple[Rejected, ...]
    cursor: SourceCursor | None  # after this batch; None: the fetch did not move it
    at: float


@dataclass
class _Followed:
    name: str
    source: Source
    report: FollowSourceReport
    health: HealthStore
    cursor: SourceCursor | None = None  # where the next fetch starts: ahead of `committed` while buffered
    committed: SourceCursor | None = None  # after the last stored (or spooled) batch
    saved: SourceCursor | None = None  # the last one saved to the store
    loaded: bool = False
    next_poll: float = 0.0
    failures: int = 0  # consecutive
    cycle: SourceReport | None = None  # since it was last caught up: one health record each
    cycle_started: datetime = field(default_factory=utcnow)
    runs_before: int = 0


class _Loop:
    def __init__(
        self,
        sources: Mapping[str, Source],
        enricher: Enriching,
        store: Store,
        settings: Settings,
        *,
        intervals: Mapping[str, float],
        after_write: AfterWrite | None,
        background: Sequence[Background],
        stop: threading.Event,
        steps: Steps,
        progress: ProgressHook | None,
        clock: Clock,
        report: FollowReport,
    ) -> None:
        self.enricher, self.store, self.settings = enricher, store, settings
        self.after_write, self.background, self.stop = after_write, background, stop
        self.steps, self.progress, self.clock, self.report = steps, progress, clock, report
        workspace = store.workspace
        self.spool = Spool(settings.spool_dir, workspace=workspace)
        self.rejected_log = RejectedLog(settings.rejected_dir, workspace=workspace)
        self.followed: dict[str, _Followed] = {}
        for name, source in sources.items():
            interval = intervals.get(name, settings.listen.poll_interval)
            source_report = FollowSourceReport(source=name, poll_interval=interval)
            report.sources.append(source_report)
            self.followed[name] = _Followed(
                name, source, source_report, _health_of(source, settings, workspace)
            )
        self.intervals = {name: intervals.get(name, settings.listen.poll_interval) for name in sources}
        self.buffer: list[_Fetched] = []
        self.buffered = 0  # mentions in the buffer
        self.spool_waiting = False
        self.drain_failures = 0
        self.next_drain = 0.0
        self.background_stop = threading.Event()  # set after the last flush, not at the first signal
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    # --- the schedule ---
    def run(self, deadline: float | None) -> None:
        self._start_background()
        try:
            self.spool_waiting = bool(self.spool.pending())
            if self.spool_waiting:
                self._drain()
            for name in self.followed:
                _emit(self.progress, ProgressEvent(kind="source_started", source=name))
            self._loop(deadline)
            if self.buffer:  # the micro-batch in flight: finished, its cursors saved
                self._flush()
            self._save_cursors()
        finally:
            for followed in self.followed.values():
                _close(followed.source, followed.name)
                self._end_cycle(followed)
                _emit(self.progress, ProgressEvent(kind="source_finished", source=followed.name))
            self._stop_background()
            try:
                self.report.spool_waiting = len(self.spool.pending())
            except OSError as exc:
                log.warning("spool not listed: %s", exc)

    def _loop(self, deadline: float | None) -> None:
        while True:
            if self.stop.is_set():
                self.report.stopped_by = "stop"
                return
            now = self.clock.now()
            if deadline is not None and now >= deadline:
                self.report.stopped_by = "limit"
                return
            flush_at = self._flush_at()
            if flush_at is not None and now >= flush_at:
                self._flush()
                continue
            if self.spool_waiting and now >= self.next_drain:
                self._drain()
                continue
            due = [f for f in self.followed.values() if f.next_poll <= now]
            if due:
                self._poll(min(due, key=lambda f: f.next_poll))
                continue
            wake = [f.next_poll for f in self.followed.values()]
            wake += [t for t in (flush_at, deadline) if t is not None]
            if self.spool_waiting:
                wake.append(self.next_drain)
            self.clock.wait(self.stop, min(wake) - now if wake else None)

    def _flush_at(self) -> float | None:
        """When the buffer must be flushed (now, when it is full); None when it is empty."""
        if not self.buffer:
            return None
        if self.buffered >= self.settings.listen.flush_size:
            return self.buffer[0].at
        return self.buffer[0].at + self.settings.listen.flush_age

    # --- polling ---
    def _poll(self, followed: _Followed) -> None:
        name, report = followed.name, followed.report
        report.polls += 1
        if followed.cycle is None:
            followed.cycle = SourceReport(source=name)
            followed.cycle_started = utcnow()
            try:
                followed.runs_before = followed.health.get(name).runs
            except (OSError, ValueError) as exc:
                log.warning("source %r: health not read: %s", name, exc)
        if not followed.loaded:
            try:
                followed.saved = self.steps.load_cursor(self.store, name)
            except Exception as exc:
                self._failed(followed, exc, "cursor not loaded")
                return
            followed.cursor = followed.committed = followed.saved
            followed.loaded = True
            report.cursor = followed.saved.value if followed.saved else None
        try:
            result = self.steps.fetch(followed.source, followed.cursor, self.settings.listen.batch_size)
        except Exception as exc:  # one failing source never stops the others: it waits and tries again
            self._failed(followed, exc, "fetch failed")
            return
        followed.failures = 0
        report.status = "ok"
        report.fetched += len(result.mentions)
        report.newest_at = _newest(report.newest_at, result.mentions)
        cycle = followed.cycle
        cycle.batches += 1
        cycle.fetched += len(result.mentions)
        cycle.newest_at = _newest(cycle.newest_at, result.mentions)
        cycle.add_rejected(result.rejected)
        moved = result.cursor.value != (followed.cursor.value if followed.cursor else None)
        new_cursor = result.cursor.model_copy(update={"source": name}) if moved else None
        if result.mentions or result.rejected or new_cursor is not None:
            self.buffer.append(_Fetched(name, result.mentions, result.rejected, new_cursor, self.clock.now()))
            self.buffered += len(result.mentions)
        if new_cursor is not None:
            followed.cursor = new_cursor
        if not result.exhausted and (result.mentions or result.rejected or moved):
            followed.next_poll = self.clock.now()  # it has more: again at once (behind sources due earlier)
        else:
            followed.next_poll = self.clock.now() + self.intervals[name]
            self._end_cycle(followed)

    def _failed(self, followed: _Followed, exc: BaseException | None, what: str) -> None:
        followed.failures += 1
        followed.report.failures += 1
        followed.report.status = "failing"
        followed.report.last_error = _describe(exc) if exc else what
        wait = backoff(followed.failures, self.settings)
        followed.next_poll = self.clock.now() + wait
        log.error(
            "source %r: %s (failure %d in a row, next try in %.0fs): %s",
            followed.name,
            what,
            followed.failures,
            wait,
            exc,
            exc_info=exc is not None and _is_bug(exc),
        )
        if followed.cycle is not None and exc is not None:
            followed.cycle.fail(exc)
        self._end_cycle(followed)

    def _end_cycle(self, followed: _Followed) -> None:
        if followed.cycle is not None:
            _record_health(
                followed.health, followed.name, followed.runs_before, followed.cycle_started, followed.cycle
            )
            followed.cycle = None

    # --- flushing ---
    def _flush(self) -> None:
        entries, self.buffer, self.buffered = self.buffer, [], 0
        self.report.flushes += 1
        raw = [m for e in entries for m in e.mentions]
        owners = {m.id: e.source for e in entries for m in e.mentions}
        try:
            batch = self.steps.enrich(self.enricher, raw) if raw else []
        except Exception as exc:
            self._lost(entries, exc, "micro-batch not enriched")
            return
        refused_ids: frozenset[str] = frozenset()
        refused: list[Rejected] = []
        spooled = False
        if batch:
            outcome = self._write(batch, owners)
            if outcome is None:
                return  # neither stored nor spooled: _write rewound its sources
            spooled = outcome.store_down
            refused, refused_ids = list(outcome.refused), outcome.refused_ids
            if outcome.error is not None and outcome.committed:
                log.warning("micro-batch partly refused by the store: %s", outcome.error)
            if not spooled:
                hook_error = call_after_write(self.after_write, batch, refused_ids, "micro-batch")
                if hook_error:
                    self._hook_failed()
        self._account(entries, batch, refused, refused_ids, spooled, owners)
        self._save_cursors()

    def _write(self, batch: list[EnrichedMention], owners: Mapping[str, str]) -> Upserted | None:
        """Store the micro-batch, else spool it; None when it is neither (its sources are rewound)."""
        if self.spool_waiting and (self.clock.now() < self.next_drain or not self._drain()):
            # Older batches wait in the spool and the store still refuses them: behind them it goes.
            outcome = Upserted(committed=False, store_down=True)
        else:
            label = "+".join(sorted(set(owners.values())))  # names the batch in logs
            outcome = upsert_outcome(batch, label, self.store, self.steps, owners)
        if outcome.committed:
            return outcome
        entries_sources = sorted(set(owners.values()))
        if not outcome.store_down:  # a bug or a refusal of the whole batch: fetch it again later
            self._rewind(entries_sources, outcome.error, "micro-batch not stored")
            return None
        try:
            for name in entries_sources:
                self.spool.put(name, [m for m in batch if owners.get(m.id) == name])
        except Exception as exc:  # a full disk: nothing durable, nothing moves
            log.error("micro-batch not spooled: %s", exc, exc_info=_is_bug(exc))
            self._rewind(entries_sources, exc, "micro-batch neither stored nor spooled")
            return None
        if outcome.error is not None:  # the store refused it just now (a failed drain counted already)
            self._store_down(outcome.error)
        self.spool_waiting = True
        return outcome

    def _account(
        self,
        entries: list[_Fetched],
        batch: list[EnrichedMention],
        refused: list[Rejected],
        refused_ids: frozenset[str],
        spooled: bool,
        owners: Mapping[str, str],
    ) -> None:
        """The committed (or durably spooled) micro-batch: per-source counts, cursors to save,
        rejected items recorded (once their batch is safe, like the one-shot flow)."""
        stored: dict[str, int] = {}
        for mention in batch:
            if mention.id not in refused_ids:
                owner = owners.get(mention.id, mention.source)
                stored[owner] = stored.get(owner, 0) + 1
        rejected: dict[str, list[Rejected]] = {}
        for entry in entries:
            followed = self.followed[entry.source]
            if entry.cursor is not None:
                followed.committed = entry.cursor  # entries are in fetch order: the last one wins
            rejected.setdefault(entry.source, []).extend(entry.rejected)
        for item in refused:
            rejected.setdefault(item.source, []).append(item)
        for name in dict.fromkeys(e.source for e in entries):
            followed, items = self.followed[name], rejected.get(name, [])
            fetched = sum(len(e.mentions) for e in entries if e.source == name)
            written = 0 if spooled else stored.get(name, 0)
            if spooled:
                followed.report.spooled += fetched
            else:
                followed.report.indexed += written
            followed.report.rejected += len(items)
            if items:
                try:
                    self.rejected_log.append(name, items)
                except OSError as exc:
                    log.error("source %r: rejected items not recorded: %s", name, exc)
            _emit(
                self.progress,
                ProgressEvent(
                    kind="batch",
                    source=name,
                    fetched=fetched,
                    indexed=written,
                    rejected=len(items),
                    spooled=spooled,
                ),
            )

    def _save_cursors(self) -> None:
        for followed in self.followed.values():
            cursor = followed.committed
            if cursor is None or cursor == followed.saved:
                continue
            try:
                self.steps.save_cursor(self.store, cursor)
            except Exception as exc:
                # The batch is safe; the cursor is saved at the next flush (a crash before that
                # refetches it, idempotently).
                self.report.cursor_errors += 1
                log.error("source %r: cursor not saved: %s", followed.name, exc, exc_info=_is_bug(exc))
                continue
            followed.saved = cursor
            followed.report.cursor = cursor.value

    def _lost(self, entries: list[_Fetched], exc: BaseException, what: str) -> None:
        self._rewind(list(dict.fromkeys(e.source for e in entries)), exc, what)

    def _rewind(self, names: Sequence[str], exc: BaseException | None, what: str) -> None:
        """Nothing of the micro-batch is safe: its sources fetch it again from their last committed
        cursor, after the failure backoff."""
        for name in names:
            followed = self.followed[name]
            followed.cursor = followed.committed
            self._failed(followed, exc, what)

    # --- the spool ---
    def _drain(self) -> bool:
        """Index the spooled batches, oldest first; False when the store still refuses them."""
        try:
            drained = self.spool.drain(self.store, after_write=self._announce)
        except Exception as exc:
            self._store_down(exc)
            return False
        self.drain_failures = 0
        self.spool_waiting = False
        self.report.drained_files += drained.files
        self.report.drained_mentions += drained.mentions
        if drained.files or drained.quarantined:
            log.info("spool drained: %d batch(es), %d mentions", drained.files, drained.mentions)
            _emit(self.progress, ProgressEvent(kind="drained", drain=drained))
        return True

    def _store_down(self, exc: BaseException | None) -> None:
        self.drain_failures += 1
        wait = backoff(self.drain_failures, self.settings)
        self.next_drain = self.clock.now() + wait
        log.warning("store unavailable; spooling, next drain in %.0fs: %s", wait, exc)

    def _announce(self, mentions: Sequence[EnrichedMention]) -> None:
        if call_after_write(self.after_write, mentions, frozenset(), "spool"):
            self._hook_failed()

    def _hook_failed(self) -> None:
        self.report.hook_errors += 1

    # --- background ---
    def _start_background(self) -> None:
        for index, function in enumerate(self.background):
            name = getattr(function, "__name__", f"background-{index}")
            thread = threading.Thread(
                target=self._run_background, args=(function,), name=f"earful-follow-{name}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def _run_background(self, function: Background) -> None:
        try:
            function(self.background_stop)
        except Exception:
            log.exception("background %r failed", getattr(function, "__name__", function))
            with self.lock:
                self.report.background_errors += 1

    def _stop_background(self) -> None:
        self.background_stop.set()
        for thread in self.threads:
            thread.join(JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("background thread %s did not stop within %.0fs", thread.name, JOIN_TIMEOUT)


def run_follow(
    sources: Mapping[str, Source],
    enricher: Enriching,
    store: Store,
    settings: Settings,
    *,
    intervals: Mapping[str, float] | None = None,
    after_write: AfterWrite | None = None,
    background: Sequence[Background] = (),
    stop: threading.Event | None = None,
    follow_for: float | None = None,
    steps: Steps = PLAIN_STEPS,
    progress: ProgressHook | None = None,
    disabled: Mapping[str, str] | None = None,
    store_name: str | None = None,
    clock: Clock | None = None,
) -> FollowReport:
    """Listen to `sources` until `stop` is set or `follow_for` seconds (default
    ``settings.listen.follow_for``; None: no limit) have passed; returns what happened. Never raises for
    a source's, the store's or a hook's failure (logged, counted, retried); the sources are closed and
    the background callables joined whatever happens.

    `intervals` are per-source poll intervals in seconds (the sources file's ``poll_interval``);
    `after_write` and `background` are the hooks described in the module's docstring; `clock` is for
    tests. The run is for the store's workspace, like :func:`flows.listen.run_listen`."""
    clock = clock or MonotonicClock()
    limit = follow_for if follow_for is not None else settings.listen.follow_for
    report = FollowReport(store=store_name or settings.store.backend, workspace=store.workspace)
    loop = _Loop(
        sources,
        enricher,
        store,
        settings,
        intervals=intervals or {},
        after_write=after_write,
        background=background,
        stop=stop or threading.Event(),
        steps=steps,
        progress=progress,
        clock=clock,
        report=report,
    )
    started = clock.now()
    loop.run(None if limit is None else started + limit)
    for name, reason in (disabled or {}).items():
        report.sources.append(FollowSourceReport(source=name, status="disabled", disabled_reason=reason))
    report.finished_at = utcnow()
    log.info("follow stopped (%s) after %.1fs: %s", report.stopped_by, clock.now() - started, report.totals)
    return report


def follow_listen(
    sources_file: str | Path | None = None,
    *,
    sources: SourcesConfig | None = None,
    settings: Settings | None = None,
    store: str | None = None,
    batch_size: int | None = None,
    workspace: str | None = None,
    follow_for: float | None = None,
    after_write: AfterWrite | None = None,
    background: Sequence[Background] = (),
    stop: threading.Event | None = None,
    progress: ProgressHook | None = None,
    built_sources: Mapping[str, Source] | None = None,
    alerting: bool = True,
) -> FollowReport:
    """:func:`run_follow` wired from settings and a sources file, as `listen_flow` is for one run: the
    workspace's store, sources (each with its ``poll_interval``) and enricher, closed at the end.

    With `alerting`, the workspace's alert pipeline runs on every stored micro-batch, ticks about once
    a second and delivers in the background (:mod:`flows.follow_alerting`), besides the caller's
    `after_write` and `background`; ``report.alerts`` sums it up. Every micro-batch also goes through
    the complaint rule (`flows.cases`); the three hooks are isolated from each other's failures
    (`flows.cases.each_hook`); ``report.cases`` sums the rule up."""
    settings = _settings_with(settings or get_settings(), store, None, batch_size)
    config = sources if sources is not None else load_sources_config(sources_file, settings)
    workspace = config.workspace_for(workspace)
    built = dict(built_sources or {})
    mention_store = build_store(settings, workspace=workspace)
    wired = WiredSources()
    enricher: LinkingEnricher | None = None
    pipeline: AlertPipeline | None = None
    alerts_off: str | None = None
    case_step: CaseStep | None = None
    try:
        case_step = build_case_step(settings, workspace=workspace)
        if alerting:
            try:
                pipeline = build_alerting(settings, workspace=workspace, store=mention_store)
            except NotConfigured as exc:
                alerts_off = f"alerting disabled: {exc}"
                log.warning("%s", alerts_off)
        hooks = FollowAlerting(pipeline) if pipeline is not None else None
        wired = build_sources(config, settings, workspace=workspace)
        clash = sorted(set(built) & (set(wired.sources) | set(wired.disabled)))
        if clash:
            raise ConfigError(f"source names used twice: {clash}", details={"sources": clash})
        enricher = build_enricher(settings, workspace=workspace)
        report = run_follow(
            {**wired.sources, **built},
            enricher,
            mention_store,
            settings,
            intervals=config.poll_intervals,
            after_write=each_hook(hooks.after_write if hooks else None, case_step, after_write),
            background=[*([hooks.ticker, hooks.dispatch] if hooks else []), *background],
            stop=stop,
            follow_for=follow_for,
            progress=progress,
            disabled=wired.disabled,
        )
        if hooks is not None:
            report.alerts = hooks.finish()
        elif alerts_off:
            report.alerts = AlertsSummary(errors=[alerts_off])
        report.cases = case_step.summary
        return report
    finally:
        if pipeline is not None:
            pipeline.close()
        if case_step is not None:
            case_step.close()
        for name, source in {**wired.sources, **built}.items():  # when run_follow was never reached
            _close(source, name)
        if enricher is not None:
            enricher.close()
        mention_store.close()


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set `stop` (the loop finishes its micro-batch and returns); a second signal
    interrupts at once. The previous handlers come back on exit. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.warning("%s received: finishing the micro-batch in flight", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


__all__ = [
    "Background",
    "Clock",
    "FollowReport",
    "FollowSourceReport",
    "MonotonicClock",
    "follow_listen",
    "run_follow",
    "stop_on_signals",
]
