"""`earful reports run` runs the report flow through this entry point (``earful.flows``: ``report``):
reports/ owns the command but may not import flows/, and Prefect must be set up before it is first
imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.cli.run import configure_prefect

if TYPE_CHECKING:
    from core.settings import Settings
    from flows.reports import ReportRun


def run_report(
    *, settings: Settings, workspace: str, report: str, period: str | None = None, deliver: bool = True
) -> ReportRun:
    """Run the report flow for `report` of `workspace` now (a flow run on Prefect's temporary local
    server unless a Prefect API is configured)."""
    configure_prefect(quiet=True)
    from flows.reports import report_flow

    return report_flow(workspace=workspace, report=report, period=period, deliver=deliver, settings=settings)
