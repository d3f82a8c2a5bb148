"""`earful reports archive [NAME]`: the built reports of the workspace (all, or one definition's), newest
first, with the paths of their files."""

from __future__ import annotations

import json

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE


def archive_cmd(
    name: str | None = typer.Argument(None, help="Only this report's runs (default: every report's)"),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="At most this many runs"),
    as_json: bool = typer.Option(False, "--json", help="Print the runs (and file paths) as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Built reports, newest first: when, which report and period, and the path of each file."""
    from reports.archive import ReportArchive

    archive = ReportArchive(home_settings(home), workspace=workspace)
    runs = archive.list(name, limit=limit)
    paths = {
        run.id: {f.format.value: str(archive.folder(run) / f.filename) for f in run.files} for run in runs
    }
    if as_json:
        payload = [{**run.model_dump(mode="json"), "paths": paths[run.id]} for run in runs]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not runs:
        typer.echo(
            f"No built reports{f' of {name}' if name else ''} in workspace {workspace} "
            f"(folder {archive.root}): run one with `earful reports run NAME`."
        )
        return
    # one line per run, then its files' paths one per line: never folded, easy to copy
    for run in runs:
        typer.echo(
            f"{run.built_at:%Y-%m-%d %H:%M}  {run.report or '(ad hoc)'}  {run.period_name}  {run.language}  "
            f"{run.total} mentions  {run.id}"
        )
        for path in paths[run.id].values():
            typer.echo(f"  {path}")


__all__ = ["archive_cmd"]
