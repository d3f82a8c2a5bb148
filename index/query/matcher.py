"""`RuleSet`: thousands of alert rules evaluated on each batch of mentions, before indexing.

Prefilter, then exact evaluation. Every mention carries *keys*: its text tokens, the 3-character
prefixes of its tokens (for wildcards), its title tokens and prefixes, its field values and its rating
bucket. For every rule, `required` lists key sets that any mention it matches must each meet:
- a term needs its token, a phrase each of its tokens, a wildcard its 3-character prefix;
- AND and NEAR need what each of their operands needs;
- OR needs one key of the union of its operands' anchors (nothing if one operand needs nothing);
- NOT, url: (a substring) and raw: need nothing; rating: needs one of the integer buckets it spans.
A rule is indexed under its most selective need (its *anchors*) and the next few needs are checked,
as set intersections, before the rule is evaluated; a rule that needs nothing (only NOT, url:, raw:)
is evaluated on every mention. A mention is tokenised once per batch and shared by every rule. The
prefilter only skips rules that cannot match, so `match` equals evaluating every rule (tested).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from core.models import EnrichedMention, Span
from index.analysis import is_cjk
from index.query.ast import (
    MIN_WILDCARD_PREFIX,
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
from index.query.evaluate import CompiledQuery, FieldText, MentionView, compile_query
from index.query.fields import FIELDS
from index.query.parser import parse

# Keys are strings in disjoint namespaces (tokens are letters and digits only, so they contain none
# of '*', ':' or '='): "refund" a text token, "*ref" a text prefix, "title:refund", "title*ref",
# "author=sam" a field value, "rating=4" a rating bucket.
Key = str
_MAX_CHECKS = 4
_WEAK_FIELDS = frozenset({"source", "lang", "country", "sentiment", "intent", "tier", "rating"})


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule_id: str
    spans: tuple[Span, ...]


class _Rule:
    """A compiled rule; hashed by identity (cheap in the per-mention candidate sets)."""

    __slots__ = ("anchors", "checks", "compiled", "node", "rule_id", "seq")

    def __init__(self, rule_id: str, seq: int, node: Node) -> None:
        self.rule_id = rule_id
        self.seq = seq
        self.node = node
        self.compiled: CompiledQuery = compile_query(node)
        needs = sorted(set(required(node)), key=lambda keys: (_cost(keys), sorted(keys)))
        # indexed under the most selective need; the next ones are checked before evaluating
        self.anchors: frozenset[Key] | None = needs[0] if needs else None
        self.checks: tuple[frozenset[Key], ...] = tuple(needs[1 : 1 + _MAX_CHECKS])


def _token_key(field: str, token: str) -> Key:
    return token if field == "text" else f"{field}:{token}"


def _prefix_key(field: str, token: str) -> Key:
    return ("*" if field == "text" else f"{field}*") + token[:MIN_WILDCARD_PREFIX]


def _rating_buckets(low: float | None, high: float | None) -> frozenset[Key]:
    first = math.floor(low) if low is not None else 0
    last = math.floor(high) if high is not None else 10
    return frozenset(f"rating={bucket}" for bucket in range(first, last + 1))


def required(node: Node, field: str = "text") -> list[frozenset[Key]]:
    """Key sets that a matching mention must each meet (carry at least one key of every set)."""
    if isinstance(node, Term):
        return [frozenset({_token_key(field, node.text)})]
    if isinstance(node, Phrase):
        return [frozenset({_token_key(field, token)}) for token in node.tokens]
    if isinstance(node, SlopPhrase):
        return [frozenset({_token_key(field, token)}) for word in node.words for token in word]
    if isinstance(node, Wildcard):
        return [frozenset({_prefix_key(field, node.pattern)})]
    if isinstance(node, Near):
        return required(node.left, field) + required(node.right, field)
    if isinstance(node, And):
        return [need for child in node.children for need in required(child, field)]
    if isinstance(node, Or):
        union: set[Key] = set()
        for child in node.children:
            keys = anchors(child, field)
            if keys is None:
                return []
            union.update(keys)
        return [frozenset(union)]
    if isinstance(node, InTitle):
        return required(node.child, "title")
    if isinstance(node, FieldFilter):
        if FIELDS[node.name].compare == "substring":
            return []
        return [frozenset({f"{node.name}={node.value}"})]
    if isinstance(node, Rating):
        return [_rating_buckets(node.low, node.high)]
    if isinstance(node, Not | Raw):
        return []
    raise TypeError(f"not a query node: {node!r}")  # pragma: no cover


def anchors(node: Node, field: str = "text") -> frozenset[Key] | None:
    """The most selective of `required`: every matching mention carries one of these keys; None when
    nothing is required (such a rule must be evaluated on every mention)."""
    needs = required(node, field)
    return min(needs, key=lambda keys: (_cost(keys), sorted(keys))) if needs else None


def _key_cost(key: Key) -> float:
    """How common a key probably is (the prefilter has no statistics): lower is more selective."""
    name, eq, value = key.partition("=")
    if eq:
        weak = name in _WEAK_FIELDS or (name == "customer" and value == "*")
        return 50.0 if weak else 0.5
    if "*" in key:
        return 6.0
    token = key.partition(":")[2] or key
    # one Chinese character or a short word is common, a long word is selective (Zipf)
    return 4.0 if is_cjk(token) else 1.0 + 4.0 / len(token)


def _cost(keys: frozenset[Key]) -> float:
    return sum(_key_cost(key) for key in keys)


def mention_keys(view: MentionView) -> set[Key]:
    """Every key the mention carries (the other side of `required`)."""
    positions = view.text.positions
    keys: set[Key] = set(positions)
    keys.update(["*" + t[:MIN_WILDCARD_PREFIX] for t in positions if len(t) >= MIN_WILDCARD_PREFIX])
    if view.mention.title:
        _title_keys(view.title, keys)
    for name, op in FIELDS.items():
        if op.kind != "keyword" or op.compare == "substring":
            continue
        for value in view.values(op):
            keys.add(f"{name}={value}")
            if op.compare == "suffix":  # news.bbc.co.uk also carries bbc.co.uk, co.uk and uk
                at = value.find(".")
                while at >= 0:
                    keys.add(f"{name}={value[at + 1 :]}")
                    at = value.find(".", at + 1)
            elif op.compare == "customer":
                keys.add(f"{name}=*")
    rating = view.mention.rating
    if rating is not None:
        keys.add(f"rating={math.floor(rating)}")
    return keys


def _title_keys(ft: FieldText, keys: set[Key]) -> None:
    for token in ft.positions:
        keys.add("title:" + token)
        if len(token) >= MIN_WILDCARD_PREFIX:
            keys.add("title*" + token[:MIN_WILDCARD_PREFIX])


class RuleSet:
    """Alert rules compiled into one prefilter. `add` and `remove` are incremental."""

    def __init__(self) -> None:
        self._rules: dict[str, _Rule] = {}
        self._index: dict[Key, set[_Rule]] = {}
        self._always: set[_Rule] = set()
        self._seq = count()

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def query(self, rule_id: str) -> Node:
        return self._rules[rule_id].node

    @property
    def always_checked(self) -> frozenset[str]:
        """Rules the prefilter cannot narrow down (evaluated on every mention)."""
        return frozenset(rule.rule_id for rule in self._always)

    def add(self, rule_id: str, query: str | Node) -> Node:
        """Add or replace a rule; raises `QuerySyntaxError` (nothing changes) when the query is invalid."""
        node = parse(query) if isinstance(query, str) else query
        rule = _Rule(rule_id, next(self._seq), node)
        self.remove(rule_id)
        self._rules[rule_id] = rule
        if rule.anchors is None:
            self._always.add(rule)
        else:
            for key in rule.anchors:
                self._index.setdefault(key, set()).add(rule)
        return node

    def remove(self, rule_id: str) -> bool:
        """Remove a rule; False when there was none with that id."""
        rule = self._rules.pop(rule_id, None)
        if rule is None:
            return False
        if rule.anchors is None:
            self._always.discard(rule)
        else:
            for key in rule.anchors:
                rules = self._index[key]
                rules.discard(rule)
                if not rules:
                    del self._index[key]
        return True

    def _candidates(self, view: MentionView) -> list[_Rule]:
        keys = mention_keys(view)
        index = self._index
        found: set[_Rule] = set(self._always)
        for key in keys:
            rules = index.get(key)
            if rules:
                found.update(rules)
        return [rule for rule in found if all(not keys.isdisjoint(need) for need in rule.checks)]

    def candidates(self, view: MentionView) -> list[str]:
        """Ids of the rules that may match (a superset of those that do), in the order they were added."""
        return [rule.rule_id for rule in sorted(self._candidates(view), key=lambda rule: rule.seq)]

    def match_one(self, mention: EnrichedMention | MentionView) -> list[RuleMatch]:
        """The rules that match one mention (in the order they were added), with their spans."""
        view = mention if isinstance(mention, MentionView) else MentionView(mention)
        matched = [rule for rule in self._candidates(view) if rule.compiled.matches(view)]
        matched.sort(key=lambda rule: rule.seq)
        out: list[RuleMatch] = []
        for rule in matched:
            found = rule.compiled.explain(view)
            assert found is not None
            out.append(RuleMatch(rule.rule_id, found.spans))
        return out

    def match(self, batch: Sequence[EnrichedMention]) -> list[list[RuleMatch]]:
        """Per mention of the batch, the rules that match it (in the order they were added) and the
        spans that matched. Each mention is tokenised once and shared by every rule."""
        return [self.match_one(MentionView(mention)) for mention in batch]
