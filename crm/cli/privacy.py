"""`earful crm forget CUSTOMER | --author PLATFORM:HANDLE` (erasure) and `earful crm export CUSTOMER`
(access request): the work spans the alerting stores and the spool, so it runs in flows/privacy.py,
reached through the ``earful.flows`` entry points (crm may not import flows; docs/customers.md, Privacy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app
from crm.cli.reminders import FLOW_ENTRY_POINTS


def _flow(name: str) -> Any:
    from importlib.metadata import entry_points

    for entry in entry_points(group=FLOW_ENTRY_POINTS, name=name):
        return entry.load()
    typer.echo(f"no {name!r} flow in the {FLOW_ENTRY_POINTS} entry points: is earful installed?", err=True)
    raise typer.Exit(2)


@crm_app.command("forget")
def forget_cmd(
    customer: Annotated[str | None, typer.Argument(help="The customer's code (or id)")] = None,
    author: Annotated[
        str | None,
        typer.Option("--author", help="Forget an author instead: PLATFORM:HANDLE, and their mentions"),
    ] = None,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Erase a customer and everything pointing to them (or an author), in every store; print what went."""
    from core.errors import EarfulError

    if (customer is None) == (author is None):
        typer.echo("error: give a CUSTOMER or --author PLATFORM:HANDLE (one of them)", err=True)
        raise typer.Exit(2)
    try:
        report = _flow("forget")(home_settings(home), workspace=workspace, customer=customer, author=author)
    except EarfulError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1 if exc.code == "not_found" else 2) from exc
    typer.echo(f"forgot {report.subject} in workspace {workspace!r}")
    typer.echo(f"{'store':<16} {'removed':>8}")
    for store, count in report.removed.items():
        typer.echo(f"{store:<16} {count:>8}")
    typer.echo(f"{'total':<16} {report.total:>8}")


@crm_app.command("export")
def export_cmd(
    customer: Annotated[str, typer.Argument(help="The customer's code (or id)")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here (default: print it)")] = None,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Everything held about a customer as one JSON document (a data-subject access request)."""
    from core.errors import EarfulError

    try:
        document = _flow("export")(home_settings(home), workspace=workspace, customer=customer)
    except EarfulError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1 if exc.code == "not_found" else 2) from exc
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)
