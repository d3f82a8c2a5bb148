"""`earful reports run` runs the report flow through this entry point (``earful.flows``: ``report``):
reports/ owns the command but may not import flows/, and Prefect must be set up before it is first
imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.cli.run import configure_prefect

if TYPE_CHECKING:
    from core.settings import Settings
    from flows.reports import ReportRun


def check_run(*, settings: Settings, workspace: str, report: str, period: str | None, deliver: bool) -> None:
    """What the flow would refuse (an unknown report, a period that does not resolve, a channel the
    workspace does not define), refused before Prefect starts: a clear error, no failed flow run."""
    from alerts.report_delivery import report_channels
    from reports.manage import find_report
    from reports.produce import definition_period
    from reports.store import build_report_store

    store = build_report_store(settings, workspace=workspace)
    try:
        store.ensure_ready()
        definition = find_report(store, report)
        definition_period(definition, period)
        if deliver:
            report_channels(settings, workspace=workspace, report=report, channels=definition.channels)
    finally:
        store.close()


def run_report(
    *, settings: Settings, workspace: str, report: str, period: str | None = None, deliver: bool = True
) -> ReportRun:
    """Run the report flow for `report` of `workspace` now (a flow run on Prefect's temporary local
    server unless a Prefect API is configured)."""
    check_run(settings=settings, workspace=workspace, report=report, period=period, deliver=deliver)
    configure_prefect(quiet=True)
    from flows.reports import report_flow

    return report_flow(workspace=workspace, report=report, period=period, deliver=deliver, settings=settings)
