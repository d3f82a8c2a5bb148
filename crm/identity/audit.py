"""The merge audit: one record per merge of two customers, enough to undo it exactly.

A `MergeRecord` holds who merged and when, both customers as they were before (the master-file row and
order numbers), the survivor as the merge left it, the link verdicts it copied onto the survivor (and
the survivor's own verdicts they replaced), and every mention it re-pointed with the link it had.
`MergeAuditStore` keeps them per workspace, on both backends, next to the customers:

- SQLite: table ``customer_merges`` in the mentions database file (table set ``customer_merges`` in
  ``earful_meta``), the record's JSON in ``doc`` beside the columns lookups read;
- Elasticsearch: index ``<prefix>-customer-merges``, strict mappings, the record in ``doc`` (not
  indexed), ``workspace`` on every document and in every query. Writes refresh before they return: an
  unmerge right after a merge must find it.

`crm.identity.testing.MergeAuditStoreContract` is the contract both pass.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

from pydantic import AwareDatetime, Field

from core.errors import InvalidInput, NotFound
from core.ids import scoped_doc_id
from core.models import CustomerLink, Frozen
from core.settings import Settings
from crm.customers import CustomerRecord, LinkVerdict
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import WORKSPACE_FIELD, WORKSPACE_MAPPING


class MovedMention(Frozen):
    """A mention a merge re-pointed to the survivor, with the link it had before."""

    mention_id: str
    link: CustomerLink


class MergeRecord(Frozen):
    """One merge: `absorbed` folded into `survivor` (see the module docstring)."""

    id: str = Field(description="The merge id `earful crm unmerge` takes")
    survivor_id: str
    absorbed_id: str
    survivor_code: str
    absorbed_code: str
    by: str = Field(min_length=1, description="Who merged")
    at: AwareDatetime
    survivor_before: CustomerRecord
    absorbed_before: CustomerRecord
    survivor_after: CustomerRecord
    feedback_added: tuple[LinkVerdict, ...] = Field((), description="Verdicts copied onto the survivor")
    feedback_replaced: tuple[LinkVerdict, ...] = Field(
        (), description="The survivor's own verdicts that the copies replaced"
    )
    mentions: tuple[MovedMention, ...] = ()
    changes: tuple[str, ...] = Field((), description="What the merge changed, as the dry run printed it")
    undone_at: AwareDatetime | None = None
    undone_by: str | None = None

    @property
    def active(self) -> bool:
        return self.undone_at is None


@runtime_checkable
class MergeAuditStore(Protocol):
    """One workspace's merge records."""

    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def add(self, record: MergeRecord) -> None:
        """Store a new record; InvalidInput if one with its id exists."""
        ...

    def get(self, merge_id: str) -> MergeRecord | None: ...

    def list(self, *, active_only: bool = False) -> list[MergeRecord]:
        """Newest first."""
        ...

    def involving(self, customer_id: str) -> builtins.list[MergeRecord]:
        """The active merges this customer took part in (as survivor or absorbed), newest first."""
        ...

    def save(self, record: MergeRecord) -> None:
        """Replace a stored record (an unmerge marks it undone); NotFound if there is none."""
        ...

    def delete_involving(self, customer_id: str) -> int:
        """Remove every merge record (active or undone) with the customer on either side (privacy)."""
        ...

    def close(self) -> None: ...


# `Customer.id` is computed from the code: dumped, it would not validate back
_NO_IDS: dict[str, Any] = {
    part: {"customer": {"id"}} for part in ("survivor_before", "absorbed_before", "survivor_after")
}


def _json(record: MergeRecord) -> str:
    return record.model_dump_json(exclude=_NO_IDS)


def _newest_first(records: Sequence[MergeRecord]) -> builtins.list[MergeRecord]:
    return sorted(records, key=lambda r: (r.at, r.id), reverse=True)


# --- SQLite --------------------------------------------------------------------------------------
_DDL = (
    "CREATE TABLE IF NOT EXISTS customer_merges (workspace TEXT NOT NULL, id TEXT NOT NULL, "
    "survivor_id TEXT NOT NULL, absorbed_id TEXT NOT NULL, active INTEGER NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (workspace, id)) WITHOUT ROWID",
)


class SQLiteMergeAuditStore(ScopedSQLite):
    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_table_set(conn, name="customer_merges", version=1, ddl=_DDL, migrations={})

    def _row(self, record: MergeRecord) -> tuple[Any, ...]:
        return (
            self._workspace,
            record.id,
            record.survivor_id,
            record.absorbed_id,
            int(record.active),
            _json(record),
        )

    def add(self, record: MergeRecord) -> None:
        with self._db.writing("record a merge") as conn:
            try:
                conn.execute("INSERT INTO customer_merges VALUES (?, ?, ?, ?, ?, ?)", self._row(record))
            except sqlite3.IntegrityError as exc:
                raise InvalidInput(
                    f"merge {record.id} is already recorded", details={"id": record.id}
                ) from exc

    def save(self, record: MergeRecord) -> None:
        with self._db.writing("update a merge") as conn:
            cursor = conn.execute(
                "UPDATE customer_merges SET active = ?, doc = ? WHERE workspace = ? AND id = ?",
                (int(record.active), _json(record), self._workspace, record.id),
            )
        if cursor.rowcount == 0:
            raise NotFound(
                f"no merge {record.id} in workspace {self._workspace!r}", details={"id": record.id}
            )

    def _docs(self, operation: str, where: str, params: Sequence[Any]) -> builtins.list[MergeRecord]:
        with self._db.session(operation) as conn:
            rows = conn.execute(
                f"SELECT doc FROM customer_merges WHERE workspace = ?{where}", (self._workspace, *params)
            ).fetchall()
        return _newest_first([MergeRecord.model_validate_json(doc) for (doc,) in rows])

    def get(self, merge_id: str) -> MergeRecord | None:
        found = self._docs("get a merge", " AND id = ?", (merge_id,))
        return found[0] if found else None

    def list(self, *, active_only: bool = False) -> builtins.list[MergeRecord]:
        return self._docs("list merges", " AND active = 1" if active_only else "", ())

    def delete_involving(self, customer_id: str) -> int:
        """Remove every merge record (active or undone) with the customer on either side (privacy)."""
        with self._db.writing("delete a customer's merges") as conn:
            return int(
                conn.execute(
                    "DELETE FROM customer_merges "
                    "WHERE workspace = ? AND (survivor_id = ? OR absorbed_id = ?)",
                    (self._workspace, customer_id, customer_id),
                ).rowcount
            )

    def involving(self, customer_id: str) -> builtins.list[MergeRecord]:
        return self._docs(
            "find a customer's merges",
            " AND active = 1 AND (survivor_id = ? OR absorbed_id = ?)",
            (customer_id, customer_id),
        )


# --- Elasticsearch -------------------------------------------------------------------------------
_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 512}
MERGE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"managed_by": "earful", "workspaces": True},
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        "id": _KEYWORD,
        "survivor_id": _KEYWORD,
        "absorbed_id": _KEYWORD,
        "active": {"type": "boolean"},
        "doc": {"type": "object", "enabled": False},
    },
}


MERGE_TABLES: Final = {"merges": "customer_merges"}  # as `earful workspaces list` counts kinds


def merge_index(prefix: str) -> str:
    return f"{prefix}-customer-merges"


class ElasticsearchMergeAuditStore(ScopedElasticsearch):
    max_records: ClassVar[int] = 10_000  # merges are manual: a workspace never gets near this

    @property
    def index(self) -> str:
        return merge_index(self.prefix)

    def ensure_ready(self) -> None:
        self._create_index(self.index, MERGE_MAPPINGS)
        self._ready = True

    def _body(self, record: MergeRecord) -> dict[str, Any]:
        return {
            WORKSPACE_FIELD: self._workspace,
            "id": record.id,
            "survivor_id": record.survivor_id,
            "absorbed_id": record.absorbed_id,
            "active": record.active,
            "doc": record.model_dump(mode="json", exclude=_NO_IDS),
        }

    def add(self, record: MergeRecord) -> None:
        from elasticsearch import ConflictError

        client = self._ensure()
        with translated("record a merge"):
            try:
                client.create(
                    index=self.index,
                    id=scoped_doc_id(self._workspace, record.id),
                    document=self._body(record),
                    refresh=True,
                )
            except ConflictError as exc:
                raise InvalidInput(
                    f"merge {record.id} is already recorded", details={"id": record.id}
                ) from exc

    def save(self, record: MergeRecord) -> None:
        if self.get(record.id) is None:
            raise NotFound(
                f"no merge {record.id} in workspace {self._workspace!r}", details={"id": record.id}
            )
        client = self._ensure()
        with translated("update a merge"):
            client.index(
                index=self.index,
                id=scoped_doc_id(self._workspace, record.id),
                document=self._body(record),
                refresh=True,
            )

    def _search(self, operation: str, *clauses: dict[str, Any]) -> builtins.list[MergeRecord]:
        client = self._ensure()
        with translated(operation):
            response = client.search(index=self.index, query=self._scoped(*clauses), size=self.max_records)
        return _newest_first(
            [MergeRecord.model_validate(hit["_source"]["doc"]) for hit in response["hits"]["hits"]]
        )

    def get(self, merge_id: str) -> MergeRecord | None:
        found = self._search("get a merge", {"term": {"id": merge_id}})
        return found[0] if found else None

    def list(self, *, active_only: bool = False) -> builtins.list[MergeRecord]:
        return self._search("list merges", *([{"term": {"active": True}}] if active_only else []))

    def involving(self, customer_id: str) -> builtins.list[MergeRecord]:
        either = {
            "bool": {
                "should": [{"term": {"survivor_id": customer_id}}, {"term": {"absorbed_id": customer_id}}],
                "minimum_should_match": 1,
            }
        }
        return self._search("find a customer's merges", {"term": {"active": True}}, either)

    def delete_involving(self, customer_id: str) -> int:
        """Remove every merge record (active or undone) with the customer on either side (privacy)."""
        either = {
            "bool": {
                "should": [{"term": {"survivor_id": customer_id}}, {"term": {"absorbed_id": customer_id}}],
                "minimum_should_match": 1,
            }
        }
        return self._delete_where(self.index, either, what="a customer's merges")


MergeAudit = SQLiteMergeAuditStore | ElasticsearchMergeAuditStore


def build_merge_audit_store(settings: Settings, *, workspace: str) -> MergeAudit:
    """The workspace's merge audit next to its customers: the SQLite file, or the cluster and prefix."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchMergeAuditStore(settings, workspace=workspace)
    return SQLiteMergeAuditStore(settings, workspace=workspace)
