"""`earful crm segments` (the workspace's segments with live counts) and `earful crm segment
add|show|export|remove` (crm/segments.py; docs/customers.md, Segments)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

segment_app = typer.Typer(help="Saved customer segments: add, show, export, remove.", no_args_is_help=True)
crm_app.add_typer(segment_app, name="segment")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@crm_app.command("segments")
def segments_cmd(workspace: Workspace = DEFAULT_WORKSPACE, home: Home = None) -> None:
    """The workspace's segments, each with how many customers are in it now."""
    from crm.segments import build_segment_store, evaluate_segments

    settings = home_settings(home)
    store = build_segment_store(settings, workspace=workspace)
    try:
        definitions = list(store.iter_all())
    finally:
        store.close()
    if not definitions:
        typer.echo("no segments: add one with `earful crm segment add FILE`")
        return
    typer.echo(f"{'segment':<28} {'owner':<16} {'customers':>9}  description")
    for result in evaluate_segments(settings, workspace=workspace, definitions=definitions):
        s = result.segment
        typer.echo(f"{s.name:<28} {s.owner:<16} {result.count:>9}  {s.description}")


@segment_app.command("add")
def add_cmd(
    file: Annotated[Path, typer.Argument(help="The definition: YAML or JSON")],
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Save a segment definition (replacing the one of that name)."""
    from core.errors import InvalidInput
    from crm.segments import build_segment_store, load_segment

    try:
        definition = load_segment(file)
    except InvalidInput as exc:
        for problem in exc.details.get("errors", []) or []:
            typer.echo(f"{problem['file']}:{problem['loc']}: {problem['message']}", err=True)
        raise _fail(str(exc) if not exc.details.get("errors") else "the definition is invalid") from exc
    store = build_segment_store(home_settings(home), workspace=workspace)
    try:
        counts = store.upsert([definition])
    finally:
        store.close()
    verb = "added" if counts.created else "updated" if counts.updated else "unchanged"
    typer.echo(f"segment {definition.name!r} {verb}")


def _get(name: str, workspace: str, home: Path | None) -> tuple[object, object]:
    from crm.segments import build_segment_store, evaluate_segments

    settings = home_settings(home)
    store = build_segment_store(settings, workspace=workspace)
    try:
        definition = store.get(name)
    finally:
        store.close()
    if definition is None:
        raise _fail(f"no segment {name!r} in workspace {workspace!r}", 1)
    return settings, evaluate_segments(settings, workspace=workspace, definitions=[definition])[0]


@segment_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="The segment's name")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the definition and members as JSON")] = False,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """A segment's definition and the customers in it now."""
    from crm.segments import SegmentResult

    _, result = _get(name, workspace, home)
    assert isinstance(result, SegmentResult)
    if as_json:
        data = {
            "segment": result.segment.model_dump(mode="json"),
            "count": result.count,
            "customers": result.customers,
            "members": [{"id": c.id, "code": c.code, "name": c.name} for c in result.members],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    s = result.segment
    typer.echo(f"{s.name} (owner {s.owner}): {result.count} of {result.customers} customers")
    if s.description:
        typer.echo(f"  {s.description}")
    conditions = s.filter.model_dump(mode="json", exclude_defaults=True)
    typer.echo(
        "  filter: " + (json.dumps(conditions, ensure_ascii=False) if conditions else "every customer")
    )
    for c in result.members:
        typer.echo(f"  {c.code:<16} {c.name}")


@segment_app.command("export")
def export_cmd(
    name: Annotated[str, typer.Argument(help="The segment's name")],
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write")],
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """The segment's customers as CSV (with their value tier, RFM segment and churn risk)."""
    from core.settings import Settings
    from crm.scores import build_score_store
    from crm.segments import SegmentResult, write_csv

    settings, result = _get(name, workspace, home)
    assert isinstance(result, SegmentResult)
    assert isinstance(settings, Settings)
    scores = build_score_store(settings, workspace=workspace)
    try:
        by_id = {s.customer_id: s for s in scores.list()}
    finally:
        scores.close()
    rows = write_csv(result, out, by_id)
    typer.echo(f"wrote {rows} customers to {out}")


@segment_app.command("remove")
def remove_cmd(
    name: Annotated[str, typer.Argument(help="The segment's name")],
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Delete a segment definition (alert rules naming it then match no customer)."""
    from crm.segments import build_segment_store

    store = build_segment_store(home_settings(home), workspace=workspace)
    try:
        removed = store.delete([name])
    finally:
        store.close()
    if not removed:
        raise _fail(f"no segment {name!r} in workspace {workspace!r}", 1)
    typer.echo(f"segment {name!r} removed")
