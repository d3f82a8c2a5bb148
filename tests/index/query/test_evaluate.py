from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import Span
from index.query import MentionView, evaluate_query, matches, parse
from index.query.evaluate import near_ordered, near_unordered
from tests.index.query.corpus import BY_NAME, CORPUS, mention


def hits(query: str) -> set[str]:
    node = parse(query)
    return {m.native_id for m in CORPUS if evaluate_query(node, m) is not None}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # terms match tokens exactly after normalisation: no stemming, case/width/accents folded
        ("refund", {"refund-late", "late-refund", "refund-far", "fullwidth"}),
        ("IPHONE", {"apple-phone", "case", "mixed"}),
        ("cafe", {"accents"}),
        ("résumé CRÈME", {"accents"}),
        ("don't", {"wifi"}),
        ("dont", {"wifi"}),
        ("slower", {"money-back-slow"}),
        ("refunds", set()),
        # a word of several tokens is a phrase
        ("wi-fi", {"wifi"}),
        ("wifi", {"wifi"}),
        ("life", {"battery-life", "life-battery", "apple-phone"}),
        # boolean operators, adjacency and -
        ("apple -pie", {"apple-phone"}),
        ("apple NOT pie", {"apple-phone"}),
        ("apple pie", {"apple-pie"}),
        ("apple OR dessert", {"apple-pie", "apple-phone"}),
        ("rock and roll", {"operators"}),
        ('"or not"', {"operators"}),
        ("battery OR life -great", {"apple-phone", "battery-life", "life-battery", "mixed"}),  # OR is last
        ("(battery OR life) -great", {"apple-phone", "life-battery", "mixed"}),
        # phrases and ~ phrases (unordered, n = tokens in between)
        ('"battery life"', {"apple-phone"}),
        ('"life battery"', set()),
        ('"battery life"~0', {"apple-phone"}),
        ('"battery life"~1', {"apple-phone"}),
        ('"battery life"~2', {"apple-phone", "battery-life"}),
        ('"battery life"~3', {"apple-phone", "battery-life", "life-battery"}),
        # wildcards: * trailing, ? exactly one character
        ("slow*", {"money-back-slow", "fullwidth"}),
        ("colo?r", {"colour"}),
        ("colo*", {"colour"}),
        ("wom?n", {"colour"}),
        ("refu?d", {"refund-late", "late-refund", "refund-far", "fullwidth"}),
        ("refund?", set()),
        ("refund*", {"refund-late", "late-refund", "refund-far", "fullwidth"}),
        # NEAR/n: unordered, at most n tokens between; ONEAR/n: the left one first
        ("refund NEAR/4 late", {"refund-late", "late-refund"}),
        ("refund NEAR/3 late", {"late-refund"}),
        ("refund NEAR/19 late", {"refund-late", "late-refund", "refund-far"}),
        ("refund NEAR/18 late", {"refund-late", "late-refund"}),
        ("refund ONEAR/19 late", {"refund-late", "refund-far"}),
        ("late ONEAR/1 refund", {"late-refund"}),
        ("late ONEAR/0 refund", set()),
        (
            '(refund OR "money back") NEAR/5 (late OR slow*)',
            {"refund-late", "money-back-slow", "late-refund", "fullwidth"},
        ),
        ("(money OR refund) ONEAR/4 (slow* OR late)", {"refund-late", "money-back-slow", "fullwidth"}),
        ('"money back" ONEAR/2 shipping', {"money-back-slow"}),
        ('"money back" ONEAR/0 shipping', set()),
        ("(refund NEAR/2 late) NEAR/3 again", {"late-refund"}),
        # Chinese: characters are tokens, a word is a phrase, distances count characters
        ("手机", {"zh-battery", "zh-traditional", "zh-far", "zh-charge", "mixed"}),
        ("手機", {"zh-battery", "zh-traditional", "zh-far", "zh-charge", "mixed"}),
        ("手机电池", {"zh-traditional"}),
        ("手机 NEAR/3 (电池 OR 充电)", {"zh-battery", "zh-traditional", "zh-charge"}),
        ("手机 NEAR/1 电池", {"zh-battery", "zh-traditional"}),
        ("手机 NEAR/0 电池", {"zh-traditional"}),
        ("手机 NEAR/12 电池", {"zh-battery", "zh-traditional", "zh-far"}),
        ("手机 NEAR/11 电池", {"zh-battery", "zh-traditional"}),
        ("电池 ONEAR/5 手机", set()),
        ("手机 ONEAR/5 电池", {"zh-battery", "zh-traditional"}),
        ('"手机 电池"~1', {"zh-battery", "zh-traditional"}),
        ("iphone手机", {"mixed"}),
        ("iphone NEAR/0 battery", {"apple-phone"}),
        ("iphone NEAR/2 battery", {"apple-phone"}),
        ("iphone NEAR/3 battery", {"apple-phone", "mixed"}),  # 手 机 的 are three tokens
        # title: and raw:
        ("title:refund", {"colour"}),
        ("title:wi-fi", {"wifi"}),
        ("title:(aurora NEAR/2 x2)", {"wifi"}),
        ("title:(problems -spam)", {"wifi"}),
        ('raw:"iPhone"', {"apple-phone", "case", "mixed"}),
        ('raw:"IPHONE"', {"case"}),
        ('raw:"Wi-Fi keeps"', {"wifi"}),
        # field operators
        ("author:sam_r", {"refund-late"}),
        ("author:@SAM_R", {"refund-late"}),
        ("author:kim", {"wifi"}),
        ("site:example.com", {"apple-phone"}),
        ("site:forums.example.com", {"apple-phone"}),
        ("site:ample.com", set()),
        ("site:reddit.com", {"wifi"}),
        ("url:REF=home", {"apple-phone"}),
        ("source:appstore", {"battery-life", "life-battery"}),
        ("source:Reddit", {"wifi"}),
        ("lang:ZH", {"zh-battery", "zh-traditional", "zh-far", "zh-charge", "mixed"}),
        ("country:cn", {"zh-battery"}),
        (
            "sentiment:negative",
            {"refund-late", "money-back-slow", "late-refund", "apple-phone", "zh-battery"},
        ),
        ("intent:complaint", {"refund-late"}),
        ("customer:*", {"battery-life", "life-battery"}),
        ("customer:cust-1", {"battery-life"}),
        ("tier:gold", {"battery-life"}),
        ("tier:silver OR tier:gold", {"battery-life", "life-battery"}),
        ("rating:[1 TO 2]", {"apple-phone", "life-battery"}),
        ("rating:5", {"battery-life"}),
        ("rating:[4 TO *]", {"battery-life"}),
        ("rating:[* TO 1.5]", {"apple-phone"}),
        ("#bluetooth", {"apple-phone", "battery-life"}),
        ("#BLUETOOTH #audio", {"battery-life"}),
        ("@aurora_audio", {"apple-phone"}),
        ('"battery life"~3 AND (#bluetooth OR @aurora_audio)', {"apple-phone", "battery-life"}),
        ("customer:* AND tier:gold", {"battery-life"}),
        ("rating:[1 TO 2] AND sentiment:negative", {"apple-phone"}),
        ("-author:kim wifi", set()),
        ("-site:reddit.com wifi", set()),
        ("NOT lang:en NOT lang:zh", {"accents"}),
    ],
)
def test_semantics_on_the_corpus(query: str, expected: set[str]) -> None:
    assert hits(query) == expected


def test_spans_point_into_the_original_text() -> None:
    m = BY_NAME["refund-late"]
    found = evaluate_query(parse("(refund OR money) NEAR/5 (late OR slow*) AND author:sam_r"), m)
    assert found is not None
    assert [m.text[s.start : s.end] for s in found.spans] == ["refund", "late"]
    assert {s.field for s in found.spans} == {"text"}


def test_spans_of_phrases_chinese_titles_and_raw() -> None:
    zh = BY_NAME["zh-traditional"]
    found = evaluate_query(parse("手机 NEAR/0 电池"), zh)
    assert found is not None
    assert [zh.text[s.start : s.end] for s in found.spans] == ["手機", "電池"]  # the original characters

    wide = BY_NAME["fullwidth"]
    found = evaluate_query(parse('"refund please"'), wide)
    assert found is not None
    assert [wide.text[s.start : s.end] for s in found.spans] == ["ＲＥＦＵＮＤ ｐｌｅａｓｅ"]

    wifi = BY_NAME["wifi"]
    found = evaluate_query(parse('title:wi-fi raw:"Wi-Fi"'), wifi)
    assert found is not None
    assert found.spans == (Span(field="text", start=4, end=9), Span(field="title", start=0, end=5))

    case = BY_NAME["case"]
    found = evaluate_query(parse("iphone"), case)
    assert found is not None
    assert len(found.spans) == 3


def test_not_and_filters_add_no_spans() -> None:
    found = evaluate_query(parse("sentiment:positive -refund"), BY_NAME["apple-pie"])
    assert found is not None
    assert found.spans == ()


def test_a_missing_title_or_field_never_matches() -> None:
    m = BY_NAME["refund-late"]
    assert not matches(parse("title:refund"), m)
    assert matches(parse("-title:refund"), m)
    assert not matches(parse("rating:[0 TO 10]"), m)
    assert not matches(parse("site:example.com"), m)
    assert not matches(parse("tier:gold"), m)


def test_unordered_spans_may_overlap_like_lucene() -> None:
    # Elasticsearch's span_near (in_order=false) lets both operands use the same occurrence
    assert matches(parse("apple NEAR/0 apple"), BY_NAME["apple-pie"])
    assert not matches(parse("apple ONEAR/5 apple"), BY_NAME["apple-pie"])
    assert matches(parse("very ONEAR/0 very"), BY_NAME["repeat"])
    assert matches(parse('"very very"~0'), BY_NAME["apple-pie"]) is False
    assert matches(parse('"best best"~0'), BY_NAME["apple-pie"])  # one 'best' is enough


def test_lazy_enumeration_skips_like_lucene() -> None:
    # Checked against Elasticsearch 8.19: span_near(in_order) over span_or("a b c", b) and c does not
    # match "a b c", although b ONEAR/0 c does: the first operand's span (0,3) moves c's cursor past c.
    m = mention("abc", "a b c")
    assert not matches(parse('("a b c" OR b) ONEAR/0 c'), m)
    assert matches(parse("b ONEAR/0 c"), m)


def test_a_view_is_shared_and_caches() -> None:
    view = MentionView(BY_NAME["money-back-slow"])
    assert matches(parse("slow*"), view)
    assert evaluate_query(parse("slow* NEAR/1 still"), view) is not None
    assert ("w", "slow*") in view.text.cache


# --- the proximity formula: for fixed-length operands Lucene's enumeration is exact ----------------
def _formula(lists: list[list[tuple[int, int, None]]], slop: int, ordered: bool) -> bool:
    for combo in product(*lists):
        if ordered:
            if (
                all(combo[i + 1][0] >= combo[i][1] for i in range(len(combo) - 1))
                and sum(combo[i + 1][0] - combo[i][1] for i in range(len(combo) - 1)) <= slop
            ):
                return True
        elif max(s[1] for s in combo) - min(s[0] for s in combo) - sum(s[1] - s[0] for s in combo) <= slop:
            return True
    return False


@st.composite
def _fixed_length_lists(draw: st.DrawFn) -> list[list[tuple[int, int, None]]]:
    lists = []
    for _ in range(draw(st.integers(2, 3))):
        length = draw(st.integers(1, 3))
        starts = sorted(draw(st.sets(st.integers(0, 15), min_size=1, max_size=4)))
        lists.append([(s, s + length, None) for s in starts])
    return lists


@settings(max_examples=300, deadline=None)
@given(_fixed_length_lists(), st.integers(0, 4), st.booleans())
def test_near_matches_the_formula_for_fixed_length_operands(
    lists: list[list[tuple[int, int, None]]], slop: int, ordered: bool
) -> None:
    run = near_ordered if ordered else near_unordered
    assert bool(run(lists, slop)) == _formula(lists, slop, ordered)


def test_two_single_tokens_match_near_n_iff_q_minus_p_minus_1_le_n() -> None:
    for p, q, n in product(range(6), range(6), range(4)):
        if p == q:
            continue
        lists = [[(p, p + 1, None)], [(q, q + 1, None)]]
        assert bool(near_unordered(lists, n)) == (abs(q - p) - 1 <= n)
        assert bool(near_ordered(lists, n)) == (p < q and q - p - 1 <= n)
