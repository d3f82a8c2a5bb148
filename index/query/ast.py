"""The typed AST of the query language, and its syntax error.

Nodes are frozen dataclasses holding *normalised* values (tokens as `index.analysis.tokenize` makes
them), so two queries that mean the same thing compare equal and print the same. `pos` is the offset of
the node in the query text, for messages only: it takes no part in equality.

Structure rules (checked here, so a hand-built AST is as valid as a parsed one):
- `Term` is one token; `Phrase` two or more tokens that must be adjacent and in order; a query word
  that tokenises to several tokens (`wi-fi`, `手机`) is a `Phrase`.
- Operands of `Near` are proximity operands only: terms, wildcards, phrases, `~` phrases, `Or` of
  proximity operands, and nested `Near`. Not `And`, `Not` or field operators: Elasticsearch span
  queries cannot express them.
- `InTitle` contains no field operators.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidInput
from core.errors import QuerySyntaxError as QuerySyntaxError  # re-exported: the parser raises it
from index.analysis import is_cjk, tokenize
from index.query.fields import FIELDS, KEYWORD_FIELDS

MIN_WILDCARD_PREFIX = 3
MAX_DISTANCE = 100_000

_WORD_CHAR = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if [t.text for t in tokenize(self.text)] != [self.text]:
            raise InvalidInput(f"Term must be one normalised token, got {self.text!r}")


@dataclass(frozen=True, slots=True)
class Wildcard:
    """One token matching `pattern`: `?` is exactly one character, a trailing `*` any number (0+)."""

    pattern: str
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        problem = wildcard_problem(self.pattern)
        if problem:
            raise InvalidInput(f"invalid wildcard {self.pattern!r}: {problem}")

    @property
    def prefix(self) -> str:
        """The literal characters before the first wildcard character (at least 3)."""
        return re.split(r"[?*]", self.pattern, maxsplit=1)[0]


@dataclass(frozen=True, slots=True)
class Phrase:
    tokens: tuple[str, ...]
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.tokens) < 2:
            raise InvalidInput("a Phrase has at least two tokens (one token is a Term)")
        for token in self.tokens:
            Term(token)


@dataclass(frozen=True, slots=True)
class SlopPhrase:
    """`"a b c"~n`: every word within n tokens of the others, in any order (see the docs for the formula).
    A word is one whitespace-separated chunk of the phrase: a tuple of tokens that must be adjacent."""

    words: tuple[tuple[str, ...], ...]
    slop: int
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.words) < 2:
            raise InvalidInput("a ~ phrase has at least two words")
        _check_distance(self.slop)
        for word in self.words:
            if not word:
                raise InvalidInput("empty word in a ~ phrase")
            for token in word:
                Term(token)


@dataclass(frozen=True, slots=True)
class Near:
    """`left NEAR/n right` (unordered) or `left ONEAR/n right` (ordered: left before right)."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_distance(self.distance)
        for side in (self.left, self.right):
            bad = first_non_proximity(side)
            if bad is not None:
                raise InvalidInput(f"{type(bad).__name__} cannot be an operand of NEAR/ONEAR")


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.children) < 2:
            raise InvalidInput("And has at least two children")


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.children) < 2:
            raise InvalidInput("Or has at least two children")


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    pos: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InTitle:
    """`title:...`: the child is matched against the title's tokens instead of the text's."""

    child: Node
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        bad = first_field_operator(self.child)
        if bad is not None:
            raise InvalidInput(f"{type(bad).__name__} cannot be used inside title:")


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """`name:value` for a keyword field of `index.query.fields.FIELDS` (`#tag` and `@handle` included).
    `value` is canonical: `FieldOperator.canonical` of what was typed."""

    name: str
    value: str
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.name not in KEYWORD_FIELDS:
            raise InvalidInput(f"{self.name!r} is not a keyword field")
        problem = field_value_problem(self.name, self.value)
        if problem:
            raise InvalidInput(problem)
        if FIELDS[self.name].canonical(self.value) != self.value:
            raise InvalidInput(f"{self.name}: value {self.value!r} is not canonical")


@dataclass(frozen=True, slots=True)
class Rating:
    """`rating:[low TO high]`, inclusive; None is an open end (`*`)."""

    low: float | None
    high: float | None
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        for bound in (self.low, self.high):
            if bound is not None and (not math.isfinite(bound) or not 0 <= bound <= 10):
                raise InvalidInput("rating bounds are numbers from 0 to 10")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InvalidInput("rating range: the low bound is above the high bound")


@dataclass(frozen=True, slots=True)
class Raw:
    """`raw:"..."`: a case-sensitive exact substring of the mention's original text."""

    text: str
    pos: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.text:
            raise InvalidInput("raw: needs a non-empty text")


Node = Term | Wildcard | Phrase | SlopPhrase | Near | And | Or | Not | InTitle | FieldFilter | Rating | Raw
PROXIMITY_LEAVES = (Term, Wildcard, Phrase, SlopPhrase)
FIELD_NODES = (InTitle, FieldFilter, Rating, Raw)


def _check_distance(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DISTANCE:
        raise InvalidInput(f"a distance is a whole number from 0 to {MAX_DISTANCE}")


def first_non_proximity(node: Node) -> Node | None:
    """The first node (depth first) that cannot be inside NEAR, or None when all of it can."""
    if isinstance(node, PROXIMITY_LEAVES):
        return None
    if isinstance(node, Or):
        for child in node.children:
            bad = first_non_proximity(child)
            if bad is not None:
                return bad
        return None
    if isinstance(node, Near):
        return first_non_proximity(node.left) or first_non_proximity(node.right)
    return node


def first_field_operator(node: Node) -> Node | None:
    """The first field operator inside `node` (depth first), or None."""
    if isinstance(node, FIELD_NODES):
        return node
    for child in children(node):
        bad = first_field_operator(child)
        if bad is not None:
            return bad
    return None


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, And | Or):
        return node.children
    if isinstance(node, Not | InTitle):
        return (node.child,)
    if isinstance(node, Near):
        return (node.left, node.right)
    return ()


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out


def wildcard_problem(pattern: str) -> str | None:
    """Why `pattern` (already normalised) is not a valid wildcard, or None."""
    if "*" not in pattern and "?" not in pattern:
        return "no wildcard character"
    star = pattern.find("*")
    if star >= 0 and star != len(pattern) - 1:
        return "`*` is only allowed at the end of a word"
    literal = pattern.replace("*", "").replace("?", "")
    if any(is_cjk(c) for c in literal):
        return "wildcards apply to words; Chinese characters are already one token each"
    if not all(_WORD_CHAR.match(c) for c in literal):
        return "a wildcard is one word of letters and digits"
    prefix = re.split(r"[?*]", pattern, maxsplit=1)[0]
    if len(prefix) < MIN_WILDCARD_PREFIX:
        return (
            f"a wildcard needs at least {MIN_WILDCARD_PREFIX} letters or digits before the first `*` or `?`"
        )
    return None


def field_value_problem(name: str, value: str) -> str | None:
    op = FIELDS[name]
    if not value:
        return f"{name}: needs a value"
    if op.values and value not in op.values:
        return f"{name}: expects one of {', '.join(op.values)}"
    if name == "customer" and value != "*" and ("*" in value or "?" in value):
        return "customer: takes an id, or * alone for any linked customer"
    if name != "customer" and ("*" in value or "?" in value) and name not in ("url",):
        return f"wildcards are not supported in {name}: values"
    return None


def to_dict(node: Node) -> dict[str, Any]:
    """A JSON-ready form of the tree (for `earful query check` and the API)."""
    out: dict[str, Any] = {"type": type(node).__name__}
    for name in node.__dataclass_fields__:
        if name == "pos":
            continue
        value = getattr(node, name)
        if isinstance(value, tuple) and value and not isinstance(value[0], str | tuple):
            out[name] = [to_dict(child) for child in value]
        elif isinstance(
            value,
            Term
            | Wildcard
            | Phrase
            | SlopPhrase
            | Near
            | And
            | Or
            | Not
            | InTitle
            | FieldFilter
            | Rating
            | Raw,
        ):
            out[name] = to_dict(value)
        elif isinstance(value, tuple):
            out[name] = [list(v) if isinstance(v, tuple) else v for v in value]
        else:
            out[name] = value
    return out
