"""Which workspaces hold data, and how much: rows or documents per workspace in the SQLite tables or
Elasticsearch indices a caller names, by kind (``{"mentions": "mentions", ...}``).

Every store is scoped to one workspace (`index.base`), so none can say which workspaces exist; these
functions read across workspaces on purpose, counting only, for `earful workspaces list`. Each layer
names its own tables and indices (`MENTION_TABLES` and `mention_indices` here, their customer
counterparts in `crm.customers`); `flows.workspaces` puts them together for the configured store.

Data written before workspaces counts as ``default``'s, where the migrations put it: a SQLite table
without a workspace column, an Elasticsearch document without the field.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from core.errors import StoreError
from core.models import DEFAULT_WORKSPACE
from index import schema
from index.es_client import translated

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

WorkspaceCounts = dict[str, dict[str, int]]
"""workspace -> kind -> rows (or documents); only kinds with data appear."""

MENTION_TABLES: Final[Mapping[str, str]] = {
    "mentions": "mentions",
    "cursors": "cursors",
    "saved_searches": "saved_searches",
}
MAX_WORKSPACES: Final = 10_000  # terms buckets per index: far more workspaces than one cluster serves


def mention_indices(prefix: str) -> dict[str, str]:
    """The mention store's indices (the mentions by their alias), by kind."""
    return {
        "mentions": schema.alias_name(prefix),
        "cursors": schema.state_index_name(prefix),
        "saved_searches": schema.saved_searches_index_name(prefix),
    }


def merge_counts(*parts: WorkspaceCounts) -> WorkspaceCounts:
    """One mapping from several, ordered by workspace."""
    merged: WorkspaceCounts = {}
    for part in parts:
        for workspace, kinds in part.items():
            merged.setdefault(workspace, {}).update(kinds)
    return {workspace: merged[workspace] for workspace in sorted(merged)}


def sqlite_workspace_counts(path: Path, tables: Mapping[str, str]) -> WorkspaceCounts:
    """Rows per workspace of each table (by kind) of the SQLite file at `path`. A missing file or
    table holds nothing; the file is neither created nor migrated."""
    if not path.is_file():
        return {}
    counts: WorkspaceCounts = {}
    try:
        conn = sqlite3.connect(path)
        try:
            present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for kind, table in tables.items():
                if table not in present:
                    continue
                columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
                sql = (
                    f'SELECT workspace, COUNT(*) FROM "{table}" GROUP BY workspace'
                    if "workspace" in columns
                    else f"SELECT '{DEFAULT_WORKSPACE}', COUNT(*) FROM \"{table}\" HAVING COUNT(*) > 0"
                )
                for workspace, rows in conn.execute(sql):
                    counts.setdefault(str(workspace), {})[kind] = int(rows)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(
            f"could not list the workspaces in {path}: {exc}",
            details={"path": str(path), "sqlite_error": str(exc)},
        ) from exc
    return merge_counts(counts)


def es_workspace_counts(client: Elasticsearch, indices: Mapping[str, str]) -> WorkspaceCounts:
    """Documents per workspace of each index or alias (by kind): a terms aggregation on the workspace
    field. A missing index holds nothing; nothing is created."""
    counts: WorkspaceCounts = {}
    for kind, index in indices.items():
        with translated(f"list the workspaces of {index}"):
            response = client.search(
                index=index,
                size=0,
                ignore_unavailable=True,
                aggs={
                    "workspaces": {
                        "terms": {
                            "field": schema.WORKSPACE_FIELD,
                            "size": MAX_WORKSPACES,
                            "missing": DEFAULT_WORKSPACE,
                        }
                    }
                },
            )
        buckets = response.get("aggregations", {}).get("workspaces", {}).get("buckets", [])
        for bucket in buckets:
            counts.setdefault(str(bucket["key"]), {})[kind] = int(bucket["doc_count"])
    return merge_counts(counts)
