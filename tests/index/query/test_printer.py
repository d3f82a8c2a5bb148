from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.query import Node, Rating, Raw, parse, to_text
from tests.index.query.strategies import CORPUS_VALUES, CORPUS_WORDS, WILD_WORDS, ast_nodes

_ANY_VALUE = st.text(min_size=1, max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ast_nodes(WILD_WORDS, _ANY_VALUE))
def test_round_trip_for_any_ast(ast: Node) -> None:
    text = to_text(ast)
    assert parse(text) == ast, text


@settings(max_examples=150, deadline=None)
@given(ast_nodes(CORPUS_WORDS, CORPUS_VALUES))
def test_printing_is_canonical(ast: Node) -> None:
    text = to_text(ast)
    assert to_text(parse(text)) == text


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("apple -pie", "apple AND NOT pie"),
        ("a OR b c", "a OR b AND c"),
        ("(a OR b) c", "(a OR b) AND c"),
        ("(a OR b) OR c", "(a OR b) OR c"),
        ("a NEAR/1 (b NEAR/2 c)", "a NEAR/1 (b NEAR/2 c)"),
        ("(a NEAR/1 b) NEAR/2 c", "a NEAR/1 b NEAR/2 c"),
        ("NOT (a NEAR/1 b)", "NOT (a NEAR/1 b)"),
        ("手機  NEAR/3 (電池 OR 充電)", "手机 NEAR/3 (电池 OR 充电)"),
        ('"Money Back"', '"money back"'),
        ('"wi-fi router"~2', '"wi-fi router"~2'),
        ("#Bluetooth @Aurora", "#bluetooth AND @aurora"),
        ('author:"John Smith"', 'author:"john smith"'),
        ("author:(sam OR jo)", "author:sam OR author:jo"),
        ("title:(refund OR return*)", "title:(refund OR return*)"),
        ("title:Refund", "title:refund"),
        ("rating:[1 TO 2.50]", "rating:[1 TO 2.5]"),
        ("rating:4", "rating:4"),
        ("rating:[* TO *]", "rating:[* TO *]"),
        ('raw:"a \\"b\\" \\\\ c"', 'raw:"a \\"b\\" \\\\ c"'),
        ("customer:*", "customer:*"),
    ],
)
def test_canonical_text(query: str, canonical: str) -> None:
    assert to_text(parse(query)) == canonical


def test_awkward_values_are_quoted_and_escaped() -> None:
    for raw in ['he said "hi"', "back\\slash", "full＂width", "(paren)", "  spaced  ", "AND"]:
        assert parse(to_text(Raw(raw))) == Raw(raw)
    tiny = Rating(1e-05, None)
    assert to_text(tiny) == "rating:[0.00001 TO *]"
    assert parse(to_text(tiny)) == tiny
