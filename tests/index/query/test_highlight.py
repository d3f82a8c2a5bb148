from __future__ import annotations

from core.models import Span
from index.query import evaluate_query, parse
from index.query.highlight import ELLIPSIS, fragments, highlight
from tests.index.query.corpus import BY_NAME, mention


def test_matched_spans_are_marked_in_title_and_text() -> None:
    m = BY_NAME["wifi"]
    found = evaluate_query(parse("wi-fi OR title:aurora"), m)
    assert found is not None
    assert highlight(m, found.spans) == {
        "title": ["Wi-Fi problems with <em>Aurora</em> X2"],
        "text": ["The <em>Wi-Fi</em> keeps dropping; wifi is bad, Don&#x27;t buy."],
    }


def test_chinese_and_overlapping_spans_merge() -> None:
    m = BY_NAME["zh-battery"]
    found = evaluate_query(parse("手机 NEAR/3 电池 OR 手"), m)
    assert found is not None
    assert highlight(m, found.spans, pre="[", post="]", escape=str) == {
        "text": ["这个[手机]的[电池]很差，充电也慢。"]
    }


def test_raw_spans_and_plain_output() -> None:
    m = BY_NAME["case"]
    found = evaluate_query(parse('raw:"iPhone"'), m)
    assert found is not None
    assert highlight(m, found.spans, pre="*", post="*", escape=str) == {
        "text": ["IPHONE or iphone or *iPhone*: all the same to the index."]
    }


def test_long_text_is_cut_around_the_matches_at_spaces() -> None:
    text = " ".join(f"w{i}" for i in range(200)) + " needle " + " ".join(f"v{i}" for i in range(200))
    m = mention("long", text)
    found = evaluate_query(parse("needle"), m)
    assert found is not None
    (fragment,) = highlight(m, found.spans, fragment_size=40)["text"]
    assert fragment.startswith(ELLIPSIS)
    assert fragment.endswith(ELLIPSIS)
    assert "<em>needle</em>" in fragment
    body = fragment.strip(ELLIPSIS)
    assert len(body) <= 40 + len("<em></em>")
    assert body.split()[0][0] == "w"
    assert body.split()[-1][0] == "v"


def test_far_apart_matches_make_separate_fragments_up_to_the_limit() -> None:
    text = "x " * 100 + "a " + "y " * 100 + "b " + "z " * 100 + "c"
    spans = [text.index(w) for w in ("a ", "b ", "c")]
    ranges = [(s, s + 1) for s in spans]
    assert len(fragments(text, ranges, fragment_size=20)) == 3
    assert len(fragments(text, ranges, fragment_size=20, max_fragments=2)) == 2
    assert fragments(text, []) == []
    assert highlight(mention("n", "nothing"), [Span(field="text", start=3, end=3)]) == {}
