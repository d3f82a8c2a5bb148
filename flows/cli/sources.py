"""`earful sources status`: is each source alive, productive and fresh?

Reads the health the listen flow (and the spiders and connectors themselves) record after every run,
one file per source under ``EARFUL_CRAWL__HEALTH_DIR`` (default: ``health`` under Earful's home).
Light at import: no Prefect, no Scrapy; only the health store is read.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli_options import SourcesWorkspace
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from rich.console import Console

    from core.settings import Settings

sources_app = typer.Typer(help="The configured sources: their health.", no_args_is_help=True)

_STATE_STYLES = {
    "ok": "green",
    "never_run": "dim",
    "failing": "red",
    "stale": "yellow",
    "empty": "yellow",
    "degraded": "yellow",
}


def _settings(home: Path | None) -> Settings:
    from core.settings import Settings, get_settings

    return Settings(home=home.expanduser().resolve()) if home is not None else get_settings()


def health_rows(
    settings: Settings, config: Path | None = None, workspace: str | None = None
) -> tuple[str, list[dict[str, object]]]:
    """The workspace, and one row per source of it: those of the sources file (never-run ones
    included) when there is one, else every source with recorded health in the workspace.

    The workspace is `workspace` (the --workspace option), else the sources file's, else ``default``;
    a file naming another workspace than the one asked for is a ConfigError, as for `earful run`."""
    from crawlers.health import build_health_store
    from flows.sources_config import SourcesConfig

    path = config or settings.listen.sources_file
    names: list[str] | None = None
    if path is not None:
        sources = SourcesConfig.load(path)
        workspace = sources.workspace_for(workspace)
        names = [s.name for s in sources.sources]
    health = build_health_store(settings, workspace=workspace or DEFAULT_WORKSPACE)
    return health.workspace, health.status(names)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else "-"


def _hours(value: object) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def print_status(rows: list[dict[str, object]], console: Console, workspace: str = DEFAULT_WORKSPACE) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    title = f"Source health (workspace {escape(workspace)})"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (
        ("source", "left"),
        ("state", "left"),
        ("last success", "left"),
        ("items last run", "right"),
        ("runs", "right"),
        ("errors", "right"),
        ("rejected", "right"),
        ("failing runs", "right"),
        ("newest item", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        state = str(row["state"])
        items = row["items_last_run"]
        table.add_row(
            escape(str(row["source"])),
            f"[{_STATE_STYLES.get(state, '')}]{state}[/]",
            _when(row["last_success_at"]),
            "-" if items is None else str(items),
            str(row["runs"]),
            str(row["errors_total"]),
            str(row["rejected_total"]),
            str(row["consecutive_failures"]),
            _hours(row["freshness_hours"]) + (" ago" if row["freshness_hours"] is not None else ""),
        )
    console.print(table)
    for row in rows:
        if row["last_error"] and row["state"] == "failing":
            console.print(f"[red]{escape(str(row['source']))}: {escape(str(row['last_error']))}[/]")
    if not rows:
        console.print("[dim]No source has run yet: `earful run --config sources.yaml` records health.[/]")


@sources_app.command("status")
def status_cmd(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Sources file (YAML) whose sources to list; default EARFUL_LISTEN__SOURCES_FILE, else "
            "every source with recorded health",
            dir_okay=False,
        ),
    ] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Earful's home: database, spool, state", file_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON")] = False,
    workspace: SourcesWorkspace = None,
) -> None:
    """Per source of a workspace: state, last success, items last run, runs, error counts and freshness."""
    workspace, rows = health_rows(_settings(home), config, workspace)
    if as_json:
        typer.echo(json.dumps(rows, default=lambda v: v.isoformat(), ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    print_status(rows, Console(), workspace)
