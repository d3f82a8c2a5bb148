from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from index.query import (
    And,
    FieldFilter,
    InTitle,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Rating,
    Raw,
    SlopPhrase,
    Term,
    Wildcard,
    lint,
    parse,
    to_text,
)
from index.query.ast import to_dict


def test_the_examples_of_the_issue() -> None:
    assert parse('(refund OR "money back") NEAR/5 (late OR slow*)') == Near(
        Or((Term("refund"), Phrase(("money", "back")))), Or((Term("late"), Wildcard("slow*"))), 5
    )
    assert parse("apple -pie") == And((Term("apple"), Not(Term("pie"))))
    assert parse('"battery life"~3 AND (#bluetooth OR @aurora_audio)') == And(
        (
            SlopPhrase((("battery",), ("life",)), 3),
            Or((FieldFilter("hashtag", "bluetooth"), FieldFilter("mention", "aurora_audio"))),
        )
    )
    assert parse("rating:[1 TO 2] AND sentiment:negative") == And(
        (Rating(1, 2), FieldFilter("sentiment", "negative"))
    )
    assert parse("手机 NEAR/3 (电池 OR 充电)") == Near(
        Phrase(("手", "机")), Or((Phrase(("电", "池")), Phrase(("充", "电")))), 3
    )
    assert parse('raw:"iPhone"') == Raw("iPhone")
    assert parse("customer:* AND tier:gold") == And(
        (FieldFilter("customer", "*"), FieldFilter("tier", "gold"))
    )
    assert parse("title:refund") == InTitle(Term("refund"))


def test_precedence_not_then_near_then_and_then_or() -> None:
    a, b, c, d = (Term(x) for x in "abcd")
    assert parse("a OR b c") == Or((a, And((b, c))))  # adjacency is AND, which binds tighter than OR
    assert parse("a OR b AND c") == parse("a OR b c")
    assert parse("a b OR c d") == Or((And((a, b)), And((c, d))))
    assert parse("a NEAR/2 b c") == And((Near(a, b, 2), c))
    assert parse("a NEAR/2 b OR c") == Or((Near(a, b, 2), c))
    assert parse("NOT a b") == And((Not(a), b))
    assert parse("a NOT b") == And((a, Not(b)))
    assert parse("a AND NOT b") == And((a, Not(b)))
    assert parse("a OR NOT b") == Or((a, Not(b)))
    assert parse("NOT (a OR b)") == Not(Or((a, b)))
    assert parse("-(a OR b) c") == And((Not(Or((a, b))), c))
    assert parse("NOT NOT a") == Not(Not(a))
    # NEAR chains are left-associative
    assert parse("a NEAR/1 b ONEAR/2 c") == Near(Near(a, b, 1), c, 2, ordered=True)
    assert parse("a NEAR/1 (b ONEAR/2 c)") == Near(a, Near(b, c, 2, ordered=True), 1)
    assert parse("a NEAR/1 b NEAR/1 c NEAR/1 d") == Near(Near(Near(a, b, 1), c, 1), d, 1)


def test_chains_flatten_but_groups_stay() -> None:
    a, b, c = (Term(x) for x in "abc")
    assert parse("a OR b OR c") == Or((a, b, c))
    assert parse("(a OR b) OR c") == Or((Or((a, b)), c))
    assert parse("a AND b c") == And((a, b, c))
    assert parse("a (b c)") == And((a, And((b, c))))
    assert parse("((a))") == a


def test_terms_are_normalised_with_the_shared_analysis() -> None:
    assert parse("Apple") == Term("apple")
    assert parse("CAFÉ") == Term("cafe")
    assert parse("don't") == Term("dont")
    assert parse("ＲＥＦＵＮＤ") == Term("refund")
    assert parse("wi-fi") == Phrase(("wi", "fi"))  # one word, several tokens: a phrase
    assert parse("手機") == Phrase(("手", "机"))  # Traditional folds to Simplified; characters are tokens
    assert parse("iphone手机") == Phrase(("iphone", "手", "机"))
    assert parse("手") == Term("手")
    assert parse('"Money  Back"') == Phrase(("money", "back"))
    assert parse('"refund"') == Term("refund")
    assert parse('"refund"~4') == Term("refund")
    assert parse('"wi-fi router"~2') == SlopPhrase((("wi", "fi"), ("router",)), 2)
    assert parse('"手机 电池"~3') == SlopPhrase((("手", "机"), ("电", "池")), 3)


def test_wildcards() -> None:
    assert parse("slow*") == Wildcard("slow*")
    assert parse("SLOW*") == Wildcard("slow*")
    assert parse("wom?n") == Wildcard("wom?n")
    assert parse("colo?r*") == Wildcard("colo?r*")
    assert Wildcard("slow*").prefix == "slow"


def test_field_operators() -> None:
    assert parse("author:@Sam_R") == FieldFilter("author", "sam_r")
    assert parse("Author:sam") == FieldFilter("author", "sam")
    assert parse('author:"John Smith"') == FieldFilter("author", "john smith")
    assert parse("site:BBC.co.uk") == FieldFilter("site", "bbc.co.uk")
    assert parse("url:https://example.com/a?b=C") == FieldFilter("url", "https://example.com/a?b=c")
    assert parse("source:Reddit lang:ZH country:de") == And(
        (FieldFilter("source", "reddit"), FieldFilter("lang", "zh"), FieldFilter("country", "de"))
    )
    assert parse("sentiment:Negative") == FieldFilter("sentiment", "negative")
    assert parse("intent:churn_risk") == FieldFilter("intent", "churn_risk")
    assert parse("customer:Abc123") == FieldFilter("customer", "Abc123")  # ids are exact
    assert parse("#Bluetooth") == FieldFilter("hashtag", "bluetooth")
    assert parse("hashtag:bluetooth") == parse("#bluetooth")
    assert parse("@Aurora_Audio") == FieldFilter("mention", "aurora_audio")
    assert parse("author:(sam OR jo)") == Or((FieldFilter("author", "sam"), FieldFilter("author", "jo")))
    assert parse("rating:5") == Rating(5, 5)
    assert parse("rating:[4 TO *]") == Rating(4, None)
    assert parse("rating:[* TO 2.5]") == Rating(None, 2.5)
    assert parse('raw:"say \\"hi\\""') == Raw('say "hi"')
    assert parse("raw:iPhone") == Raw("iPhone")
    assert parse('title:"money back"~2') == InTitle(SlopPhrase((("money",), ("back",)), 2))
    assert parse("title:(refund OR return*) -title:spam") == And(
        (InTitle(Or((Term("refund"), Wildcard("return*")))), Not(InTitle(Term("spam"))))
    )
    # a value is taken as it is: operators and wildcards are not interpreted there
    assert parse("author:AND") == FieldFilter("author", "and")
    assert parse("http://example.com") == Phrase(("http", "example", "com"))
    assert parse("10:30") == Phrase(("10", "30"))


def test_full_width_syntax_characters_work_like_ascii() -> None:
    assert parse("手机 ＮＥＡＲ／３ （电池 ＯＲ 充电）") == parse("手机 NEAR/3 (电池 OR 充电)")
    assert parse("＂battery life＂～３") == parse('"battery life"~3')
    assert parse("title：refund") == parse("title:refund")


def test_positions_are_kept_but_do_not_count_for_equality() -> None:
    node = parse("apple   -pie")
    assert isinstance(node, And)
    assert [node.children[0].pos, node.children[1].pos] == [0, 8]
    assert node == And((Term("apple"), Not(Term("pie"))))


@pytest.mark.parametrize(
    ("query", "position", "reason", "expected"),
    [
        ("a AND", 5, "syntax", "a term"),
        ("(a OR b", 7, "paren", "')'"),
        ('"unclosed', 0, "unclosed_quote", "'\"'"),
        ("ab*", 0, "wildcard_prefix", "a term"),
        ("NEAR/x", 5, "bad_near", "a number"),
        ("a NEAR/3 NOT b", 9, "not_in_near", "a term"),
        ("a NEAR/3 -b", 9, "not_in_near", "a term"),
        ("NOT a NEAR/3 b", 0, "not_in_near", "a term"),
        ("(apple pie) NEAR/3 x", 1, "and_in_near", "OR"),
        ("a NEAR/2 (b AND c)", 10, "and_in_near", "OR"),
        ("a NEAR/2 author:x", 9, "field_in_near", "a term"),
        ("a NEAR/2 #tag", 9, "field_in_near", "a term"),
        ("title:x NEAR/2 b", 0, "field_in_near", "a term"),
        ("a ONEAR/2 raw:x", 10, "field_in_near", "a term"),
        ("", 0, "syntax", "a term"),
        ("   ", 0, "syntax", "a term"),
        ("OR a", 0, "syntax", "a term"),
        ("a OR", 4, "syntax", "a term"),
        ("a AND OR b", 6, "syntax", "a term"),
        ("a)", 1, "paren", "end of query"),
        ("()", 1, "syntax", "a term"),
        ("a NEAR b", 6, "bad_near", "a number"),  # where the /n should be
        ("a NEAR/ b", 7, "bad_near", "a number"),
        ('"a b"~ c', 6, "bad_slop", "a number"),
        ("foo:bar", 0, "unknown_field", "author:"),
        ("author: sam", 7, "missing_value", "a value"),
        ("author:", 7, "missing_value", "a value"),
        ("sentiment:angry", 10, "bad_value", "negative"),
        ("tier:diamond", 5, "bad_value", "gold"),
        ("author:sam*", 7, "bad_value", "a value"),
        ("rating:[1 to 2]", 7, "bad_range", "[low TO high]"),
        ("rating:[3 TO 1]", 7, "bad_range", "[low TO high]"),
        ("rating:[1 TO 20]", 13, "bad_range", "a number"),
        ("rating:[1 TO 2", 14, "bad_range", "']'"),
        ("rating:x", 7, "bad_range", "a number"),
        ("slow*er", 0, "bad_wildcard", "a term"),
        ("wi-f*", 0, "bad_wildcard", "a term"),
        ("手*", 0, "bad_wildcard", "a term"),
        ("!!!", 0, "empty", "a term"),
        ('""', 0, "empty", "a term"),
        ("a - b", 2, "syntax", "a term"),
        ("title:(a OR author:x)", 12, "field_in_title", "a term"),
        ("a NEAR/100001 b", 2, "distance", "a smaller distance"),
        ('author:"x"~2', 11, "bad_slop", ""),
    ],
)
def test_errors_say_where_and_what_was_expected(
    query: str, position: int, reason: str, expected: str
) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    err = info.value
    assert (err.position, err.reason) == (position, reason), err.render()
    assert isinstance(err, InvalidInput)
    if expected:
        assert expected in err.expected
    assert err.details["position"] == position
    assert err.to_dict()["error"]["code"] == "query_syntax_error"


def test_render_puts_a_caret_under_the_position() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("(a OR b")
    assert info.value.render().splitlines() == [
        "(a OR b",
        "       ^",
        "column 8: expected ')' to close the '(' at column 1, found the end of the query",
    ]
    with pytest.raises(QuerySyntaxError) as info:
        parse("a NEAR/3 NOT b")
    lines = info.value.render().splitlines()
    assert lines[:2] == ["a NEAR/3 NOT b", "         ^"]
    assert "NOT cannot be used inside NEAR" in lines[2]


def test_render_counts_wide_characters_twice_and_handles_lines() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("手机 NEAR/3 NOT 电池")
    assert info.value.render().splitlines()[1] == " " * 12 + "^"  # 手机 takes four terminal cells
    with pytest.raises(QuerySyntaxError) as info:
        parse("apple\nAND")
    assert info.value.render().splitlines() == ["AND", "   ^", info.value.render().splitlines()[2]]
    assert info.value.render().splitlines()[2].startswith("line 2, column 4:")


def test_syntax_errors_pickle() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("a AND")
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.position, clone.reason, clone.query, clone.expected) == (
        5,
        "syntax",
        "a AND",
        info.value.expected,
    )
    assert clone.render() == info.value.render()


def test_hand_built_asts_are_validated() -> None:
    with pytest.raises(InvalidInput):
        Term("two words")
    with pytest.raises(InvalidInput):
        Term("Apple")  # not normalised
    with pytest.raises(InvalidInput):
        Phrase(("one",))
    with pytest.raises(InvalidInput):
        Wildcard("ab*")
    with pytest.raises(InvalidInput):
        Near(Term("a"), Not(Term("b")), 3)
    with pytest.raises(InvalidInput):
        Near(Term("a"), Term("b"), -1)
    with pytest.raises(InvalidInput):
        InTitle(FieldFilter("author", "x"))
    with pytest.raises(InvalidInput):
        FieldFilter("author", "Sam")  # not canonical
    with pytest.raises(InvalidInput):
        FieldFilter("sentiment", "angry")
    with pytest.raises(InvalidInput):
        Rating(3, 1)
    with pytest.raises(InvalidInput):
        And((Term("a"),))


def test_to_dict_is_json_ready() -> None:
    assert to_dict(parse('a NEAR/2 ("b c" OR ddd*)')) == {
        "type": "Near",
        "left": {"type": "Term", "text": "a"},
        "right": {
            "type": "Or",
            "children": [{"type": "Phrase", "tokens": ["b", "c"]}, {"type": "Wildcard", "pattern": "ddd*"}],
        },
        "distance": 2,
        "ordered": False,
    }


_SYNTAX_SOUP = st.lists(
    st.sampled_from(
        [
            "a",
            "Refund",
            "slow*",
            "ab*",
            "wom?n",
            "手机",
            "電池",
            "(",
            ")",
            '"',
            '\\"',
            " ",
            " ",
            "AND",
            "OR",
            "NOT",
            "-",
            "NEAR/3",
            "ONEAR/0",
            "NEAR/x",
            "~2",
            "author:",
            "sam",
            "title:",
            "raw:",
            "rating:",
            "[1 TO 2]",
            "#",
            "@",
            "#tag",
            "@who",
            "sentiment:negative",
            "customer:*",
            "foo:",
            "：",
            "（",
            "）",
            "\n",
            "é",
            "don't",
        ]
    ),
    max_size=14,
).map("".join)


def _parse_or_error(query: str) -> Node | QuerySyntaxError:
    try:
        return parse(query)
    except QuerySyntaxError as exc:
        return exc


@settings(max_examples=400, deadline=None)
@given(st.one_of(_SYNTAX_SOUP, st.text(max_size=20)))
def test_any_text_parses_or_fails_with_a_located_syntax_error(query: str) -> None:
    result = _parse_or_error(query)  # never any other exception
    if isinstance(result, QuerySyntaxError):
        assert 0 <= result.position <= len(query)
        assert result.render()
    else:
        assert parse(to_text(result)) == result
    assert isinstance(lint(query), list)
