"""Warnings about queries that parse (or nearly parse) but probably do not say what was meant.

`lint` never raises: it looks at the tokens even when the query has errors, reads an unclosed quote as
closed at the end (that is the "recoverable" case: the rest of the query is still checked), and adds
the warnings that need the AST when the query parses that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.analysis import normalize
from index.query.ast import (
    MIN_WILDCARD_PREFIX,
    Near,
    Node,
    Or,
    Phrase,
    QuerySyntaxError,
    SlopPhrase,
    Term,
    Wildcard,
    walk,
)
from index.query.lexer import Kind, lex
from index.query.parser import parse, parse_tokens

LARGE_DISTANCE = 50
LARGE_OR = 200
_LOWER_OPERATOR = re.compile(r"(?i:and|or|not|o?near/\d+)")


@dataclass(frozen=True, slots=True)
class QueryWarning:
    position: int
    message: str
    code: str  # unbalanced_quote, wildcard_prefix, large_distance, lowercase_operator, large_or, ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `earful query check` shows: the AST (None when invalid), the error, and the warnings."""

    query: str
    ast: Node | None
    error: QuerySyntaxError | None
    warnings: tuple[QueryWarning, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None


def check(query: str) -> CheckResult:
    warnings = tuple(lint(query))
    try:
        return CheckResult(query, parse(query), None, warnings)
    except QuerySyntaxError as exc:
        return CheckResult(query, None, exc, warnings)


def lint(query: str) -> list[QueryWarning]:
    lexed = lex(query)
    out: list[QueryWarning] = []
    for problem in lexed.problems:
        if problem.reason == "unclosed_quote":
            out.append(
                QueryWarning(
                    problem.position,
                    "unbalanced quote: this phrase is never closed; it is read "
                    'as if it ended with the query (add the closing ")',
                    "unbalanced_quote",
                )
            )
    for tok in lexed.tokens:
        text = tok.text
        if tok.kind is Kind.WORD:
            if _LOWER_OPERATOR.fullmatch(text) and text != text.upper():
                out.append(
                    QueryWarning(
                        tok.pos,
                        f"{text!r} is searched as a word; operators are upper case: "
                        f"write {text.upper()} for the operator (quote the word to keep it)",
                        "lowercase_operator",
                    )
                )
            if "*" in text or "?" in text:
                prefix = re.split(r"[?*]", normalize(text), maxsplit=1)[0]
                if len(prefix) < MIN_WILDCARD_PREFIX:
                    out.append(
                        QueryWarning(
                            tok.pos,
                            f"wildcard prefix too short in {text!r}: at least "
                            f"{MIN_WILDCARD_PREFIX} characters must come before * or ?",
                            "wildcard_prefix",
                        )
                    )
        elif tok.kind is Kind.PHRASE:
            if "*" in text or "?" in text:
                out.append(
                    QueryWarning(
                        tok.pos,
                        "* and ? are not wildcards inside quotes (they are ignored)",
                        "wildcard_in_phrase",
                    )
                )
            if tok.number > LARGE_DISTANCE:
                out.append(
                    QueryWarning(
                        tok.end,
                        f"~{tok.number} is a very large distance: it matches words "
                        f"far apart (more than {LARGE_DISTANCE} tokens)",
                        "large_distance",
                    )
                )
        elif tok.kind is Kind.NEAR and tok.number > LARGE_DISTANCE:
            out.append(
                QueryWarning(
                    tok.pos,
                    f"{text} is a very large distance: it matches words far apart "
                    f"(more than {LARGE_DISTANCE} tokens); AND may be what you meant",
                    "large_distance",
                )
            )
    try:
        ast = parse_tokens(lexed)
    except QuerySyntaxError:
        ast = None
    if ast is not None:
        out.extend(_ast_warnings(ast))
    unique = {(w.position, w.code, w.message): w for w in out}
    return sorted(unique.values(), key=lambda w: (w.position, w.code))


def _ast_warnings(ast: Node) -> list[QueryWarning]:
    out: list[QueryWarning] = []
    inner_ors: set[int] = set()
    for node in walk(ast):
        if isinstance(node, Or) and id(node) not in inner_ors:
            count = 0
            stack: list[Node] = [node]
            while stack:
                current = stack.pop()
                if isinstance(current, Or):
                    inner_ors.add(id(current))
                    stack.extend(current.children)
                else:
                    count += 1
            if count > LARGE_OR:
                out.append(
                    QueryWarning(
                        max(node.pos, 0),
                        f"an OR of {count} terms: consider a wildcard, or "
                        f"splitting the rule (more than {LARGE_OR} alternatives)",
                        "large_or",
                    )
                )
        if isinstance(node, SlopPhrase) and len(set(node.words)) < len(node.words):
            out.append(
                QueryWarning(
                    max(node.pos, 0),
                    "a word repeated in a ~ phrase can match the same "
                    "occurrence twice (proximity is unordered and may overlap)",
                    "repeated_word",
                )
            )
        if isinstance(node, Near) and not node.ordered:
            left, right = _leaves(node.left), _leaves(node.right)
            if left & right:
                out.append(
                    QueryWarning(
                        max(node.pos, 0),
                        "the same word on both sides of NEAR can match one "
                        "single occurrence (unordered spans may overlap); ONEAR needs two",
                        "repeated_word",
                    )
                )
    return out


def _leaves(node: Node) -> set[object]:
    out: set[object] = set()
    for current in walk(node):
        if isinstance(current, Term | Wildcard | Phrase):
            out.add(current)
        elif isinstance(current, SlopPhrase):
            out.update(current.words)
    return out


__all__ = ["LARGE_DISTANCE", "LARGE_OR", "CheckResult", "QueryWarning", "check", "lint"]
