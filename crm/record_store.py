"""The storage both kinds of customer record share (orders, crm/orders.py; interactions,
crm/interactions.py): frozen records with an id, a customer and a time, kept per workspace on SQLite or
Elasticsearch, upserted idempotently by id.

- SQLite: one table per kind in the mentions database file (`ScopedSQLite`), columns ``(workspace, id,
  customer_id, at_us, fingerprint, doc)``, versioned as its own table set (`ensure_table_set`). An
  `upsert` is one IMMEDIATE transaction over everything it is given, so an import that fails half way
  (an exception from the iterable it passes, a crash) leaves nothing of itself behind.
- Elasticsearch: one index per kind, ``<prefix>-<kind>``, strict mappings with the workspace field, a
  scoped ``_id`` per record (`core.ids.scoped_doc_id`); the record itself is kept unindexed in ``doc``.
  Bulk writes are not transactional: an import interrupted half way is resumed by running it again,
  since records are keyed by id and an unchanged record is skipped by its fingerprint.

Reads: `get`, `list` (newest first, optionally one customer's, `since` inclusive, `until` exclusive),
`iter_all` (every record, by id, in batches), `count`.
"""

from __future__ import annotations

import builtins
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from core.errors import PartialWriteError
from core.ids import scoped_doc_id
from index.aggregations import to_epoch_micros
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import WORKSPACE_FIELD, WORKSPACE_MAPPING

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
_META = {"managed_by": "earful", "workspaces": True}


class UpsertCounts(BaseModel):
    """What an upsert did: records new, changed, and already stored as they are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class RecordKind(Generic[R]):
    """How one kind of record is stored: its model, where, its id, customer and time, and the extra
    fields its Elasticsearch index filters on."""

    model: type[R]
    table: str  # SQLite table, and the table set's name in earful_meta
    index_suffix: str  # Elasticsearch index: <prefix>-<suffix>
    key: Callable[[R], str]
    customer: Callable[[R], str]
    at: Callable[[R], datetime]
    es_fields: Callable[[R], dict[str, Any]] = field(default=lambda _: {})
    es_mappings: dict[str, Any] = field(default_factory=dict)


def fingerprint(record: BaseModel) -> str:
    return hashlib.blake2b(record.model_dump_json().encode("utf-8"), digest_size=16).hexdigest()


# --- SQLite --------------------------------------------------------------------------------------
class SQLiteRecords(ScopedSQLite, Generic[R]):
    """One workspace's records of one kind in a SQLite file; subclasses set `kind`."""

    kind: ClassVar[RecordKind[Any]]

    def _prepare(self, conn: sqlite3.Connection) -> None:
        table = self.kind.table
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {table} (workspace TEXT NOT NULL, id TEXT NOT NULL, "
            "customer_id TEXT NOT NULL, at_us INTEGER NOT NULL, fingerprint TEXT NOT NULL, "
            "doc TEXT NOT NULL, "
            "PRIMARY KEY (workspace, id)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {table}_by_customer ON {table} (workspace, customer_id, at_us)",
            f"CREATE INDEX IF NOT EXISTS {table}_by_time ON {table} (workspace, at_us)",
        )
        ensure_table_set(conn, name=table, version=1, ddl=ddl, migrations={})

    def upsert(self, items: Iterable[R]) -> UpsertCounts:
        """Store the records (the last one wins for an id given twice), in one transaction."""
        kind, table = self.kind, self.kind.table
        created = updated = unchanged = 0
        with self._db.writing(f"upsert {kind.index_suffix}") as conn:
            for record in items:
                key, print_ = kind.key(record), fingerprint(record)
                row = conn.execute(
                    f"SELECT fingerprint FROM {table} WHERE workspace = ? AND id = ?", (self._workspace, key)
                ).fetchone()
                if row is not None and row[0] == print_:
                    unchanged += 1
                    continue
                created, updated = (created + 1, updated) if row is None else (created, updated + 1)
                conn.execute(
                    f"INSERT OR REPLACE INTO {table} (workspace, id, customer_id, at_us, fingerprint, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        self._workspace,
                        key,
                        kind.customer(record),
                        to_epoch_micros(kind.at(record)),
                        print_,
                        record.model_dump_json(),
                    ),
                )
        return UpsertCounts(created=created, updated=updated, unchanged=unchanged)

    def get(self, record_id: str) -> R | None:
        with self._db.session(f"get {self.kind.index_suffix}") as conn:
            row = conn.execute(
                f"SELECT doc FROM {self.kind.table} WHERE workspace = ? AND id = ?",
                (self._workspace, record_id),
            ).fetchone()
        return None if row is None else self.kind.model.model_validate_json(row[0])

    def _where(
        self, customer_id: str | None, since: datetime | None, until: datetime | None
    ) -> tuple[str, builtins.list[Any]]:
        clauses: builtins.list[str] = ["workspace = ?"]
        params: builtins.list[Any] = [self._workspace]
        if customer_id is not None:
            clauses.append("customer_id = ?")
            params.append(customer_id)
        if since is not None:
            clauses.append("at_us >= ?")
            params.append(to_epoch_micros(since))
        if until is not None:
            clauses.append("at_us < ?")
            params.append(to_epoch_micros(until))
        return " AND ".join(clauses), params

    def list(
        self,
        customer_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[R]:
        """Newest first (ties by id, descending)."""
        where, params = self._where(customer_id, since, until)
        page = "" if limit is None else f" LIMIT {max(int(limit), 0)}"
        with self._db.session(f"list {self.kind.index_suffix}") as conn:
            rows = conn.execute(
                f"SELECT doc FROM {self.kind.table} WHERE {where} ORDER BY at_us DESC, id DESC{page}", params
            ).fetchall()
        return [self.kind.model.model_validate_json(doc) for (doc,) in rows]

    def iter_all(self, batch_size: int = 1000) -> Iterator[R]:
        """Every record of the workspace, by id, read `batch_size` at a time."""
        after = ""
        while True:
            with self._db.session(f"read all {self.kind.index_suffix}") as conn:
                rows = conn.execute(
                    f"SELECT id, doc FROM {self.kind.table} "
                    "WHERE workspace = ? AND id > ? ORDER BY id LIMIT ?",
                    (self._workspace, after, batch_size),
                ).fetchall()
            for _, doc in rows:
                yield self.kind.model.model_validate_json(doc)
            if len(rows) < batch_size:
                return
            after = rows[-1][0]

    def delete(self, ids: Sequence[str]) -> int:
        """Remove the records with these ids; returns how many there were."""
        with self._db.writing(f"delete {self.kind.index_suffix}") as conn:
            return sum(
                conn.execute(
                    f"DELETE FROM {self.kind.table} WHERE workspace = ? AND id = ?", (self._workspace, key)
                ).rowcount
                for key in ids
            )

    def delete_customer(self, customer_id: str) -> int:
        """Remove every record of one customer (privacy: crm/privacy.py); returns how many."""
        with self._db.writing(f"delete {self.kind.index_suffix} of a customer") as conn:
            return int(
                conn.execute(
                    f"DELETE FROM {self.kind.table} WHERE workspace = ? AND customer_id = ?",
                    (self._workspace, customer_id),
                ).rowcount
            )

    def count(self, customer_id: str | None = None) -> int:
        where, params = self._where(customer_id, None, None)
        with self._db.session(f"count {self.kind.index_suffix}") as conn:
            return int(
                conn.execute(f"SELECT count(*) FROM {self.kind.table} WHERE {where}", params).fetchone()[0]
            )


# --- Elasticsearch -------------------------------------------------------------------------------
def upsert_fingerprinted(
    store: ScopedElasticsearch,
    index: str,
    what: str,
    records: Mapping[str, T],
    fingerprint_of: Callable[[T], str],
    body_of: Callable[[T, str], dict[str, Any]],
) -> UpsertCounts:
    """Index `records` (id -> record) in `store`'s workspace, skipping those whose stored fingerprint is
    theirs; one bulk request, refreshed before it returns (the customer directory writes this way too).
    `body_of(record, fingerprint)` is the document, less the workspace field."""
    if not records:
        return UpsertCounts()
    client = store._ensure()
    workspace = store.workspace
    scoped = {scoped_doc_id(workspace, key): key for key in records}
    with translated(f"read stored {what}"):
        found = client.mget(index=index, ids=builtins.list(scoped), source_includes=["fingerprint"])
    stored = {scoped[d["_id"]]: d["_source"]["fingerprint"] for d in found["docs"] if d.get("found")}
    operations: builtins.list[dict[str, Any]] = []
    created = updated = unchanged = 0
    for key, record in records.items():
        print_ = fingerprint_of(record)
        if stored.get(key) == print_:
            unchanged += 1
            continue
        created, updated = (created, updated + 1) if key in stored else (created + 1, updated)
        action = {"index": {"_index": index, "_id": scoped_doc_id(workspace, key)}}
        operations += [action, {**body_of(record, print_), WORKSPACE_FIELD: workspace}]
    if operations:
        with translated(f"index {what}"):
            response = client.bulk(operations=operations, refresh=True)
        if response.get("errors"):
            failures = [
                {"id": scoped.get(item["index"].get("_id")), "reason": item["index"].get("error")}
                for item in response["items"]
                if item["index"].get("error")
            ]
            raise PartialWriteError(
                f"{len(failures)} of {len(operations) // 2} {what} were not indexed", failures=failures
            )
    return UpsertCounts(created=created, updated=updated, unchanged=unchanged)


class ElasticsearchRecords(ScopedElasticsearch, Generic[R]):
    """One workspace's records of one kind in ``<prefix>-<suffix>``; subclasses set `kind`."""

    kind: ClassVar[RecordKind[Any]]
    name: ClassVar[str] = "elasticsearch"

    @property
    def index(self) -> str:
        return f"{self.prefix}-{self.kind.index_suffix}"

    def mappings(self) -> dict[str, Any]:
        keyword = {"type": "keyword", "ignore_above": 512}
        return {
            "dynamic": "strict",
            "_meta": _META,
            "properties": {
                WORKSPACE_FIELD: WORKSPACE_MAPPING,
                "id": keyword,
                "customer_id": keyword,
                "at_us": {"type": "long"},
                "fingerprint": {"type": "keyword", "index": False},
                "doc": {"type": "object", "enabled": False},  # the record itself, returned as is
                **self.kind.es_mappings,
            },
        }

    def ensure_ready(self) -> None:
        self._create_index(self.index, self.mappings())
        self._ready = True

    def upsert(self, items: Iterable[R]) -> UpsertCounts:
        """Store the records in bulk (refreshed before returning). Not one transaction: an interrupted
        import is resumed by running it again (keyed by id, unchanged records skipped)."""
        kind = self.kind
        records = {kind.key(record): record for record in items}
        if not records:
            return UpsertCounts()

        def body(record: R, print_: str) -> dict[str, Any]:
            return {
                "id": kind.key(record),
                "customer_id": kind.customer(record),
                "at_us": to_epoch_micros(kind.at(record)),
                "fingerprint": print_,
                "doc": record.model_dump(mode="json"),
                **kind.es_fields(record),
            }

        return upsert_fingerprinted(self, self.index, kind.index_suffix, records, fingerprint, body)

    def get(self, record_id: str) -> R | None:
        client = self._ensure()
        with translated(f"get {self.kind.index_suffix}"):
            response = client.options(ignore_status=404).get(
                index=self.index, id=scoped_doc_id(self._workspace, record_id)
            )
        if not response.get("found") or response["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None
        record: R = self.kind.model.model_validate(response["_source"]["doc"])
        return record

    def _query(
        self, customer_id: str | None, since: datetime | None, until: datetime | None
    ) -> dict[str, Any]:
        clauses: builtins.list[dict[str, Any]] = []
        if customer_id is not None:
            clauses.append({"term": {"customer_id": customer_id}})
        bounds: dict[str, int] = {}
        if since is not None:
            bounds["gte"] = to_epoch_micros(since)
        if until is not None:
            bounds["lt"] = to_epoch_micros(until)
        if bounds:
            clauses.append({"range": {"at_us": bounds}})
        return self._scoped(*clauses)

    def _pages(
        self, query: dict[str, Any], sort: builtins.list[dict[str, str]], batch_size: int, limit: int | None
    ) -> Iterator[R]:
        """Hits of `query` in `sort` order, `batch_size` a request (search_after), at most `limit`."""
        client = self._ensure()
        after: builtins.list[Any] | None = None
        left = limit
        while left is None or left > 0:
            size = batch_size if left is None else min(batch_size, left)
            with translated(f"read {self.kind.index_suffix}"):
                response = client.search(
                    index=self.index,
                    query=query,
                    sort=sort,
                    size=size,
                    search_after=after,
                    source_includes=["doc"],
                )
            hits = response["hits"]["hits"]
            for hit in hits:
                yield self.kind.model.model_validate(hit["_source"]["doc"])
            if left is not None:
                left -= len(hits)
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    def list(
        self,
        customer_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[R]:
        """Newest first (ties by id, descending)."""
        sort = [{"at_us": "desc"}, {"id": "desc"}]
        return builtins.list(self._pages(self._query(customer_id, since, until), sort, 1000, limit))

    def iter_all(self, batch_size: int = 1000) -> Iterator[R]:
        """Every record of the workspace, by id, read `batch_size` at a time."""
        return self._pages(self._scoped(), [{"id": "asc"}], batch_size, None)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove the records with these ids; returns how many there were."""
        if not ids:
            return 0
        return self._delete_where(
            self.index, {"terms": {"id": builtins.list(ids)}}, what=self.kind.index_suffix
        )

    def delete_customer(self, customer_id: str) -> int:
        """Remove every record of one customer (privacy: crm/privacy.py); returns how many."""
        return self._delete_where(
            self.index, {"term": {"customer_id": customer_id}}, what=self.kind.index_suffix
        )

    def count(self, customer_id: str | None = None) -> int:
        client = self._ensure()
        with translated(f"count {self.kind.index_suffix}"):
            return int(client.count(index=self.index, query=self._query(customer_id, None, None))["count"])
