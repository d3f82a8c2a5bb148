"""Hypothesis strategies for valid query ASTs.

`ast_nodes(words)` builds any valid AST over a vocabulary; `WILD_WORDS` are arbitrary normalised tokens
(for the printer round trip), `CORPUS_WORDS` the tokens of the test corpus (for the matcher, so rules
actually match something).
"""

from __future__ import annotations

from hypothesis import strategies as st

from index.analysis import is_cjk, tokenize
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
    field_value_problem,
    wildcard_problem,
)
from index.query.fields import FIELDS
from tests.index.query.corpus import CORPUS


def _is_token(text: str) -> bool:
    return [t.text for t in tokenize(text)] == [text]


def _first_token(text: str) -> str:
    tokens = tokenize(text)
    return tokens[0].text if tokens else ""


WILD_WORDS: st.SearchStrategy[str] = (
    st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Lm")), min_size=1, max_size=8)
    .map(_first_token)
    .filter(lambda t: bool(t) and _is_token(t))
)
_CORPUS_TOKENS = sorted({t.text for m in CORPUS for text in (m.text, m.title or "") for t in tokenize(text)})
CORPUS_WORDS: st.SearchStrategy[str] = st.sampled_from(_CORPUS_TOKENS)


def wildcards(words: st.SearchStrategy[str]) -> st.SearchStrategy[Wildcard]:
    def make(word: str, cut: int, kind: int) -> str:
        stem = word[: max(3, min(cut, len(word)))]
        if kind == 0:
            return stem + "*"
        if kind == 1 and len(word) > 3:  # one character replaced by ?
            at = min(max(3, cut), len(word) - 1)
            return word[:at] + "?" + word[at + 1 :]
        return stem + "?*"

    long_words = words.filter(lambda w: len(w) >= 3 and not any(is_cjk(c) for c in w))
    return (
        st.builds(make, long_words, st.integers(3, 8), st.integers(0, 2))
        .filter(lambda p: wildcard_problem(p) is None)
        .map(Wildcard)
    )


def proximity(words: st.SearchStrategy[str]) -> st.SearchStrategy[Node]:
    word_tuples = st.lists(words, min_size=1, max_size=2).map(tuple)
    leaves: st.SearchStrategy[Node] = st.one_of(
        words.map(Term),
        st.lists(words, min_size=2, max_size=3).map(lambda ts: Phrase(tuple(ts))),
        wildcards(words),
        st.builds(SlopPhrase, st.lists(word_tuples, min_size=2, max_size=3).map(tuple), st.integers(0, 6)),
    )

    def extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
            st.builds(Near, inner, inner, st.integers(0, 8), st.booleans()),
        )

    return st.recursive(leaves, extend, max_leaves=5)


def _booleans(base: st.SearchStrategy[Node], max_leaves: int) -> st.SearchStrategy[Node]:
    def extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
            inner.map(Not),
        )

    return st.recursive(base, extend, max_leaves=max_leaves)


def _field_value(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[FieldFilter]:
    op = FIELDS[name]
    source = st.sampled_from(op.values) if op.values else values
    return (
        source.map(op.canonical)
        .filter(lambda v: field_value_problem(name, v) is None and op.canonical(v) == v)
        .map(lambda v: FieldFilter(name, v))
    )


def _rating(bounds: tuple[float | None, float | None]) -> Rating:
    low, high = bounds
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Rating(low, high)


def filters(values: st.SearchStrategy[str]) -> st.SearchStrategy[Node]:
    keyword = st.sampled_from(sorted(n for n, op in FIELDS.items() if op.kind == "keyword"))
    bounds = st.none() | st.floats(0, 10, allow_nan=False)
    ratings = st.tuples(bounds, bounds).map(_rating)
    return st.one_of(
        keyword.flatmap(lambda name: _field_value(name, values)),
        ratings,
        st.text(min_size=1, max_size=10).map(Raw),
        st.just(FieldFilter("customer", "*")),
    )


def ast_nodes(
    words: st.SearchStrategy[str], values: st.SearchStrategy[str], max_leaves: int = 8
) -> st.SearchStrategy[Node]:
    text = _booleans(proximity(words), 4)
    base = st.one_of(proximity(words), filters(values), text.map(InTitle))
    return _booleans(base, max_leaves)


# values that exist in the corpus, so field filters match some mentions
CORPUS_VALUES = st.sampled_from(
    [
        "sam_r",
        "kim",
        "jo",
        "example.com",
        "forums.example.com",
        "reddit.com",
        "ample.com",
        "ref=home",
        "twitter",
        "web",
        "appstore",
        "weibo",
        "reddit",
        "en",
        "zh",
        "fr",
        "gb",
        "cn",
        "tw",
        "cust-1",
        "cust-2",
        "bluetooth",
        "audio",
        "aurora_audio",
        "nobody",
    ]
)
