"""`earful query check`: parse a query, show its tree, its warnings and the Elasticsearch query it becomes.

Light at import time (typer only): the query modules are imported inside the command.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from index.query import Node, QueryWarning

query_app = typer.Typer(
    name="query",
    help="Work with the query language (docs/query-language.md).",
    no_args_is_help=True,
    add_completion=False,
)

INVALID_EXIT = 2


@query_app.callback()
def _query_root() -> None:
    """Work with the query language (docs/query-language.md)."""


def tree_lines(data: dict[str, Any], indent: int = 0) -> list[str]:
    """An indented tree of `index.query.ast.to_dict` output: one node a line, its scalar fields inline."""
    pad = "  " * indent
    scalars: list[str] = []
    nested: list[dict[str, Any]] = []
    for key, value in data.items():
        if key == "type":
            continue
        if isinstance(value, dict):
            nested.append(value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            nested.extend(value)
        else:
            scalars.append(f"{key}={json.dumps(value, ensure_ascii=False)}")
    head = " ".join([str(data["type"]), *scalars])
    lines = [pad + head]
    for child in nested:
        lines.extend(tree_lines(child, indent + 1))
    return lines


def es_request_query(node: Node, workspace: str = DEFAULT_WORKSPACE) -> dict[str, Any]:
    """The ``query`` of the search the Elasticsearch backend sends for this query in `workspace` with no
    other filter: the workspace's filter (which scopes every search) in ``filter``, the compiled query
    in ``must``. The backend's own `compile_query` builds it, so what is shown is what is sent."""
    from index.backends.elasticsearch import compile_query

    return compile_query(workspace, node=node)


def _warning_dict(query: str, warning: QueryWarning) -> dict[str, Any]:
    return {
        "code": warning.code,
        "position": warning.position,
        "column": _column(query, warning.position),
        "message": warning.message,
    }


def _column(query: str, position: int) -> int:
    return position - (query.rfind("\n", 0, max(position, 0)) + 1) + 1


@query_app.command("check")
def check_cmd(
    query: str = typer.Argument(
        ..., help="The query to check, e.g. '(refund OR \"money back\") NEAR/5 late'"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of text"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Print the parsed query, the lint warnings and the Elasticsearch query it becomes in a workspace
    (the workspace's filter included, as the backend sends it).

    Exits with status 2 and the located error (the query, a caret, the message) when it is invalid."""
    from index.query import check, to_text
    from index.query.ast import to_dict

    result = check(query)
    warnings = [_warning_dict(query, w) for w in result.warnings]
    if result.error is not None or result.ast is None:
        error = result.error
        rendered = error.render() if error is not None else "error: invalid query"
        if as_json:
            payload = {
                "query": query,
                "ok": False,
                "error": {
                    "message": error.message if error else "invalid query",
                    "position": error.position if error else -1,
                    "expected": list(error.expected) if error else [],
                    "reason": error.reason if error else "syntax",
                    "rendered": rendered,
                },
                "warnings": warnings,
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            typer.echo(rendered, err=True)
            for w in warnings:
                typer.echo(f"warning: column {w['column']}: {w['message']} [{w['code']}]", err=True)
        raise typer.Exit(INVALID_EXIT)

    ast = to_dict(result.ast)
    compiled = es_request_query(result.ast, workspace)
    if as_json:
        payload = {
            "query": query,
            "ok": True,
            "canonical": to_text(result.ast),
            "ast": ast,
            "warnings": warnings,
            "workspace": workspace,
            "elasticsearch": compiled,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Query: {query}")
    typer.echo(f"Canonical: {to_text(result.ast)}")
    typer.echo("AST:")
    for line in tree_lines(ast, 1):
        typer.echo(line)
    if warnings:
        typer.echo(f"Warnings ({len(warnings)}):")
        for w in warnings:
            typer.echo(f"  column {w['column']}: {w['message']} [{w['code']}]")
    else:
        typer.echo("Warnings: none")
    typer.echo(f"Elasticsearch query (workspace {workspace}):")
    typer.echo(json.dumps(compiled, ensure_ascii=False, indent=2))
