"""`earful reports run NAME [--period last-week] [--no-deliver]`: build, archive and deliver one report now.

It runs the report flow (`flows.reports`), which lives in flows/ (reports/ may not import it): the flow
is found through its ``earful.flows`` entry point ``report``, as ``earful crm remind --send`` finds the
reminders flow. Prints the archived files' paths and where each delivery stands; a delivery that waits
for a retry (a mail server down) stays in the outbox and is not an error, one that failed is (status 1).
"""

from __future__ import annotations

from typing import Any

import typer

from core.cli_errors import FAILED
from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE

FLOW_ENTRY_POINTS = "earful.flows"


def _flow() -> Any:
    from importlib.metadata import entry_points

    for entry in entry_points(group=FLOW_ENTRY_POINTS, name="report"):
        return entry.load()
    typer.echo(
        f"error: no 'report' flow in the {FLOW_ENTRY_POINTS} entry points: is earful installed?", err=True
    )
    raise typer.Exit(FAILED)


def run_cmd(
    name: str = typer.Argument(..., help="The report definition's name"),
    period: str | None = typer.Option(
        None,
        "--period",
        help="yesterday, today, last-week, this-week, last-month, this-month, last-N-days or "
        "YYYY-MM-DD..YYYY-MM-DD (default: the definition's)",
    ),
    deliver: bool = typer.Option(
        True, "--deliver/--no-deliver", help="Deliver it through the definition's channels (default: yes)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what the run did as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Build, archive and deliver a report now; the same period again archives it again and delivers
    nothing twice."""
    settings = home_settings(home)
    # The flow's entry point refuses a typo (report, period, channel) before Prefect starts.
    run = _flow()(settings=settings, workspace=workspace, report=name, period=period, deliver=deliver)
    if as_json:
        typer.echo(run.model_dump_json(indent=2))
    else:
        typer.echo(
            f"{run.report}  {run.period}  {run.start:%Y-%m-%d %H:%M %Z} to {run.end:%Y-%m-%d %H:%M %Z}  "
            f"{run.total} mentions  run {run.run_id}"
        )
        for path in run.files:
            typer.echo(f"  {path}")
        if not deliver:
            typer.echo("not delivered (--no-deliver)")
        elif not run.deliveries:
            typer.echo("no channel to deliver to (the definition names none)")
        for item in run.deliveries:
            attempts = f", {item.attempts} attempts" if item.attempts > 1 else ""
            why = f": {item.reason}" if item.reason and item.state.value != "sent" else ""
            typer.echo(f"  -> {item.channel}: {item.state.value}{attempts}{why}")
        if run.already_enqueued:
            typer.echo(f"{run.already_enqueued} deliveries of this period were enqueued by an earlier run")
        for channel, reason in run.disabled_channels.items():
            typer.echo(f"warning: channel {channel} disabled: {reason}", err=True)
        for error in run.errors:
            typer.echo(f"error: {error}", err=True)
    if run.errors or any(item.state.value == "failed" for item in run.deliveries):
        raise typer.Exit(FAILED)


__all__ = ["run_cmd"]
