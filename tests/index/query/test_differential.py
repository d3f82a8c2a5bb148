"""Differential tests: Elasticsearch (the compiled DSL), SQLite (candidates plus evaluation), the
evaluator run on every mention, and the rule matcher (`RuleSet`) give the same ids for every query.

The corpus is the hand-written one of `corpus.py` plus a few hundred generated mentions in English and
Chinese (seeded, so every run sees the same ones), with the awkward cases on purpose: case, width,
accents and Traditional characters in text and field values, titles, a token longer than Elasticsearch's
whitespace tokenizer keeps, tabs and newlines. It is indexed once per module, in an index of its own with
the fields `index.query.to_es` expects, and in a SQLite store of `index.backends.sqlite`.

The Elasticsearch percolator (the reference the design names for the matcher) is not in the test
distribution; running each rule as a search over the indexed corpus gives the same hit relation.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import (
    DEFAULT_WORKSPACE,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    Sentiment,
    SentimentLabel,
)
from index.analysis import tokenize
from index.backends.sqlite import SQLiteMentionStore
from index.query import MentionView, Node, RuleSet, evaluate_query, parse
from index.query.to_es import MAX_EXPANSIONS, compile_es, es_properties, es_values
from index.query.to_sqlite import matching
from tests.index.query.corpus import CORPUS, WHEN, mention
from tests.index.query.strategies import ast_nodes

pytestmark = pytest.mark.integration

# --- the corpus ------------------------------------------------------------------------------------
_EN = (  # noqa: SIM905 - a word list reads better as text
    "refund refunds refunded refunding late later slow slower slowly shipping delivery courier dhl "
    "money back please battery life lasts great terrible apple pie iphone phone wifi wi fi aurora x2 "
    "colour color woman women very good bad broke broken crack cracked charger screen order "
    "the a and or not near of is was my this so again now"
).split()
_EN_VARIANTS = ("Refund", "REFUND", "Café", "naïve", "ＳＬＯＷ", "iPhone", "Wi-Fi", "don't", "x2")
_ZH = "手机 電池 电池 充电 很 差 慢 好 的 这个 退款 快递 屏幕 坏了 續航".split()  # noqa: SIM905
_PUNCT = (" ", " ", " ", ", ", ". ", "; ", "! ", "\t", "\n", " - ")
_SITES = ("example.com", "forums.example.com", "news.bbc.co.uk", "bbc.co.uk", "reddit.com", "r/headphones")
_SITE_VARIANTS = ("Forums.Example.COM", "ｅｘａｍｐｌｅ.com", " bbc.co.uk ")
_HANDLES = ("Sam_R", "@Kim", "jo", "Ｋｉｍ", "Zoë", "zoe", "@@ann")
_TAGS = ("#Bluetooth", "audio", "#Ａｕｄｉｏ", "bluetooth", "#Refund", "退款")
_URLS = (
    "https://forums.example.com/t/123?ref=Home",
    "https://www.example.com/Reviews/aurora-x2",
    "http://news.bbc.co.uk/tech/ＩＤ=9",
    "https://reddit.com/r/headphones/comments/abc",
)
_LONG_TOKEN = "n" + "o" * 300  # longer than the whitespace tokenizer's 255 characters


def _text(rng: random.Random, chinese: bool) -> str:
    words: list[str] = []
    for _ in range(rng.randint(3, 22)):
        roll = rng.random()
        if chinese and roll < 0.55:
            words.append(rng.choice(_ZH))
        elif roll < 0.1:
            words.append(rng.choice(_EN_VARIANTS))
        else:
            words.append(rng.choice(_EN))
    out = words[0]
    for word in words[1:]:
        glue = "" if chinese and rng.random() < 0.6 else rng.choice(_PUNCT)
        out += glue + word
    return out


def generated_corpus(size: int = 320, seed: int = 20261101) -> tuple[EnrichedMention, ...]:
    rng = random.Random(seed)
    out: list[EnrichedMention] = []
    for i in range(size):
        chinese = rng.random() < 0.35
        fields: dict[str, Any] = {
            "platform": rng.choice(("twitter", "reddit", "web", "appstore", "weibo")),
            "lang": "zh" if chinese else rng.choice(("en", "en", "fr", "und")),
            "published_at": WHEN - timedelta(minutes=i),
        }
        if rng.random() < 0.3:
            fields["title"] = _text(rng, chinese) if rng.random() < 0.9 else ""
        if rng.random() < 0.5:
            fields["site"] = rng.choice(_SITES + _SITE_VARIANTS)
        if rng.random() < 0.3:
            fields["url"] = rng.choice(_URLS)
        if rng.random() < 0.6:
            fields["author"] = Author(platform="twitter", handle=rng.choice(_HANDLES))
        if rng.random() < 0.4:
            fields["country"] = rng.choice(("GB", "gb", "CN", "tw", "DE"))
        if rng.random() < 0.3:
            fields["rating"] = rng.choice((0.0, 1.0, 1.5, 2.0, 3.0, 4.5, 5.0))
        if rng.random() < 0.3:
            fields["hashtags"] = tuple(rng.sample(_TAGS, rng.randint(1, 2)))
        if rng.random() < 0.2:
            fields["mentions"] = (rng.choice(("aurora_audio", "Aurora_Audio", "@kim", "ｄｈｌ")),)
        if rng.random() < 0.6:
            label = rng.choice(tuple(SentimentLabel))
            fields["sentiment"] = Sentiment(label=label, score=0.0, confidence=0.5)
        if rng.random() < 0.3:
            labels = rng.sample(tuple(IntentLabel), rng.randint(1, 2))
            fields["intents"] = tuple(Intent(label=label, confidence=0.8) for label in labels)
        if rng.random() < 0.25:
            fields["customer"] = CustomerLink(
                customer_id=rng.choice(("cust-1", "cust-2", "CUST-3")), confidence=1.0, method="handle"
            )
            if rng.random() < 0.7:
                fields["metadata"] = {"customer_tier": rng.choice(("Gold", " silver ", "PLATINUM", "bronze"))}
        text = _text(rng, chinese)
        if i == 7:
            text = f"{_LONG_TOKEN} refund {text}"
        out.append(mention(f"gen-{i}", text, **fields))
    return tuple(out)


ALL = CORPUS + generated_corpus()
IDS = {m.id for m in ALL}
VIEWS = [MentionView(m) for m in ALL]
_WORDS = sorted({t.text for m in ALL for text in (m.text, m.title or "") for t in tokenize(text)})
WORDS = st.sampled_from(_WORDS)
VALUES = st.sampled_from(
    (
        "sam_r",
        "kim",
        "zoe",
        "@ann",
        "example.com",
        "forums.example.com",
        "bbc.co.uk",
        "co.uk",
        "r/headphones",
        "ample.com",
        "ref=home",
        "reviews/aurora",
        "id=9",
        "twitter",
        "weibo",
        "appstore",
        "en",
        "zh",
        "gb",
        "tw",
        "cust-1",
        "CUST-3",
        "bluetooth",
        "audio",
        "退款",
        "aurora_audio",
        "dhl",
        "nobody",
    )
)


# --- engines ---------------------------------------------------------------------------------------
class Engines:
    """The corpus in Elasticsearch and in SQLite, and every way to run a query over it."""

    def __init__(self, es: Elasticsearch, index: str, conn: sqlite3.Connection) -> None:
        self.es = es
        self.index = index
        self.conn = conn

    def elasticsearch(self, nodes: list[Node], **options: Any) -> list[set[str]]:
        searches: list[dict[str, Any]] = []
        for node in nodes:
            searches.append({"index": self.index})
            body = {"query": compile_es(node, **options), "size": len(ALL), "_source": False}
            searches.append(body)
        out = []
        for response in self.es.msearch(searches=searches)["responses"]:
            assert "error" not in response, response
            assert response["hits"]["total"]["value"] <= len(ALL)
            out.append({hit["_id"] for hit in response["hits"]["hits"]})
        return out

    def sqlite(self, node: Node) -> set[str]:
        return {m.id for m in matching(self.conn, node)}

    @staticmethod
    def brute_force(node: Node) -> set[str]:
        return {view.mention.id for view in VIEWS if evaluate_query(node, view) is not None}

    @staticmethod
    def rules(nodes: list[Node]) -> list[set[str]]:
        ruleset = RuleSet()
        for i, node in enumerate(nodes):
            ruleset.add(f"r{i}", node)
        out: list[set[str]] = [set() for _ in nodes]
        for view in VIEWS:  # match() of the batch, with the mentions tokenised once per module
            for hit in ruleset.match_one(view):
                out[int(hit.rule_id[1:])].add(view.mention.id)
        return out

    def check(self, nodes: list[Node]) -> None:
        by_es = self.elasticsearch(nodes)
        by_rules = self.rules(nodes)
        for node, es_ids, rule_ids in zip(nodes, by_es, by_rules, strict=True):
            expected = self.brute_force(node)
            assert es_ids == expected, ("elasticsearch", node)
            assert self.sqlite(node) == expected, ("sqlite", node)
            assert rule_ids == expected, ("ruleset", node)


@pytest.fixture(scope="module")
def engines(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    es = Elasticsearch(es_url, request_timeout=60)
    index = f"t-{uuid.uuid4().hex[:8]}-differential"
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "dynamic": "strict",
            "_source": {"enabled": False},
            "properties": {"ql": {"properties": es_properties()}, "rating": {"type": "double"}},
        },
    )
    path: Path = tmp_path_factory.mktemp("differential") / "mentions.db"
    store = SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path)
    conn: sqlite3.Connection | None = None
    try:
        actions = ({"_index": index, "_id": m.id, "ql": es_values(m), "rating": m.rating} for m in ALL)
        helpers.bulk(es, actions, refresh=True)
        store.upsert(ALL)
        conn = sqlite3.connect(path)
        assert es.count(index=index)["count"] == len(ALL) == len(IDS)
        yield Engines(es, index, conn)
    finally:
        if conn is not None:
            conn.close()
        store.close()
        es.indices.delete(index=index)
        es.close()


# --- queries ---------------------------------------------------------------------------------------
HAND_WRITTEN = [
    # terms, phrases, case, width, accents, Traditional Chinese
    "refund",
    "REFUND",
    "ｒｅｆｕｎｄ",
    "cafe",
    "naïve",
    '"money back"',
    '"battery life"',
    "wi-fi",
    "dont",
    "手机",
    "手機 電池",
    '"这个手机"',
    "x2",
    _LONG_TOKEN,
    f"{_LONG_TOKEN} NEAR/0 refund",
    # boolean operators
    "apple AND pie",
    "apple pie",
    "apple OR pie",
    "apple -pie",
    "apple NOT pie",
    "NOT pie",
    "-(pie OR cake)",
    '-"apple pie"',
    "refund OR late slow",
    "NOT refund NOT late",
    "(refund OR late) (slow OR slower) -courier",
    # wildcards
    "slow*",
    "refund*",
    "wom?n",
    "colo?r*",
    "refun?",
    "charg*",
    # proximity
    "refund NEAR/5 late",
    "refund ONEAR/5 late",
    "late ONEAR/5 refund",
    '(refund OR "money back") NEAR/5 (late OR slow*)',
    '"aurora x2" ONEAR/3 (broke* OR crack*)',
    "(refund NEAR/2 late) NEAR/10 (courier OR dhl)",
    "手机 NEAR/3 (电池 OR 充电)",
    "手机 NEAR/1 电池",
    "手机 NEAR/0 电池",
    "手机 ONEAR/2 (退款 OR 快递)",
    '"battery life"~3',
    '"battery life"~0',
    '"very very"~0',
    "very ONEAR/0 very",
    "apple NEAR/0 apple",
    '"wi-fi router"~2',
    '"手机 电池"~3',
    '("refund late" OR late) ONEAR/0 slow',
    "(slow* OR refund*) NEAR/3 (late OR 手机)",
    # fields
    "author:sam_r",
    "author:@KIM",
    "author:zoe",
    "author:@ann",
    "-author:kim",
    "site:example.com",
    "site:bbc.co.uk",
    "site:co.uk",
    "site:r/headphones",
    "site:ample.com",
    "url:ref=home",
    "url:example.com/reviews",
    "url:ID=9",
    "source:weibo",
    "source:Reddit",
    "lang:zh",
    "-lang:en",
    "country:gb",
    "country:tw",
    "sentiment:negative",
    "sentiment:unscored",
    "intent:complaint OR intent:churn_risk",
    "aspect:delivery",
    "aspect:Quality.Negative OR aspect:price.positive",
    "aspect:quality -aspect:quality.negative",
    "-aspect:delivery.neutral",
    "customer:cust-1",
    "customer:CUST-3",
    "customer:*",
    "-customer:*",
    "tier:gold",
    "tier:silver OR tier:platinum",
    "-tier:gold",
    "rating:[1 TO 2]",
    "rating:5",
    "rating:[4 TO *]",
    "rating:[* TO 1]",
    "-rating:[* TO *]",
    "#bluetooth",
    "#audio",
    "hashtag:退款",
    "@aurora_audio",
    "mention:dhl",
    "@kim",
    "title:refund",
    'title:"money back"~2',
    "title:(refund OR return*)",
    "title:手机 -手机",
    "-title:refund",
    'raw:"iPhone"',
    'raw:"IPHONE"',
    'raw:"Ph"',
    'raw:"é"',
    'raw:"ＳＬＯＷ"',
    'raw:"Wi-Fi"',
    'raw:"手機"',
    'raw:"\t"',
    '-raw:"the"',
    # combinations
    '"battery life"~3 AND (#bluetooth OR @aurora_audio)',
    "rating:[1 TO 2] AND sentiment:negative",
    "customer:* AND tier:gold",
    "(refund OR 退款) AND (site:example.com OR source:weibo) -author:kim",
    "lang:zh (电池 NEAR/2 (差 OR 慢)) -充电",
    "title:(refund* OR 手机) OR (refund NEAR/3 late AND rating:[* TO 2])",
]


def test_hand_written_queries_agree(engines: Engines) -> None:
    nodes = [parse(query) for query in HAND_WRITTEN]
    engines.check(nodes)
    ruleset = RuleSet()  # the batch API too, on fresh mentions
    for i, node in enumerate(nodes):
        ruleset.add(str(i), node)
    by_batch: list[set[str]] = [set() for _ in nodes]
    for m, hits in zip(ALL, ruleset.match(ALL), strict=True):
        for hit in hits:
            by_batch[int(hit.rule_id)].add(m.id)
    assert by_batch == engines.rules(nodes)
    # the hand-written queries are not vacuous: most match something, and not everything
    matched = [len(engines.brute_force(node)) for node in nodes]
    assert sum(0 < n < len(ALL) for n in matched) > 0.8 * len(nodes)


RULES = st.lists(ast_nodes(WORDS, VALUES, max_leaves=6), min_size=1, max_size=12)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(RULES)
def test_generated_queries_agree(engines: Engines, nodes: list[Node]) -> None:
    engines.check(nodes)


def test_wildcard_expansion_is_bounded_inside_proximity(engines: Engines) -> None:
    """Inside NEAR a wildcard takes part with at most `max_expansions` words; outside it has no bound."""
    near = parse("refund* NEAR/3 late")
    words = {t for t in _WORDS if t.startswith("refund")}
    assert 1 < len(words) < MAX_EXPANSIONS  # the corpus stays within the default bound
    expected = engines.brute_force(near)
    assert engines.elasticsearch([near]) == [expected]
    truncated = engines.elasticsearch([near], max_expansions=1)[0]
    assert truncated < expected  # one word ("refund", first alphabetically) is not all of them
    alone = parse("refund*")
    assert engines.elasticsearch([alone], max_expansions=1) == [engines.brute_force(alone)]
