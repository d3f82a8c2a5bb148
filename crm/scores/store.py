"""Where a workspace's scores live: one `CustomerScore` per customer, replaced as a whole by each
scoring run (a customer who left the master file loses their score with the next run).

- `SQLiteScoreStore`: table ``customer_scores`` in the mentions database file (table set ``scores``,
  version 1, `index.backends.sqlite_schema.ensure_table_set`): key ``(workspace, customer_id)``, the
  columns that filters and the ranking read, the score's JSON in ``doc``.
- `ElasticsearchScoreStore`: index ``<prefix>-customer-scores`` (strict mappings, the ``workspace``
  keyword on every document, ``_id`` = `core.ids.scoped_doc_id`). `replace_all` bulk-writes the run,
  each document tagged with its ``run`` (the computed-at time), then deletes the workspace's documents
  of other runs; writes refresh before they return (the CLI reads right after a recompute).

Ranking (`list`): key customers first, then growth, then standard, then the skipped; within a tier by
revenue, highest first; then by code.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Protocol, runtime_checkable

from core.errors import InvalidInput, PartialWriteError
from core.ids import scoped_doc_id
from core.settings import Settings
from crm.scores.pareto import TIER_RANK, ValueTier
from crm.scores.rfm import Segment
from crm.scores.score import CustomerScore
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import KEYWORD_MAPPING, WORKSPACE_FIELD, WORKSPACE_MAPPING

SKIPPED_RANK: Final = len(TIER_RANK)
SCORE_TABLES: Final = {"scores": "customer_scores"}  # as `earful workspaces list` counts kinds


def score_indices(prefix: str) -> dict[str, str]:
    return {"scores": f"{prefix}-customer-scores"}


@runtime_checkable
class ScoreStore(Protocol):
    """One workspace's customer scores."""

    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def replace_all(self, scores: Sequence[CustomerScore]) -> int:
        """Store a run's scores in place of every stored one; returns how many were stored."""

    def get(self, customer_id: str) -> CustomerScore | None: ...

    def list(
        self, *, segment: Segment | None = None, tier: ValueTier | None = None, limit: int | None = None
    ) -> builtins.list[CustomerScore]:
        """Scores in ranking order (module docstring), filtered."""

    def count(self) -> int: ...

    def delete(self, customer_id: str) -> bool:
        """Forget one customer's score (privacy requests); False when there was none."""

    def close(self) -> None: ...


def _rank(score: CustomerScore) -> int:
    return SKIPPED_RANK if score.value is None else TIER_RANK[score.value.tier]


def _revenue(score: CustomerScore) -> float:
    return float(score.value.revenue) if score.value is not None else 0.0


def _check(scores: Sequence[CustomerScore], limit: int | None = None) -> None:
    if limit is not None and limit < 0:
        raise InvalidInput("limit must not be negative", details={"limit": limit})
    ids = [s.customer_id for s in scores]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a scoring run holds one score per customer", details={"customers": len(ids)})


# --- SQLite --------------------------------------------------------------------------------------
_DDL = (
    "CREATE TABLE IF NOT EXISTS customer_scores (workspace TEXT NOT NULL, customer_id TEXT NOT NULL, "
    "code TEXT NOT NULL, tier_rank INTEGER NOT NULL, revenue REAL NOT NULL, segment TEXT, tier TEXT, "
    "churn_risk REAL, computed_us INTEGER NOT NULL, doc TEXT NOT NULL, "
    "PRIMARY KEY (workspace, customer_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS customer_scores_rank ON customer_scores (workspace, tier_rank, revenue)",
)


class SQLiteScoreStore(ScopedSQLite):
    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_table_set(conn, name="scores", version=1, ddl=_DDL, migrations={})

    def replace_all(self, scores: Sequence[CustomerScore]) -> int:
        _check(scores)
        rows = [
            (
                self._workspace,
                s.customer_id,
                s.customer_code,
                _rank(s),
                _revenue(s),
                s.segment.value if s.segment else None,
                s.tier.value if s.tier else None,
                s.churn.risk if s.churn else None,
                int(s.computed_at.timestamp() * 1_000_000),
                s.model_dump_json(),
            )
            for s in scores
        ]
        with self._db.writing("replace customer scores") as conn:
            conn.execute("DELETE FROM customer_scores WHERE workspace = ?", (self._workspace,))
            conn.executemany(f"INSERT INTO customer_scores VALUES ({','.join('?' * 10)})", rows)
        return len(rows)

    def get(self, customer_id: str) -> CustomerScore | None:
        with self._db.session("get a customer score") as conn:
            row = conn.execute(
                "SELECT doc FROM customer_scores WHERE workspace = ? AND customer_id = ?",
                (self._workspace, customer_id),
            ).fetchone()
        return None if row is None else CustomerScore.model_validate_json(row[0])

    def list(
        self, *, segment: Segment | None = None, tier: ValueTier | None = None, limit: int | None = None
    ) -> builtins.list[CustomerScore]:
        _check((), limit)
        where, params = ["workspace = ?"], [self._workspace]
        for column, value in (("segment", segment), ("tier", tier)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value.value)
        sql = (
            f"SELECT doc FROM customer_scores WHERE {' AND '.join(where)} "
            "ORDER BY tier_rank, revenue DESC, code"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._db.session("list customer scores") as conn:
            return [CustomerScore.model_validate_json(doc) for (doc,) in conn.execute(sql, params)]

    def count(self) -> int:
        with self._db.session("count customer scores") as conn:
            row = conn.execute(
                "SELECT count(*) FROM customer_scores WHERE workspace = ?", (self._workspace,)
            ).fetchone()
        return int(row[0])

    def delete(self, customer_id: str) -> bool:
        with self._db.writing("delete a customer score") as conn:
            cursor = conn.execute(
                "DELETE FROM customer_scores WHERE workspace = ? AND customer_id = ?",
                (self._workspace, customer_id),
            )
        return cursor.rowcount > 0


# --- Elasticsearch -------------------------------------------------------------------------------
SCORE_MAPPINGS: Final[dict[str, Any]] = {
    "dynamic": "strict",
    "_meta": {"managed_by": "earful", "workspaces": True},
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        "customer_id": KEYWORD_MAPPING,
        "code": KEYWORD_MAPPING,
        "tier_rank": {"type": "integer"},
        "revenue": {"type": "double"},
        "segment": KEYWORD_MAPPING,
        "tier": KEYWORD_MAPPING,
        "churn_risk": {"type": "float"},
        "run": KEYWORD_MAPPING,
        "doc": {"type": "object", "enabled": False},  # the score itself, returned as is
    },
}
_PAGE: Final = 1000


class ElasticsearchScoreStore(ScopedElasticsearch):
    name: ClassVar[str] = "elasticsearch"

    @property
    def index(self) -> str:
        return score_indices(self.prefix)["scores"]

    def ensure_ready(self) -> None:
        self._create_index(self.index, SCORE_MAPPINGS)
        self._ready = True

    def _id(self, customer_id: str) -> str:
        return scoped_doc_id(self._workspace, customer_id)

    def replace_all(self, scores: Sequence[CustomerScore]) -> int:
        _check(scores)
        client = self._ensure()
        run = max((s.computed_at for s in scores), default=None)
        run_key = run.isoformat() if run is not None else "empty"
        operations: builtins.list[dict[str, Any]] = []
        for s in scores:
            operations += [
                {"index": {"_index": self.index, "_id": self._id(s.customer_id)}},
                {
                    WORKSPACE_FIELD: self._workspace,
                    "customer_id": s.customer_id,
                    "code": s.customer_code,
                    "tier_rank": _rank(s),
                    "revenue": _revenue(s),
                    "segment": s.segment.value if s.segment else None,
                    "tier": s.tier.value if s.tier else None,
                    "churn_risk": s.churn.risk if s.churn else None,
                    "run": run_key,
                    "doc": s.model_dump(mode="json"),
                },
            ]
        for start in range(0, len(operations), 2 * _PAGE):
            with translated("index customer scores"):
                response = client.bulk(operations=operations[start : start + 2 * _PAGE], refresh=True)
            if response.get("errors"):
                failures = [
                    {"id": item["index"].get("_id"), "reason": item["index"].get("error")}
                    for item in response["items"]
                    if item["index"].get("error")
                ]
                raise PartialWriteError(
                    f"{len(failures)} customer scores were not indexed", failures=failures
                )
        # the workspace's scores of earlier runs: found by search (the distribution Earful tests on has
        # no delete-by-query), deleted in bulk
        stale = self._ids(self._scoped(), must_not={"term": {"run": run_key}})
        for start in range(0, len(stale), _PAGE):
            deletes = [
                {"delete": {"_index": self.index, "_id": doc_id}} for doc_id in stale[start : start + _PAGE]
            ]
            with translated("delete older customer scores"):
                client.bulk(operations=deletes, refresh=True)
        return len(scores)

    def _ids(self, query: dict[str, Any], *, must_not: dict[str, Any]) -> builtins.list[str]:
        """The ``_id`` of every document matching `query` but not `must_not`."""
        client = self._ensure()
        query = {"bool": {**query["bool"], "must_not": [must_not]}}
        ids: builtins.list[str] = []
        after: builtins.list[Any] | None = None
        while True:
            with translated("find older customer scores"):
                page = client.search(
                    index=self.index,
                    query=query,
                    sort=[{"customer_id": "asc"}],
                    size=_PAGE,
                    search_after=after,
                    source=False,
                    track_total_hits=False,
                )["hits"]["hits"]
            ids += [hit["_id"] for hit in page]
            if len(page) < _PAGE:
                return ids
            after = page[-1]["sort"]

    def get(self, customer_id: str) -> CustomerScore | None:
        client = self._ensure()
        with translated("get a customer score"):
            found = client.options(ignore_status=404).get(index=self.index, id=self._id(customer_id))
        if not found.get("found") or found["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None
        return CustomerScore.model_validate(found["_source"]["doc"])

    def list(
        self, *, segment: Segment | None = None, tier: ValueTier | None = None, limit: int | None = None
    ) -> builtins.list[CustomerScore]:
        _check((), limit)
        client = self._ensure()
        clauses = [
            {"term": {field: value.value}} for field, value in (("segment", segment), ("tier", tier)) if value
        ]
        sort = [{"tier_rank": "asc"}, {"revenue": "desc"}, {"code": "asc"}, {"customer_id": "asc"}]
        out: builtins.list[CustomerScore] = []
        after: builtins.list[Any] | None = None
        while limit is None or len(out) < limit:
            size = _PAGE if limit is None else min(_PAGE, limit - len(out))
            if size == 0:
                break
            with translated("list customer scores"):
                response = client.search(
                    index=self.index,
                    query=self._scoped(*clauses),
                    sort=sort,
                    size=size,
                    search_after=after,
                    source_includes=["doc"],
                    track_total_hits=False,
                )
            page = response["hits"]["hits"]
            out += [CustomerScore.model_validate(hit["_source"]["doc"]) for hit in page]
            if len(page) < size:
                break
            after = page[-1]["sort"]
        return out

    def count(self) -> int:
        client = self._ensure()
        with translated("count customer scores"):
            return int(client.count(index=self.index, query=self._scoped())["count"])

    def delete(self, customer_id: str) -> bool:
        client = self._ensure()
        with translated("delete a customer score"):
            found = client.options(ignore_status=404).delete(
                index=self.index, id=self._id(customer_id), refresh=True
            )
        return bool(found.get("result") == "deleted")


AnyScoreStore = SQLiteScoreStore | ElasticsearchScoreStore


def build_score_store(settings: Settings, *, workspace: str) -> AnyScoreStore:
    """The workspace's score store next to its mention store (same SQLite file, or same cluster and
    prefix). Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchScoreStore(settings, workspace=workspace)
    return SQLiteScoreStore(settings, workspace=workspace)
