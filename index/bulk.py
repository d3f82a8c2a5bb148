"""The Elasticsearch bulk writer: serialise once, chunk, retry 429 with backoff, surface every failure.

- Each mention becomes NDJSON bytes once (`schema.identified_document_json`); a chunk's request body is the
  concatenation of those bytes, sent as is (the client's NDJSON serializer passes bytes through).
- Chunks are bounded by ``bulk_chunk_size`` documents and ``bulk_max_bytes`` bytes and sent one at a
  time, pipelined: the next chunk is encoded while the previous request is in flight.
- 429, whether for the whole request or for single items, is retried with exponential backoff
  (``initial_backoff`` doubling up to ``max_backoff``, at most ``max_retries`` times, honouring
  Retry-After); only the failed items are resent. Per-item 5xx and write blocks (a migration in
  progress) are retried the same way, and reported as retryable if they outlast the retries.
- Connection errors, timeouts and 5xx responses (after the transport's own retries) raise
  StoreUnavailable: the flow spools the batch and retries it; writes are idempotent by id.
- Other per-item errors (mapping errors...) raise PartialWriteError listing id and reason of each
  failed item, after every other item was written. Nothing is swallowed.

Workspaces: a writer writes for one workspace. Each document carries it and is addressed by its scoped
``_id`` (`core.ids.scoped_doc_id`), reads of stored versions and deletes included; failures name the
mention id, which is what callers know.

Write policies: ``overwrite`` is an ``index`` op; ``create`` a ``create`` op (409: skipped);
``if_newer`` reads the stored ``(enriched_at, collected_at)`` of the batch (one mget), skips mentions
that are not strictly newer by that pair (compared as instants), and writes the others conditionally
on the sequence number it read (``create`` for new ids, ``index`` with ``if_seq_no`` and
``if_primary_term`` otherwise), deciding again on a 409. Comparing stored timestamps rather than
using ``version_type=external`` keeps ``if_newer`` right for documents that ``overwrite`` wrote (their
internal version is a small counter, not a time) and lets the tie-break on ``collected_at`` match
the SQLite backend.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from core.errors import PartialWriteError, StoreUnavailable
from core.ids import scoped_doc_id
from core.models import EnrichedMention, WritePolicy, check_workspace
from core.settings import ElasticsearchSettings
from index.base import UpsertResult
from index.es_client import is_unavailable_status, translate
from index.schema import identified_document_json

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch


@dataclass(frozen=True, slots=True)
class BulkItem:
    """One bulk operation: the mention id (not the scoped ``_id``: failures name what callers know) and
    its NDJSON lines (action, then source if any)."""

    id: str
    payload: bytes


@dataclass(slots=True)
class _Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0
    conflicts: list[BulkItem] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


def action_line(op: str, doc_id: str, **extra: Any) -> bytes:
    meta: dict[str, Any] = {"_id": doc_id, **extra}
    return json.dumps({op: meta}, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def encode(mention: EnrichedMention, workspace: str, op: str = "index", **extra: Any) -> BulkItem:
    """A mention of `workspace` as one bulk operation (``index`` or ``create``), serialised once."""
    mention_id, source = identified_document_json(mention, workspace)
    doc_id = scoped_doc_id(workspace, mention_id)  # 32 hex characters, nothing to escape
    action = action_line(op, doc_id, **extra) if extra else f'{{"{op}":{{"_id":"{doc_id}"}}}}\n'.encode()
    return BulkItem(mention_id, action + source.encode() + b"\n")


def encode_all(
    mentions: Iterable[EnrichedMention], policy: WritePolicy, workspace: str
) -> Iterator[BulkItem]:
    """Bulk operations for the ``overwrite`` and ``create`` policies, encoded lazily."""
    op = "create" if policy is WritePolicy.create else "index"
    return (encode(m, workspace, op) for m in mentions)


def request_bodies(
    mentions: Sequence[EnrichedMention],
    settings: ElasticsearchSettings,
    policy: WritePolicy = WritePolicy.overwrite,
    *,
    workspace: str,
) -> list[bytes]:
    """The `_bulk` bodies a write of ``mentions`` sends when nothing is retried (the benchmark's baseline)."""
    chunks = chunked(
        encode_all(mentions, policy, workspace), settings.bulk_chunk_size, settings.bulk_max_bytes
    )
    return [b"".join(item.payload for item in chunk) for chunk in chunks]


def chunked(items: Iterable[BulkItem], max_count: int, max_bytes: int) -> Iterator[list[BulkItem]]:
    """Consecutive chunks of at most ``max_count`` items and ``max_bytes`` bytes (an oversized item
    travels alone: Elasticsearch, not the client, decides whether it is too large)."""
    return (chunk for chunk, _last in marked_chunks(items, max_count, max_bytes))


def marked_chunks(
    items: Iterable[BulkItem], max_count: int, max_bytes: int
) -> Iterator[tuple[list[BulkItem], bool]]:
    """`chunked`, each chunk with whether it is the last. A chunk is yielded once the first item of the
    next one is encoded (or the items ran out): the flag costs one item of look-ahead, not a chunk."""
    chunk: list[BulkItem] = []
    size = 0
    for item in items:
        if chunk and (len(chunk) >= max_count or size + len(item.payload) > max_bytes):
            yield chunk, False
            chunk, size = [], 0
        chunk.append(item)
        size += len(item.payload)
    if chunk:
        yield chunk, True


# While a pipelined write runs, the interpreter hands the GIL over every millisecond instead of every
# 5 ms: the sender thread then gets to send the next request and read the response promptly while
# this thread encodes (bench/index_throughput.py, 40k mentions, 100-document chunks: ratio 0.82 at
# 5 ms, 0.86 at 1 ms; unpipelined 1000-document requests: 0.78).
_SWITCH_INTERVAL = 0.001
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    """Process-wide, so counted: the first writer in sets it, the last one out restores it."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, _SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def _failure(item: BulkItem, status: int, result: dict[str, Any]) -> dict[str, Any]:
    error = result.get("error")
    if isinstance(error, dict):
        kind, reason = error.get("type"), error.get("reason")
        caused = error.get("caused_by")
        if isinstance(caused, dict) and caused.get("reason"):
            reason = f"{reason}: {caused.get('reason')}"
    else:
        kind, reason = None, str(error)
    return {"id": item.id, "status": status, "type": kind, "reason": reason}


class BulkWriter:
    """Writes mentions of one workspace to one index or alias through `_bulk`. Not thread-safe; cheap to
    create."""

    def __init__(
        self,
        client: Elasticsearch,
        settings: ElasticsearchSettings,
        index: str,
        *,
        workspace: str,
        require_alias: bool = True,
        refresh: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.index = index
        self.workspace = check_workspace(workspace)
        self.require_alias = require_alias
        self.refresh = settings.refresh if refresh is None else refresh
        self._sleep = sleep
        self.requests_sent = 0  # for tests and the benchmark
        self.retries = 0
        self._last_retry_after: float | None = None  # Retry-After of the last whole-request 429

    # --- public ----------------------------------------------------------------------------------
    def write(
        self, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        """Write a batch. Raises StoreUnavailable (nothing claimed written) or PartialWriteError."""
        if not mentions:
            return UpsertResult()
        if policy is WritePolicy.if_newer:
            outcome = self._write_if_newer(mentions)
        else:
            outcome = self._run(
                encode_all(mentions, policy, self.workspace), conflict_is_skip=policy is WritePolicy.create
            )
        self._raise_failures(outcome, len(mentions))
        return UpsertResult(created=outcome.created, updated=outcome.updated, skipped=outcome.skipped)

    def delete(self, ids: Sequence[str]) -> int:
        """Delete this workspace's mentions by id; returns how many existed."""
        items = [
            BulkItem(i, action_line("delete", scoped_doc_id(self.workspace, i))) for i in dict.fromkeys(ids)
        ]
        outcome = self._run(items, conflict_is_skip=False, missing_is_ok=True)
        self._raise_failures(outcome, len(items))
        return outcome.deleted

    # --- policies --------------------------------------------------------------------------------
    def _write_if_newer(self, mentions: Sequence[EnrichedMention]) -> _Outcome:
        total = _Outcome()
        pending = list(mentions)
        for attempt in range(self.settings.max_retries + 1):
            if attempt:
                self.retries += 1
                self._sleep(self._delay(attempt - 1, None))
            stored = self._stored_versions([m.id for m in pending])
            items: list[BulkItem] = []
            owner: dict[int, EnrichedMention] = {}  # id(item) -> mention, duplicates ids included
            for mention in pending:
                found = stored.get(mention.id)
                if found is None:
                    items.append(encode(mention, self.workspace, "create"))
                elif found[0] >= (mention.enriched_at, mention.collected_at):
                    total.skipped += 1
                    continue
                else:
                    items.append(
                        encode(mention, self.workspace, "index", if_seq_no=found[1], if_primary_term=found[2])
                    )
                owner[id(items[-1])] = mention
            outcome = self._run(items, conflict_is_skip=False, collect_conflicts=True)
            total.created += outcome.created
            total.updated += outcome.updated
            total.failures.extend(outcome.failures)
            # A 409 means someone wrote in between: read again and decide again.
            pending = [owner[id(item)] for item in outcome.conflicts]
            if not pending:
                return total
        total.failures.extend(
            {
                "id": m.id,
                "status": 409,
                "type": "version_conflict_engine_exception",
                "reason": "concurrent writes kept conflicting",
                "retryable": True,
            }
            for m in pending
        )
        return total

    def _stored_versions(self, ids: list[str]) -> dict[str, tuple[tuple[datetime, datetime], int, int]]:
        """Mention id -> (stored version, seq_no, primary term) of this workspace's stored mentions."""
        from elasticsearch import ApiError, TransportError

        scoped = {scoped_doc_id(self.workspace, i): i for i in ids}
        try:
            response = self.client.mget(
                index=self.index,
                ids=list(scoped),
                source_includes=["enriched_at", "collected_at"],
            )
        except (ApiError, TransportError) as exc:
            raise translate(exc, "read stored versions") from exc
        stored: dict[str, tuple[tuple[datetime, datetime], int, int]] = {}
        for doc in response["docs"]:
            if doc.get("found"):
                source = doc["_source"]
                version = (
                    datetime.fromisoformat(source["enriched_at"]),
                    datetime.fromisoformat(source["collected_at"]),
                )
                stored[scoped[doc["_id"]]] = (version, doc["_seq_no"], doc["_primary_term"])
        return stored

    # --- the loop --------------------------------------------------------------------------------
    def _run(
        self,
        items: Iterable[BulkItem],
        *,
        conflict_is_skip: bool,
        collect_conflicts: bool = False,
        missing_is_ok: bool = False,
    ) -> _Outcome:
        """Send ``items`` in chunks, one request at a time; the refresh goes with the last one only.

        Pipelined: while a chunk's request is in flight (on a sender thread, waiting on the socket),
        this thread encodes the next chunk, so serialisation and analysis overlap Elasticsearch's work.
        Requests still go one at a time and in order: chunk k+1 is sent only after chunk k's response
        (and any retries of it) is handled, so a failure stops the write where it happened.
        """
        outcome = _Outcome()
        flags = (conflict_is_skip, collect_conflicts, missing_is_ok)
        chunks = marked_chunks(items, self.settings.bulk_chunk_size, self.settings.bulk_max_bytes)
        with (
            _short_switch_interval(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="earful-bulk") as sender,
        ):
            in_flight: tuple[list[BulkItem], str, Future[list[dict[str, Any]] | None]] | None = None
            for chunk, last in chunks:  # encoding this chunk overlaps the request in flight
                if in_flight is not None:
                    self._run_chunk(*in_flight, outcome, *flags)
                refresh = self.refresh if last else "false"
                in_flight = (chunk, refresh, sender.submit(self._send, chunk, refresh))
            if in_flight is not None:
                self._run_chunk(*in_flight, outcome, *flags)
        return outcome

    def _run_chunk(
        self,
        chunk: list[BulkItem],
        refresh: str,
        first: Future[list[dict[str, Any]] | None],
        outcome: _Outcome,
        conflict_is_skip: bool,
        collect_conflicts: bool,
        missing_is_ok: bool,
    ) -> None:
        """Handle the response to ``chunk``'s request (``first``), resending what must be retried."""
        pending = chunk
        attempt = 0
        while True:
            response = first.result() if attempt == 0 else self._send(pending, refresh)
            retry: list[tuple[BulkItem, int, dict[str, Any]]] = []
            if response is None:  # the whole request was rejected with 429
                retry = [
                    (item, 429, {"error": {"type": "too_many_requests", "reason": "HTTP 429"}})
                    for item in pending
                ]
            else:
                for item, entry in zip(pending, response, strict=True):
                    result = next(iter(entry.values()))
                    status = int(result.get("status", 500))
                    if status < 300:
                        kind = result.get("result")
                        if kind == "created":
                            outcome.created += 1
                        elif kind == "deleted":
                            outcome.deleted += 1
                        else:
                            outcome.updated += 1
                    elif status == 404 and missing_is_ok:
                        pass
                    elif status == 409 and collect_conflicts:
                        outcome.conflicts.append(item)
                    elif status == 409 and conflict_is_skip:
                        outcome.skipped += 1
                    elif is_unavailable_status(status) or _is_write_block(result):
                        retry.append((item, status, result))
                    else:
                        outcome.failures.append(_failure(item, status, result))
            if not retry:
                return
            if attempt >= self.settings.max_retries:
                if response is None:
                    raise StoreUnavailable(
                        f"Elasticsearch kept rejecting bulk requests with 429 after {attempt} retries",
                        details={"index": self.index, "retries": attempt, "items": len(pending)},
                    )
                outcome.failures.extend(
                    {**_failure(item, status, result), "retryable": True} for item, status, result in retry
                )
                return
            self.retries += 1
            self._sleep(self._delay(attempt, self._last_retry_after if response is None else None))
            attempt += 1
            pending = [item for item, _, _ in retry]

    def _send(self, items: list[BulkItem], refresh: str) -> list[dict[str, Any]] | None:
        """POST one chunk. Returns the response items, or None if the whole request got a 429."""
        from elasticsearch import ApiError, TransportError

        body = b"".join(item.payload for item in items)
        self.requests_sent += 1
        try:
            response = self.client.bulk(
                operations=cast(Any, body),
                index=self.index,
                refresh=cast(Any, refresh),
                require_alias=self.require_alias,
            )
        except ApiError as exc:
            if exc.meta.status == 429:
                self._last_retry_after = _retry_after(exc)
                return None
            raise translate(exc, "write a bulk request") from exc
        except TransportError as exc:
            raise translate(exc, "write a bulk request") from exc
        result: list[dict[str, Any]] = response["items"]
        if len(result) != len(items):
            raise StoreUnavailable(
                f"bulk response has {len(result)} items for {len(items)} operations",
                details={"index": self.index},
            )
        return result

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = float(self.settings.initial_backoff * (2**attempt))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.settings.max_backoff)

    def _raise_failures(self, outcome: _Outcome, total: int) -> None:
        if not outcome.failures:
            return
        retryable = all(f.get("retryable") for f in outcome.failures)
        first = outcome.failures[0]
        raise PartialWriteError(
            f"{len(outcome.failures)} of {total} bulk operations failed "
            f"(first: {first['id']}: {first['reason']})",
            failures=outcome.failures,
            retryable_failures=retryable,
            details={
                "index": self.index,
                "created": outcome.created,
                "updated": outcome.updated,
                "skipped": outcome.skipped,
                "failed": len(outcome.failures),
            },
        )


def _is_write_block(result: dict[str, Any]) -> bool:
    # `earful index migrate` blocks writes to the old index while it copies: wait, then go to the new one.
    error = result.get("error")
    return isinstance(error, dict) and error.get("type") == "cluster_block_exception"


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(getattr(exc, "meta", None), "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


__all__ = ["BulkItem", "BulkWriter", "chunked", "encode", "encode_all", "marked_chunks", "request_bodies"]
