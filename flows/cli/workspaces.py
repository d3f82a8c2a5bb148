"""`earful workspaces list`: which workspaces hold data in the configured store, and how much.

Light at import: the store is read inside the command (`flows.workspaces`).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

workspaces_app = typer.Typer(
    name="workspaces",
    help="Workspaces (tenants): every stored thing belongs to one; commands take --workspace.",
    no_args_is_help=True,
)


@workspaces_app.callback()
def _workspaces_root() -> None:
    """Workspaces (tenants): every stored thing belongs to one; commands take --workspace."""


@workspaces_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
) -> None:
    """The workspaces that hold data in the configured store, and how much of each kind.

    Kinds: mentions, cursors, saved searches, customers, link verdicts (link feedback), orders,
    interactions, scores, cases, merges, mention workflows, brands and report definitions."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from core.settings import get_settings
    from flows.workspaces import KINDS, list_workspaces

    settings = get_settings()
    counts = list_workspaces(settings)
    if as_json:
        typer.echo(json.dumps(counts, indent=2))
        return
    console = Console()
    if not counts:
        console.print(f"[dim]No workspace holds data in the {settings.store.backend} store yet.[/]")
        return
    table = Table(
        title=f"Workspaces in the {settings.store.backend} store",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("workspace")
    for kind in KINDS:
        table.add_column(kind.replace("_", " "), justify="right")
    for workspace, kinds in counts.items():
        table.add_row(workspace, *(str(kinds.get(kind, 0)) for kind in KINDS))
    console.print(table)
