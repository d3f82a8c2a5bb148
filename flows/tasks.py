"""Thin Prefect tasks over whole batches (never one task per mention); the logic lives in the libraries.

Each task retries only when the error says so (:func:`core.errors.is_retryable`): a store that is down
is worth another try, a malformed document is not. Retries and delay come from ``settings.listen`` at
run time (:func:`task_steps`). The tasks take live objects (a store, a source) because flows run them
in-process; caching and result persistence are off, so Prefect never tries to hash or pickle them.

:class:`Steps` is the seam between the orchestration and the logic: ``run_listen`` calls the steps it
is given, Prefect tasks inside a flow run (:func:`task_steps`) or the plain functions outside one
(:data:`PLAIN_STEPS`, used by ``listen_flow.fn()`` and unit tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prefect import Task, task
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State, TaskRun

from core.errors import is_retryable
from core.models import EnrichedMention, RawMention, SourceCursor
from core.settings import Settings
from crawlers.base import FetchResult, Source
from flows.spool import DrainReport, Spool
from index.base import CursorStore, MentionStore, UpsertResult

AfterWrite = Callable[[Sequence[EnrichedMention]], object]  # what a committed batch is handed to


class Enriching(Protocol):
    """What the flow needs of `nlp.enricher.Enricher`."""

    def enrich(self, batch: Sequence[RawMention]) -> list[EnrichedMention]: ...


def retry_if_retryable(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect's `retry_condition_fn`: retry only errors flagged retryable (it must be a plain function:
    Prefect checks `inspect.isfunction`)."""
    try:
        state.result()
    except Exception as exc:
        return is_retryable(exc)
    return False


# --- the plain operations ------------------------------------------------------------------------
def _fetch(source: Source, cursor: SourceCursor | None, limit: int) -> FetchResult:
    return source.fetch(cursor, limit)


def _enrich(enricher: Enriching, batch: Sequence[RawMention]) -> list[EnrichedMention]:
    return enricher.enrich(batch)


def _upsert(store: MentionStore, batch: Sequence[EnrichedMention]) -> UpsertResult:
    return store.upsert(batch)


def _load_cursor(store: CursorStore, source: str) -> SourceCursor | None:
    return store.load_cursor(source)


def _save_cursor(store: CursorStore, cursor: SourceCursor) -> None:
    store.save_cursor(cursor)


def _drain(spool: Spool, store: MentionStore, after_write: AfterWrite | None = None) -> DrainReport:
    return spool.drain(store, after_write=after_write)


# --- the tasks -----------------------------------------------------------------------------------
@task(
    name="fetch-batch",
    task_run_name="fetch-{source.name}",
    cache_policy=NONE,
    persist_result=False,
    retry_condition_fn=retry_if_retryable,
)
def fetch_batch(source: Source, cursor: SourceCursor | None, limit: int) -> FetchResult:
    """The next batch of a source after `cursor`."""
    return _fetch(source, cursor, limit)


@task(name="enrich-batch", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def enrich_batch(enricher: Enriching, batch: Sequence[RawMention]) -> list[EnrichedMention]:
    """Language, sentiment, intents (and the model that said so) for a whole batch."""
    return _enrich(enricher, batch)


@task(name="upsert-batch", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def upsert_batch(store: MentionStore, batch: Sequence[EnrichedMention]) -> UpsertResult:
    """One bulk write per batch; idempotent, so a retry duplicates nothing."""
    return _upsert(store, batch)


@task(
    name="load-cursor",
    task_run_name="load-cursor-{source}",
    cache_policy=NONE,
    persist_result=False,
    retry_condition_fn=retry_if_retryable,
)
def load_cursor(store: CursorStore, source: str) -> SourceCursor | None:
    """Where the source stopped last time (None: from the start)."""
    return _load_cursor(store, source)


@task(
    name="save-cursor",
    task_run_name="save-cursor-{cursor.source}",
    cache_policy=NONE,
    persist_result=False,
    retry_condition_fn=retry_if_retryable,
)
def save_cursor(store: CursorStore, cursor: SourceCursor) -> None:
    """Called only after the batch the cursor ends was indexed."""
    _save_cursor(store, cursor)


@task(name="drain-spool", cache_policy=NONE, persist_result=False, retry_condition_fn=retry_if_retryable)
def drain_spool(spool: Spool, store: MentionStore, after_write: AfterWrite | None = None) -> DrainReport:
    """Index the batches earlier runs could not, before anything new (each then handed to
    `after_write`, like a fetched batch)."""
    return _drain(spool, store, after_write)


# --- the seam ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Steps:
    fetch: Callable[[Source, SourceCursor | None, int], FetchResult]
    enrich: Callable[[Enriching, Sequence[RawMention]], list[EnrichedMention]]
    upsert: Callable[[MentionStore, Sequence[EnrichedMention]], UpsertResult]
    load_cursor: Callable[[CursorStore, str], SourceCursor | None]
    save_cursor: Callable[[CursorStore, SourceCursor], None]
    drain: Callable[[Spool, MentionStore, AfterWrite | None], DrainReport]


PLAIN_STEPS = Steps(
    fetch=_fetch,
    enrich=_enrich,
    upsert=_upsert,
    load_cursor=_load_cursor,
    save_cursor=_save_cursor,
    drain=_drain,
)


def task_steps(settings: Settings) -> Steps:
    """The tasks, with retries and delay from ``settings.listen``."""
    retries = settings.listen.task_retries
    delay = settings.listen.task_retry_delay
    return Steps(
        fetch=fetch_batch.with_options(retries=retries, retry_delay_seconds=delay),
        enrich=enrich_batch.with_options(retries=retries, retry_delay_seconds=delay),
        upsert=upsert_batch.with_options(retries=retries, retry_delay_seconds=delay),
        load_cursor=load_cursor.with_options(retries=retries, retry_delay_seconds=delay),
        save_cursor=save_cursor.with_options(retries=retries, retry_delay_seconds=delay),
        drain=drain_spool.with_options(retries=retries, retry_delay_seconds=delay),
    )
