"""AST -> canonical query text, with the fewest parentheses; `parse(to_text(ast)) == ast` holds for every
valid AST (property-tested). Operators are upper case and explicit (`a AND b`, never adjacency)."""

from __future__ import annotations

import re
from decimal import Decimal

from index.analysis import is_cjk
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
from index.query.lexer import fold_syntax

_OR, _AND, _NEAR, _NOT, _ATOM = 1, 2, 3, 4, 5
_BARE_VALUE = re.compile(r'[^\s()"\\\[\]]+')


def precedence(node: Node) -> int:
    if isinstance(node, Or):
        return _OR
    if isinstance(node, And):
        return _AND
    if isinstance(node, Near):
        return _NEAR
    if isinstance(node, Not):
        return _NOT
    return _ATOM


def to_text(node: Node) -> str:
    if isinstance(node, Term | Wildcard):
        return node.text if isinstance(node, Term) else node.pattern
    if isinstance(node, Phrase):
        if all(is_cjk(token) for token in node.tokens):  # 手机: a bare Chinese word is already a phrase
            return "".join(node.tokens)
        return f'"{_join(node.tokens, " ")}"'
    if isinstance(node, SlopPhrase):
        return '"' + " ".join(_join(word, "-") for word in node.words) + f'"~{node.slop}'
    if isinstance(node, Or):
        return " OR ".join(
            _wrap(child, child_needs_parens=precedence(child) <= _OR) for child in node.children
        )
    if isinstance(node, And):
        return " AND ".join(_wrap(child, precedence(child) <= _AND) for child in node.children)
    if isinstance(node, Near):
        op = f"{'ONEAR' if node.ordered else 'NEAR'}/{node.distance}"
        # left-associative: a Near on the left needs no parentheses, one on the right does
        left = _wrap(node.left, precedence(node.left) < _NEAR)
        right = _wrap(node.right, precedence(node.right) <= _NEAR)
        return f"{left} {op} {right}"
    if isinstance(node, Not):
        return f"NOT {_wrap(node.child, precedence(node.child) < _NOT)}"
    if isinstance(node, InTitle):
        child = node.child
        simple = isinstance(child, Term | Wildcard | Phrase | SlopPhrase)
        return f"title:{to_text(child)}" if simple else f"title:({to_text(child)})"
    if isinstance(node, FieldFilter):
        if node.name in ("hashtag", "mention") and _BARE_VALUE.fullmatch(fold_syntax(node.value)):
            return ("#" if node.name == "hashtag" else "@") + node.value
        return f"{node.name}:{_value(node.value)}"
    if isinstance(node, Rating):
        if node.low is not None and node.low == node.high:
            return f"rating:{_number(node.low)}"
        return f"rating:[{_number(node.low)} TO {_number(node.high)}]"
    if isinstance(node, Raw):
        return f"raw:{_quote(node.text)}"
    raise TypeError(f"not a query node: {node!r}")  # pragma: no cover


def _wrap(node: Node, child_needs_parens: bool) -> str:
    text = to_text(node)
    return f"({text})" if child_needs_parens else text


def _join(tokens: tuple[str, ...], separator: str) -> str:
    """Tokens back to text that tokenises to them: CJK characters touch, other tokens are separated."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        if i and not (is_cjk(token) and is_cjk(tokens[i - 1])):
            out.append(separator)
        out.append(token)
    return "".join(out)


def _quote(text: str) -> str:
    # the lexer reads quotes and backslashes after full-width folding, so escape those forms too
    return '"' + "".join("\\" + c if fold_syntax(c) in '"\\' else c for c in text) + '"'


def _value(value: str) -> str:
    return value if _BARE_VALUE.fullmatch(fold_syntax(value)) else _quote(value)


def _number(value: float | None) -> str:
    if value is None:
        return "*"
    return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
