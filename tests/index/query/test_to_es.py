"""The Elasticsearch compiler without a cluster: the DSL of each node, the indexed values, the trigram
encoding behind `raw:` and `url:`. That Elasticsearch returns the evaluator's ids is test_differential."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import (
    Aspect,
    AspectLabel,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    Sentiment,
    SentimentLabel,
)
from index.analysis import tokenize
from index.query import Raw, parse
from index.query.fields import KEYWORD_FIELDS
from index.query.to_es import (
    MAX_EXPANSIONS,
    EsFieldMap,
    compile_es,
    es_keyword,
    es_properties,
    es_token,
    es_values,
    es_values_json,
    grams,
)
from tests.index.query.corpus import BY_NAME, CORPUS, mention

TOP = f"top_terms_{MAX_EXPANSIONS}"


def q(query: str, **options: Any) -> dict[str, Any]:
    return compile_es(parse(query), **options)


def test_terms_phrases_and_wildcards() -> None:
    assert q("REFUND") == {"term": {"ql.text": "refund"}}
    assert q('"money back"') == {
        "match_phrase": {"ql.text": {"query": "money back", "analyzer": "whitespace"}}
    }
    assert q("手機") == {"match_phrase": {"ql.text": {"query": "手 机", "analyzer": "whitespace"}}}
    assert q("slow*") == {"prefix": {"ql.text": {"value": "slow"}}}  # no rewrite: unbounded
    assert q("wom?n") == {"wildcard": {"ql.text": {"value": "wom?n"}}}
    assert q("colo?r*") == {"wildcard": {"ql.text": {"value": "colo?r*"}}}


def test_booleans() -> None:
    assert q("a OR b") == {
        "bool": {
            "should": [{"term": {"ql.text": "a"}}, {"term": {"ql.text": "b"}}],
            "minimum_should_match": 1,
        }
    }
    assert q("apple -pie sentiment:negative") == {
        "bool": {
            "must": [{"term": {"ql.text": "apple"}}],
            "filter": [{"term": {"ql.sentiment": "negative"}}],
            "must_not": [{"term": {"ql.text": "pie"}}],
        }
    }
    assert q("NOT pie") == {"bool": {"must_not": [{"term": {"ql.text": "pie"}}]}}


def test_proximity_is_span_queries() -> None:
    assert q('(refund OR "money back") NEAR/5 (late OR slow*)') == {
        "span_near": {
            "clauses": [
                {
                    "span_or": {
                        "clauses": [
                            {"span_term": {"ql.text": "refund"}},
                            {
                                "span_near": {
                                    "clauses": [
                                        {"span_term": {"ql.text": "money"}},
                                        {"span_term": {"ql.text": "back"}},
                                    ],
                                    "slop": 0,
                                    "in_order": True,
                                }
                            },
                        ]
                    }
                },
                {
                    "span_or": {
                        "clauses": [
                            {"span_term": {"ql.text": "late"}},
                            {
                                "span_multi": {
                                    "match": {"prefix": {"ql.text": {"value": "slow", "rewrite": TOP}}}
                                }
                            },
                        ]
                    }
                },
            ],
            "slop": 5,
            "in_order": False,
        }
    }
    ordered = q("a ONEAR/2 b")["span_near"]
    assert (ordered["slop"], ordered["in_order"]) == (2, True)
    assert q("wom?n NEAR/1 x", max_expansions=7)["span_near"]["clauses"][0] == {
        "span_multi": {"match": {"wildcard": {"ql.text": {"value": "wom?n", "rewrite": "top_terms_7"}}}}
    }


def test_slop_phrase_is_one_unordered_span_near() -> None:
    assert q('"wi-fi router x"~2') == {
        "span_near": {
            "clauses": [
                {
                    "span_near": {
                        "clauses": [{"span_term": {"ql.text": "wi"}}, {"span_term": {"ql.text": "fi"}}],
                        "slop": 0,
                        "in_order": True,
                    }
                },
                {"span_term": {"ql.text": "router"}},
                {"span_term": {"ql.text": "x"}},
            ],
            "slop": 2,
            "in_order": False,
        }
    }


def test_fields() -> None:
    assert q("title:(refund OR x NEAR/2 y)") == {
        "bool": {
            "should": [
                {"term": {"ql.title": "refund"}},
                {
                    "span_near": {
                        "clauses": [{"span_term": {"ql.title": "x"}}, {"span_term": {"ql.title": "y"}}],
                        "slop": 2,
                        "in_order": False,
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }
    assert q("author:@SAM") == {"term": {"ql.author": "sam"}}
    assert q("#Bluetooth") == {"term": {"ql.hashtag": "bluetooth"}}
    assert q("customer:*") == {"exists": {"field": "ql.customer"}}
    assert q("customer:Cust-1") == {"term": {"ql.customer": "Cust-1"}}
    assert q("site:bbc.co.uk") == {"term": {"ql.site": "bbc.co.uk"}}
    assert q("rating:[1 TO 2]") == {"range": {"rating": {"gte": 1.0, "lte": 2.0}}}
    assert q("rating:[4 TO *]") == {"range": {"rating": {"gte": 4.0}}}
    assert q("rating:[* TO *]") == {"exists": {"field": "rating"}}
    fields = EsFieldMap(root="query_fields", rating="stars")
    assert q("lang:zh rating:5", fields=fields) == {
        "bool": {
            "filter": [{"term": {"query_fields.lang": "zh"}}, {"range": {"stars": {"gte": 5.0, "lte": 5.0}}}]
        }
    }


def test_raw_and_url_are_trigram_queries() -> None:
    assert q('raw:"iPhone"') == {
        "match_phrase": {"ql.raw": {"query": " ".join(grams("iPhone").split()[:4]), "analyzer": "whitespace"}}
    }
    assert q('raw:"abc"') == {"term": {"ql.raw": grams("abc").split()[0]}}
    assert q('raw:"iP"') == {"prefix": {"ql.raw": {"value": grams("iP").split()[0]}}}
    assert q("url:a") == {"prefix": {"ql.url": {"value": grams("a")}}}


def _stream_has(stream: str, needle: str) -> bool:
    """What the compiled `raw:` query asks of a trigram stream, simulated."""
    query = compile_es(Raw(needle))
    tokens = stream.split()
    if "prefix" in query:
        return any(t.startswith(query["prefix"]["ql.raw"]["value"]) for t in tokens)
    if "term" in query:
        return query["term"]["ql.raw"] in tokens
    phrase = query["match_phrase"]["ql.raw"]["query"].split()
    return any(tokens[i : i + len(phrase)] == phrase for i in range(len(tokens)))


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=12), st.text(min_size=1, max_size=5))
def test_trigrams_find_exactly_the_substrings(text: str, needle: str) -> None:
    # a small alphabet makes hits likely; any code point must work (fixed-width encoding)
    assert _stream_has(grams(text), needle) == (needle in text)
    small = "".join("ab\U0001f600"[ord(c) % 3] for c in text)
    small_needle = "".join("ab\U0001f600"[ord(c) % 3] for c in needle)
    assert _stream_has(grams(small), small_needle) == (small_needle in small)


def test_grams_are_whitespace_free_fixed_width_tokens() -> None:
    stream = grams("a b\U0010ffff")
    assert stream.split(" ") == stream.split()
    assert [len(t) for t in stream.split()] == [12, 12, 8, 4]


def test_long_tokens_get_a_stand_in() -> None:
    short = "x" * 255
    assert es_token(short) == short
    long = "x" * 256
    stand_in = es_token(long)
    assert len(stand_in) < 255
    assert stand_in.startswith("x" * 100)
    assert stand_in != es_token("x" * 257)
    astral = "\U00020000" * 128  # 256 UTF-16 units
    assert es_token(astral) != astral
    assert es_token("\U00020000" * 127) == "\U00020000" * 127
    assert q("y" * 300) == {"term": {"ql.text": es_token("y" * 300)}}
    assert es_keyword("k" * 100) == "k" * 100
    assert es_keyword("k" * 9000) != es_keyword("k" * 9001)
    assert len(es_keyword("k" * 9000)) < 100


def test_indexed_values_are_what_the_evaluator_reads() -> None:
    m = mention(
        "v",
        "The Wi-Fi 手機",
        title="Aurora X2",
        site="News.BBC.co.uk",
        url="https://Example.com/A",
        author=Author(platform="twitter", handle="@Ｋｉｍ"),
        hashtags=("#Audio",),
        mentions=("@Zoë",),
        customer=CustomerLink(customer_id="Cust-1", confidence=1.0, method="handle"),
        metadata={"customer_tier": " Gold "},
        country="de",
    )
    values = es_values(m)
    assert values["text"] == "the wi fi 手 机"
    assert values["title"] == "aurora x2"
    assert values["site"] == ["bbc.co.uk", "co.uk", "news.bbc.co.uk", "uk"]
    assert values["url"] == [grams("https://example.com/a")]
    assert values["raw"] == grams("The Wi-Fi 手機")
    assert values["author"] == ["kim"]
    assert values["hashtag"] == ["audio"]
    assert values["mention"] == ["zoe"]
    assert values["customer"] == ["Cust-1"]
    assert values["tier"] == ["gold"]
    assert values["country"] == ["de"]
    assert values["sentiment"] == ["unscored"]
    assert "intent" not in values
    assert "title" not in es_values(BY_NAME["empty-title"])


def test_mapping_has_a_field_for_everything_compiled() -> None:
    properties = es_properties()
    assert set(properties) == {"text", "title", "raw"} | KEYWORD_FIELDS
    assert properties["text"]["analyzer"] == "whitespace"
    assert properties["url"]["analyzer"] == "whitespace"


def test_token_stream_matches_tokenize() -> None:
    text = BY_NAME["mixed"].text
    assert es_values(BY_NAME["mixed"])["text"].split() == [t.text for t in tokenize(text)]


def test_max_expansions_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        q("abc* NEAR/1 x", max_expansions=0)


@given(st.text(max_size=40))
def test_trigram_stream_is_the_slicing_definition(text: str) -> None:
    from index.query.to_es import _code, grams

    codes = [_code(c) for c in text]
    assert grams(text) == " ".join("".join(codes[i : i + 3]) for i in range(len(codes)))


# --- the writer's fast JSON ------------------------------------------------------------------------
def _generic_json(m: EnrichedMention) -> str:
    return json.dumps(es_values(m), ensure_ascii=False, separators=(",", ":"))


def test_fragment_keys_cover_every_keyword_field_in_order() -> None:
    from index.query.to_es import _PER_AUTHOR, _SHARED, KEYWORD_ORDER

    assert sorted(KEYWORD_ORDER) == sorted(KEYWORD_FIELDS)
    assert (*(name for name, _ in _PER_AUTHOR), *(name for name, _ in _SHARED), "url") == KEYWORD_ORDER


@pytest.mark.parametrize("m", CORPUS, ids=lambda m: m.native_id)
def test_fast_json_equals_generic_on_the_corpus(m: EnrichedMention) -> None:
    assert es_values_json(m) == _generic_json(m)
    terms = " ".join(t.text for t in tokenize(m.text))
    assert es_values_json(m, text_terms=terms) == _generic_json(m)


_WORDS = st.sampled_from(["Acme", "耳機", "#Audio", "@Zoë", "x" * 140, 'a"b', "back\\slash", "\t", "ß", ""])
_PIECES = st.lists(_WORDS, max_size=6).map(" ".join)


_POLARITIES = [SentimentLabel.negative, SentimentLabel.neutral, SentimentLabel.positive]


@st.composite
def _mentions(draw: st.DrawFn) -> EnrichedMention:
    text = draw(st.one_of(st.text(max_size=60), _PIECES))
    optional = st.one_of(st.none(), _PIECES.filter(bool))
    customer = draw(st.one_of(st.none(), _PIECES.filter(bool)))
    return mention(
        "fast-json",
        text,
        title=draw(optional),
        site=draw(optional),
        url=draw(optional),
        country=draw(st.one_of(st.none(), st.sampled_from(["de", "CN", "gb"]))),
        author=Author(platform="twitter", handle=draw(optional)),
        hashtags=tuple(draw(st.lists(_PIECES, max_size=3))),
        mentions=tuple(draw(st.lists(_PIECES, max_size=3))),
        customer=CustomerLink(customer_id=customer, confidence=1.0, method="handle") if customer else None,
        metadata=draw(st.sampled_from([{}, {"customer_tier": " Gold "}, {"customer_tier": 3}])),
        intents=tuple(
            Intent(label=label, confidence=0.5) for label in draw(st.sets(st.sampled_from(list(IntentLabel))))
        ),
        aspects=tuple(
            Aspect(label=label, polarity=draw(st.sampled_from(_POLARITIES)), confidence=0.5)
            for label in draw(st.sets(st.sampled_from(list(AspectLabel))))
        ),
        platform=draw(st.sampled_from(["twitter", "Reddit", "web"])),
        lang=draw(st.sampled_from(["en", "zh", "und"])),
        sentiment=Sentiment(label=draw(st.sampled_from(list(SentimentLabel))), confidence=0.5),
    )


@settings(max_examples=300, deadline=None)
@given(_mentions())
def test_fast_json_equals_generic_on_any_mention(m: EnrichedMention) -> None:
    assert es_values_json(m) == _generic_json(m)
    assert json.loads(es_values_json(m)) == es_values(m)
