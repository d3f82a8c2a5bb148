"""`earful crm remind --send` runs the reminders flow through this entry point (``earful.flows``:
``reminders``): crm/ owns the command but may not import flows/, and Prefect must be set up before it
is first imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.cli.run import configure_prefect

if TYPE_CHECKING:
    from core.settings import Settings
    from flows.reminders import RemindersReport


def send_reminders(*, settings: Settings, workspace: str) -> RemindersReport:
    """Run the reminders flow for `workspace` now (a flow run on Prefect's temporary local server
    unless a Prefect API is configured)."""
    configure_prefect(quiet=True)
    from flows.reminders import reminders_flow

    return reminders_flow(settings=settings, workspace=workspace)
