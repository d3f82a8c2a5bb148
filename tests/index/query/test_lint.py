from __future__ import annotations

from index.query import check, lint, parse


def codes(query: str) -> list[tuple[int, str]]:
    return [(w.position, w.code) for w in lint(query)]


def test_clean_queries_have_no_warnings() -> None:
    for query in [
        '(refund OR "money back") NEAR/5 (late OR slow*)',
        "apple -pie",
        '"and"',
        "author:AND",
        "手机 NEAR/3 (电池 OR 充电)",
        'raw:"and or not"',
    ]:
        assert lint(query) == [], query


def test_unbalanced_quote_is_reported_and_the_rest_still_checked() -> None:
    assert codes('apple or "money back') == [(6, "lowercase_operator"), (9, "unbalanced_quote")]
    assert codes('"a b" NEAR/80 "c') == [(6, "large_distance"), (14, "unbalanced_quote")]


def test_wildcard_prefix_too_short() -> None:
    assert codes("ab* OR refund") == [(0, "wildcard_prefix")]
    assert codes("a?c") == [(0, "wildcard_prefix")]
    assert codes("abc*") == []


def test_very_large_near_distance() -> None:
    assert codes("a NEAR/51 b") == [(2, "large_distance")]
    assert codes("a ONEAR/50 b") == []
    assert codes('"a b"~60') == [(8, "large_distance")]


def test_lowercase_operators() -> None:
    assert codes("apple and pie or cake not cream") == [
        (6, "lowercase_operator"),
        (14, "lowercase_operator"),
        (22, "lowercase_operator"),
    ]
    assert codes("a near/5 b") == [(2, "lowercase_operator")]
    message = lint("apple and pie")[0].message
    assert "AND" in message


def test_an_or_of_hundreds_of_terms() -> None:
    many = " OR ".join(f"brand{i}" for i in range(201))
    assert codes(many) == [(0, "large_or")]
    assert codes(" OR ".join(f"brand{i}" for i in range(200))) == []
    nested = (
        "("
        + " OR ".join(f"a{i}" for i in range(150))
        + ") OR ("
        + " OR ".join(f"b{i}" for i in range(60))
        + ")"
    )
    assert codes(nested) == [(1, "large_or")]  # one warning for the whole OR, nested groups included


def test_wildcards_inside_quotes_and_repeated_words() -> None:
    assert codes('"slow* delivery"') == [(0, "wildcard_in_phrase")]
    assert codes('"very very"~2') == [(0, "repeated_word")]
    assert codes("apple NEAR/3 (apple OR pie)") == [(0, "repeated_word")]
    assert codes("apple ONEAR/3 apple") == []


def test_check_bundles_ast_error_and_warnings() -> None:
    ok = check("apple and pie")
    assert ok.ok
    assert ok.ast == parse("apple and pie")
    assert ok.error is None
    assert [w.code for w in ok.warnings] == ["lowercase_operator"]
    bad = check("ab* NEAR/3 NOT b")
    assert not bad.ok
    assert bad.ast is None
    assert bad.error is not None
    assert bad.error.reason == "wildcard_prefix"
    assert [w.code for w in bad.warnings] == ["wildcard_prefix"]
