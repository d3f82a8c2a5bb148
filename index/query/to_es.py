"""The query-language AST compiled to Elasticsearch DSL, and the indexed fields it runs against.

The compiled query gives exactly the ids `index.query.evaluate` gives (differential-tested), because the
index holds exactly what the evaluator reads, under one object (`EsFieldMap.root`, ``ql`` by default):

- ``ql.text`` / ``ql.title``: the tokens of `index.analysis.tokenize`, space-joined, one per position,
  with the built-in ``whitespace`` analyzer (text and title apart: the language searches them apart);
- ``ql.<name>`` for each keyword operator of `index.query.fields.FIELDS` (author, source, lang, country,
  sentiment, intent, customer, tier, hashtag, mention): exactly `FieldOperator.read`'s normalised values;
  ``ql.site`` also holds every dot-suffix (``news.bbc.co.uk``, ``bbc.co.uk``, ``co.uk``, ``uk``), so
  `site:` (a domain and its subdomains) is one ``term`` query;
- ``ql.raw`` (the original text) and ``ql.url`` (the normalised URL): character trigrams (below), so
  `raw:` (case-sensitive substring) and `url:` (substring) are exact without a ``wildcard`` field type,
  which this distribution lacks, and without a length limit;
- ``rating``: the mention's own ``rating`` (a double) for `rating:[a TO b]`.

How each node compiles:

| AST | outside proximity | inside NEAR / ONEAR / ``~`` |
|---|---|---|
| Term | ``term`` | ``span_term`` |
| Phrase | ``match_phrase`` (whitespace analyzer) | ``span_near`` slop 0, in order, of ``span_term`` |
| Wildcard | ``prefix`` (``abc*``) or ``wildcard``: no bound | ``span_multi`` with ``top_terms_N`` (bound) |
| SlopPhrase | ``span_near`` slop n, unordered, a clause per word | same |
| Near | ``span_near`` of (left, right), slop n, ``in_order`` for ONEAR | same |
| Or | ``bool.should`` (minimum 1) | ``span_or`` |
| And / Not | ``bool.must`` (field operators in ``filter``) / ``bool.must_not`` | (not allowed) |
| InTitle | the same on ``ql.title`` | |
| FieldFilter | ``term`` on ``ql.<name>`` (``customer:*`` ``exists``, ``url:`` trigrams) | |
| Rating | ``range`` gte/lte (``exists`` with two open ends) | |
| Raw | trigram phrase on ``ql.raw`` | |

**Wildcard bound.** Inside proximity a wildcard is a ``span_multi`` rewritten with ``top_terms_N``
(N = `MAX_EXPANSIONS`, 1024 by default): when more than N distinct indexed words match the pattern,
only N of them (Lucene keeps the alphabetically first when all weigh the same) take part, so such a
query can miss mentions the evaluator finds. Without the bound Lucene fails the whole search once the
expansion passes its clause limit. Outside proximity wildcards are unbounded (constant-score rewrite).

**Trigrams** (`grams`). Position i of the stream holds the characters ``s[i:i+3]`` (shorter at the end),
each character written as 4 base-36 digits (fixed width, whitespace-free, any code point). A needle of
3 or more characters occurs at i exactly when the trigrams of the needle occur at positions i, i+1, ...:
a phrase query. A needle of 1 or 2 characters occurs exactly when some trigram starts with it: a
``prefix`` query. Cost: about 13 bytes of token text per character of the mention's text.

**Long tokens.** The ``whitespace`` analyzer cuts tokens longer than 255 UTF-16 units, which would shift
positions; `es_token` replaces such a token (in documents and queries alike) with its first 100
characters, an ellipsis and a hash. Terms and phrases stay exact; a wildcard stays exact when its part
before ``*`` is at most 100 characters. Keyword values over 8,000 bytes are hashed the same way
(`es_keyword`), under Lucene's 32,766-byte term limit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final

from core.models import EnrichedMention
from index.analysis import tokenize
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
from index.query.fields import FIELDS, KEYWORD_FIELDS, TIER_METADATA_KEY

MAX_EXPANSIONS: Final = 1024
"""Words a wildcard expands to inside proximity (``span_multi`` ``top_terms_N``)."""

DEFAULT_ROOT: Final = "ql"
_MAX_TOKEN_UNITS = 255  # the whitespace tokenizer's max_token_length, in UTF-16 code units
_LONG_TOKEN_HEAD = 100
_MAX_KEYWORD_BYTES = 8000
_GRAM = 3
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKENS: Final = {"type": "text", "analyzer": "whitespace", "index_options": "positions"}
_GRAMS: Final = {"type": "text", "analyzer": "whitespace", "index_options": "positions", "norms": False}


@dataclass(frozen=True, slots=True)
class EsFieldMap:
    """Where the compiled query finds its fields: the ``root`` object of `es_properties` /
    `es_values`, and the mention's numeric ``rating`` field."""

    root: str = DEFAULT_ROOT
    rating: str = "rating"

    def path(self, name: str) -> str:
        return f"{self.root}.{name}"

    @property
    def text(self) -> str:
        return self.path("text")

    @property
    def title(self) -> str:
        return self.path("title")


DEFAULT_FIELDS: Final = EsFieldMap()


# --- what is indexed -------------------------------------------------------------------------------
def es_token(token: str) -> str:
    """A normalised token as indexed and queried: itself, or a stand-in when the whitespace analyzer
    would cut it (longer than 255 UTF-16 units)."""
    if len(token) <= _MAX_TOKEN_UNITS // 2 or len(token.encode("utf-16-le")) // 2 <= _MAX_TOKEN_UNITS:
        return token
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()
    return f"{token[:_LONG_TOKEN_HEAD]}\u2026{digest}"


def es_keyword(value: str) -> str:
    """A keyword value as indexed and queried: itself, or a hash when it is too long for one term."""
    if len(value) * 4 <= _MAX_KEYWORD_BYTES or len(value.encode("utf-8")) <= _MAX_KEYWORD_BYTES:
        return value
    return "\u2026sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _code(char: str) -> str:
    n = ord(char)  # at most 0x10FFFF < 36**4
    out = []
    for _ in range(4):
        n, digit = divmod(n, 36)
        out.append(_DIGITS[digit])
    return "".join(reversed(out))


class _CodeTable(dict[str, str]):
    """char -> its 4-digit code, computed on first sight: the writer encodes every character indexed."""

    def __missing__(self, char: str) -> str:
        code = self[char] = _code(char)
        return code


_CODES = _CodeTable()


def grams(text: str) -> str:
    """The trigram stream of `text`: at position i the characters ``text[i:i+3]``, encoded."""
    n = len(text)
    if n < _GRAM:
        codes = [_CODES[c] for c in text]
        return " ".join("".join(codes[i:]) for i in range(n))
    encoded = "".join(map(_CODES.__getitem__, text)).encode("ascii")  # 4 bytes per character
    # The n-2 full trigrams, 12 code bytes and a space each, are laid out by 13 strided copies (C
    # loops, not a Python step per character): byte j of trigram i is encoded[4i + j].
    full = n - 2
    out = bytearray(13 * full)
    for j in range(12):
        out[j::13] = encoded[j : j + 4 * full : 4]
    out[12::13] = b" " * full
    # the two last positions hold the shorter tails, as slicing would
    return f"{out.decode('ascii')}{encoded[-8:].decode('ascii')} {encoded[-4:].decode('ascii')}"


def _token_stream(text: str | None) -> str:
    return " ".join(es_token(t.text) for t in tokenize(text)) if text else ""


def _site_suffixes(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.append(value)
        at = value.find(".")
        while at >= 0:
            out.append(value[at + 1 :])
            at = value.find(".", at + 1)
    return out


def _as_stream(terms: str | None, text: str | None) -> str:
    """`terms` (index.analysis's space-joined tokens of `text`, when the caller has them) as indexed:
    the same unless a token is too long for the whitespace analyzer."""
    if terms is None or (terms and max(map(len, terms.split(" "))) > _MAX_TOKEN_UNITS // 2):
        return _token_stream(text)
    return terms


def es_values(
    mention: EnrichedMention, *, text_terms: str | None = None, title_terms: str | None = None
) -> dict[str, Any]:
    """The ``ql`` object of a mention's document (put it under `EsFieldMap.root`). A writer that has
    already analysed title and text passes their `terms` streams so they are not tokenised twice."""
    out: dict[str, Any] = {"text": _as_stream(text_terms, mention.text)}
    if mention.title:
        out["title"] = _as_stream(title_terms, mention.title)
    out["raw"] = grams(mention.text)
    for name in KEYWORD_ORDER:
        values = _indexed_values(name, mention)
        if values:
            out[name] = values
    return out


def _indexed_values(name: str, mention: EnrichedMention) -> list[str]:
    """What ``ql.<name>`` holds for a keyword field: trigram streams of the URL, every dot-suffix of
    the site, and the other fields' values (hashed when too long), sorted and distinct."""
    values = FIELDS[name].values_of(mention)
    if name == "url":
        return [grams(v) for v in values]
    if name == "site":
        values = tuple(_site_suffixes(values))
    return sorted({es_keyword(v) for v in values})


def _keyword_json(name: str, mention: EnrichedMention) -> str:
    """``,"name":[...]`` as json.dumps writes it inside `es_values_json`, or "" when there are no values."""
    values = _indexed_values(name, mention)
    if not values:
        return ""
    return f',"{name}":{json.dumps(values, ensure_ascii=False, separators=(",", ":"))}'


# What each keyword field's `read` depends on: the key of its cached JSON fragment. Values repeat
# across mentions (handles, hashtags), so most fragments are one dict lookup; the fields whose values
# come from small sets (platforms, languages, labels, sites...) share one fragment, keyed by all of them.
_PER_AUTHOR: Final[tuple[tuple[str, Callable[[EnrichedMention], Hashable]], ...]] = (
    ("aspect", lambda m: tuple((a.label, a.polarity) for a in m.aspects)),
    ("author", lambda m: m.author.handle if m.author else None),
    ("customer", lambda m: m.customer.customer_id if m.customer else None),
    ("hashtag", lambda m: m.hashtags),
    ("mention", lambda m: m.mentions),
)
_SHARED: Final[tuple[tuple[str, Callable[[EnrichedMention], Hashable]], ...]] = (
    ("country", lambda m: m.country),
    ("intent", lambda m: tuple(intent.label for intent in m.intents)),
    ("lang", lambda m: m.lang),
    ("sentiment", lambda m: m.sentiment.label),
    ("site", lambda m: m.site),
    ("source", lambda m: m.platform),
    ("tier", lambda m: m.metadata.get(TIER_METADATA_KEY)),
)
KEYWORD_ORDER: Final = (*(name for name, _ in _PER_AUTHOR), *(name for name, _ in _SHARED), "url")
"""The order of the keyword fields in `es_values` (and so in the document's JSON)."""
_FRAGMENT_CACHE_SIZE = 65_536
_fragments: dict[Hashable, str] = {}


def _remember(key: Hashable, fragment: str) -> str:
    if len(_fragments) >= _FRAGMENT_CACHE_SIZE:
        _fragments.clear()  # a crude bound: a rebuild costs one generic pass per value
    _fragments[key] = fragment
    return fragment


def _keyword_fragments(mention: EnrichedMention) -> str:
    out = []
    for name, key_of in _PER_AUTHOR:
        key = (name, key_of(mention))
        fragment = _fragments.get(key)
        if fragment is None:
            fragment = _remember(key, _keyword_json(name, mention))
        out.append(fragment)
    shared_key = tuple(key_of(mention) for _name, key_of in _SHARED)
    fragment = _fragments.get(shared_key)
    if fragment is None:
        fragment = _remember(shared_key, "".join(_keyword_json(name, mention) for name, _ in _SHARED))
    out.append(fragment)
    return "".join(out)


def es_values_json(
    mention: EnrichedMention, *, text_terms: str | None = None, title_terms: str | None = None
) -> str:
    """``json.dumps(es_values(...), ensure_ascii=False, separators=(",", ":"))``, byte for byte (a
    test checks it on arbitrary mentions), built the writer's fast way: token and trigram streams
    hold letters, digits, spaces and the long-token ellipsis, nothing JSON escapes, so they are quoted
    as they are; keyword fragments are cached by what they are read from."""
    parts = [f'{{"text":"{_as_stream(text_terms, mention.text)}"']
    if mention.title:
        parts.append(f',"title":"{_as_stream(title_terms, mention.title)}"')
    parts.append(f',"raw":"{grams(mention.text)}"')
    parts.append(_keyword_fragments(mention))
    parts.append(_keyword_json("url", mention))  # "url" comes last in KEYWORD_ORDER
    parts.append("}")
    return "".join(parts)


def es_properties() -> dict[str, Any]:
    """The mapping of the ``ql`` object: ``{root: {"properties": es_properties()}}``. Everything in it
    is derived from the mention, so it can be left out of ``_source`` (``_source.excludes``)."""
    properties: dict[str, Any] = {"text": dict(_TOKENS), "title": dict(_TOKENS), "raw": dict(_GRAMS)}
    for name in sorted(KEYWORD_FIELDS):
        properties[name] = dict(_GRAMS) if name == "url" else {"type": "keyword"}
    return properties


# --- compilation -----------------------------------------------------------------------------------
def compile_es(
    node: Node, fields: EsFieldMap = DEFAULT_FIELDS, *, max_expansions: int = MAX_EXPANSIONS
) -> dict[str, Any]:
    """The Elasticsearch query (the value of a search's ``query``) of a parsed query. Combine it with
    other filters in a ``bool``; it scores text clauses and puts field operators in filter context."""
    if max_expansions < 1:
        raise ValueError("max_expansions must be positive")
    return _Compiler(fields, max_expansions).boolean(node, fields.text)


class _Compiler:
    __slots__ = ("fields", "rewrite")

    def __init__(self, fields: EsFieldMap, max_expansions: int) -> None:
        self.fields = fields
        self.rewrite = f"top_terms_{max_expansions}"

    def boolean(self, node: Node, field: str) -> dict[str, Any]:
        if isinstance(node, Term):
            return {"term": {field: es_token(node.text)}}
        if isinstance(node, Phrase):
            tokens = " ".join(es_token(t) for t in node.tokens)
            return {"match_phrase": {field: {"query": tokens, "analyzer": "whitespace"}}}
        if isinstance(node, Wildcard):
            return _multi_term(node, field, None)
        if isinstance(node, SlopPhrase | Near):
            return self.span(node, field)
        if isinstance(node, And):
            return self._and(node.children, field)
        if isinstance(node, Or):
            should = [self.boolean(child, field) for child in node.children]
            return {"bool": {"should": should, "minimum_should_match": 1}}
        if isinstance(node, Not):
            return {"bool": {"must_not": [self.boolean(node.child, field)]}}
        if isinstance(node, InTitle):
            return self.boolean(node.child, self.fields.title)
        if isinstance(node, FieldFilter):
            return self._field(node)
        if isinstance(node, Rating):
            bounds = {k: v for k, v in (("gte", node.low), ("lte", node.high)) if v is not None}
            if not bounds:
                return {"exists": {"field": self.fields.rating}}
            return {"range": {self.fields.rating: bounds}}
        if isinstance(node, Raw):
            return _substring(self.fields.path("raw"), node.text)
        raise TypeError(f"not a query node: {node!r}")  # pragma: no cover

    def _and(self, children: tuple[Node, ...], field: str) -> dict[str, Any]:
        clauses: dict[str, list[dict[str, Any]]] = {"must": [], "filter": [], "must_not": []}
        for child in children:
            if isinstance(child, Not):
                clauses["must_not"].append(self.boolean(child.child, field))
            elif isinstance(child, FieldFilter | Rating | Raw):
                clauses["filter"].append(self.boolean(child, field))
            else:
                clauses["must"].append(self.boolean(child, field))
        return {"bool": {kind: found for kind, found in clauses.items() if found}}

    def _field(self, node: FieldFilter) -> dict[str, Any]:
        path = self.fields.path(node.name)
        if node.name == "url":
            return _substring(path, node.value)
        if node.name == "customer" and node.value == "*":
            return {"exists": {"field": path}}
        return {"term": {path: es_keyword(node.value)}}

    def span(self, node: Node, field: str) -> dict[str, Any]:
        if isinstance(node, Term):
            return {"span_term": {field: es_token(node.text)}}
        if isinstance(node, Phrase):
            return _span_phrase(node.tokens, field)
        if isinstance(node, Wildcard):
            return {"span_multi": {"match": _multi_term(node, field, self.rewrite)}}
        if isinstance(node, SlopPhrase):
            clauses = [
                {"span_term": {field: es_token(word[0])}} if len(word) == 1 else _span_phrase(word, field)
                for word in node.words
            ]
            return {"span_near": {"clauses": clauses, "slop": node.slop, "in_order": False}}
        if isinstance(node, Near):
            clauses = [self.span(node.left, field), self.span(node.right, field)]
            return {"span_near": {"clauses": clauses, "slop": node.distance, "in_order": node.ordered}}
        if isinstance(node, Or):
            return {"span_or": {"clauses": [self.span(child, field) for child in node.children]}}
        raise TypeError(f"{type(node).__name__} is not a proximity operand")  # the AST forbids it


def _span_phrase(tokens: tuple[str, ...], field: str) -> dict[str, Any]:
    clauses = [{"span_term": {field: es_token(token)}} for token in tokens]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def _multi_term(node: Wildcard, field: str, rewrite: str | None) -> dict[str, Any]:
    plain_prefix = node.pattern == node.prefix + "*"
    body: dict[str, Any] = {"value": node.prefix if plain_prefix else node.pattern}
    if rewrite is not None:
        body["rewrite"] = rewrite
    return {"prefix" if plain_prefix else "wildcard": {field: body}}


def _substring(field: str, needle: str) -> dict[str, Any]:
    """Documents whose trigram stream in `field` holds `needle` as a substring (exact, see `grams`)."""
    codes = [_code(c) for c in needle]
    if len(codes) < _GRAM:
        return {"prefix": {field: {"value": "".join(codes)}}}
    trigrams = ["".join(codes[i : i + _GRAM]) for i in range(len(codes) - _GRAM + 1)]
    if len(trigrams) == 1:
        return {"term": {field: trigrams[0]}}
    return {"match_phrase": {field: {"query": " ".join(trigrams), "analyzer": "whitespace"}}}
