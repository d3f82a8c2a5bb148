"""Where a workspace's brands and report definitions are kept: the `ReportStore` protocol, on SQLite
(tables in the mentions database file) and on Elasticsearch (indices under the store's prefix), scoped
to one workspace when built, like every store (`index.base`). `reports.store_testing` holds its contract.

- SQLite (`SQLiteReportStore`): the ``reports`` table set in ``earful_meta``: ``report_brands`` (keyed by
  workspace and `brand_key`) and ``report_definitions`` (by workspace and name), the model's JSON in
  ``doc``. A save reads the stored ``created_at`` and writes in one IMMEDIATE transaction.
- Elasticsearch (`ElasticsearchReportStore`): ``<prefix>-report-brands`` and
  ``<prefix>-report-definitions``, strict mappings with the workspace field, ``_id`` =
  `core.ids.scoped_doc_id` of the key; the model is kept unindexed in ``doc``. Writes are optimistic
  (``if_seq_no``, so two saves racing keep the first ``created_at``) and refresh before returning, so the
  next read sees them.

A save keeps the first ``created_at`` of that key and sets ``updated_at`` to now. Brands are listed own
brand first, then product lines, then competitors, by key within a role (`brand_order`); definitions by
name. A workspace holds a few dozen of each: lists read them all.
"""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar, Final, Protocol, TypeVar, runtime_checkable

from core.errors import StoreError
from core.ids import scoped_doc_id
from core.models import utcnow
from core.settings import Settings
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import KEYWORD_MAPPING, WORKSPACE_FIELD, WORKSPACE_MAPPING
from reports.brands import Brand, BrandRole, brand_key
from reports.definitions import ReportDefinition

M = TypeVar("M", Brand, ReportDefinition)


@runtime_checkable
class ReportStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def save_brand(self, brand: Brand) -> Brand:
        """Create or replace the brand of that key (case-folded name); keeps the first `created_at`."""
        ...

    def get_brand(self, name: str) -> Brand | None:
        """By name, whatever its case and spacing."""
        ...

    def list_brands(self) -> list[Brand]:
        """Own brand first, then product lines, then competitors; by name within a role."""
        ...

    def delete_brand(self, name: str) -> bool: ...

    def save_report(self, definition: ReportDefinition) -> ReportDefinition:
        """Create or replace the definition of that name; keeps the first `created_at`."""
        ...

    def get_report(self, name: str) -> ReportDefinition | None: ...

    def list_reports(self) -> list[ReportDefinition]:
        """By name."""
        ...

    def delete_report(self, name: str) -> bool: ...

    def close(self) -> None: ...


ROLE_ORDER: Final = {BrandRole.own: 0, BrandRole.product_line: 1, BrandRole.competitor: 2}


def brand_order(brand: Brand) -> tuple[int, str, str]:
    """Sort key of `ReportStore.list_brands`: role (own, product line, competitor), then key, then name."""
    return ROLE_ORDER[brand.role], brand.key, brand.name


def _stamped(model: M, stored: M | None) -> M:
    """`model` as saved: the stored `created_at` when there is one, `updated_at` now."""
    created = stored.created_at if stored is not None else model.created_at
    now = utcnow()
    return model.model_copy(update={"created_at": created, "updated_at": max(now, created)})


# --- SQLite --------------------------------------------------------------------------------------
SCHEMA_VERSION: Final = 1
_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS report_brands (workspace TEXT NOT NULL, key TEXT NOT NULL, "
    "doc TEXT NOT NULL, PRIMARY KEY (workspace, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS report_definitions (workspace TEXT NOT NULL, name TEXT NOT NULL, "
    "doc TEXT NOT NULL, PRIMARY KEY (workspace, name)) WITHOUT ROWID",
)
#: The tables `earful workspaces list` counts, by kind.
REPORT_TABLES: Final = {"brands": "report_brands", "reports": "report_definitions"}


class SQLiteReportStore(ScopedSQLite):
    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_table_set(conn, name="reports", version=SCHEMA_VERSION, ddl=_DDL, migrations={})

    def _get(self, conn: sqlite3.Connection, model: type[M], table: str, column: str, key: str) -> M | None:
        row = conn.execute(
            f"SELECT doc FROM {table} WHERE workspace = ? AND {column} = ?", (self._workspace, key)
        ).fetchone()
        return None if row is None else model.model_validate_json(row[0])

    def _save(self, model: M, table: str, column: str, key: str, what: str) -> M:
        with self._db.writing(f"save {what}") as conn:
            saved = _stamped(model, self._get(conn, type(model), table, column, key))
            conn.execute(
                f"INSERT OR REPLACE INTO {table} (workspace, {column}, doc) VALUES (?, ?, ?)",
                (self._workspace, key, saved.model_dump_json()),
            )
        return saved

    def _all(self, model: type[M], table: str, what: str) -> list[M]:
        with self._db.session(f"list {what}") as conn:
            rows = conn.execute(f"SELECT doc FROM {table} WHERE workspace = ?", (self._workspace,)).fetchall()
        return [model.model_validate_json(doc) for (doc,) in rows]

    def _delete(self, table: str, column: str, key: str, what: str) -> bool:
        with self._db.writing(f"delete {what}") as conn:
            cursor = conn.execute(
                f"DELETE FROM {table} WHERE workspace = ? AND {column} = ?", (self._workspace, key)
            )
        return cursor.rowcount > 0

    def save_brand(self, brand: Brand) -> Brand:
        return self._save(brand, "report_brands", "key", brand.key, "a brand")

    def get_brand(self, name: str) -> Brand | None:
        with self._db.session("get a brand") as conn:
            return self._get(conn, Brand, "report_brands", "key", brand_key(name))

    def list_brands(self) -> list[Brand]:
        return sorted(self._all(Brand, "report_brands", "brands"), key=brand_order)

    def delete_brand(self, name: str) -> bool:
        return self._delete("report_brands", "key", brand_key(name), "a brand")

    def save_report(self, definition: ReportDefinition) -> ReportDefinition:
        return self._save(definition, "report_definitions", "name", definition.name, "a report definition")

    def get_report(self, name: str) -> ReportDefinition | None:
        with self._db.session("get a report definition") as conn:
            return self._get(conn, ReportDefinition, "report_definitions", "name", name)

    def list_reports(self) -> list[ReportDefinition]:
        found = self._all(ReportDefinition, "report_definitions", "report definitions")
        return sorted(found, key=lambda d: d.name)

    def delete_report(self, name: str) -> bool:
        return self._delete("report_definitions", "name", name, "a report definition")


# --- Elasticsearch -------------------------------------------------------------------------------
def _mappings(**fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "_meta": {"managed_by": "earful", "workspaces": True},
        "properties": {
            WORKSPACE_FIELD: WORKSPACE_MAPPING,
            **fields,
            "doc": {"type": "object", "enabled": False},  # the model, returned as is
        },
    }


BRAND_MAPPINGS: Final = _mappings(key=KEYWORD_MAPPING, name=KEYWORD_MAPPING, role=KEYWORD_MAPPING)
DEFINITION_MAPPINGS: Final = _mappings(name=KEYWORD_MAPPING)
MAX_LISTED: Final = 10_000  # the most brands (or definitions) of a workspace a list returns
_RETRIES: Final = 8


def report_indices(prefix: str) -> dict[str, str]:
    """The report store's indices under `prefix`, by kind (what `earful workspaces list` counts)."""
    return {"brands": f"{prefix}-report-brands", "reports": f"{prefix}-report-definitions"}


class ElasticsearchReportStore(ScopedElasticsearch):
    name: ClassVar[str] = "elasticsearch"

    @property
    def brands_index(self) -> str:
        return report_indices(self.prefix)["brands"]

    @property
    def definitions_index(self) -> str:
        return report_indices(self.prefix)["reports"]

    def ensure_ready(self) -> None:
        self._create_index(self.brands_index, BRAND_MAPPINGS)
        self._create_index(self.definitions_index, DEFINITION_MAPPINGS)
        self._ready = True

    def _read(self, model: type[M], index: str, key: str, what: str) -> tuple[M | None, dict[str, Any]]:
        """The stored model of `key` (None when absent) and the guard that writes over exactly it."""
        client = self._ensure()
        with translated(f"get {what}"):
            found = client.options(ignore_status=404).get(index=index, id=scoped_doc_id(self._workspace, key))
        if not found.get("found") or found["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None, {"op_type": "create"}
        guard = {"if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]}
        return model.model_validate(found["_source"]["doc"]), guard

    def _save(self, model: M, index: str, key: str, fields: dict[str, Any], what: str) -> M:
        from elasticsearch import ConflictError

        for _ in range(_RETRIES):
            stored, guard = self._read(type(model), index, key, what)
            saved = _stamped(model, stored)
            source = {
                WORKSPACE_FIELD: self._workspace,
                **fields,
                "doc": saved.model_dump(mode="json"),
            }
            with translated(f"save {what}"):
                try:
                    self.client.index(
                        index=index,
                        id=scoped_doc_id(self._workspace, key),
                        document=source,
                        refresh=True,
                        **guard,
                    )
                except ConflictError:  # written in between: read its created_at again
                    continue
            return saved
        raise StoreError(f"could not save {what} {key!r}: too many concurrent writers", details={"key": key})

    def _all(self, model: type[M], index: str, what: str) -> list[M]:
        client = self._ensure()
        with translated(f"list {what}"):
            hits = client.search(
                index=index,
                query=self._scoped(),
                size=MAX_LISTED,
                source_includes=["doc"],
                track_total_hits=False,
            )["hits"]["hits"]
        return [model.model_validate(hit["_source"]["doc"]) for hit in hits]

    def _delete(self, index: str, key: str, what: str) -> bool:
        client = self._ensure()
        with translated(f"delete {what}"):
            response = client.options(ignore_status=404).delete(
                index=index, id=scoped_doc_id(self._workspace, key), refresh=True
            )
        return bool(response.get("result") == "deleted")

    def save_brand(self, brand: Brand) -> Brand:
        fields = {"key": brand.key, "name": brand.name, "role": brand.role.value}
        return self._save(brand, self.brands_index, brand.key, fields, "a brand")

    def get_brand(self, name: str) -> Brand | None:
        return self._read(Brand, self.brands_index, brand_key(name), "a brand")[0]

    def list_brands(self) -> list[Brand]:
        return sorted(self._all(Brand, self.brands_index, "brands"), key=brand_order)

    def delete_brand(self, name: str) -> bool:
        return self._delete(self.brands_index, brand_key(name), "a brand")

    def save_report(self, definition: ReportDefinition) -> ReportDefinition:
        name = definition.name
        return self._save(definition, self.definitions_index, name, {"name": name}, "a report definition")

    def get_report(self, name: str) -> ReportDefinition | None:
        return self._read(ReportDefinition, self.definitions_index, name, "a report definition")[0]

    def list_reports(self) -> list[ReportDefinition]:
        found = self._all(ReportDefinition, self.definitions_index, "report definitions")
        return sorted(found, key=lambda d: d.name)

    def delete_report(self, name: str) -> bool:
        return self._delete(self.definitions_index, name, "a report definition")


def build_report_store(settings: Settings, *, workspace: str) -> SQLiteReportStore | ElasticsearchReportStore:
    """The workspace's brands and report definitions next to its mention store: tables in the same SQLite
    file, or indices under the same prefix of the same cluster. Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchReportStore(settings, workspace=workspace)
    return SQLiteReportStore(settings, workspace=workspace)


__all__ = [
    "BRAND_MAPPINGS",
    "DEFINITION_MAPPINGS",
    "REPORT_TABLES",
    "ROLE_ORDER",
    "ElasticsearchReportStore",
    "ReportStore",
    "SQLiteReportStore",
    "brand_order",
    "build_report_store",
    "report_indices",
]
