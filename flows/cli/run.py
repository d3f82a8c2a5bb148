"""`earful run` and `earful listen [--follow]`. Nothing heavy at import: Prefect loads inside the
commands, after its environment is set (Prefect reads its settings when it is imported)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli_options import SourcesWorkspace

if TYPE_CHECKING:
    from rich.console import Console

    from core.settings import Settings
    from flows.follow import FollowReport
    from flows.listen import AlertsSummary, ListenReport, SourceReport


def configure_prefect(prefect_home: Path | None = None, *, quiet: bool = True) -> None:
    """Run flows in-process with no Prefect server to install: when no API URL is configured, Prefect
    starts a temporary local one (ephemeral mode). Call before the first `import prefect`.

    `prefect_home` isolates Prefect's state (its SQLite database, profiles) under Earful's home;
    `quiet` keeps Prefect's own INFO chatter off the terminal (our errors still print)."""
    if "prefect" in sys.modules:  # too late to change Prefect's settings; keep what is there
        return
    if prefect_home is not None:
        prefect_home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(prefect_home)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_ENABLED", "true")
    # Its default (20 s) is too short for a first start on a small or busy machine (imports, migrations).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # The temporary server logs ERRORs when it is stopped while flushing its own bookkeeping events;
        # none of it concerns our data, and our errors go through our own loggers.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # offline: nothing phones home


def _settings(home: Path | None) -> Settings:
    from core.settings import Settings, get_settings

    return Settings(home=home.expanduser().resolve()) if home is not None else get_settings()


_Store = Annotated[str | None, typer.Option("--store", help="Mention store: sqlite or elasticsearch")]
_Home = Annotated[
    Path | None, typer.Option("--home", help="Earful's home: database, spool, state", file_okay=False)
]


_Config = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Sources file (YAML); default EARFUL_LISTEN__SOURCES_FILE", dir_okay=False
    ),
]
_MaxBatches = Annotated[
    int | None, typer.Option("--max-batches", min=1, help="Stop each source after N batches")
]
_BatchSize = Annotated[int | None, typer.Option("--batch-size", min=1, help="Mentions per batch")]
_Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]


def run_cmd(
    config: _Config = None,
    store: _Store = None,
    home: _Home = None,
    max_batches: _MaxBatches = None,
    batch_size: _BatchSize = None,
    as_json: _Json = False,
    workspace: SourcesWorkspace = None,
) -> None:
    """Listen once to the configured sources for one workspace: fetch, enrich, index, save cursors;
    print the report."""
    settings = _settings(home)
    configure_prefect(quiet=True)
    from core.errors import ListenIncomplete
    from flows.listen import listen_flow, load_sources_config

    sources = load_sources_config(config, settings)  # a bad file fails here, before Prefect starts
    # so does a file of another workspace; the run's sources then name the workspace they are for
    sources = sources.model_copy(update={"workspace": sources.workspace_for(workspace)})
    try:
        report = listen_flow(
            sources=sources, settings=settings, store=store, max_batches=max_batches, batch_size=batch_size
        )
        code = 0
    except ListenIncomplete as exc:
        report, code = exc.report, 1
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        from rich.console import Console

        print_report(report, Console())
    raise typer.Exit(code)


def listen_cmd(
    config: _Config = None,
    store: _Store = None,
    home: _Home = None,
    max_batches: _MaxBatches = None,
    batch_size: _BatchSize = None,
    as_json: _Json = False,
    workspace: SourcesWorkspace = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Keep listening, each source at its poll_interval, until Ctrl-C/SIGTERM"
        ),
    ] = False,
    follow_for: Annotated[
        float | None,
        typer.Option(
            "--for", min=0.001, help="With --follow: stop after SECONDS (default EARFUL_LISTEN__FOLLOW_FOR)"
        ),
    ] = None,
) -> None:
    """Listen to the configured sources for one workspace: once (like `earful run`), or with --follow
    continuously, in micro-batches, until interrupted; print what it did."""
    if not follow:
        if follow_for is not None:
            raise typer.BadParameter("--for needs --follow", param_hint="--for")
        run_cmd(config, store, home, max_batches, batch_size, as_json, workspace)
        return
    if max_batches is not None:
        raise typer.BadParameter(
            "--max-batches is for one run; --follow runs until stopped", param_hint="--max-batches"
        )
    settings = _settings(home)
    configure_prefect(quiet=True)  # follow runs no flow, but flows/ imports Prefect: set it up first
    import threading

    from flows.follow import follow_listen, stop_on_signals
    from flows.listen import load_sources_config

    sources = load_sources_config(config, settings)  # a bad file fails here, before anything starts
    sources = sources.model_copy(update={"workspace": sources.workspace_for(workspace)})
    with stop_on_signals(threading.Event()) as stop:
        report = follow_listen(
            sources=sources,
            settings=settings,
            store=store,
            batch_size=batch_size,
            follow_for=follow_for,
            stop=stop,
        )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        from rich.console import Console

        print_follow_report(report, Console())
    raise typer.Exit(0)


def print_follow_report(report: FollowReport, console: Console) -> None:
    from rich import box
    from rich.table import Table

    seconds = (report.finished_at - report.started_at).total_seconds() if report.finished_at else 0.0
    why = {"stop": "stopped", "limit": "time limit reached", None: "ended"}[report.stopped_by]
    title = (
        f"Followed for {seconds:.0f}s ({why}), workspace {report.workspace}: {report.flushes} micro-batches"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ("polls", "fetched", "indexed", "spooled", "rejected", "failures")
    table.add_column("source")
    table.add_column("status")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_column("cursor", overflow="fold")
    for s in report.sources:
        style = {"ok": "green", "failing": "red", "disabled": "dim"}[s.status]
        values = [str(getattr(s, c)) for c in columns]
        table.add_row(s.source, f"[{style}]{s.status}[/]", *values, s.cursor or "")
    console.print(table)
    if report.drained_files:
        console.print(f"Spool: drained {report.drained_files} batch(es), {report.drained_mentions} mentions")
    if report.spool_waiting:
        console.print(
            f"[yellow]Spool: {report.spool_waiting} batch(es) wait for the store; the next run drains them[/]"
        )
    for s in report.sources:
        if s.disabled_reason:
            console.print(f"[dim]{s.source}: disabled ({s.disabled_reason})[/]")
        if s.last_error:
            console.print(f"[red]{s.source}: last error: {s.last_error}[/]", highlight=False)
    for count, what in (
        (report.hook_errors, "after-write hook failures"),
        (report.background_errors, "background task failures"),
        (report.cursor_errors, "cursor saves retried"),
    ):
        if count:
            console.print(f"[yellow]{count} {what} (see the log)[/]")
    print_alerts(report.alerts, console)


def print_report(report: ListenReport, console: Console) -> None:
    from rich import box
    from rich.table import Table

    # Narrow terminals: only the columns that say something for this run.
    columns: dict[str, Callable[[SourceReport], object]] = {
        "batches": lambda r: r.batches,
        "fetched": lambda r: r.fetched,
        "indexed": lambda r: r.indexed,
    }
    if any(r.created != r.indexed for r in report.sources):
        columns["new"] = lambda r: r.created
    columns["rejected"] = lambda r: r.rejected
    if any(r.spooled for r in report.sources):
        columns["spooled"] = lambda r: len(r.spooled)
    title = f"Listen run (workspace {report.workspace})" if report.workspace else "Listen run"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("source")
    table.add_column("status")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_column("cursor", overflow="fold")
    for s in report.sources:
        style = {"ok": "green", "failed": "red", "skipped": "red", "disabled": "dim"}[s.status]
        values = [str(get(s)) for get in columns.values()]
        table.add_row(s.source, f"[{style}]{s.status}[/]", *values, s.cursor or "")
    console.print(table)
    if report.drain.files or report.drain.errors:
        console.print(
            f"Spool: drained {report.drain.files} batch(es), {report.drain.mentions} mentions; "
            f"{report.drain.remaining} waiting"
        )
    for s in report.sources:
        if s.disabled_reason:
            console.print(f"[dim]{s.source}: disabled ({s.disabled_reason})[/]")
        for error in s.errors:
            console.print(f"[red]{s.source}: {error}[/]", highlight=False)
        for path in s.spooled:
            console.print(f"[yellow]{s.source}: batch kept in {path}; it is indexed on the next run[/]")
        for item in s.rejected_samples:
            console.print(f"[yellow]{s.source}: rejected {item.locator}: {item.reason}[/]", highlight=False)
        if s.rejected > len(s.rejected_samples) and s.rejected_file:
            console.print(
                f"[yellow]{s.source}: … {s.rejected - len(s.rejected_samples)} more in {s.rejected_file}[/]"
            )
    for error in [*report.drain.errors, *report.drain.after_write_errors]:
        console.print(f"[red]spool: {error}[/]", highlight=False)
    print_alerts(report.alerts, console)


def print_alerts(alerts: AlertsSummary | None, console: Console) -> None:
    """The alerts line of a run's report (nothing when the workspace has no rules)."""
    if alerts is not None and (alerts.rules or alerts.pending or alerts.errors):
        console.print(
            f"Alerts: {alerts.raised} raised, {alerts.delivered} delivered, {alerts.pending} pending, "
            f"{alerts.failed} failed ({alerts.rules} rules, {alerts.matched} matches"
            + (f", {alerts.duplicates} already raised" if alerts.duplicates else "")
            + (f", {alerts.muted} muted" if alerts.muted else "")
            + ")"
        )
        for name, reason in alerts.disabled_channels.items():
            console.print(f"[yellow]channel {name}: disabled ({reason})[/]", highlight=False)
        for error in alerts.errors:
            console.print(f"[red]alerts: {error}[/]", highlight=False)
