"""Query text -> tokens, with exact offsets into the text the user typed.

The lexer never raises: a lexical problem (unclosed quote, `NEAR/x`, `~` without a number, unknown
field) is recorded as a positioned `QuerySyntaxError` and lexing goes on with a best-effort token, so
`lint` can still look at the whole query. `parse` raises the first problem.

Syntax characters may be typed full-width (Chinese input methods): `（ ） ＂ ～ ：` and `ＡＮＤ` work like
their ASCII forms. Offsets are unchanged by that folding (one character for one character).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from index.query.ast import QuerySyntaxError
from index.query.fields import FIELDS


class Kind(Enum):
    LPAREN = "'('"
    RPAREN = "')'"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    MINUS = "'-'"
    NEAR = "NEAR/n"
    WORD = "a term"
    PHRASE = "a phrase"
    FIELD = "a field operator"
    HASHTAG = "a #hashtag"
    MENTION = "an @mention"
    VALUE = "a value"
    RANGE = "a range"
    EOF = "end of query"


@dataclass(frozen=True, slots=True)
class Tok:
    kind: Kind
    pos: int
    end: int
    text: str = ""  # WORD/VALUE: the raw word; PHRASE: the unescaped content; FIELD: the field name
    number: int = -1  # NEAR: the distance; PHRASE/VALUE: the ~ slop (-1: none)
    ordered: bool = False  # NEAR: ONEAR
    quoted: bool = False  # VALUE: written in quotes
    closed: bool = True  # PHRASE/quoted VALUE: the closing quote was there


@dataclass(frozen=True, slots=True)
class Lexed:
    text: str
    tokens: tuple[Tok, ...]
    problems: tuple[QuerySyntaxError, ...]


_DELIMITERS = frozenset('()"')
_NEAR = re.compile(r"(O?)NEAR/(\d+)")
_FIELD_NAME = re.compile(r"[A-Za-z]+")


def fold_syntax(text: str) -> str:
    """Full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic space to a space, 1:1."""
    return "".join(
        chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else (" " if c == "\u3000" else c) for c in text
    )


def lex(query: str) -> Lexed:
    return _Lexer(query).run()


class _Lexer:
    def __init__(self, query: str) -> None:
        self.query = query
        self.s = fold_syntax(query)
        self.i = 0
        self.tokens: list[Tok] = []
        self.problems: list[QuerySyntaxError] = []

    def problem(
        self, message: str, position: int, expected: tuple[str, ...] = (), reason: str = "syntax"
    ) -> None:
        self.problems.append(
            QuerySyntaxError(message, query=self.query, position=position, expected=expected, reason=reason)
        )

    def run(self) -> Lexed:
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c.isspace():
                self.i += 1
            elif c == "(":
                self.tokens.append(Tok(Kind.LPAREN, self.i, self.i + 1))
                self.i += 1
            elif c == ")":
                self.tokens.append(Tok(Kind.RPAREN, self.i, self.i + 1))
                self.i += 1
            elif c == '"':
                self.tokens.append(self.quoted(Kind.PHRASE, self.i))
            elif c == "-" and self.i + 1 < n and not s[self.i + 1].isspace() and s[self.i + 1] != ")":
                # a leading '-' excludes what follows it directly: -pie, -"apple pie", -(a OR b)
                self.tokens.append(Tok(Kind.MINUS, self.i, self.i + 1))
                self.i += 1
            else:
                self.word()
        self.tokens.append(Tok(Kind.EOF, n, n))
        return Lexed(self.query, tuple(self.tokens), tuple(self.problems))

    def read_word(self) -> tuple[int, int]:
        start = self.i
        while self.i < len(self.s) and not self.s[self.i].isspace() and self.s[self.i] not in _DELIMITERS:
            self.i += 1
        return start, self.i

    def quoted(self, kind: Kind, start: int) -> Tok:
        """A quoted string at `start` (the quote), with \\" and \\\\ escapes and an optional ~n after it."""
        s, n = self.s, len(self.s)
        i = start + 1
        out: list[str] = []
        closed = False
        while i < n:
            c = s[i]
            if c == "\\" and i + 1 < n and s[i + 1] in '"\\':
                out.append(self.query[i + 1])
                i += 2
                continue
            if c == '"':
                closed = True
                i += 1
                break
            out.append(self.query[i])
            i += 1
        if not closed:
            self.problem("unclosed quote: this phrase never ends", start, ("'\"'",), "unclosed_quote")
        slop = -1
        if closed and i < n and s[i] == "~":
            j = i + 1
            while j < n and s[j].isdigit():
                j += 1
            if j == i + 1:
                self.problem(
                    'expected a whole number after ~ (for example "battery life"~3)',
                    i + 1,
                    ("a number",),
                    "bad_slop",
                )
            else:
                slop = int(s[i + 1 : j])
            i = j
        self.i = i
        return Tok(kind, start, i, text="".join(out), number=slop, quoted=True, closed=closed)

    def word(self) -> None:
        start, end = self.read_word()
        raw = self.query[start:end]
        folded = self.s[start:end]
        if folded in ("AND", "OR", "NOT"):
            self.tokens.append(Tok(Kind[folded], start, end, text=raw))
            return
        near = _NEAR.fullmatch(folded)
        if near:
            self.tokens.append(
                Tok(Kind.NEAR, start, end, text=raw, number=int(near.group(2)), ordered=bool(near.group(1)))
            )
            return
        if folded in ("NEAR", "ONEAR") or folded.startswith(("NEAR/", "ONEAR/")):
            slash = folded.find("/")
            at = start + slash + 1 if slash >= 0 else end
            self.problem(
                f"{folded.split('/')[0]} needs a distance in tokens: {folded.split('/')[0]}/n "
                f"with a whole number n, for example NEAR/5",
                at,
                ("a number",),
                "bad_near",
            )
            self.tokens.append(Tok(Kind.WORD, start, end, text=raw))
            return
        if folded[0] in "#@" and len(folded) > 1:
            kind = Kind.HASHTAG if folded[0] == "#" else Kind.MENTION
            self.tokens.append(Tok(kind, start, end, text=raw[1:]))
            return
        colon = folded.find(":")
        if colon > 0 and _FIELD_NAME.fullmatch(folded[:colon]):
            name = folded[:colon].lower()
            rest = folded[colon + 1 :]
            if name in FIELDS:
                self.field(name, start, start + colon + 1, end)
                return
            if not rest.startswith("//"):  # http://... is text, not a field
                known = ", ".join(f"{f}:" for f in FIELDS)
                self.problem(
                    f"unknown field operator {folded[: colon + 1]!r}; the fields are {known}. "
                    f'To search for the text itself, put it in quotes: "{raw}"',
                    start,
                    tuple(f"{f}:" for f in FIELDS),
                    "unknown_field",
                )
        self.tokens.append(Tok(Kind.WORD, start, end, text=raw))

    def field(self, name: str, start: int, value_start: int, word_end: int) -> None:
        """`name:` then its value, which must follow the colon directly."""
        self.tokens.append(Tok(Kind.FIELD, start, value_start, text=name))
        s, n = self.s, len(self.s)
        if value_start < word_end:
            if name == "rating" and s[value_start] == "[":
                self.i = value_start
                self.range(value_start)
                return
            self.tokens.append(Tok(Kind.VALUE, value_start, word_end, text=self.query[value_start:word_end]))
            self.i = word_end
            return
        self.i = value_start
        if value_start < n and s[value_start] == '"':
            self.tokens.append(self.quoted(Kind.VALUE, value_start))
        elif value_start < n and s[value_start] == "(":
            return  # a group of values: the parser takes it from here
        else:
            self.problem(
                f"expected a value right after {name}: (no space), for example {_example(name)}",
                value_start,
                ("a value",),
                "missing_value",
            )

    def range(self, start: int) -> None:
        close = self.s.find("]", start)
        if close < 0:
            self.problem(
                "unclosed range: expected ']', as in rating:[1 TO 2]", len(self.s), ("']'",), "bad_range"
            )
            self.i = len(self.s)
            self.tokens.append(Tok(Kind.RANGE, start, self.i, text=self.query[start + 1 :]))
            return
        self.i = close + 1
        self.tokens.append(Tok(Kind.RANGE, start, self.i, text=self.query[start + 1 : close]))


def _example(name: str) -> str:
    examples = {
        "author": "author:aurora_audio",
        "site": "site:bbc.co.uk",
        "url": "url:example.com/reviews",
        "source": "source:reddit",
        "lang": "lang:zh",
        "country": "country:DE",
        "sentiment": "sentiment:negative",
        "intent": "intent:complaint",
        "customer": "customer:*",
        "tier": "tier:gold",
        "title": "title:refund",
        "raw": 'raw:"iPhone"',
        "rating": "rating:[1 TO 2]",
        "hashtag": "#bluetooth",
        "mention": "@aurora_audio",
    }
    return examples.get(name, f"{name}:value")
