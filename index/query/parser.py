"""Recursive-descent parser: query text -> AST (`index.query.ast`), or a located `QuerySyntaxError`.

Grammar (precedence from tightest: NOT > NEAR/ONEAR > AND, explicit or implicit > OR):

    query     = or_expr EOF
    or_expr   = and_expr ( "OR" and_expr )*
    and_expr  = near_expr ( [ "AND" ] near_expr )*          adjacency means AND
    near_expr = unary ( ( "NEAR/n" | "ONEAR/n" ) unary )*   left-associative
    unary     = ( "NOT" | "-" ) unary | primary
    primary   = "(" or_expr ")" | WORD | PHRASE [ "~" n ] | "#"tag | "@"handle | field
    field     = name ":" value | name ":(" value ( "OR" value )* ")" | "title:(" or_expr ")"
              | "rating:[" (number | "*") "TO" (number | "*") "]"

Chains of one operator are flattened (`a OR b OR c` is one Or of three), but an explicit group keeps
its own node: `(a OR b) OR c` is Or(Or(a, b), c). That keeps `parse(print(ast)) == ast` exact.
"""

from __future__ import annotations

import math
import re

from core.errors import InvalidInput
from index.analysis import normalize, tokenize
from index.query.ast import (
    MAX_DISTANCE,
    And,
    FieldFilter,
    InTitle,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Rating,
    Raw,
    SlopPhrase,
    Term,
    Wildcard,
    field_value_problem,
    first_non_proximity,
    wildcard_problem,
)
from index.query.fields import FIELDS
from index.query.lexer import Kind, Lexed, Tok, lex

OPERAND = ("a term", 'a "phrase"', "'('", "NOT", "a field operator")
_OPERAND_START = frozenset(
    {Kind.LPAREN, Kind.NOT, Kind.MINUS, Kind.WORD, Kind.PHRASE, Kind.FIELD, Kind.HASHTAG, Kind.MENTION}
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RANGE = re.compile(r"\s*(\S+)\s+TO\s+(\S+)\s*")


def parse(query: str) -> Node:
    """Parse a query; raises `QuerySyntaxError` (an `InvalidInput`) with position and expected tokens."""
    lexed = lex(query)
    if lexed.problems:
        raise lexed.problems[0]
    return parse_tokens(lexed)


def parse_tokens(lexed: Lexed) -> Node:
    """Parse already-lexed tokens, ignoring lexical problems (lint uses this to look past them)."""
    return _Parser(lexed).query()


def text_atom(raw: str, position: int, query: str, *, slop: int = -1, quoted: bool = False) -> Node:
    """A typed word or phrase as a node: Term, Phrase (several tokens), Wildcard or SlopPhrase."""

    def fail(message: str, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=query, position=position, expected=OPERAND, reason=reason)

    if not quoted and ("*" in raw or "?" in raw):
        pattern = normalize(raw).replace("'", "").replace("’", "")
        problem = wildcard_problem(pattern)
        if problem:
            short = "letters or digits before" in problem
            raise fail(f"{raw!r}: {problem}", "wildcard_prefix" if short else "bad_wildcard")
        return Wildcard(pattern, pos=position)
    if quoted and slop >= 0:
        if slop > MAX_DISTANCE:
            raise fail(f"~{slop} is too large (at most {MAX_DISTANCE})", "distance")
        words = tuple(w for w in (tuple(t.text for t in tokenize(chunk)) for chunk in raw.split()) if w)
        if not words:
            raise fail("this phrase has no letters or digits to search for", "empty")
        if len(words) == 1:
            return _tokens_node(words[0], position)
        return SlopPhrase(words, slop, pos=position)
    tokens = tuple(t.text for t in tokenize(raw))
    if not tokens:
        if raw == "-":
            raise fail("expected what to exclude right after '-' (no space), for example -pie", "syntax")
        what = "phrase" if quoted else f"{raw!r}"
        raise fail(f"this {what} has no letters or digits to search for", "empty")
    return _tokens_node(tokens, position)


def _tokens_node(tokens: tuple[str, ...], position: int) -> Term | Phrase:
    return Term(tokens[0], pos=position) if len(tokens) == 1 else Phrase(tokens, pos=position)


class _Parser:
    def __init__(self, lexed: Lexed) -> None:
        self.query_text = lexed.text
        self.tokens = lexed.tokens
        self.i = 0

    # --- helpers ---------------------------------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.tokens[self.i]

    def take(self) -> Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(
        self, message: str, position: int, expected: tuple[str, ...] = OPERAND, reason: str = "syntax"
    ) -> QuerySyntaxError:
        return QuerySyntaxError(
            message, query=self.query_text, position=position, expected=expected, reason=reason
        )

    def found(self, tok: Tok) -> str:
        if tok.kind is Kind.EOF:
            return "the end of the query"
        return repr(self.query_text[tok.pos : tok.end])

    def need_operand(self, after: str) -> None:
        tok = self.tok
        if tok.kind not in _OPERAND_START:
            hint = ""
            if tok.kind in (Kind.AND, Kind.OR, Kind.NEAR) and not after:
                hint = " (an operator needs something on its left)"
            where = f" after {after}" if after else ""
            raise self.error(
                f"expected a term, a phrase, '(' or a field operator{where}, found {self.found(tok)}{hint}",
                tok.pos,
            )

    # --- grammar ---------------------------------------------------------------------------------
    def query(self) -> Node:
        if self.tok.kind is Kind.EOF:
            raise self.error("the query is empty", 0)
        node = self.or_expr(in_title=False)
        tok = self.tok
        if tok.kind is Kind.RPAREN:
            raise self.error("unexpected ')' with no matching '('", tok.pos, ("end of query",), "paren")
        if tok.kind is not Kind.EOF:  # pragma: no cover - every other token starts an operand
            raise self.error(f"unexpected {self.found(tok)}", tok.pos)
        return node

    def or_expr(self, in_title: bool) -> Node:
        self.need_operand("")
        first = self.and_expr(in_title)
        items = [first]
        while self.tok.kind is Kind.OR:
            self.take()
            self.need_operand("OR")
            items.append(self.and_expr(in_title))
        return items[0] if len(items) == 1 else Or(tuple(items), pos=_pos(first))

    def and_expr(self, in_title: bool) -> Node:
        first = self.near_expr(in_title)
        items = [first]
        while self.tok.kind is Kind.AND or self.tok.kind in _OPERAND_START:
            if self.tok.kind is Kind.AND:
                self.take()
                self.need_operand("AND")
            items.append(self.near_expr(in_title))
        return items[0] if len(items) == 1 else And(tuple(items), pos=_pos(first))

    def near_expr(self, in_title: bool) -> Node:
        left = self.unary(in_title)
        while self.tok.kind is Kind.NEAR:
            op = self.take()
            name = "ONEAR" if op.ordered else "NEAR"
            if op.number > MAX_DISTANCE:
                raise self.error(
                    f"{name}/{op.number} is too large (at most {MAX_DISTANCE})",
                    op.pos,
                    ("a smaller distance",),
                    "distance",
                )
            self.need_operand(f"{name}/{op.number}")
            right = self.unary(in_title)
            for side in (left, right):
                self.check_proximity_operand(side, name)
            left = Near(left, right, op.number, op.ordered, pos=_pos(left))
        return left

    def check_proximity_operand(self, side: Node, name: str) -> None:
        bad = first_non_proximity(side)
        if bad is None:
            return
        if isinstance(bad, Not):
            raise self.error(
                f"NOT cannot be used inside {name}: proximity is measured between words "
                f"that are there, and an excluded word has no position. Put the NOT outside, "
                f"for example (a {name}/5 b) NOT c",
                _pos(bad),
                ("a term", "a phrase", "'('"),
                "not_in_near",
            )
        if isinstance(bad, And):
            raise self.error(
                f"AND cannot be used inside {name}: use OR, a phrase, or nest the proximity, "
                f"for example (a {name}/3 b) {name}/5 c; adjacent words inside the parentheses "
                f"also mean AND, so quote them if you meant a phrase",
                _pos(bad),
                ("OR", "a phrase", f"{name}/n"),
                "and_in_near",
            )
        raise self.error(
            f"field operators cannot be used inside {name}; combine them with AND outside it, "
            f"for example (a {name}/5 b) AND author:x",
            _pos(bad),
            ("a term", "a phrase", "'('"),
            "field_in_near",
        )

    def unary(self, in_title: bool) -> Node:
        if self.tok.kind in (Kind.NOT, Kind.MINUS):
            op = self.take()
            self.need_operand("NOT" if op.kind is Kind.NOT else "'-'")
            return Not(self.unary(in_title), pos=op.pos)
        return self.primary(in_title)

    def primary(self, in_title: bool) -> Node:
        tok = self.tok
        if tok.kind is Kind.LPAREN:
            self.take()
            if self.tok.kind is Kind.RPAREN:
                raise self.error("empty parentheses", self.tok.pos)
            node = self.or_expr(in_title)
            self.close(tok)
            return node
        if tok.kind is Kind.WORD:
            self.take()
            return text_atom(tok.text, tok.pos, self.query_text)
        if tok.kind is Kind.PHRASE:
            self.take()
            return text_atom(tok.text, tok.pos, self.query_text, slop=tok.number, quoted=True)
        if tok.kind in (Kind.HASHTAG, Kind.MENTION, Kind.FIELD) and in_title:
            raise self.error(
                "field operators cannot be used inside title:", tok.pos, OPERAND, "field_in_title"
            )
        if tok.kind in (Kind.HASHTAG, Kind.MENTION):
            self.take()
            return self.keyword("hashtag" if tok.kind is Kind.HASHTAG else "mention", tok.text, tok.pos)
        if tok.kind is Kind.FIELD:
            return self.field()
        raise self.error(
            f"expected a term, a phrase, '(' or a field operator, found {self.found(tok)}", tok.pos
        )

    def close(self, opening: Tok) -> None:
        if self.tok.kind is not Kind.RPAREN:
            col = opening.pos + 1
            raise self.error(
                f"expected ')' to close the '(' at column {col}, found {self.found(self.tok)}",
                self.tok.pos,
                ("')'", "AND", "OR", "NEAR/n"),
                "paren",
            )
        self.take()

    # --- field operators -------------------------------------------------------------------------
    def field(self) -> Node:
        head = self.take()
        name = head.text
        kind = FIELDS[name].kind
        value = self.tok
        if name == "rating":
            if value.kind is Kind.RANGE:
                self.take()
                return self.rating_range(value, head.pos)
            if value.kind is Kind.VALUE and not value.quoted:
                self.take()
                number = self.number(value.text.strip(), value.pos)
                return Rating(number, number, pos=head.pos)
            raise self.error(
                "rating: takes a number or a range, for example rating:[1 TO 2]",
                value.pos,
                ("a number", "'['"),
                "bad_range",
            )
        if value.kind is Kind.LPAREN:
            if kind == "text":  # title:( ... ): a whole expression matched in the title
                self.take()
                inner = self.or_expr(in_title=True)
                self.close(value)
                return InTitle(inner, pos=head.pos)
            if kind == "raw":
                raise self.error(
                    'raw: takes one quoted text, for example raw:"iPhone"', value.pos, ('a "text"',), "syntax"
                )
            return self.value_group(name, head.pos)
        if value.kind is not Kind.VALUE:  # pragma: no cover - the lexer reports a missing value
            raise self.error(f"expected a value after {name}:", value.pos, ("a value",), "missing_value")
        self.take()
        if kind == "text":
            atom = text_atom(value.text, value.pos, self.query_text, slop=value.number, quoted=value.quoted)
            return InTitle(atom, pos=head.pos)
        if kind == "raw":
            if not value.text:
                raise self.error("raw: needs a non-empty text", value.pos, ('a "text"',), "empty")
            return Raw(value.text, pos=head.pos)
        if value.number >= 0:
            raise self.error(
                f"~ only applies to phrases, not to {name}: values", value.end - 1, (), "bad_slop"
            )
        return self.keyword(name, value.text, head.pos, value.pos)

    def value_group(self, name: str, position: int) -> Node:
        """`name:(v1 OR v2 ...)`: shorthand for (name:v1 OR name:v2 ...)."""
        opening = self.take()
        items: list[Node] = []
        while True:
            tok = self.tok
            if tok.kind not in (Kind.WORD, Kind.PHRASE):
                raise self.error(f"expected a value of {name}:", tok.pos, ("a value",), "missing_value")
            self.take()
            items.append(self.keyword(name, tok.text, tok.pos, tok.pos))
            if self.tok.kind is not Kind.OR:
                break
            self.take()
        self.close(opening)
        return items[0] if len(items) == 1 else Or(tuple(items), pos=position)

    def keyword(self, name: str, raw: str, position: int, value_pos: int | None = None) -> FieldFilter:
        op = FIELDS[name]
        value = op.canonical(raw)
        problem = field_value_problem(name, value)
        if problem:
            raise self.error(
                problem, position if value_pos is None else value_pos, op.values or ("a value",), "bad_value"
            )
        try:
            return FieldFilter(name, value, pos=position)
        except InvalidInput as exc:  # pragma: no cover - canonical values are always valid
            raise self.error(str(exc), position, ("a value",), "bad_value") from exc

    def number(self, text: str, position: int) -> float | None:
        if text == "*":
            return None
        if not _NUMBER.fullmatch(text):
            raise self.error(
                f"expected a number from 0 to 10 or *, found {text!r}",
                position,
                ("a number", "*"),
                "bad_range",
            )
        value = float(text)
        if not math.isfinite(value) or value > 10:
            raise self.error("ratings are from 0 to 10", position, ("a number",), "bad_range")
        return value

    def rating_range(self, tok: Tok, position: int) -> Rating:
        match = _RANGE.fullmatch(tok.text)
        if not match:
            raise self.error(
                "expected a range like rating:[1 TO 2] (TO in capitals, * for an open end)",
                tok.pos,
                ("[low TO high]",),
                "bad_range",
            )
        low = self.number(match.group(1), tok.pos + 1 + match.start(1))
        high = self.number(match.group(2), tok.pos + 1 + match.start(2))
        if low is not None and high is not None and low > high:
            raise self.error(
                "the range's low bound is above its high bound", tok.pos, ("[low TO high]",), "bad_range"
            )
        return Rating(low, high, pos=position)


def _pos(node: Node) -> int:
    return node.pos
