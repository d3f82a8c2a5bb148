"""Exact evaluation of a query against one mention: the specification the Elasticsearch and SQLite
compilers are tested against, and the engine of the in-process rule matcher.

Text is tokenised once per mention with `index.analysis.tokenize`; terms match tokens exactly.
Proximity follows Lucene's span queries step by step, so that Elasticsearch agrees even in corner cases:

- a term, a wildcard or a phrase is a list of spans `[start, end)` over token positions;
- `Or` inside a proximity operand is `span_or`: the spans of its operands merged by (start, end);
- `a NEAR/n b` is `span_near([a, b], slop=n, in_order=false)`, `a ONEAR/n b` the same with
  `in_order=true`, and `"w1 w2 w3"~n` one `span_near([w1, w2, w3], slop=n, in_order=false)`;
- unordered: the spans chosen one per operand match when
  `max(end) - min(start) - sum(end - start) <= n` (they may overlap), enumerated like Lucene's
  `NearSpansUnordered` (a priority queue that always advances the operand with the smallest span);
- ordered: each span starts at or after the end of the previous one and
  `sum(start[i+1] - end[i]) <= n`, enumerated like Lucene's `NearSpansOrdered` (for each span of the
  first operand, each next operand advances to its first span starting at or after the previous end).
When every operand's spans have one length (terms, wildcards, fixed phrases) this finds a match exactly
when one exists; with mixed lengths (an OR of a word and a phrase, nested NEARs) Lucene's lazy
enumeration can skip a combination, and so does this evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from heapq import merge
from typing import Any

from core.models import EnrichedMention, Span
from index.analysis import Token, tokenize
from index.query.ast import (
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
from index.query.fields import FIELDS, FieldOperator, compare_value, matches_range

# A span: (start, end, ref); ref lets `leaves` find the tokens that made it (None for a leaf)
Sp = tuple[int, int, Any]
# What matched, as (field, start offset, end offset); `Span` models are built once, at the end
Hit = tuple[str, int, int]
_TEXT, _TITLE = "text", "title"


@dataclass(frozen=True, slots=True)
class Match:
    """A query matched: the character spans (in the original text or title) of what matched, for
    highlighting and for explaining alerts. Field filters (author:, sentiment:...) add no span."""

    spans: tuple[Span, ...]


class FieldText:
    """One field's tokens and a token -> positions index, with caches shared by every rule."""

    __slots__ = ("cache", "positions", "tokens")

    def __init__(self, text: str | None) -> None:
        self.tokens: list[Token] = tokenize(text) if text else []
        positions: dict[str, list[int]] = {}
        for token in self.tokens:
            positions.setdefault(token.text, []).append(token.position)
        self.positions = positions
        self.cache: dict[object, list[Sp]] = {}

    def to_span(self, field: str, start: int, end: int) -> Hit:
        return (field, self.tokens[start].start, self.tokens[end - 1].end)


class MentionView:
    """A mention prepared for evaluation: tokenised once, shared across all rules of a batch."""

    __slots__ = ("_title", "_values", "mention", "text")

    def __init__(self, mention: EnrichedMention) -> None:
        self.mention = mention
        self.text = FieldText(mention.text)
        self._title: FieldText | None = None
        self._values: dict[str, tuple[str, ...]] = {}

    def values(self, op: FieldOperator) -> tuple[str, ...]:
        """The mention's normalised values for a keyword field (read once per mention)."""
        found = self._values.get(op.name)
        if found is None:
            found = self._values[op.name] = op.values_of(self.mention)
        return found

    @property
    def title(self) -> FieldText:
        if self._title is None:
            self._title = FieldText(self.mention.title)
        return self._title

    def field(self, name: str) -> FieldText:
        return self.text if name == _TEXT else self.title


# --- span level ------------------------------------------------------------------------------------
class _SpanQuery:
    __slots__ = ()

    def spans(self, ft: FieldText) -> list[Sp]:
        raise NotImplementedError

    def any(self, ft: FieldText) -> bool:
        return bool(self.spans(ft))

    def leaves(self, span: Sp, out: list[tuple[int, int]]) -> None:
        out.append((span[0], span[1]))


class _TermQ(_SpanQuery):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def any(self, ft: FieldText) -> bool:
        return self.text in ft.positions

    def spans(self, ft: FieldText) -> list[Sp]:
        key = ("t", self.text)
        found = ft.cache.get(key)
        if found is None:
            found = ft.cache[key] = [(p, p + 1, None) for p in ft.positions.get(self.text, ())]
        return found


class _WildcardQ(_SpanQuery):
    __slots__ = ("pattern", "prefix", "regex")

    def __init__(self, node: Wildcard) -> None:
        self.pattern = node.pattern
        self.prefix = node.prefix
        simple = node.pattern == self.prefix + "*"  # a plain prefix needs no regex
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in node.pattern)
        self.regex: re.Pattern[str] | None = None if simple else re.compile(body, re.DOTALL)

    def tokens(self, ft: FieldText) -> list[str]:
        prefix, regex = self.prefix, self.regex
        return [t for t in ft.positions if t.startswith(prefix) and (regex is None or regex.fullmatch(t))]

    def any(self, ft: FieldText) -> bool:
        key = ("w", self.pattern)
        if key in ft.cache:
            return bool(ft.cache[key])
        return bool(self.tokens(ft))

    def spans(self, ft: FieldText) -> list[Sp]:
        key = ("w", self.pattern)
        found = ft.cache.get(key)
        if found is None:
            positions = sorted(p for t in self.tokens(ft) for p in ft.positions[t])
            found = ft.cache[key] = [(p, p + 1, None) for p in positions]
        return found


class _PhraseQ(_SpanQuery):
    """Adjacent tokens in order: `span_near(slop=0, in_order=true)` over terms, which for one-token
    clauses finds every occurrence."""

    __slots__ = ("tokens",)

    def __init__(self, tokens: tuple[str, ...]) -> None:
        self.tokens = tokens

    def any(self, ft: FieldText) -> bool:
        key = ("p", self.tokens)
        if key in ft.cache:
            return bool(ft.cache[key])
        return bool(self._find(ft, first_only=True))

    def spans(self, ft: FieldText) -> list[Sp]:
        key = ("p", self.tokens)
        found = ft.cache.get(key)
        if found is None:
            found = ft.cache[key] = self._find(ft, first_only=False)
        return found

    def _find(self, ft: FieldText, first_only: bool) -> list[Sp]:
        tokens, words = self.tokens, ft.tokens
        for token in tokens[1:]:
            if token not in ft.positions:
                return []
        size = len(tokens)
        out: list[Sp] = []
        for p in ft.positions.get(tokens[0], ()):
            if p + size <= len(words) and all(words[p + i].text == tokens[i] for i in range(1, size)):
                out.append((p, p + size, None))
                if first_only:
                    break
        return out


class _OrQ(_SpanQuery):
    """`span_or`: the operands' spans merged by (start, end); ties keep operand order."""

    __slots__ = ("children",)

    def __init__(self, children: list[_SpanQuery]) -> None:
        self.children = children

    def any(self, ft: FieldText) -> bool:
        return any(child.any(ft) for child in self.children)

    def spans(self, ft: FieldText) -> list[Sp]:
        streams = [[(s[0], s[1], (child, s)) for s in child.spans(ft)] for child in self.children]
        return list(merge(*streams, key=lambda s: (s[0], s[1])))

    def leaves(self, span: Sp, out: list[tuple[int, int]]) -> None:
        child, inner = span[2]
        child.leaves(inner, out)


class _NearQ(_SpanQuery):
    __slots__ = ("clauses", "ordered", "slop")

    def __init__(self, clauses: list[_SpanQuery], slop: int, ordered: bool) -> None:
        self.clauses = clauses
        self.slop = slop
        self.ordered = ordered

    def any(self, ft: FieldText) -> bool:
        return bool(self._run(ft, first_only=True))

    def spans(self, ft: FieldText) -> list[Sp]:
        return self._run(ft, first_only=False)

    def leaves(self, span: Sp, out: list[tuple[int, int]]) -> None:
        for clause, inner in zip(self.clauses, span[2], strict=True):
            clause.leaves(inner, out)

    def _run(self, ft: FieldText, first_only: bool) -> list[Sp]:
        lists = []
        for clause in self.clauses:
            spans = clause.spans(ft)
            if not spans:
                return []
            lists.append(spans)
        run = near_ordered if self.ordered else near_unordered
        return run(lists, self.slop, first_only)


def near_ordered(lists: Sequence[Sequence[Sp]], slop: int, first_only: bool = False) -> list[Sp]:
    """Lucene's NearSpansOrdered over materialised span lists (each in its enumeration order)."""
    k = len(lists)
    cursor = [0] * k
    out: list[Sp] = []
    for first in lists[0]:
        prev_end = first[1]
        width = 0
        chosen = [first]
        for c in range(1, k):
            spans = lists[c]
            j, n = cursor[c], len(spans)
            while j < n and spans[j][0] < prev_end:
                j += 1
            cursor[c] = j
            if j == n:  # one operand is exhausted: no later match is possible
                return out
            span = spans[j]
            width += span[0] - prev_end
            prev_end = span[1]
            chosen.append(span)
        if width <= slop:
            out.append((first[0], prev_end, tuple(chosen)))
            if first_only:
                return out
    return out


def near_unordered(lists: Sequence[Sequence[Sp]], slop: int, first_only: bool = False) -> list[Sp]:
    """Lucene's NearSpansUnordered: a window of one current span per operand in a priority queue (the
    same binary heap as org.apache.lucene.util.PriorityQueue, so ties resolve the same way); the
    smallest span advances each step; a match's end is the largest end seen so far."""
    k = len(lists)
    index = [0] * k
    current = [spans[0] for spans in lists]

    def less(a: int, b: int) -> bool:
        x, y = current[a], current[b]
        return x[0] < y[0] or (x[0] == y[0] and x[1] < y[1])

    heap = [0] * (k + 1)  # 1-based, heap[1] is the top
    total = 0
    max_end = -1
    for c in range(k):  # PriorityQueue.add -> upHeap
        i = c + 1
        j = i >> 1
        while j > 0 and less(c, heap[j]):
            heap[i] = heap[j]
            i, j = j, j >> 1
        heap[i] = c
        span = current[c]
        max_end = max(max_end, span[1])
        total += span[1] - span[0]
    out: list[Sp] = []
    while True:
        top = heap[1]
        start = current[top][0]
        if max_end - start - total <= slop:
            out.append((start, max_end, tuple(current)))
            if first_only:
                return out
        nxt = index[top] + 1
        if nxt == len(lists[top]):
            return out
        old, new = current[top], lists[top][nxt]
        index[top] = nxt
        current[top] = new
        total += (new[1] - new[0]) - (old[1] - old[0])
        if new[1] > max_end:
            max_end = new[1]
        _down_heap(heap, k, less)


def _down_heap(heap: list[int], size: int, less: Callable[[int, int], bool]) -> None:
    i = 1
    node = heap[i]
    j = 2
    k = 3
    if k <= size and less(heap[k], heap[j]):
        j = k
    while j <= size and less(heap[j], node):
        heap[i] = heap[j]
        i = j
        j = i << 1
        k = j + 1
        if k <= size and less(heap[k], heap[j]):
            j = k
    heap[i] = node


# --- boolean level ---------------------------------------------------------------------------------
class _Bool:
    __slots__ = ()
    cost = 1

    def matches(self, view: MentionView) -> bool:
        raise NotImplementedError

    def explain(self, view: MentionView) -> list[Hit] | None:
        """The spans of a match, or None when it does not match."""
        raise NotImplementedError


class _SpanB(_Bool):
    __slots__ = ("cost", "field", "query")

    def __init__(self, query: _SpanQuery, field: str, cost: int) -> None:
        self.query = query
        self.field = field
        self.cost = cost

    def matches(self, view: MentionView) -> bool:
        return self.query.any(view.text if self.field == _TEXT else view.title)

    def explain(self, view: MentionView) -> list[Hit] | None:
        ft = view.field(self.field)
        spans = self.query.spans(ft)
        if not spans:
            return None
        ranges: list[tuple[int, int]] = []
        for span in spans:
            self.query.leaves(span, ranges)
        return [ft.to_span(self.field, start, end) for start, end in ranges]


class _TermB(_SpanB):
    """A term outside proximity: a dict lookup (the most common check of all)."""

    __slots__ = ("text",)

    def __init__(self, node: Term, field: str) -> None:
        super().__init__(_TermQ(node.text), field, 1)
        self.text = node.text

    def matches(self, view: MentionView) -> bool:
        return self.text in (view.text if self.field == _TEXT else view.title).positions


class _AndB(_Bool):
    __slots__ = ("children", "cost")

    def __init__(self, children: list[_Bool]) -> None:
        self.children = sorted(children, key=lambda c: c.cost)  # cheap checks first; AND commutes
        self.cost = sum(c.cost for c in children)

    def matches(self, view: MentionView) -> bool:
        for child in self.children:  # noqa: SIM110 - a loop beats all() over a generator here
            if not child.matches(view):
                return False
        return True

    def explain(self, view: MentionView) -> list[Hit] | None:
        out: list[Hit] = []
        for child in self.children:
            spans = child.explain(view)
            if spans is None:
                return None
            out.extend(spans)
        return out


class _OrB(_Bool):
    __slots__ = ("children", "cost")

    def __init__(self, children: list[_Bool]) -> None:
        self.children = sorted(children, key=lambda c: c.cost)
        self.cost = sum(c.cost for c in children)

    def matches(self, view: MentionView) -> bool:
        for child in self.children:  # noqa: SIM110
            if child.matches(view):
                return True
        return False

    def explain(self, view: MentionView) -> list[Hit] | None:
        out: list[Hit] = []
        matched = False
        for child in self.children:
            spans = child.explain(view)
            if spans is not None:
                matched = True
                out.extend(spans)
        return out if matched else None


class _NotB(_Bool):
    __slots__ = ("child", "cost")

    def __init__(self, child: _Bool) -> None:
        self.child = child
        self.cost = child.cost

    def matches(self, view: MentionView) -> bool:
        return not self.child.matches(view)

    def explain(self, view: MentionView) -> list[Hit] | None:
        return None if self.child.matches(view) else []


class _FilterB(_Bool):
    __slots__ = ("compare", "op", "value")

    def __init__(self, op: FieldOperator, value: str) -> None:
        self.op = op
        self.value = value
        self.compare = op.compare

    def matches(self, view: MentionView) -> bool:
        value, compare = self.value, self.compare
        return any(compare_value(compare, value, have) for have in view.values(self.op))

    def explain(self, view: MentionView) -> list[Hit] | None:
        return [] if self.matches(view) else None


class _RatingB(_Bool):
    __slots__ = ("high", "low")

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def matches(self, view: MentionView) -> bool:
        return matches_range(self.low, self.high, view.mention)

    def explain(self, view: MentionView) -> list[Hit] | None:
        return [] if self.matches(view) else None


class _RawB(_Bool):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def matches(self, view: MentionView) -> bool:
        return self.text in view.mention.text

    def explain(self, view: MentionView) -> list[Hit] | None:
        text, needle = view.mention.text, self.text
        out: list[Hit] = []
        at = text.find(needle)
        while at >= 0:
            out.append((_TEXT, at, at + len(needle)))
            at = text.find(needle, at + 1)
        return out or None


def _span_query(node: Node) -> _SpanQuery:
    if isinstance(node, Term):
        return _TermQ(node.text)
    if isinstance(node, Wildcard):
        return _WildcardQ(node)
    if isinstance(node, Phrase):
        return _PhraseQ(node.tokens)
    if isinstance(node, SlopPhrase):
        words: list[_SpanQuery] = [_TermQ(w[0]) if len(w) == 1 else _PhraseQ(w) for w in node.words]
        return _NearQ(words, node.slop, ordered=False)
    if isinstance(node, Near):
        return _NearQ([_span_query(node.left), _span_query(node.right)], node.distance, node.ordered)
    if isinstance(node, Or):
        return _OrQ([_span_query(child) for child in node.children])
    raise TypeError(f"{type(node).__name__} is not a proximity operand")  # the AST forbids it


def _compile(node: Node, field: str) -> _Bool:
    if isinstance(node, Term):
        return _TermB(node, field)
    if isinstance(node, Phrase):
        return _SpanB(_span_query(node), field, 2)
    if isinstance(node, Wildcard):
        return _SpanB(_span_query(node), field, 4)
    if isinstance(node, SlopPhrase | Near):
        return _SpanB(_span_query(node), field, 8)
    if isinstance(node, And):
        return _AndB([_compile(child, field) for child in node.children])
    if isinstance(node, Or):
        return _OrB([_compile(child, field) for child in node.children])
    if isinstance(node, Not):
        return _NotB(_compile(node.child, field))
    if isinstance(node, InTitle):
        return _compile(node.child, _TITLE)
    if isinstance(node, FieldFilter):
        return _FilterB(FIELDS[node.name], node.value)
    if isinstance(node, Rating):
        return _RatingB(node.low, node.high)
    if isinstance(node, Raw):
        return _RawB(node.text)
    raise TypeError(f"not a query node: {node!r}")  # pragma: no cover


class CompiledQuery:
    """A query ready to run against many mentions (`MentionView`s)."""

    __slots__ = ("_root", "node")

    def __init__(self, node: Node) -> None:
        self.node = node
        self._root = _compile(node, _TEXT)

    def matches(self, view: MentionView) -> bool:
        return self._root.matches(view)

    def explain(self, view: MentionView) -> Match | None:
        spans = self._root.explain(view)
        if spans is None:
            return None
        # the offsets are valid by construction: skip validation, it is the slow part of building them
        return Match(tuple(Span.model_construct(field=f, start=a, end=b) for f, a, b in sorted(set(spans))))


@lru_cache(maxsize=4096)
def compile_query(node: Node) -> CompiledQuery:
    return CompiledQuery(node)


def evaluate_query(query: Node, mention: EnrichedMention | MentionView) -> Match | None:
    """Does `mention` match `query`? The match carries the matched character spans."""
    view = mention if isinstance(mention, MentionView) else MentionView(mention)
    return compile_query(query).explain(view)


def matches(query: Node, mention: EnrichedMention | MentionView) -> bool:
    view = mention if isinstance(mention, MentionView) else MentionView(mention)
    return compile_query(query).matches(view)
