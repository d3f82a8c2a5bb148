"""The Earful query language: Brandwatch-style boolean search with proximity and field operators.

`parse` a query to a typed AST, `to_text` prints it back, `lint` warns about likely mistakes,
`evaluate_query` runs it against one mention (the specification every engine follows) and `RuleSet` runs
thousands of alert rules on a batch. The grammar is documented in docs/query-language.md.
"""

from index.query.ast import (
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
)
from index.query.evaluate import CompiledQuery, Match, MentionView, compile_query, evaluate_query, matches
from index.query.lint import CheckResult, QueryWarning, check, lint
from index.query.matcher import RuleMatch, RuleSet
from index.query.parser import parse
from index.query.printer import to_text

__all__ = [
    "And",
    "CheckResult",
    "CompiledQuery",
    "FieldFilter",
    "InTitle",
    "Match",
    "MentionView",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QuerySyntaxError",
    "QueryWarning",
    "Rating",
    "Raw",
    "RuleMatch",
    "RuleSet",
    "SlopPhrase",
    "Term",
    "Wildcard",
    "check",
    "compile_query",
    "evaluate_query",
    "lint",
    "matches",
    "parse",
    "to_text",
]
