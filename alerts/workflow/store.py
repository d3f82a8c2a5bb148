"""Where mention workflows are kept: the `WorkflowStore` protocol, on SQLite and on Elasticsearch,
scoped to one workspace when built (like every store: `index.base`).

- SQLite (`SQLiteWorkflowStore`): tables in the mentions database file (the ``mention_workflow`` table
  set in ``earful_meta``): ``mention_workflow`` (the state's JSON in ``doc``, beside it the columns the
  queue filters and sorts on), ``mention_workflow_tags`` (case-folded tags, what the tag filter reads),
  ``mention_workflow_notes`` and ``mention_workflow_history`` (numbered per mention). Every key leads with
  the workspace. A change, its history and its tags are one IMMEDIATE transaction under the write lock.
- Elasticsearch (`ElasticsearchWorkflowStore`): ``<prefix>-mention-workflow``, one document per mention
  (``_id`` = `core.ids.scoped_doc_id`): the queue's keyword fields beside ``doc`` (not indexed), which
  holds the state, the notes and the history together, so a change and its history are one write. Writes
  are optimistic (``if_seq_no``) and wait for the refresh; a write that lost the race reads again.

A row exists once a mention's state changed or a note was written: the queue (`list`) shows those, and
`get` answers the default state for any other mention id (the store does not know which mentions exist).
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

from alerts.workflow.model import (
    HistoryEntry,
    MentionWorkflow,
    WorkflowChange,
    WorkflowFilter,
    WorkflowNote,
    apply_change,
    make_note,
    tag_key,
)
from core.errors import Conflict, StoreError
from core.ids import scoped_doc_id
from core.settings import Settings
from index.aggregations import to_epoch_micros
from index.backends.elasticsearch import es_datetime
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import KEYWORD_MAPPING, WORKSPACE_FIELD, WORKSPACE_MAPPING

DEFAULT_LIMIT: Final = 100


@runtime_checkable
class WorkflowStore(Protocol):
    """One workspace's mention workflows: state, notes and history."""

    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def get(self, mention_id: str) -> MentionWorkflow:
        """The stored state, or the default one (version 0) for a mention nobody touched."""
        ...

    def apply(
        self,
        mention_id: str,
        change: WorkflowChange,
        actor: str,
        at: datetime,
        expected_version: int | None = None,
    ) -> tuple[MentionWorkflow, builtins.list[HistoryEntry]]:
        """Apply `change` atomically with its history; Conflict when `expected_version` is given and the
        stored version is another. A change that changes nothing writes nothing (and no entry)."""
        ...

    def add_note(self, mention_id: str, author: str, text: str, at: datetime) -> WorkflowNote:
        """Keep a note (and a ``note`` history entry); the state's version does not move."""
        ...

    def notes(self, mention_id: str) -> builtins.list[WorkflowNote]:
        """Oldest first."""
        ...

    def history(self, mention_id: str, limit: int = DEFAULT_LIMIT) -> builtins.list[HistoryEntry]:
        """Newest first."""
        ...

    def list(
        self, filters: WorkflowFilter | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> builtins.list[MentionWorkflow]:
        """The queue: stored workflows that match, the latest activity first (then by mention id)."""
        ...

    def delete(self, mention_ids: Sequence[str]) -> int:
        """Remove the state, notes and history of these mentions (privacy erasure); how many had any."""
        ...

    def close(self) -> None: ...


def _conflict(mention_id: str, expected: int, found: int) -> Conflict:
    return Conflict(
        f"mention {mention_id} changed since version {expected} (now version {found}): read it again",
        details={"mention": mention_id, "expected_version": expected, "version": found},
    )


# --- SQLite --------------------------------------------------------------------------------------
SCHEMA_VERSION: Final = 1
_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS mention_workflow (workspace TEXT NOT NULL, mention_id TEXT NOT NULL, "
    "status TEXT NOT NULL, priority TEXT NOT NULL, assignee TEXT, starred INTEGER NOT NULL, "
    "updated_us INTEGER NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (workspace, mention_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS mention_workflow_queue ON mention_workflow (workspace, status, updated_us)",
    "CREATE INDEX IF NOT EXISTS mention_workflow_assignee ON mention_workflow (workspace, assignee, status)",
    "CREATE TABLE IF NOT EXISTS mention_workflow_tags (workspace TEXT NOT NULL, tag_key TEXT NOT NULL, "
    "mention_id TEXT NOT NULL, PRIMARY KEY (workspace, tag_key, mention_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS mention_workflow_notes (workspace TEXT NOT NULL, mention_id TEXT NOT NULL, "
    "seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workspace, mention_id, seq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS mention_workflow_history (workspace TEXT NOT NULL, "
    "mention_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (workspace, mention_id, seq)) WITHOUT ROWID",
)
#: The tables `earful workspaces list` counts, by kind.
WORKFLOW_TABLES: Final = {"workflow": "mention_workflow"}
_CHILD_TABLES: Final = ("mention_workflow_tags", "mention_workflow_notes", "mention_workflow_history")


def _sqlite_where(workspace: str, filters: WorkflowFilter | None) -> tuple[str, builtins.list[Any]]:
    f = filters or WorkflowFilter()
    clauses: builtins.list[str] = ["w.workspace = ?"]
    params: builtins.list[Any] = [workspace]
    for column, value in (("status", f.status), ("priority", f.priority), ("assignee", f.assignee)):
        if value is not None:
            clauses.append(f"w.{column} = ?")
            params.append(str(value))
    if f.starred is not None:
        clauses.append("w.starred = ?")
        params.append(int(f.starred))
    if f.tag is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM mention_workflow_tags t WHERE t.workspace = w.workspace "
            "AND t.mention_id = w.mention_id AND t.tag_key = ?)"
        )
        params.append(tag_key(" ".join(f.tag.split())))
    return " AND ".join(clauses), params


class SQLiteWorkflowStore(ScopedSQLite):
    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_table_set(conn, name="mention_workflow", version=SCHEMA_VERSION, ddl=_DDL, migrations={})

    def _read(self, conn: sqlite3.Connection, mention_id: str) -> MentionWorkflow | None:
        row = conn.execute(
            "SELECT doc FROM mention_workflow WHERE workspace = ? AND mention_id = ?",
            (self._workspace, mention_id),
        ).fetchone()
        return None if row is None else MentionWorkflow.model_validate_json(row[0])

    def _write(self, conn: sqlite3.Connection, state: MentionWorkflow, *, tags: bool) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO mention_workflow (workspace, mention_id, status, priority, assignee, "
            "starred, updated_us, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._workspace,
                state.mention_id,
                state.status.value,
                state.priority.value,
                state.assignee,
                int(state.starred),
                to_epoch_micros(state.updated_at) if state.updated_at else 0,
                state.version,
                state.model_dump_json(),
            ),
        )
        if tags:
            conn.execute(
                "DELETE FROM mention_workflow_tags WHERE workspace = ? AND mention_id = ?",
                (self._workspace, state.mention_id),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO mention_workflow_tags (workspace, tag_key, mention_id) "
                "VALUES (?, ?, ?)",
                [(self._workspace, tag_key(tag), state.mention_id) for tag in state.tags],
            )

    def _next_seq(self, conn: sqlite3.Connection, table: str, mention_id: str) -> int:
        row = conn.execute(
            f"SELECT COALESCE(MAX(seq), -1) + 1 FROM {table} WHERE workspace = ? AND mention_id = ?",
            (self._workspace, mention_id),
        ).fetchone()
        return int(row[0])

    def _log(self, conn: sqlite3.Connection, entries: Sequence[HistoryEntry]) -> None:
        for entry in entries:
            seq = self._next_seq(conn, "mention_workflow_history", entry.mention_id)
            conn.execute(
                "INSERT INTO mention_workflow_history (workspace, mention_id, seq, doc) VALUES (?, ?, ?, ?)",
                (self._workspace, entry.mention_id, seq, entry.model_dump_json()),
            )

    def get(self, mention_id: str) -> MentionWorkflow:
        with self._db.session("get a mention's workflow") as conn:
            found = self._read(conn, mention_id)
        return found or MentionWorkflow.default(self._workspace, mention_id)

    def apply(
        self,
        mention_id: str,
        change: WorkflowChange,
        actor: str,
        at: datetime,
        expected_version: int | None = None,
    ) -> tuple[MentionWorkflow, builtins.list[HistoryEntry]]:
        with self._db.writing("change a mention's workflow") as conn:
            before = self._read(conn, mention_id) or MentionWorkflow.default(self._workspace, mention_id)
            if expected_version is not None and expected_version != before.version:
                raise _conflict(mention_id, expected_version, before.version)
            after, entries = apply_change(before, change, actor=actor, at=at)
            if entries:
                self._write(conn, after, tags=after.tags != before.tags)
                self._log(conn, entries)
        return after, entries

    def add_note(self, mention_id: str, author: str, text: str, at: datetime) -> WorkflowNote:
        with self._db.writing("add a note to a mention") as conn:
            state = self._read(conn, mention_id) or MentionWorkflow.default(self._workspace, mention_id)
            seq = self._next_seq(conn, "mention_workflow_notes", mention_id)
            note, entry = make_note(mention_id, seq=seq, author=author, text=text, at=at)
            conn.execute(
                "INSERT INTO mention_workflow_notes (workspace, mention_id, seq, doc) VALUES (?, ?, ?, ?)",
                (self._workspace, mention_id, seq, note.model_dump_json()),
            )
            self._write(conn, state.model_copy(update={"updated_at": at}), tags=False)
            self._log(conn, [entry])
        return note

    def notes(self, mention_id: str) -> builtins.list[WorkflowNote]:
        with self._db.session("read a mention's notes") as conn:
            rows = conn.execute(
                "SELECT doc FROM mention_workflow_notes WHERE workspace = ? AND mention_id = ? ORDER BY seq",
                (self._workspace, mention_id),
            ).fetchall()
        return [WorkflowNote.model_validate_json(doc) for (doc,) in rows]

    def history(self, mention_id: str, limit: int = DEFAULT_LIMIT) -> builtins.list[HistoryEntry]:
        with self._db.session("read a mention's history") as conn:
            rows = conn.execute(
                "SELECT doc FROM mention_workflow_history WHERE workspace = ? AND mention_id = ? "
                "ORDER BY seq DESC LIMIT ?",
                (self._workspace, mention_id, max(int(limit), 0)),
            ).fetchall()
        return [HistoryEntry.model_validate_json(doc) for (doc,) in rows]

    def list(
        self, filters: WorkflowFilter | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> builtins.list[MentionWorkflow]:
        where, params = _sqlite_where(self._workspace, filters)
        with self._db.session("list mention workflows") as conn:
            rows = conn.execute(
                f"SELECT w.doc FROM mention_workflow w WHERE {where} "
                "ORDER BY w.updated_us DESC, w.mention_id LIMIT ?",
                [*params, max(int(limit), 0)],
            ).fetchall()
        return [MentionWorkflow.model_validate_json(doc) for (doc,) in rows]

    def delete(self, mention_ids: Sequence[str]) -> int:
        ids = builtins.list(dict.fromkeys(mention_ids))
        removed = 0
        with self._db.writing("delete mention workflows") as conn:
            for mention_id in ids:
                key = (self._workspace, mention_id)
                for table in _CHILD_TABLES:
                    conn.execute(f"DELETE FROM {table} WHERE workspace = ? AND mention_id = ?", key)
                removed += conn.execute(
                    "DELETE FROM mention_workflow WHERE workspace = ? AND mention_id = ?", key
                ).rowcount
        return removed


# --- Elasticsearch -------------------------------------------------------------------------------
WORKFLOW_MAPPINGS: Final[dict[str, Any]] = {
    "dynamic": "strict",
    "_meta": {"managed_by": "earful", "workspaces": True},
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        **{name: KEYWORD_MAPPING for name in ("mention_id", "status", "priority", "assignee", "tag_keys")},
        "starred": {"type": "boolean"},
        "version": {"type": "long"},
        "updated_at": {"type": "date_nanos"},
        "doc": {"type": "object", "enabled": False},  # {"state", "notes", "history"}, returned as is
    },
}
_RETRIES: Final = 8


def workflow_index(prefix: str) -> str:
    return f"{prefix}-mention-workflow"


class _Doc:
    """A mention's stored document: state, notes and history (oldest first), and its write version."""

    def __init__(
        self,
        state: MentionWorkflow,
        notes: builtins.list[WorkflowNote],
        history: builtins.list[HistoryEntry],
        seq_no: int | None = None,
        term: int | None = None,
    ) -> None:
        self.state, self.notes, self.history = state, notes, history
        self.seq_no, self.term = seq_no, term


class ElasticsearchWorkflowStore(ScopedElasticsearch):
    name: ClassVar[str] = "elasticsearch"

    @property
    def index(self) -> str:
        return workflow_index(self.prefix)

    def ensure_ready(self) -> None:
        self._create_index(self.index, WORKFLOW_MAPPINGS, refresh_interval="200ms")
        self._ready = True

    def _read(self, mention_id: str) -> _Doc:
        client = self._ensure()
        with translated("get a mention's workflow"):
            found = client.options(ignore_status=404).get(
                index=self.index, id=scoped_doc_id(self._workspace, mention_id)
            )
        if not found.get("found") or found["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return _Doc(MentionWorkflow.default(self._workspace, mention_id), [], [])
        doc = found["_source"]["doc"]
        return _Doc(
            MentionWorkflow.model_validate(doc["state"]),
            [WorkflowNote.model_validate(n) for n in doc["notes"]],
            [HistoryEntry.model_validate(h) for h in doc["history"]],
            found["_seq_no"],
            found["_primary_term"],
        )

    def _save(self, doc: _Doc) -> bool:
        """Write `doc` if the stored one is still the one read; False when someone wrote in between."""
        from elasticsearch import ConflictError

        state = doc.state
        source = {
            WORKSPACE_FIELD: self._workspace,
            "mention_id": state.mention_id,
            "status": state.status.value,
            "priority": state.priority.value,
            "assignee": state.assignee,
            "tag_keys": [tag_key(t) for t in state.tags],
            "starred": state.starred,
            "version": state.version,
            "updated_at": es_datetime(state.updated_at) if state.updated_at else None,
            "doc": {
                "state": state.model_dump(mode="json"),
                "notes": [n.model_dump(mode="json") for n in doc.notes],
                "history": [h.model_dump(mode="json") for h in doc.history],
            },
        }
        guard: dict[str, Any] = (
            {"op_type": "create"}
            if doc.seq_no is None
            else {"if_seq_no": doc.seq_no, "if_primary_term": doc.term}
        )
        with translated("write a mention's workflow"):
            try:
                self.client.index(
                    index=self.index,
                    id=scoped_doc_id(self._workspace, state.mention_id),
                    document=source,
                    refresh="wait_for",
                    **guard,
                )
            except ConflictError:
                return False
        return True

    def _too_busy(self, mention_id: str) -> StoreError:
        return StoreError(
            f"could not change the workflow of mention {mention_id}: too many concurrent writers",
            details={"mention": mention_id},
        )

    def get(self, mention_id: str) -> MentionWorkflow:
        return self._read(mention_id).state

    def apply(
        self,
        mention_id: str,
        change: WorkflowChange,
        actor: str,
        at: datetime,
        expected_version: int | None = None,
    ) -> tuple[MentionWorkflow, builtins.list[HistoryEntry]]:
        for _ in range(_RETRIES):
            doc = self._read(mention_id)
            if expected_version is not None and expected_version != doc.state.version:
                raise _conflict(mention_id, expected_version, doc.state.version)
            after, entries = apply_change(doc.state, change, actor=actor, at=at)
            if not entries:
                return after, entries
            # a note written in between moves the sequence number, not the version: read again and retry
            if self._save(_Doc(after, doc.notes, [*doc.history, *entries], doc.seq_no, doc.term)):
                return after, entries
        raise self._too_busy(mention_id)

    def add_note(self, mention_id: str, author: str, text: str, at: datetime) -> WorkflowNote:
        for _ in range(_RETRIES):
            doc = self._read(mention_id)
            note, entry = make_note(mention_id, seq=len(doc.notes), author=author, text=text, at=at)
            state = doc.state.model_copy(update={"updated_at": at})
            if self._save(_Doc(state, [*doc.notes, note], [*doc.history, entry], doc.seq_no, doc.term)):
                return note
        raise self._too_busy(mention_id)

    def notes(self, mention_id: str) -> builtins.list[WorkflowNote]:
        return self._read(mention_id).notes

    def history(self, mention_id: str, limit: int = DEFAULT_LIMIT) -> builtins.list[HistoryEntry]:
        return self._read(mention_id).history[::-1][: max(int(limit), 0)]

    def _query(self, filters: WorkflowFilter | None) -> dict[str, Any]:
        f = filters or WorkflowFilter()
        clauses: builtins.list[dict[str, Any]] = []
        for field, value in (("status", f.status), ("priority", f.priority), ("assignee", f.assignee)):
            if value is not None:
                clauses.append({"term": {field: str(value)}})
        if f.starred is not None:
            clauses.append({"term": {"starred": f.starred}})
        if f.tag is not None:
            clauses.append({"term": {"tag_keys": tag_key(" ".join(f.tag.split()))}})
        return self._scoped(*clauses)

    def list(
        self, filters: WorkflowFilter | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> builtins.list[MentionWorkflow]:
        client = self._ensure()
        with translated("list mention workflows"):
            hits = client.search(
                index=self.index,
                query=self._query(filters),
                sort=[{"updated_at": {"order": "desc", "missing": "_last"}}, {"mention_id": "asc"}],
                size=max(int(limit), 0),
                source_includes=["doc.state"],
                track_total_hits=False,
            )["hits"]["hits"]
        return [MentionWorkflow.model_validate(hit["_source"]["doc"]["state"]) for hit in hits]

    def delete(self, mention_ids: Sequence[str]) -> int:
        ids = builtins.list(dict.fromkeys(mention_ids))
        removed = 0
        for start in range(0, len(ids), 1000):
            removed += self._delete_where(
                self.index, {"terms": {"mention_id": ids[start : start + 1000]}}, what="mention workflows"
            )
        return removed


def build_workflow_store(
    settings: Settings, *, workspace: str
) -> SQLiteWorkflowStore | ElasticsearchWorkflowStore:
    """The workspace's mention workflows next to its mention store: tables in the same SQLite file, or an
    index under the same prefix of the same cluster. Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchWorkflowStore(settings, workspace=workspace)
    return SQLiteWorkflowStore(settings, workspace=workspace)


__all__ = [
    "WORKFLOW_MAPPINGS",
    "WORKFLOW_TABLES",
    "ElasticsearchWorkflowStore",
    "SQLiteWorkflowStore",
    "WorkflowStore",
    "build_workflow_store",
    "workflow_index",
]
