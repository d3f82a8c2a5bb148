"""Translate MentionFilter and plain full text into SQL for the SQLite store.

Lists travel as one JSON parameter (``IN (SELECT value FROM json_each(?))``): any number of values,
one statement shape, no limit on bound variables.
"""

from __future__ import annotations

import json
from typing import Any

from index.aggregations import to_epoch_micros
from index.analysis import is_cjk, query_words
from index.base import FacetField, MentionFilter

# Scalar facet fields and the mentions column that holds each; intent and hashtag have side tables.
FACET_COLUMNS: dict[str, str] = {
    "platform": "platform",
    "source": "source",
    "lang": "lang",
    "sentiment": "sentiment",
    "site": "site",
    "country": "country",
    "author": "author",
    "customer": "customer_id",
}
SIDE_TABLES: dict[str, tuple[str, str]] = {
    "intent": ("mention_intents", "intent"),
    "hashtag": ("mention_hashtags", "tag"),
}
_IN = "IN (SELECT value FROM json_each(?))"


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts_query(text: str | None) -> str | None:
    """The FTS5 MATCH expression of a plain query: every unit must occur (AND), in the title or the text.

    An English (or other non-CJK) word matches its stem in the stems columns; a run of CJK characters
    must occur as a phrase (consecutive tokens) in the terms columns. None when the text has no words."""
    if not text:
        return None
    parts: list[str] = []
    for unit in query_words(text):
        if len(unit) == 1 and not is_cjk(unit[0]):
            parts.append("{title_stems text_stems} : " + _quote(unit[0]))
        else:
            parts.append("{title_terms text_terms} : " + _quote(" ".join(unit)))
    return " AND ".join(parts) or None


def where(
    workspace: str,
    filters: MentionFilter,
    text: str | None = None,
    alias: str = "m",
    *,
    workspace_index: bool = True,
) -> tuple[str, list[Any]]:
    """A WHERE clause (without the keyword) over ``mentions AS alias``: the workspace's mentions that
    match. The workspace comes first and is never optional: every read is built on this clause.
    Without `workspace_index` the workspace's condition uses no index (unary ``+``): for a clause that
    another condition narrows better (a full-text match, rowids), which SQLite's planner, without
    statistics, would otherwise check row by row along the workspace's index."""
    clauses: list[str] = [f"{'' if workspace_index else '+'}{alias}.workspace = ?"]
    params: list[Any] = [workspace]

    def one_of(column: str, values: tuple[Any, ...]) -> None:
        if values:
            clauses.append(f"{alias}.{column} {_IN}")
            params.append(json.dumps([str(v) for v in values]))

    f = filters
    one_of("id", f.ids)
    one_of("platform", f.platforms)
    one_of("source", f.sources)
    one_of("lang", f.langs)
    one_of("sentiment", tuple(s.value for s in f.sentiments))
    one_of("customer_id", f.customer_ids)
    one_of("site", f.sites)
    one_of("author", f.authors)
    one_of("country", f.countries)
    if f.intents:
        clauses.append(f"{alias}.rowid IN (SELECT mention FROM mention_intents WHERE intent {_IN})")
        params.append(json.dumps([i.value for i in f.intents]))
    if f.linked is not None:
        clauses.append(f"{alias}.customer_id IS {'NOT ' if f.linked else ''}NULL")
    if f.since is not None:
        clauses.append(f"{alias}.published_us >= ?")
        params.append(to_epoch_micros(f.since))
    if f.until is not None:
        clauses.append(f"{alias}.published_us < ?")
        params.append(to_epoch_micros(f.until))
    match = fts_query(text)
    if match is not None:
        clauses.append(f"{alias}.rowid IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
        params.append(match)
    return " AND ".join(clauses), params


def terms_sql(workspace: str, field: FacetField, filters: MentionFilter) -> tuple[str, list[Any]]:
    """SQL of a terms aggregation (count desc, key asc, ``LIMIT ?`` left to bind) and its parameters."""
    clause, params = where(workspace, filters)
    return facet_sql(field, clause), params


def facet_sql(field: FacetField, clause: str) -> str:
    """A terms aggregation over the mentions satisfying `clause` (a WHERE condition over ``mentions AS m``,
    its parameters bound first, then ``LIMIT ?``): count desc, key asc."""
    if field in SIDE_TABLES:
        table, column = SIDE_TABLES[field]
        # the side tables hold every workspace's values: always restricted to the clause's mentions
        restrict = f"WHERE mention IN (SELECT m.rowid FROM mentions m WHERE {clause})"
        sql = f"SELECT {column}, COUNT(*) AS n FROM {table} {restrict} GROUP BY {column}"
    else:
        column = FACET_COLUMNS[field]
        sql = (
            f"SELECT {column}, COUNT(*) AS n FROM mentions m "
            f"WHERE {column} IS NOT NULL AND {clause} GROUP BY {column}"
        )
    return f"{sql} ORDER BY n DESC, 1 ASC LIMIT ?"
