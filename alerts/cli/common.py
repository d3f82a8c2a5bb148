"""What the `earful alerts` commands share: the rule-file argument, errors shown as located lines with
the exit status of their kind, the workspace's stores opened and closed, picking one rule of a file,
and who did it. Nothing heavy at module level."""

from __future__ import annotations

import getpass
import html
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from core.cli_errors import reporting
from core.errors import EarfulError, InvalidInput

if TYPE_CHECKING:
    from rich.text import Text

    from alerts.rules import Rule
    from alerts.store import AlertStores
    from core.settings import Settings
    from index.base import MentionStore


RuleFile = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Rules (YAML or JSON)")
_MARK = re.compile(r"(</?em>)")


def _rule_error_lines(exc: EarfulError) -> list[str]:
    from alerts.rules import error_lines  # each located problem of a rules file on its own line

    return error_lines(exc)


#: Errors as ``error: ...`` lines and the exit status of their kind (`core.cli_errors`).
reported = reporting(_rule_error_lines)


def who(by: str | None) -> str:
    """``--by``, else the user running the command."""
    if by:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry (a container): the environment, else a placeholder
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


@contextmanager
def alert_stores(settings: Settings, workspace: str) -> Iterator[AlertStores]:
    from alerts.store import build_alert_stores

    with build_alert_stores(settings, workspace=workspace) as stores:
        yield stores


@contextmanager
def mention_store(settings: Settings, workspace: str) -> Iterator[MentionStore]:
    from index.backends import build_mention_store

    store = build_mention_store(settings, workspace=workspace)
    try:
        yield store
    finally:
        store.close()


def snippet_text(snippet: str) -> Text:
    """A stored snippet (HTML-escaped, matches in ``<em>``) for the terminal: matches in bold, the rest
    as typed (nothing in it is read as markup)."""
    from rich.text import Text

    out = Text()
    depth = 0
    for piece in _MARK.split(snippet):
        if piece in ("<em>", "</em>"):
            depth = depth + 1 if piece == "<em>" else max(depth - 1, 0)
        elif piece:
            out.append(html.unescape(piece), style="bold yellow" if depth else "")
    return out


def pick(rules: Sequence[Rule], name: str | None) -> Rule:
    """The rule of a file that ``--rule`` names (name or id); the only one when not given."""
    chosen = [r for r in rules if name in (None, r.name, r.id)]
    if len(chosen) != 1:
        names = ", ".join(repr(r.name) for r in rules)
        wanted = f"no rule {name!r} in the file" if name is not None else "pick one rule with --rule"
        raise InvalidInput(f"{wanted} (the file has {names})")
    return chosen[0]


def rule_from(ref: str, name: str | None, settings: Settings, workspace: str) -> Rule:
    """A rule given as a file (``--rule`` picks one of several) or as a saved rule's id or name."""
    from alerts.manage import find_rule
    from alerts.rules import load_rules

    if Path(ref).is_file():
        return pick(load_rules(ref), name)
    if Path(ref).suffix.lower() in (".yaml", ".yml", ".json"):
        raise InvalidInput(f"no rule file {ref} (give a file, or a saved rule's id or name)")
    with alert_stores(settings, workspace) as stores:
        return find_rule(stores.rules, ref)


__all__ = [
    "RuleFile",
    "alert_stores",
    "mention_store",
    "pick",
    "reported",
    "rule_from",
    "snippet_text",
    "who",
]
