"""Where cases are kept: the `CaseStore` protocol, on SQLite and on Elasticsearch, workspace-scoped.

- SQLite (`SQLiteCaseStore`): tables in the mentions database file (version 1 of the ``crm_cases``
  table set in ``earful_meta``): ``crm_cases`` (the case's JSON in ``doc``, beside it the columns that
  filters and sorts read) and ``crm_case_mentions`` (mention -> case, what makes the complaint rule
  idempotent). Every key leads with the workspace. An update is a read-modify-write in an IMMEDIATE
  transaction under the write lock.
- Elasticsearch (`ElasticsearchCaseStore`): ``<prefix>-crm-cases``, strict mappings, keyword and date
  fields beside the case itself (``doc``, not indexed), ``mention_ids`` as a keyword array, the
  ``workspace`` keyword every query filters on, ``_id`` = `core.ids.scoped_doc_id`. Writes wait for the
  refresh (the rule reads the customer's open case back for the next batch); an update is optimistic
  (``if_seq_no``), retried from the read when someone wrote in between.

A case changes only through `update(case_id, change)`, where `change` is a pure function of the stored
case (`Case.move_to`, `Case.assign`...): the store decides how to make read-change-write atomic.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

from pydantic import Field

from core.errors import NotFound, StoreError
from core.ids import scoped_doc_id
from core.models import Frozen
from core.settings import Settings
from crm.cases.model import OPEN_STATUSES, Case, CaseStatus
from index.aggregations import to_epoch_micros
from index.backends.elasticsearch import es_datetime
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import KEYWORD_MAPPING, WORKSPACE_FIELD, WORKSPACE_MAPPING

CaseChangeFn = Callable[[Case], Case]


class CaseFilter(Frozen):
    """Every given field must match; `statuses` are OR'ed."""

    statuses: tuple[CaseStatus, ...] = ()
    open_only: bool = Field(False, description="Only cases in an open status (new, open, pending, escalated)")
    assignee: str | None = None
    customer_id: str | None = None


@runtime_checkable
class CaseStore(Protocol):
    """One workspace's cases."""

    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def create(self, case: Case) -> bool:
        """Store a new case; False (and nothing written) when a case of that id exists."""
        ...

    def get(self, case_id: str) -> Case | None: ...

    def update(self, case_id: str, change: CaseChangeFn) -> Case:
        """Apply `change` to the stored case atomically and return the result; NotFound without it. A
        change that returns the case unchanged writes nothing."""
        ...

    def list(self, filters: CaseFilter | None = None, *, limit: int | None = None) -> builtins.list[Case]:
        """Matching cases, the most recently updated first (then by id)."""
        ...

    def count(self, filters: CaseFilter | None = None) -> int: ...

    def by_mentions(self, mention_ids: Sequence[str]) -> dict[str, builtins.list[str]]:
        """mention id -> the ids of the cases holding it, for the given mentions that are on a case."""
        ...

    def delete_customer(self, customer_id: str) -> int:
        """Remove every case of one customer, notes and history with them (privacy erasure)."""
        ...

    def close(self) -> None: ...


def _not_found(case_id: str) -> NotFound:
    return NotFound(f"no case {case_id!r}", details={"case": case_id})


# --- SQLite --------------------------------------------------------------------------------------
SCHEMA_VERSION: Final = 1
_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS crm_cases (workspace TEXT NOT NULL, id TEXT NOT NULL, "
    "customer_id TEXT NOT NULL, status TEXT NOT NULL, assignee TEXT, priority TEXT NOT NULL, "
    "opened_us INTEGER NOT NULL, updated_us INTEGER NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (workspace, id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS crm_cases_customer ON crm_cases (workspace, customer_id, status)",
    "CREATE INDEX IF NOT EXISTS crm_cases_assignee ON crm_cases (workspace, assignee, status)",
    "CREATE TABLE IF NOT EXISTS crm_case_mentions (workspace TEXT NOT NULL, mention_id TEXT NOT NULL, "
    "case_id TEXT NOT NULL, PRIMARY KEY (workspace, mention_id, case_id)) WITHOUT ROWID",
)
#: The tables `earful workspaces list` could count, by kind.
CASE_TABLES: Final = {"cases": "crm_cases"}


def _where(workspace: str, filters: CaseFilter | None) -> tuple[str, builtins.list[Any]]:
    f = filters or CaseFilter()
    clauses, params = ["workspace = ?"], [workspace]
    statuses = _statuses(f)
    if statuses is not None:
        clauses.append(f"status IN ({','.join('?' * len(statuses))})")
        params += statuses
    for column, value in (("assignee", f.assignee), ("customer_id", f.customer_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def _statuses(f: CaseFilter) -> builtins.list[str] | None:
    """The status values a filter keeps; None: any status."""
    wanted = set(f.statuses or CaseStatus)
    if f.open_only:
        wanted &= OPEN_STATUSES
    return None if wanted == set(CaseStatus) else sorted(s.value for s in wanted)


class SQLiteCaseStore(ScopedSQLite):
    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_table_set(conn, name="crm_cases", version=SCHEMA_VERSION, ddl=_DDL, migrations={})

    def _write(self, conn: sqlite3.Connection, case: Case) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO crm_cases (workspace, id, customer_id, status, assignee, priority, "
            "opened_us, updated_us, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._workspace,
                case.id,
                case.customer_id,
                case.status.value,
                case.assignee,
                case.priority.value,
                to_epoch_micros(case.opened_at),
                to_epoch_micros(case.updated_at),
                case.model_dump_json(),
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO crm_case_mentions (workspace, mention_id, case_id) VALUES (?, ?, ?)",
            [(self._workspace, mention, case.id) for mention in case.mention_ids],
        )

    def create(self, case: Case) -> bool:
        with self._db.writing("open a case") as conn:
            if conn.execute(
                "SELECT 1 FROM crm_cases WHERE workspace = ? AND id = ?", (self._workspace, case.id)
            ).fetchone():
                return False
            self._write(conn, case)
        return True

    def get(self, case_id: str) -> Case | None:
        with self._db.session("get a case") as conn:
            row = conn.execute(
                "SELECT doc FROM crm_cases WHERE workspace = ? AND id = ?", (self._workspace, case_id)
            ).fetchone()
        return None if row is None else Case.model_validate_json(row[0])

    def update(self, case_id: str, change: CaseChangeFn) -> Case:
        with self._db.writing("change a case") as conn:
            row = conn.execute(
                "SELECT doc FROM crm_cases WHERE workspace = ? AND id = ?", (self._workspace, case_id)
            ).fetchone()
            if row is None:
                raise _not_found(case_id)
            before = Case.model_validate_json(row[0])
            after = change(before)
            if after != before:
                self._write(conn, after)
        return after

    def list(self, filters: CaseFilter | None = None, *, limit: int | None = None) -> builtins.list[Case]:
        where, params = _where(self._workspace, filters)
        page = " LIMIT ?" if limit is not None else ""
        with self._db.session("list cases") as conn:
            rows = conn.execute(
                f"SELECT doc FROM crm_cases WHERE {where} ORDER BY updated_us DESC, id{page}",
                [*params, *([limit] if limit is not None else [])],
            ).fetchall()
        return [Case.model_validate_json(doc) for (doc,) in rows]

    def count(self, filters: CaseFilter | None = None) -> int:
        where, params = _where(self._workspace, filters)
        with self._db.session("count cases") as conn:
            return int(conn.execute(f"SELECT count(*) FROM crm_cases WHERE {where}", params).fetchone()[0])

    def delete_customer(self, customer_id: str) -> int:
        """Remove every case of one customer, notes and history with them (privacy erasure)."""
        with self._db.writing("delete a customer's cases") as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM crm_cases WHERE workspace = ? AND customer_id = ?",
                    (self._workspace, customer_id),
                )
            ]
            for case_id in ids:
                conn.execute(
                    "DELETE FROM crm_case_mentions WHERE workspace = ? AND case_id = ?",
                    (self._workspace, case_id),
                )
                conn.execute(
                    "DELETE FROM crm_cases WHERE workspace = ? AND id = ?", (self._workspace, case_id)
                )
        return len(ids)

    def by_mentions(self, mention_ids: Sequence[str]) -> dict[str, builtins.list[str]]:
        out: dict[str, builtins.list[str]] = {}
        ids = list(dict.fromkeys(mention_ids))
        with self._db.session("find the cases of mentions") as conn:
            for start in range(0, len(ids), 500):  # under SQLite's variable limit
                chunk = ids[start : start + 500]
                rows = conn.execute(
                    "SELECT mention_id, case_id FROM crm_case_mentions WHERE workspace = ? "
                    f"AND mention_id IN ({','.join('?' * len(chunk))}) ORDER BY case_id",
                    [self._workspace, *chunk],
                )
                for mention, case in rows:
                    out.setdefault(mention, []).append(case)
        return out


# --- Elasticsearch -------------------------------------------------------------------------------
CASE_MAPPINGS: Final[dict[str, Any]] = {
    "dynamic": "strict",
    "_meta": {"managed_by": "earful", "workspaces": True},
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        **{
            name: KEYWORD_MAPPING
            for name in ("id", "customer_id", "status", "assignee", "priority", "mention_ids")
        },
        "opened_at": {"type": "date_nanos"},
        "updated_at": {"type": "date_nanos"},
        "doc": {"type": "object", "enabled": False},  # the Case itself, returned as is
    },
}
_PAGE: Final = 1000
_RETRIES: Final = 8


def case_index(prefix: str) -> str:
    return f"{prefix}-crm-cases"


class ElasticsearchCaseStore(ScopedElasticsearch):
    name: ClassVar[str] = "elasticsearch"

    @property
    def index(self) -> str:
        return case_index(self.prefix)

    def ensure_ready(self) -> None:
        self._create_index(self.index, CASE_MAPPINGS, refresh_interval="200ms")
        self._ready = True

    def _source(self, case: Case) -> dict[str, Any]:
        return {
            WORKSPACE_FIELD: self._workspace,
            "id": case.id,
            "customer_id": case.customer_id,
            "status": case.status.value,
            "assignee": case.assignee,
            "priority": case.priority.value,
            "mention_ids": list(case.mention_ids),
            "opened_at": es_datetime(case.opened_at),
            "updated_at": es_datetime(case.updated_at),
            "doc": case.model_dump(mode="json"),
        }

    def _query(self, filters: CaseFilter | None) -> dict[str, Any]:
        f = filters or CaseFilter()
        clauses: builtins.list[dict[str, Any]] = []
        statuses = _statuses(f)
        if statuses is not None:
            clauses.append({"terms": {"status": statuses}})
        for field, value in (("assignee", f.assignee), ("customer_id", f.customer_id)):
            if value is not None:
                clauses.append({"term": {field: value}})
        return self._scoped(*clauses)

    def _read(self, case_id: str) -> tuple[Case, int, int] | None:
        """The stored case with its sequence number and primary term (a realtime get)."""
        client = self._ensure()
        with translated("get a case"):
            found = client.options(ignore_status=404).get(
                index=self.index, id=scoped_doc_id(self._workspace, case_id)
            )
        if not found.get("found") or found["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None
        return Case.model_validate(found["_source"]["doc"]), found["_seq_no"], found["_primary_term"]

    def create(self, case: Case) -> bool:
        from elasticsearch import ConflictError

        client = self._ensure()
        with translated("open a case"):
            try:
                client.create(
                    index=self.index,
                    id=scoped_doc_id(self._workspace, case.id),
                    document=self._source(case),
                    refresh="wait_for",
                )
            except ConflictError:
                return False
        return True

    def get(self, case_id: str) -> Case | None:
        found = self._read(case_id)
        return None if found is None else found[0]

    def update(self, case_id: str, change: CaseChangeFn) -> Case:
        from elasticsearch import ConflictError

        client = self._ensure()
        for _ in range(_RETRIES):
            found = self._read(case_id)
            if found is None:
                raise _not_found(case_id)
            before, seq_no, term = found
            after = change(before)
            if after == before:
                return after
            with translated("change a case"):
                try:
                    client.index(
                        index=self.index,
                        id=scoped_doc_id(self._workspace, case_id),
                        document=self._source(after),
                        if_seq_no=seq_no,
                        if_primary_term=term,
                        refresh="wait_for",
                    )
                except ConflictError:
                    continue  # someone wrote in between: read again
            return after
        raise StoreError(
            f"could not change case {case_id}: too many concurrent writers", details={"case": case_id}
        )

    def _hits(
        self, query: dict[str, Any], limit: int | None, action: str, **extra: Any
    ) -> builtins.list[dict[str, Any]]:
        """Every hit of `query` (search_after pages), or the first `limit`, newest update first."""
        client = self._ensure()
        hits: builtins.list[dict[str, Any]] = []
        after: builtins.list[Any] | None = None
        while limit is None or len(hits) < limit:
            size = _PAGE if limit is None else min(_PAGE, limit - len(hits))
            with translated(action):
                page = client.search(
                    index=self.index,
                    query=query,
                    sort=[{"updated_at": "desc"}, {"id": "asc"}],
                    size=size,
                    search_after=after,
                    track_total_hits=False,
                    **extra,
                )["hits"]["hits"]
            hits += page
            if len(page) < size:
                break
            after = page[-1]["sort"]
        return hits

    def list(self, filters: CaseFilter | None = None, *, limit: int | None = None) -> builtins.list[Case]:
        return [
            Case.model_validate(hit["_source"]["doc"])
            for hit in self._hits(self._query(filters), limit, "list cases")
        ]

    def count(self, filters: CaseFilter | None = None) -> int:
        client = self._ensure()
        with translated("count cases"):
            return int(client.count(index=self.index, query=self._query(filters))["count"])

    def delete_customer(self, customer_id: str) -> int:
        """Remove every case of one customer, notes and history with them (privacy erasure)."""
        return self._delete_where(
            self.index, {"term": {"customer_id": customer_id}}, what="a customer's cases"
        )

    def by_mentions(self, mention_ids: Sequence[str]) -> dict[str, builtins.list[str]]:
        ids = list(dict.fromkeys(mention_ids))
        out: dict[str, builtins.list[str]] = {}
        for start in range(0, len(ids), _PAGE):
            wanted = set(ids[start : start + _PAGE])
            query = self._scoped({"terms": {"mention_ids": sorted(wanted)}})
            for hit in self._hits(
                query, None, "find the cases of mentions", source_includes=["id", "mention_ids"]
            ):
                for mention in wanted.intersection(hit["_source"]["mention_ids"]):
                    out.setdefault(mention, []).append(hit["_source"]["id"])
        return {mention: sorted(cases) for mention, cases in out.items()}


def open_case_counts(store: CaseStore) -> dict[str, int]:
    """customer id -> how many open cases they have (one read of the open cases): what churn risk
    counts (`crm.scores.recompute_scores`' ``open_cases``)."""
    counts: dict[str, int] = {}
    for case in store.list(CaseFilter(open_only=True)):
        counts[case.customer_id] = counts.get(case.customer_id, 0) + 1
    return counts


def build_case_store(settings: Settings, *, workspace: str) -> SQLiteCaseStore | ElasticsearchCaseStore:
    """The workspace's cases next to its mention store: tables in the same SQLite file, or an index under
    the same prefix of the same cluster. Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchCaseStore(settings, workspace=workspace)
    return SQLiteCaseStore(settings, workspace=workspace)
