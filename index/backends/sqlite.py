"""The embedded mention store: one SQLite file (WAL), FTS5 for full text. Zero setup.

Concurrency: each thread gets its own connection (WAL readers never wait for the writer); writers in
this process queue on a lock, writers in other processes wait up to ``busy_timeout`` and then get
StoreUnavailable (retryable). Writes are visible to every read as soon as ``upsert`` returns.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput
from core.models import (
    EnrichedMention,
    SavedSearch,
    SentimentLabel,
    SourceCursor,
    WritePolicy,
)
from index.aggregations import (
    SLOT_SECONDS,
    check_interval,
    histogram_from_slots,
    order_terms,
    to_epoch_micros,
    zone,
)
from index.analysis import analyze_fast as analyze  # exactly analyze(), faster: tested
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_query import FACET_COLUMNS, SIDE_TABLES, facet_sql, fts_query, terms_sql, where
from index.backends.sqlite_schema import BM25_WEIGHTS, FTS_COLUMNS, MENTION_DATA_COLUMNS, ensure_schema
from index.base import (
    Bucket,
    FacetField,
    Interval,
    MentionFilter,
    SearchPage,
    SearchRequest,
    SentimentShare,
    UpsertResult,
)
from index.paging import KeyValue, decode_cursor, encode_cursor
from index.query import MentionView, Node, compile_query
from index.query.to_sqlite import sqlite_candidates
from index.saved_searches import checked, ordered, page_highlights, request_query

_ALL = MentionFilter()
_ENGINE = "sqlite"  # whose cursors these are
_CHUNK = 5000  # ids per existence lookup
_SLOT_US = SLOT_SECONDS * 1_000_000
_MENTION_COLUMNS = ("workspace", "id", *MENTION_DATA_COLUMNS)  # the order of _Prepared.row
_INSERT_MENTION = (
    f"INSERT INTO mentions (rowid, {', '.join(_MENTION_COLUMNS)}) VALUES (?{', ?' * len(_MENTION_COLUMNS)})"
)
_UPDATE_MENTION = f"UPDATE mentions SET {', '.join(c + ' = ?' for c in _MENTION_COLUMNS)} WHERE rowid = ?"
_INSERT_FTS = (
    f"INSERT INTO mention_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?{', ?' * len(FTS_COLUMNS)})"
)


@dataclass(frozen=True, slots=True)
class _Matches:
    """A search's matches, read once: the clause selecting them by rowid, and the scalar facets counted
    on the way."""

    clause: str
    params: list[Any]
    rowids: list[int]
    facets: dict[str, Counter[str]]


@dataclass(slots=True)
class _Prepared:
    """What one mention writes: its row, its FTS streams and its side-table values."""

    row: tuple[Any, ...]
    fts: tuple[str, str, str, str, str]
    intents: tuple[str, ...]
    hashtags: tuple[str, ...]


def _prepare(workspace: str, mention_id: str, mention: EnrichedMention) -> _Prepared:
    title, text = analyze(mention.title), analyze(mention.text)
    row = (
        workspace,
        mention_id,
        to_epoch_micros(mention.published_at),
        to_epoch_micros(mention.enriched_at),
        to_epoch_micros(mention.collected_at),
        mention.platform,
        mention.source,
        mention.lang,
        mention.sentiment.label.value,
        mention.customer.customer_id if mention.customer else None,
        mention.site,
        mention.author.handle if mention.author else None,
        mention.country,
        mention.model_dump_json(),
    )
    bigrams = (
        f"{title.bigrams} {text.bigrams}" if title.bigrams and text.bigrams else title.bigrams or text.bigrams
    )
    return _Prepared(
        row=row,
        fts=(title.terms, title.stems, text.terms, text.stems, bigrams),
        intents=tuple(dict.fromkeys(i.label.value for i in mention.intents)),
        hashtags=tuple(dict.fromkeys(mention.hashtags)),
    )


# (id, mention, version): `id` is a computed hash, `version` what if_newer compares (enriched_at, then
# collected_at); both are worked out once per upsert.
_Incoming = tuple[str, EnrichedMention, tuple[int, int]]


def _incoming(mention: EnrichedMention) -> _Incoming:
    return mention.id, mention, (to_epoch_micros(mention.enriched_at), to_epoch_micros(mention.collected_at))


class SQLiteMentionStore(ScopedSQLite):
    """MentionStore, SavedSearchStore and CursorStore of one workspace in one SQLite file:
    ``SQLiteMentionStore(settings, workspace=...)`` or ``(path=..., workspace=...)``.

    Scoped at construction, for good: every statement is built on the workspace (`where` leads with
    it, keys are ``(workspace, id)``), so no method can read or write another workspace's rows. One
    scoping point instead of a parameter on every method that one call site could forget; an API
    request builds its store from the authenticated user's workspace. Stores of several workspaces
    may open the same file (WAL).

    Nothing is opened before first use; then the file, its directory and the schema are created."""

    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_schema(conn)

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible to every connection."""

    # --- writes ----------------------------------------------------------------------------------
    def _existing(self, conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int, tuple[int, int]]]:
        """rowid and (enriched_us, collected_us) of this workspace's stored mentions among ``ids``."""
        found: dict[str, tuple[int, tuple[int, int]]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT id, rowid, enriched_us, collected_us FROM mentions "
                f"WHERE workspace = ? AND id IN ({marks})"
            )
            rows = conn.execute(sql, [self._workspace, *chunk])
            for mention_id, rowid, enriched, collected in rows:
                found[mention_id] = (rowid, (enriched, collected))
        return found

    @staticmethod
    def _plan(
        incoming: list[_Incoming],
        stored: dict[str, tuple[int, tuple[int, int]]],
        policy: WritePolicy,
    ) -> tuple[dict[str, EnrichedMention], UpsertResult]:
        """Apply the batch in order, as if each mention were upserted alone: which version of each id is
        written, and the counts. Duplicates in one batch behave like consecutive upserts."""
        current = {mention_id: version for mention_id, (_, version) in stored.items()}
        final: dict[str, EnrichedMention] = {}
        created = updated = skipped = 0
        for mention_id, mention, version in incoming:
            held = current.get(mention_id)
            if held is None:
                created += 1
            elif policy is WritePolicy.create or (policy is WritePolicy.if_newer and version <= held):
                skipped += 1
                continue
            else:
                updated += 1
            current[mention_id] = version
            final[mention_id] = mention
        return final, UpsertResult(created=created, updated=updated, skipped=skipped)

    def upsert(
        self, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        """One transaction per batch. Analysis happens before the write lock is taken, for the mentions a
        first look at the stored versions says will be written; the plan is redone inside the
        transaction, so a concurrent writer in another process cannot make it wrong."""
        if not mentions:
            return UpsertResult()
        policy = WritePolicy(policy)
        incoming = [_incoming(m) for m in mentions]
        ids = list(dict.fromkeys(mention_id for mention_id, _, _ in incoming))
        with self._db.session("upsert") as conn:
            first_look, _ = self._plan(incoming, self._existing(conn, ids), policy)
            prepared = {
                mention_id: (m, _prepare(self._workspace, mention_id, m))
                for mention_id, m in first_look.items()
            }
            with self._db.write_lock, self._db.transaction(conn, "IMMEDIATE"):
                stored = self._existing(conn, ids)
                final, result = self._plan(incoming, stored, policy)
                self._write(conn, final, stored, prepared)
        return result

    def _write(
        self,
        conn: sqlite3.Connection,
        final: dict[str, EnrichedMention],
        stored: dict[str, tuple[int, tuple[int, int]]],
        prepared: dict[str, tuple[EnrichedMention, _Prepared]],
    ) -> None:
        next_rowid = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM mentions").fetchone()[0] + 1
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        replaced: list[tuple[int]] = []
        fts: list[tuple[Any, ...]] = []
        intents: list[tuple[int, str]] = []
        hashtags: list[tuple[int, str]] = []
        for mention_id, mention in final.items():
            made_for, ready = prepared.get(mention_id, (None, None))
            if made_for is not mention or ready is None:
                ready = _prepare(
                    self._workspace, mention_id, mention
                )  # the plan changed under us: another writer got there first
            if mention_id in stored:
                rowid = stored[mention_id][0]
                updates.append((*ready.row, rowid))
                replaced.append((rowid,))
            else:
                rowid, next_rowid = next_rowid, next_rowid + 1
                inserts.append((rowid, *ready.row))
            fts.append((rowid, *ready.fts))
            intents.extend((rowid, value) for value in ready.intents)
            hashtags.extend((rowid, value) for value in ready.hashtags)
        if replaced:
            conn.executemany("DELETE FROM mention_fts WHERE rowid = ?", replaced)
            conn.executemany("DELETE FROM mention_intents WHERE mention = ?", replaced)
            conn.executemany("DELETE FROM mention_hashtags WHERE mention = ?", replaced)
            conn.executemany(_UPDATE_MENTION, updates)
        conn.executemany(_INSERT_MENTION, inserts)
        conn.executemany(_INSERT_FTS, fts)
        conn.executemany("INSERT INTO mention_intents (mention, intent) VALUES (?, ?)", intents)
        conn.executemany("INSERT INTO mention_hashtags (mention, tag) VALUES (?, ?)", hashtags)

    def delete(self, mention_ids: Sequence[str]) -> int:
        if not mention_ids:
            return 0
        with self._db.session("delete") as conn, self._db.write_lock, self._db.transaction(conn, "IMMEDIATE"):
            stored = self._existing(conn, list(dict.fromkeys(mention_ids)))
            rowids = [(rowid,) for rowid, _ in stored.values()]
            conn.executemany("DELETE FROM mention_fts WHERE rowid = ?", rowids)
            conn.executemany("DELETE FROM mention_intents WHERE mention = ?", rowids)
            conn.executemany("DELETE FROM mention_hashtags WHERE mention = ?", rowids)
            conn.executemany("DELETE FROM mentions WHERE rowid = ?", rowids)
        return len(rowids)

    # --- reads -----------------------------------------------------------------------------------
    def get(self, mention_id: str) -> EnrichedMention | None:
        with self._db.session("get") as conn:
            row = conn.execute(
                "SELECT doc FROM mentions WHERE workspace = ? AND id = ?", (self._workspace, mention_id)
            ).fetchone()
        return None if row is None else EnrichedMention.model_validate_json(row[0])

    def count(self, filters: MentionFilter = _ALL) -> int:
        clause, params = where(self._workspace, filters)
        with self._db.session("count") as conn:
            total: int = conn.execute(f"SELECT COUNT(*) FROM mentions m WHERE {clause}", params).fetchone()[0]
        return total

    def search(self, request: SearchRequest) -> SearchPage:
        """`request.query` AND `text` AND filters. A query's candidates come from SQL; unless that SQL is
        exact they are evaluated one by one, and the page, the total and the facets are then all taken
        over the rowids that matched, so they agree with each other."""
        node = request_query(request)  # QuerySyntaxError before touching the database
        ranked = request.sort == "relevance" and fts_query(request.text) is not None
        after = decode_cursor(_ENGINE, request, (float, int, str) if ranked else (int, str))
        if request.histogram is not None:
            check_interval(request.histogram)
            zone(request.histogram_tz)
        query = sqlite_candidates(node) if node is not None else None
        # Full text narrows best: its matches are read once, then everything below is taken over their
        # rowids (otherwise each of the count, the page and every facet would match the text again).
        driving = (query is not None and query.driving) or fts_query(request.text) is not None
        clause, params = where(self._workspace, request.filters, request.text, workspace_index=not driving)
        # the facets on scalar columns, counted while the matches are read (when they are)
        columns = [f for f in dict.fromkeys(request.facets) if f in FACET_COLUMNS]
        with self._db.session("search") as conn, self._db.transaction(conn):  # one snapshot for everything
            matches: _Matches | None = None
            if node is not None and query is not None:
                clause, params = f"({query.where}) AND ({clause})", [*query.params, *params]
                if not query.exact:
                    matches = self._evaluated(conn, node, clause, params, columns)
            if driving and matches is None:
                matches = self._matched(conn, clause, params, columns)
            if matches is not None:
                clause, params = matches.clause, matches.params
                total = len(matches.rowids)
            else:
                total = conn.execute(f"SELECT COUNT(*) FROM mentions m WHERE {clause}", params).fetchone()[0]
            docs, next_cursor = (
                self._page(conn, request, after, clause, params) if request.limit else ([], None)
            )
            counted = matches.facets if matches is not None else {}
            facets = {
                field: tuple(
                    order_terms(
                        counted[field].items()
                        if field in counted
                        else (
                            (str(key), int(n))
                            for key, n in conn.execute(
                                facet_sql(field, clause), [*params, request.facet_size]
                            )
                        ),
                        request.facet_size,
                    )
                )
                for field in dict.fromkeys(request.facets)
            }
            slots = self._slots(conn, clause, params) if request.histogram is not None else []
        hits = tuple(EnrichedMention.model_validate_json(doc) for doc in docs)
        highlights = page_highlights(node, hits) if request.highlight else {}
        return SearchPage(
            total=total,
            hits=hits,
            highlights=highlights,
            facets=facets,
            histogram=tuple(histogram_from_slots(slots, request.histogram, request.histogram_tz))
            if request.histogram is not None
            else (),
            next_cursor=next_cursor,
        )

    def _evaluated(
        self, conn: sqlite3.Connection, node: Node, clause: str, params: list[Any], facets: list[FacetField]
    ) -> _Matches:
        """The candidates `clause` selects that match `node`, evaluated one by one."""
        compiled = compile_query(node)
        names = "".join(f", m.{FACET_COLUMNS[f]}" for f in facets)
        rows = conn.execute(f"SELECT m.rowid{names}, m.doc FROM mentions m WHERE {clause}", params)
        kept = (
            row[:-1]
            for row in rows
            if compiled.matches(MentionView(EnrichedMention.model_validate_json(row[-1])))
        )
        return self._matches(kept, facets)

    def _matched(
        self, conn: sqlite3.Connection, clause: str, params: list[Any], facets: list[FacetField]
    ) -> _Matches:
        """The mentions `clause` selects, read once."""
        names = "".join(f", m.{FACET_COLUMNS[f]}" for f in facets)
        return self._matches(
            conn.execute(f"SELECT m.rowid{names} FROM mentions m WHERE {clause}", params), facets
        )

    def _matches(self, rows: Iterable[tuple[Any, ...]], facets: list[FacetField]) -> _Matches:
        """`rows` (a rowid, then the facets' columns) as the clause that selects them by rowid (looked up
        one by one, no index walked), with the facets counted."""
        rowids: list[int] = []
        tallies: list[Counter[str]] = [Counter() for _ in facets]
        for row in rows:
            rowids.append(row[0])
            for tally, value in zip(tallies, row[1:], strict=True):
                if value is not None:
                    tally[str(value)] += 1
        # the rowids are this workspace's already; the workspace stays in the clause all the same
        return _Matches(
            clause="+m.workspace = ? AND m.rowid IN (SELECT value FROM json_each(?))",
            params=[self._workspace, json.dumps(rowids)],
            rowids=rowids,
            facets=dict(zip(facets, tallies, strict=True)),
        )

    @staticmethod
    def _page(
        conn: sqlite3.Connection,
        request: SearchRequest,
        after: list[KeyValue] | None,
        clause: str,
        params: list[Any],
    ) -> tuple[list[str], str | None]:
        """The page's documents and the cursor after it (None when nothing follows: one row more than
        the page is read to know). Keys: (published_us, id), or (bm25, published_us, id) for relevance
        with text; each order's keyset condition is exactly "after the key" in that order."""
        match = fts_query(request.text)
        sql: str
        if request.sort == "relevance" and match is not None:
            # bm25 needs the FTS row itself: join it rather than filter by rowid. Materialized, so the
            # keyset condition on the score applies to its results instead of inside the FTS scan.
            weights = ", ".join(str(w) for w in BM25_WEIGHTS)
            keyset = "" if after is None else " WHERE k0 > ? OR (k0 = ? AND (k1 < ? OR (k1 = ? AND k2 > ?)))"
            sql = (
                "WITH ranked AS MATERIALIZED ("
                f"SELECT bm25(mention_fts, {weights}) AS k0, m.published_us AS k1, m.id AS k2, m.rowid AS r "
                "FROM mention_fts JOIN mentions m ON m.rowid = mention_fts.rowid "
                f"WHERE mention_fts MATCH ? AND {clause}) "
                "SELECT k0, k1, k2, (SELECT doc FROM mentions WHERE rowid = ranked.r) FROM ranked"
                f"{keyset} ORDER BY k0, k1 DESC, k2 LIMIT ? OFFSET ?"
            )
            keyed = [] if after is None else [after[0], after[0], after[1], after[1], after[2]]
            page_params = [match, *params, *keyed]
        else:
            if request.sort == "oldest":
                keyset, order = " AND (m.published_us, m.id) > (?, ?)", "m.published_us ASC, m.id ASC"
                keyed = [] if after is None else [after[0], after[1]]
            else:
                keyset = " AND (m.published_us < ? OR (m.published_us = ? AND m.id > ?))"
                order = "m.published_us DESC, m.id ASC"
                keyed = [] if after is None else [after[0], after[0], after[1]]
            sql = (
                f"SELECT m.published_us, m.id, m.doc FROM mentions m WHERE {clause}"
                f"{'' if after is None else keyset} ORDER BY {order} LIMIT ? OFFSET ?"
            )
            page_params = [*params, *keyed]
        rows = conn.execute(sql, [*page_params, request.limit + 1, request.offset]).fetchall()
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        cursor = encode_cursor(_ENGINE, request, rows[-1][:-1]) if more and rows else None
        return [row[-1] for row in rows], cursor

    @staticmethod
    def _slots(conn: sqlite3.Connection, clause: str, params: list[Any]) -> list[tuple[int, int]]:
        """(UTC quarter-hour slot, count) of the mentions `clause` selects."""
        # floor division (SQLite's / truncates toward zero, wrong before 1970)
        slot = f"(m.published_us / {_SLOT_US} - (m.published_us % {_SLOT_US} < 0))"
        rows = conn.execute(
            f"SELECT {slot} AS slot, COUNT(*) FROM mentions m WHERE {clause} GROUP BY slot", params
        )
        return [(int(s), int(n)) for s, n in rows]

    def date_histogram(
        self, filters: MentionFilter = _ALL, interval: Interval = "day", tz: str = "UTC"
    ) -> list[Bucket]:
        check_interval(interval)
        zone(tz)  # InvalidInput before touching the database
        clause, params = where(self._workspace, filters)
        with self._db.session("date_histogram") as conn:
            slots = self._slots(conn, clause, params)
        return histogram_from_slots(slots, interval, tz)

    def terms(self, field: FacetField, filters: MentionFilter = _ALL, size: int = 10) -> list[Bucket]:
        if field not in FACET_COLUMNS and field not in SIDE_TABLES:
            raise InvalidInput(f"unknown facet field {field!r}", details={"field": field})
        if size <= 0:
            return []
        sql, params = terms_sql(self._workspace, field, filters)
        with self._db.session("terms") as conn:
            rows = conn.execute(sql, [*params, size]).fetchall()
        return order_terms(((str(key), int(n)) for key, n in rows), size)

    def sentiment_share(self, filters: MentionFilter = _ALL) -> SentimentShare:
        clause, params = where(self._workspace, filters)
        with self._db.session("sentiment_share") as conn:
            rows = conn.execute(
                f"SELECT m.sentiment, COUNT(*) FROM mentions m WHERE {clause} GROUP BY m.sentiment", params
            )
            found = {SentimentLabel(label): int(n) for label, n in rows}
        counts = {label: found.get(label, 0) for label in SentimentLabel}
        return SentimentShare(total=sum(counts.values()), counts=counts)

    def export(self, filters: MentionFilter = _ALL, page_size: int = 1000) -> Iterator[EnrichedMention]:
        """Oldest first by (published_at, id); keyset pages, so concurrent writes never repeat a mention."""
        if page_size <= 0:
            raise InvalidInput("page_size must be positive", details={"page_size": page_size})
        clause, params = where(self._workspace, filters)
        after: tuple[int, str] | None = None
        while True:
            keyset = "" if after is None else " AND (m.published_us, m.id) > (?, ?)"
            sql = (
                f"SELECT m.published_us, m.id, m.doc FROM mentions m WHERE {clause}{keyset} "
                "ORDER BY m.published_us, m.id LIMIT ?"
            )
            with self._db.session("export") as conn:
                rows = conn.execute(sql, [*params, *(after or ()), page_size]).fetchall()
            for _, _, doc in rows:
                yield EnrichedMention.model_validate_json(doc)
            if len(rows) < page_size:
                return
            after = (rows[-1][0], rows[-1][1])

    # --- saved searches --------------------------------------------------------------------------
    def save_search(self, search: SavedSearch) -> None:
        """Create or replace the owner's search of that name (as given: `created_at` included).

        Raises QuerySyntaxError when the query does not parse."""
        checked(search)
        with self._db.session("save_search") as conn, self._db.write_lock:
            conn.execute(
                "INSERT INTO saved_searches (workspace, owner, name, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (workspace, owner, name) DO UPDATE SET doc = excluded.doc",
                (self._workspace, search.owner, search.name, search.model_dump_json()),
            )

    def get_search(self, owner: str, name: str) -> SavedSearch | None:
        with self._db.session("get_search") as conn:
            row = conn.execute(
                "SELECT doc FROM saved_searches WHERE workspace = ? AND owner = ? AND name = ?",
                (self._workspace, owner, name),
            ).fetchone()
        return None if row is None else SavedSearch.model_validate_json(row[0])

    def list_searches(self, owner: str | None = None) -> list[SavedSearch]:
        sql, params = "SELECT doc FROM saved_searches WHERE workspace = ?", [self._workspace]
        if owner is not None:
            sql, params = f"{sql} AND owner = ?", [*params, owner]
        with self._db.session("list_searches") as conn:
            rows = conn.execute(f"{sql} ORDER BY owner, name", params).fetchall()
        return ordered([SavedSearch.model_validate_json(doc) for (doc,) in rows])

    def delete_search(self, owner: str, name: str) -> bool:
        with self._db.session("delete_search") as conn, self._db.write_lock:
            cursor = conn.execute(
                "DELETE FROM saved_searches WHERE workspace = ? AND owner = ? AND name = ?",
                (self._workspace, owner, name),
            )
        return cursor.rowcount > 0

    # --- cursors ---------------------------------------------------------------------------------
    def load_cursor(self, source: str) -> SourceCursor | None:
        with self._db.session("load_cursor") as conn:
            row = conn.execute(
                "SELECT doc FROM cursors WHERE workspace = ? AND source = ?", (self._workspace, source)
            ).fetchone()
        return None if row is None else SourceCursor.model_validate_json(row[0])

    def save_cursor(self, cursor: SourceCursor) -> None:
        with self._db.session("save_cursor") as conn, self._db.write_lock:
            conn.execute(
                "INSERT INTO cursors (workspace, source, doc) VALUES (?, ?, ?) "
                "ON CONFLICT (workspace, source) DO UPDATE SET doc = excluded.doc",
                (self._workspace, cursor.source, cursor.model_dump_json()),
            )
