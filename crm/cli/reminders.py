"""`earful crm remind`: the reminders due today for each account owner (a dry view), or `--send` to
deliver the due digests now through the alert channels.

The dry view shows every owner's digest for their local today, whatever the hour (the flow sends it
from ``crm.reminders.send_hour`` on). `--send` runs the reminders flow, which lives in flows/ (crm/ may
not import it): it is found through its ``earful.flows`` entry point, the way the root CLI finds every
package's commands.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

if TYPE_CHECKING:
    from core.settings import Settings
    from crm.reminders import OwnerDigest

FLOW_ENTRY_POINTS = "earful.flows"


def _print(found: list[OwnerDigest]) -> None:
    from crm.reminders import describe

    if not found:
        typer.echo("no reminders due")
    for item in found:
        recipient = item.recipient
        channels = ", ".join(recipient.channels) or "no channel: not delivered"
        typer.echo(
            f"{recipient.name} ({recipient.id})  {item.digest.day.isoformat()} {recipient.timezone}  "
            f"-> {channels}"
        )
        for reminder in item.digest.reminders:
            typer.echo(f"  {describe(reminder, recipient.language)}")


def _send(settings: Settings, workspace: str) -> Any:
    from importlib.metadata import entry_points

    for entry in entry_points(group=FLOW_ENTRY_POINTS, name="reminders"):
        send = entry.load()
        return send(settings=settings, workspace=workspace)
    typer.echo(f"no 'reminders' flow in the {FLOW_ENTRY_POINTS} entry points: is earful installed?", err=True)
    raise typer.Exit(2)


@crm_app.command("remind")
def remind_cmd(
    days: int | None = typer.Option(
        None, "--days", min=0, help="Days ahead for every kind (default: crm.reminders per kind)"
    ),
    owner: str | None = typer.Option(None, "--owner", help="Only this account owner's reminders"),
    as_json: bool = typer.Option(False, "--json", help="Print the digests as JSON"),
    send: bool = typer.Option(
        False, "--send", help="Deliver the digests due now through the alert channels (once a day per owner)"
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Birthdays, anniversaries and contract renewals coming up, as each account owner's digest."""
    from core.models import utcnow
    from core.settings import get_settings

    settings = get_settings()
    if send:
        if days is not None or owner is not None:
            typer.echo("--send delivers every due digest with the configured horizons", err=True)
            raise typer.Exit(2)
        report = _send(settings, workspace)
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
            return
        typer.echo(
            f"{len(report.digests)} digests ({report.reminders} reminders): {report.enqueued} enqueued, "
            f"{report.already_enqueued} already sent today, {report.delivered} delivered, "
            f"{report.pending} pending, {report.failed} failed"
        )
        for name in report.without_channel:
            typer.echo(f"  {name}: no channel (staff.yaml or crm.reminders.default_channels)")
        for error in report.errors:
            typer.echo(f"  error: {error}", err=True)
        if report.failed or report.errors:
            raise typer.Exit(1)
        return
    from crm.reminders import digest_view, workspace_digests

    found = workspace_digests(settings, workspace=workspace, now=utcnow(), days=days, owner=owner)
    if as_json:
        typer.echo(json.dumps([digest_view(item) for item in found], ensure_ascii=False, indent=2))
        return
    _print(found)
