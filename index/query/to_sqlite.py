"""The query-language AST compiled for the SQLite store: candidate retrieval in SQL (FTS5 over the
pre-analysed token streams, the scalar columns, the JSON document), then exact evaluation.

Every node compiles to two SQL conditions over ``mentions AS m``, an *upper* bound (every matching
mention satisfies it) and a *lower* bound (every mention satisfying it matches). `sqlite_candidates`
returns the upper bound as the WHERE clause; where both bounds are the same the SQL is exact
(`SqliteQuery.exact`) and no evaluation is needed, otherwise the candidates go through
`index.query.evaluate` (`matching` does both). Bounds make NOT work: ``NOT x`` is bounded above by
``NOT lower(x)`` and below by ``NOT upper(x)``.

What is exact in SQL (the rest is a superset):
- terms and phrases: an FTS5 phrase on the ``title_terms`` / ``text_terms`` column (the streams are
  the tokens of `index.analysis.tokenize`, the FTS ``ascii`` tokenizer splits them on spaces only);
- ``abc*``: an FTS5 prefix query; a ``?`` wildcard is bounded above by the prefix before it;
- ``a NEAR/n b`` where each side is a term, a phrase, a ``abc*`` prefix or an OR of those whose spans
  all have one length (``(refund OR refunds) NEAR/5 (late OR slow*)``, ``手机 NEAR/3 (电池 OR 充电)``):
  one FTS5 NEAR group per pair of alternatives, exact. For spans of one length per operand Lucene's
  span_near finds a match exactly when two spans are at most n tokens apart, in either order,
  overlapping allowed, and so does FTS5's NEAR within one column (`_near`);
- the same NEAR with alternatives of several lengths (``(refund OR "money back") NEAR/5 late``): bounded
  above by those NEAR groups (Lucene's lazy enumeration may skip a match there, FTS5 does not), below by
  nothing;
- other NEARs (nested, ``?`` wildcards), ONEAR and ``~`` phrases: bounded above by all their words being
  there, below by nothing;
- ``sentiment:`` ``intent:`` ``customer:`` ``rating:`` ``raw:`` (``instr``, case-sensitive);
- ``author:`` ``site:`` ``source:`` ``lang:`` ``country:`` ``tier:`` ``#tag`` ``@handle`` ``url:``: the
  columns hold the values as collected, and the language compares them normalised. For an ASCII value
  normalisation is lower-casing, which SQL does; a value with any non-ASCII character is always a
  candidate (upper bound) and never a sure match (lower bound).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.models import EnrichedMention
from index.query.ast import (
    And,
    FieldFilter,
    InTitle,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Rating,
    Raw,
    SlopPhrase,
    Term,
    Wildcard,
)
from index.query.evaluate import MentionView, compile_query

# FTS5 columns of index.backends.sqlite_schema holding the token streams
_FTS_COLUMN = {"text": "text_terms", "title": "title_terms"}
# the characters Python's str.strip() removes from an ASCII string, as SQL
_ASCII_SPACE = "char(32, 9, 10, 11, 12, 13, 28, 29, 30, 31)"


# --- a small boolean algebra over SQL ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Const:
    value: bool


@dataclass(frozen=True, slots=True)
class _Fts:
    """An FTS5 MATCH expression (its column filters included)."""

    expr: str


@dataclass(frozen=True, slots=True)
class _Sql:
    text: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class _And:
    children: tuple[_Expr, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    children: tuple[_Expr, ...]


@dataclass(frozen=True, slots=True)
class _Not:
    child: _Expr


_Expr = _Const | _Fts | _Sql | _And | _Or | _Not
TRUE, FALSE = _Const(True), _Const(False)


def _and(parts: Sequence[_Expr]) -> _Expr:
    flat: list[_Expr] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part.children if isinstance(part, _And) else (part,))
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else _And(tuple(dict.fromkeys(flat)))


def _or(parts: Sequence[_Expr]) -> _Expr:
    flat: list[_Expr] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part.children if isinstance(part, _Or) else (part,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else _Or(tuple(dict.fromkeys(flat)))


def _not(part: _Expr) -> _Expr:
    if isinstance(part, _Const):
        return _Const(not part.value)
    if isinstance(part, _Not):
        return part.child
    return _Not(part)


@dataclass(frozen=True, slots=True)
class _Bounds:
    upper: _Expr
    lower: _Expr


def _exact(expr: _Expr) -> _Bounds:
    return _Bounds(expr, expr)


# --- compilation -----------------------------------------------------------------------------------
def _quote(tokens: Sequence[str]) -> str:
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _fts(field: str, query: str) -> _Fts:
    return _Fts(f"{_FTS_COLUMN[field]} : {query}")


def _present(node: Node, field: str) -> _Expr:
    """An upper bound of a proximity operand having a span: its words are there."""
    if isinstance(node, Term):
        return _fts(field, _quote([node.text]))
    if isinstance(node, Phrase):
        return _fts(field, _quote(node.tokens))
    if isinstance(node, Wildcard):
        return _fts(field, _quote([node.prefix]) + " *")
    if isinstance(node, SlopPhrase):
        return _and([_fts(field, _quote(word)) for word in node.words])
    if isinstance(node, Near):
        return _and([_present(node.left, field), _present(node.right, field)])
    if isinstance(node, Or):
        return _or([_present(child, field) for child in node.children])
    raise TypeError(f"{type(node).__name__} is not a proximity operand")  # the AST forbids it


MAX_NEAR_PAIRS = 64
"""The most FTS5 NEAR groups one exact NEAR becomes (one per pair of alternatives); beyond, the words'
presence bounds it and the evaluator decides."""


def _alternatives(node: Node) -> list[tuple[str, int]] | None:
    """A proximity operand's alternatives as FTS5 phrases, each with its length in tokens; None when one
    is not a fixed run of tokens (a ``?`` wildcard, a ``~`` phrase, a nested NEAR)."""
    if isinstance(node, Term):
        return [(_quote([node.text]), 1)]
    if isinstance(node, Phrase):
        return [(_quote(node.tokens), len(node.tokens))]
    if isinstance(node, Wildcard) and node.pattern == node.prefix + "*":
        return [(_quote([node.prefix]) + " *", 1)]
    if isinstance(node, Or):
        out: list[tuple[str, int]] = []
        for child in node.children:
            alternatives = _alternatives(child)
            if alternatives is None:
                return None
            out.extend(alternatives)
        return out
    return None


def _near(node: Near, field: str) -> _Bounds:
    """`node` in SQL: FTS5 NEAR groups when it is unordered and its sides are runs of tokens, exact when
    each side's spans have one length (see the module's docstring); otherwise its words being there."""
    upper = _present(node, field)
    if node.ordered:
        return _Bounds(upper, FALSE)
    left, right = _alternatives(node.left), _alternatives(node.right)
    if left is None or right is None or len(left) * len(right) > MAX_NEAR_PAIRS:
        return _Bounds(upper, FALSE)
    groups = _or([_fts(field, f"NEAR({a} {b}, {node.distance})") for a, _ in left for b, _ in right])
    if len({size for _, size in left}) > 1 or len({size for _, size in right}) > 1:
        # mixed lengths: Lucene's lazy enumeration may skip a match FTS5 finds, never the reverse
        return _Bounds(groups, FALSE)
    return _exact(groups)


def _ascii(expr: str) -> str:
    # length() counts characters of text, bytes of a blob: equal exactly when every character is ASCII
    return f"({expr} IS NOT NULL AND length({expr}) = length(CAST({expr} AS BLOB)))"


def _folded(expr: str, strip: str) -> str:
    """What `index.analysis.normalize(value.strip().lstrip(strip))` is for an ASCII value."""
    trimmed = f"trim({expr}, {_ASCII_SPACE})"
    if strip:
        trimmed = f"ltrim({trimmed}, '{strip}')"
    return f"lower({trimmed})"


def _normalised(expr: str, condition: str, params: tuple[Any, ...]) -> _Bounds:
    """Bounds of `condition` (over the folded value of `expr`) holding for its normalised value: exact
    for an ASCII value, unknown for the others, false for NULL."""
    ascii_ = _ascii(expr)
    sure = _Sql(f"({ascii_} AND {condition})", params)
    maybe = _Sql(f"({expr} IS NOT NULL AND ({condition} OR NOT {ascii_}))", params)
    return _Bounds(maybe, sure)


def _exists(source: str, condition: _Expr) -> _Sql:
    assert isinstance(condition, _Sql)
    return _Sql(f"EXISTS (SELECT 1 FROM ({source}) WHERE {condition.text})", condition.params)


def _keyword(node: FieldFilter) -> _Bounds:
    name, value = node.name, node.value
    if name == "sentiment":
        return _exact(_Sql("m.sentiment = ?", (value,)))
    if name == "intent":
        return _exact(_Sql("m.rowid IN (SELECT mention FROM mention_intents WHERE intent = ?)", (value,)))
    if name == "aspect":  # the label, or label.polarity
        found = (
            "SELECT 1 FROM json_each(m.doc, '$.aspects') AS a WHERE json_extract(a.value, '$.label') = ? "
            "OR json_extract(a.value, '$.label') || '.' || json_extract(a.value, '$.polarity') = ?"
        )
        return _exact(_Sql(f"EXISTS ({found})", (value, value)))
    if name == "customer":
        if value == "*":
            return _exact(_Sql("m.customer_id IS NOT NULL"))
        return _exact(_Sql("(m.customer_id IS NOT NULL AND m.customer_id = ?)", (value,)))
    if name in ("hashtag", "mention"):  # any of the values
        source = (
            "SELECT tag AS v FROM mention_hashtags WHERE mention = m.rowid"
            if name == "hashtag"
            else "SELECT value AS v FROM json_each(m.doc, '$.mentions')"
        )
        inner = _normalised("v", f"{_folded('v', '#' if name == 'hashtag' else '@')} = ?", (value,))
        return _Bounds(_exists(source, inner.upper), _exists(source, inner.lower))
    column = {
        "author": "m.author",
        "site": "m.site",
        "source": "m.platform",
        "lang": "m.lang",
        "country": "m.country",
        "tier": "json_extract(m.doc, '$.metadata.customer_tier')",
        "url": "json_extract(m.doc, '$.url')",
    }[name]
    folded = _folded(column, "@" if name == "author" else "")
    if name == "site":  # the domain or a subdomain of it
        suffix = f"(length({folded}) > ? AND substr({folded}, -?) = ?)"
        return _normalised(
            column, f"({folded} = ? OR {suffix})", (value, len(value) + 1, len(value) + 1, "." + value)
        )
    if name == "url":
        return _normalised(column, f"instr({folded}, ?) > 0", (value,))
    return _normalised(column, f"{folded} = ?", (value,))


def _bounds(node: Node, field: str) -> _Bounds:
    if isinstance(node, Term | Phrase):
        return _exact(_present(node, field))
    if isinstance(node, Wildcard):
        present = _present(node, field)
        return _exact(present) if node.pattern == node.prefix + "*" else _Bounds(present, FALSE)
    if isinstance(node, Near):
        return _near(node, field)
    if isinstance(node, SlopPhrase):
        return _Bounds(_present(node, field), FALSE)
    if isinstance(node, And):
        parts = [_bounds(child, field) for child in node.children]
        return _Bounds(_and([p.upper for p in parts]), _and([p.lower for p in parts]))
    if isinstance(node, Or):
        parts = [_bounds(child, field) for child in node.children]
        return _Bounds(_or([p.upper for p in parts]), _or([p.lower for p in parts]))
    if isinstance(node, Not):
        inner = _bounds(node.child, field)
        return _Bounds(_not(inner.lower), _not(inner.upper))
    if isinstance(node, InTitle):
        return _bounds(node.child, "title")
    if isinstance(node, FieldFilter):
        return _keyword(node)
    if isinstance(node, Rating):
        rating = "json_extract(m.doc, '$.rating')"
        clauses, params = [f"{rating} IS NOT NULL"], []
        if node.low is not None:
            clauses.append(f"{rating} >= ?")
            params.append(node.low)
        if node.high is not None:
            clauses.append(f"{rating} <= ?")
            params.append(node.high)
        return _exact(_Sql("(" + " AND ".join(clauses) + ")", tuple(params)))
    if isinstance(node, Raw):
        return _exact(_Sql("instr(json_extract(m.doc, '$.text'), ?) > 0", (node.text,)))
    raise TypeError(f"not a query node: {node!r}")  # pragma: no cover


# --- rendering -------------------------------------------------------------------------------------
# Every SQL atom above is 0 or 1, never NULL (NOT NULL would drop rows that NOT must keep).
_MATCH = "SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?"


def _as_fts(expr: _Expr) -> str | None:
    """`expr` as one FTS5 expression, or None when it is not made of FTS5 parts only."""
    if isinstance(expr, _Fts):
        return expr.expr
    if isinstance(expr, _Or):
        parts = [_as_fts(child) for child in expr.children]
        if any(part is None for part in parts):
            return None
        return " OR ".join(f"({part})" for part in parts)
    if isinstance(expr, _And):
        positive = [_as_fts(c) for c in expr.children if not isinstance(c, _Not)]
        negative = [_as_fts(c.child) for c in expr.children if isinstance(c, _Not)]
        if not positive or any(part is None for part in (*positive, *negative)):
            return None
        text = " AND ".join(f"({part})" for part in positive)
        if negative:  # FTS5's NOT is binary: "a NOT b"
            text = f"({text}) NOT ({' OR '.join(f'({part})' for part in negative)})"
        return text
    return None


def _render(expr: _Expr, params: list[Any]) -> str:
    fts = _as_fts(expr)
    if fts is not None:
        params.append(fts)
        return f"m.rowid IN ({_MATCH})"
    if isinstance(expr, _Const):
        return "1" if expr.value else "0"
    if isinstance(expr, _Sql):
        params.extend(expr.params)
        return expr.text
    if isinstance(expr, _Not):
        inner = _as_fts(expr.child)
        if inner is not None:
            params.append(inner)
            return f"m.rowid NOT IN ({_MATCH})"
        return f"NOT ({_render(expr.child, params)})"
    if isinstance(expr, _And):
        # the FTS5 parts (and exclusions) in one MATCH, when there is a positive one to subtract from
        fts_parts = [c for c in expr.children if _as_fts(c) is not None]
        if fts_parts:
            fts_parts += [c for c in expr.children if isinstance(c, _Not) and _as_fts(c.child) is not None]
        rest = [c for c in expr.children if c not in fts_parts]
        grouped = [_and(fts_parts)] if fts_parts else []
        return " AND ".join(f"({_render(c, params)})" for c in (*grouped, *rest))
    assert isinstance(expr, _Or)
    fts_parts = [c for c in expr.children if _as_fts(c) is not None]
    rest = [c for c in expr.children if c not in fts_parts]
    grouped = [_or(fts_parts)] if fts_parts else []
    return " OR ".join(f"({_render(c, params)})" for c in (*grouped, *rest))


# --- API -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SqliteQuery:
    """Candidates of a query in the SQLite store: a WHERE condition over ``mentions AS m`` (FTS5 table
    ``mention_fts`` and side tables by subquery) and its parameters. When `exact` the rows it selects
    are exactly the matches; otherwise a superset, to be checked with `index.query.evaluate`."""

    where: str
    params: tuple[Any, ...]
    exact: bool
    driving: bool = False
    """Whether `where` is, or is a conjunction with, the FTS5 matches of some words: they are the few
    rows to read first (a search then reads them once, by rowid, rather than walking the workspace)."""


def _driving(expr: _Expr) -> bool:
    if _as_fts(expr) is not None:
        return True
    return isinstance(expr, _And) and any(_as_fts(child) is not None for child in expr.children)


def sqlite_candidates(node: Node) -> SqliteQuery:
    bounds = _bounds(node, "text")
    params: list[Any] = []
    where = _render(bounds.upper, params)
    return SqliteQuery(
        where=where,
        params=tuple(params),
        exact=bounds.upper == bounds.lower,
        driving=_driving(bounds.upper),
    )


def matching(
    conn: sqlite3.Connection,
    node: Node,
    *,
    where: str = "1",
    params: Sequence[Any] = (),
    order_by: str = "m.published_us DESC, m.id ASC",
) -> Iterator[EnrichedMention]:
    """The stored mentions matching `node` (and the extra `where` over ``mentions AS m``), in
    `order_by` order: candidates from SQL, each evaluated unless the SQL is exact."""
    query = sqlite_candidates(node)
    compiled = compile_query(node)
    sql = f"SELECT m.doc FROM mentions m WHERE ({query.where}) AND ({where}) ORDER BY {order_by}"
    for (doc,) in conn.execute(sql, [*query.params, *params]):
        mention = EnrichedMention.model_validate_json(doc)
        if query.exact or compiled.matches(MentionView(mention)):
            yield mention
