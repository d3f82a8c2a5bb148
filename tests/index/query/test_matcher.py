from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Span
from index.query import MentionView, Node, QuerySyntaxError, RuleSet, evaluate_query, parse
from index.query.matcher import anchors, mention_keys
from tests.index.query.corpus import BY_NAME, CORPUS
from tests.index.query.strategies import CORPUS_VALUES, CORPUS_WORDS, ast_nodes

RULES = st.lists(ast_nodes(CORPUS_WORDS, CORPUS_VALUES, max_leaves=6), min_size=1, max_size=25)


VIEWS = [MentionView(m) for m in CORPUS]  # tokenised once; their caches are deterministic


def brute_force(rules: dict[str, Node]) -> list[list[tuple[str, tuple[Span, ...]]]]:
    out = []
    for view in VIEWS:
        row = []
        for rule_id, node in rules.items():
            found = evaluate_query(node, view)
            if found is not None:
                row.append((rule_id, found.spans))
        out.append(row)
    return out


def run(ruleset: RuleSet) -> list[list[tuple[str, tuple[Span, ...]]]]:
    return [[(hit.rule_id, hit.spans) for hit in row] for row in ruleset.match(CORPUS)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES)
def test_ruleset_equals_evaluating_every_rule(nodes: list[Node]) -> None:
    rules = {f"r{i}": node for i, node in enumerate(nodes)}
    ruleset = RuleSet()
    for rule_id, node in rules.items():
        ruleset.add(rule_id, node)
    assert run(ruleset) == brute_force(rules)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ast_nodes(CORPUS_WORDS, CORPUS_VALUES, max_leaves=6))
def test_anchors_are_necessary(node: Node) -> None:
    keys = anchors(node)
    for view in VIEWS:
        if keys is not None and evaluate_query(node, view) is not None:
            assert keys & mention_keys(view), view.mention.native_id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES, st.data())
def test_incremental_add_and_remove(nodes: list[Node], data: st.DataObject) -> None:
    rules = {f"r{i}": node for i, node in enumerate(nodes)}
    ruleset = RuleSet()
    for rule_id, node in rules.items():
        ruleset.add(rule_id, node)
    removed = data.draw(st.sets(st.sampled_from(sorted(rules))))
    for rule_id in removed:
        assert ruleset.remove(rule_id)
        assert not ruleset.remove(rule_id)
    kept = {k: v for k, v in rules.items() if k not in removed}
    assert len(ruleset) == len(kept)
    assert run(ruleset) == brute_force(kept)
    back = [k for k in rules if k in removed]
    for rule_id in back:  # re-adding restores them; results come in the order rules were added
        ruleset.add(rule_id, rules[rule_id])
    again = {**kept, **{k: rules[k] for k in back}}
    assert run(ruleset) == brute_force(again)


def test_matches_carry_rule_ids_and_spans() -> None:
    ruleset = RuleSet()
    ruleset.add("late", '(refund OR "money back") NEAR/5 (late OR slow*)')
    ruleset.add("zh", "手机 NEAR/3 (电池 OR 充电)")
    ruleset.add("negative", "sentiment:negative")
    ruleset.add("not-en", "-lang:en")
    batch = [BY_NAME["refund-late"], BY_NAME["zh-battery"], BY_NAME["apple-pie"]]
    rows = ruleset.match(batch)
    assert [[hit.rule_id for hit in row] for row in rows] == [
        ["late", "negative"],
        ["zh", "negative", "not-en"],
        [],
    ]
    late = rows[0][0]
    assert [batch[0].text[s.start : s.end] for s in late.spans] == ["refund", "late"]
    zh = rows[1][0]
    # 充电 is 5 tokens from 手机: not part of a NEAR/3 match, so not highlighted
    assert [batch[1].text[s.start : s.end] for s in zh.spans] == ["手机", "电池"]


def test_replacing_a_rule_and_bad_queries() -> None:
    ruleset = RuleSet()
    ruleset.add("r", "refund")
    ruleset.add("r", "apple")
    assert len(ruleset) == 1
    assert [
        [h.rule_id for h in row] for row in ruleset.match([BY_NAME["refund-late"], BY_NAME["apple-pie"]])
    ] == [
        [],
        ["r"],
    ]
    with pytest.raises(QuerySyntaxError):
        ruleset.add("r", "apple AND")
    assert "r" in ruleset
    assert [h.rule_id for h in ruleset.match_one(BY_NAME["apple-pie"])] == ["r"]  # the old rule stays


def test_prefilter_narrows_candidates() -> None:
    ruleset = RuleSet()
    ruleset.add("brand", "aurora AND (refund OR broke*)")
    ruleset.add("near", "refund NEAR/3 late")
    ruleset.add("title", "title:refund")
    ruleset.add("wild", "slow*")
    ruleset.add("author", "author:kim -wifi")
    ruleset.add("site", "site:example.com")
    ruleset.add("url", "url:example")
    ruleset.add("not", "NOT refund")
    assert ruleset.always_checked == {"url", "not"}
    assert ruleset.candidates(MentionView(BY_NAME["late-refund"])) == ["near", "url", "not"]
    assert ruleset.candidates(MentionView(BY_NAME["colour"])) == ["title", "url", "not"]
    assert ruleset.candidates(MentionView(BY_NAME["money-back-slow"])) == ["wild", "url", "not"]
    assert ruleset.candidates(MentionView(BY_NAME["wifi"])) == ["author", "url", "not"]
    assert ruleset.candidates(MentionView(BY_NAME["apple-phone"])) == ["site", "url", "not"]


def test_anchor_choice() -> None:
    def keys(query: str) -> set[str] | None:
        found = anchors(parse(query))
        return None if found is None else set(found)

    assert keys("aurora AND (refund OR broke*)") == {"aurora"}
    assert keys("refund OR broke*") == {"refund", "*bro"}
    assert keys('"money back" NEAR/3 late') == {"money"}  # every token is needed: the longest is rarest
    assert keys("lang:en AND author:sam") == {"author=sam"}  # lang: is weak, author: selective
    assert keys("手机 AND refund") == {"refund"}  # one Chinese character is a common token
    assert keys("refund OR -late") is None
    assert keys("title:(ab OR cde*)") == {"title:ab", "title*cde"}
    assert keys("site:bbc.co.uk") == {"site=bbc.co.uk"}
    assert keys("customer:*") == {"customer=*"}
    assert keys("rating:[1 TO 2.5]") == {"rating=1", "rating=2"}
    assert keys("rating:[9.5 TO *]") == {"rating=9", "rating=10"}
    assert keys("url:example") is None
    assert keys("raw:x OR refund") is None


def test_mention_keys() -> None:
    keys = mention_keys(MentionView(BY_NAME["apple-phone"]))
    assert {
        "apple",
        "*app",
        "iphone",
        "*iph",
        "author=",
        "site=forums.example.com",
        "site=example.com",
    } - keys == {"author="}
    assert {"site=com", "hashtag=bluetooth", "mention=aurora_audio", "rating=1", "source=web"} <= keys
    assert "url=https://forums.example.com/t/123?ref=home" not in keys  # substring fields carry no key
    titled = mention_keys(MentionView(BY_NAME["wifi"]))
    assert {"title:aurora", "title*aur", "title:x2", "author=kim"} <= titled
    linked = mention_keys(MentionView(BY_NAME["battery-life"]))
    assert {"customer=cust-1", "customer=*", "tier=gold"} <= linked
