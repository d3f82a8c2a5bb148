"""The SQLite compiler over a real store of `index.backends.sqlite` (no Elasticsearch needed): the
candidates are a superset of the evaluator's matches, exactly them when the compiler says the SQL is
exact, and `matching` returns exactly the evaluator's matches."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import DEFAULT_WORKSPACE
from index.backends.sqlite import SQLiteMentionStore
from index.query import MentionView, Node, evaluate_query, parse
from index.query.ast import Near, Or, Phrase, Term, Wildcard
from index.query.to_sqlite import matching, sqlite_candidates
from tests.index.query.corpus import mention
from tests.index.query.strategies import ast_nodes
from tests.index.query.test_differential import ALL, HAND_WRITTEN, VALUES, VIEWS, WORDS


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("to_sqlite") / "mentions.db"
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        store.upsert(ALL)
        connection = sqlite3.connect(path)
        yield connection
        connection.close()


def brute_force(node: Node) -> set[str]:
    return {view.mention.id for view in VIEWS if evaluate_query(node, view) is not None}


def candidates(conn: sqlite3.Connection, node: Node) -> set[str]:
    query = sqlite_candidates(node)
    return {row[0] for row in conn.execute(f"SELECT m.id FROM mentions m WHERE {query.where}", query.params)}


def check(conn: sqlite3.Connection, node: Node) -> bool:
    expected = brute_force(node)
    found = candidates(conn, node)
    assert found >= expected, node
    exact = sqlite_candidates(node).exact
    if exact:
        assert found == expected, node
    assert {m.id for m in matching(conn, node)} == expected, node
    return exact


def test_hand_written_queries(conn: sqlite3.Connection) -> None:
    exact = {query for query in HAND_WRITTEN if check(conn, parse(query))}
    # what the compiler promises to answer in SQL alone
    for query in ("apple -pie", "slow*", '"money back"', "手机", "title:refund", "-title:refund", "NOT pie"):
        assert query in exact, query
    for query in ("sentiment:negative", "customer:*", "-customer:*", "customer:cust-1", "rating:[1 TO 2]"):
        assert query in exact, query
    for query in ('raw:"iPhone"', '-raw:"the"', "intent:complaint OR intent:churn_risk", "-rating:[* TO *]"):
        assert query in exact, query
    assert "refund NEAR/5 late" in exact
    for query in ("wom?n", '"battery life"~3', "author:sam_r", "site:example.com"):
        assert query not in exact, query
    for query in ("(refund OR refunds) NEAR/3 (late OR slow*)", "手机 NEAR/2 電池"):
        assert check(conn, parse(query)), query
    for query in ("refund ONEAR/5 late", '(refund OR "money back") NEAR/5 late'):  # mixed lengths: evaluated
        assert not check(conn, parse(query)), query


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(ast_nodes(WORDS, VALUES, max_leaves=8))
def test_generated_queries(conn: sqlite3.Connection, node: Node) -> None:
    check(conn, node)


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(HAND_WRITTEN), min_size=2, max_size=4), st.booleans())
def test_combinations_of_hand_written_queries(conn: sqlite3.Connection, parts: list[str], any_: bool) -> None:
    joined = (" OR " if any_ else " AND ").join(f"({part})" for part in parts)
    check(conn, parse(joined))


def test_text_parts_go_into_one_fts_match() -> None:
    query = sqlite_candidates(parse('apple -pie title:"money back" -refund* lang:zh'))
    assert query.where.count("MATCH ?") == 1
    assert query.params[0] == (
        '((text_terms : "apple") AND (title_terms : "money back")) '
        'NOT ((text_terms : "pie") OR (text_terms : "refund" *))'
    )
    alone = sqlite_candidates(parse("NOT pie"))
    assert alone.where == "m.rowid NOT IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)"
    assert alone.exact


def test_inexact_exclusions_do_not_narrow() -> None:
    query = sqlite_candidates(parse("-(a ONEAR/2 b)"))
    assert (query.where, query.params, query.exact) == ("1", (), False)
    wildcard = sqlite_candidates(parse("refun? -colo?r"))
    assert wildcard.params == ('text_terms : "refun" *',)
    assert not wildcard.exact


def test_negated_exact_fields_keep_mentions_without_the_field(conn: sqlite3.Connection) -> None:
    node = parse("-customer:cust-1")
    assert sqlite_candidates(node).exact
    found = candidates(conn, node)
    assert any(m.customer is None and m.id in found for m in ALL)
    assert found == brute_force(node)


def test_matching_takes_extra_conditions_and_order(conn: sqlite3.Connection) -> None:
    node = parse("refund OR 退款")
    newest = list(matching(conn, node, where="m.platform = ?", params=("weibo",)))
    assert newest
    assert all(m.platform == "weibo" for m in newest)
    assert {m.id for m in newest} == {
        i for i in brute_force(node) if next(m for m in ALL if m.id == i).platform == "weibo"
    }
    assert [m.published_at for m in newest] == sorted((m.published_at for m in newest), reverse=True)
    oldest = list(
        matching(conn, node, where="m.platform = ?", params=("weibo",), order_by="m.published_us, m.id")
    )
    assert [m.id for m in oldest] == [m.id for m in sorted(newest, key=lambda m: (m.published_at, m.id))]


# --- NEAR in FTS5 ------------------------------------------------------------------------------------
# A few short tokens, some prefixes of others: every NEAR has matches, near misses and overlaps.
_DENSE = ("abc", "abcd", "abx", "b", "bde", "c", "d", "电", "池")
_PROXIMITY_LEAVES = st.one_of(
    st.sampled_from(_DENSE).map(Term),
    st.sampled_from(("abc*", "abx*", "bde*")).map(Wildcard),
    st.lists(st.sampled_from(_DENSE), min_size=2, max_size=3).map(lambda ts: Phrase(tuple(ts))),
)
_OPERANDS = st.one_of(
    _PROXIMITY_LEAVES, st.lists(_PROXIMITY_LEAVES, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs)))
)


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sqlite3.Connection, list[MentionView]]]:
    rng = random.Random(3)
    texts = [" ".join(rng.choice(_DENSE) for _ in range(rng.randint(1, 24))) for _ in range(400)]
    mentions = [mention(f"dense-{i}", text) for i, text in enumerate(texts)]
    path: Path = tmp_path_factory.mktemp("near") / "mentions.db"
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        store.upsert(mentions)
        connection = sqlite3.connect(path)
        yield connection, [MentionView(m) for m in mentions]
        connection.close()


def _lengths(node: Node) -> set[int]:
    if isinstance(node, Or):
        return set().union(*(_lengths(child) for child in node.children))
    return {len(node.tokens) if isinstance(node, Phrase) else 1}


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_OPERANDS, _OPERANDS, st.integers(0, 6))
def test_near_in_fts5_is_lucenes_span_near(
    dense: tuple[sqlite3.Connection, list[MentionView]], left: Node, right: Node, distance: int
) -> None:
    """An unordered NEAR of runs of tokens is FTS5 NEAR groups: exactly the evaluator's (Lucene's)
    matches when each side's alternatives have one length, a superset otherwise."""
    conn, views = dense
    node = Near(left, right, distance)
    expected = {view.mention.id for view in views if evaluate_query(node, view) is not None}
    query = sqlite_candidates(node)
    found = {row[0] for row in conn.execute(f"SELECT m.id FROM mentions m WHERE {query.where}", query.params)}
    assert found >= expected
    assert query.exact == (len(_lengths(left)) == 1 and len(_lengths(right)) == 1)
    if query.exact:
        assert found == expected
    assert query.driving
    assert "NEAR(" in query.params[0]
