"""One run of a report definition: its brands loaded, its period resolved, its numbers built from the
stores, rendered in its formats and archived. What the report flow (`flows.reports`), ``earful reports
run`` and the API's "run now" all call; no delivery here (reports may not import alerts: the flow and
the API hand `report_delivery`'s primitives to `alerts.report_delivery`).

    archived = produce(mentions, report_store, archive, definition, period_name="last-week").archived
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from core.models import Frozen
from core.settings import ReportLanguage
from index.base import MentionStore
from reports.archive import ArchivedReport, ReportArchive
from reports.build import AlertLike, build_report
from reports.data import ReportData
from reports.definitions import ReportDefinition, ReportFormat
from reports.labels import report_label
from reports.manage import definition_brands
from reports.period import ReportPeriod, resolve_period
from reports.render import render_formats
from reports.store import ReportStore

if TYPE_CHECKING:
    from crm.customers import CustomerStore
    from crm.scores.store import ScoreStore


class ProducedReport(Frozen):
    """A run's numbers and its archived record (the summary of a delivery needs the numbers)."""

    data: ReportData
    archived: ArchivedReport


class DeliveryFile(Frozen):
    filename: str
    media_type: str = Field(description="Without parameters (application/pdf)")
    path: str = Field(description="The archived file")


class ReportDelivery(Frozen):
    """What a delivery of a run says, as primitives: the arguments of
    `alerts.report_delivery.report_message` (each file an `Attachment`)."""

    workspace: str
    run_id: str
    report: str
    title: str
    summary: str
    language: ReportLanguage
    html_body: str | None = Field(None, description="The archived HTML, when the report has one")
    files: tuple[DeliveryFile, ...] = Field((), description="Every archived file but the HTML (the body)")
    link: str | None = Field(None, description="The run in the web UI, when its address is known")


def definition_period(
    definition: ReportDefinition, period_name: str | None = None, now: datetime | None = None
) -> ReportPeriod:
    """The period a run covers: `period_name` (default: the definition's) at `now`, in its zone."""
    return resolve_period(period_name or definition.period, tz=definition.timezone, now=now)


def produce(
    mentions: MentionStore,
    report_store: ReportStore,
    archive: ReportArchive,
    definition: ReportDefinition,
    *,
    period_name: str | None = None,
    now: datetime | None = None,
    customers: CustomerStore | None = None,
    scores: ScoreStore | None = None,
    alerts: Sequence[AlertLike] = (),
    top: int = 10,
    samples: int = 3,
) -> ProducedReport:
    """Build, render and archive `definition`'s report for `period_name` (default: its own period) at
    `now` (default: the current time), keeping its numbers for the delivery. `alerts`: those fired in
    the period (the caller reads them from the alert store). The same period again replaces the run's
    files (one run id). NotFound for a brand that does not exist, InvalidInput for a period that does
    not resolve."""
    period = definition_period(definition, period_name, now)  # InvalidInput before anything is read
    brands = definition_brands(report_store, definition)
    data = build_report(
        mentions,
        brands,
        period,
        name=definition.name,
        title=definition.display_title,
        language=definition.language,
        customers=customers,
        scores=scores,
        alerts=alerts,
        top=top,
        samples=samples,
        now=now,
    )
    archived = archive.save(data, render_formats(data, definition.formats))
    return ProducedReport(data=data, archived=archived)


# --- what a delivery says ---------------------------------------------------------------------------
def period_dates(period: ReportPeriod, language: ReportLanguage) -> str:
    """The period's days as a reader says them: one date, or "<first> to <last>"."""
    first, last = period.first_day, period.last_day
    if first == last:
        return first.isoformat()
    return report_label("period.from_to", language, start=first.isoformat(), end=last.isoformat())


def report_title(data: ReportData) -> str:
    """The title of a delivery: the report's, and its dates."""
    return f"{data.title}: {period_dates(data.period, data.language)}"


def report_summary(data: ReportData) -> str:
    """The lines a delivery shows (chat channels show nothing else): the period and its zone, the
    mentions counted, and each brand's count and change against the previous period."""
    lang = data.language
    share = {row.brand: row.share for row in data.share_of_voice}
    lines = [
        f"{period_dates(data.period, lang)} ({data.timezone})",
        f"{report_label('cover.total', lang)}: {data.total:,}",
    ]
    for brand in data.brands:
        change = (
            report_label("highlight.change", lang, change=f"{brand.change_percent:+.1f}%")
            if brand.change_percent is not None
            else report_label("highlight.no_previous", lang)
        )
        sov = share.get(brand.brand)
        lines.append(
            report_label(
                "highlight.volume",
                lang,
                brand=brand.brand,
                count=f"{brand.total:,}",
                change=change,
                share="-" if sov is None else f"{sov:.1f}%",
            )
        )
    return "\n".join(lines)


def report_delivery(
    archive: ReportArchive, produced: ProducedReport, *, public_url: str | None
) -> ReportDelivery:
    """What delivering `produced` sends: its title and summary, its archived HTML as the body, its other
    archived files by path, and a link to the run in the web UI (``<public_url>/reports/archive/<run>``)."""
    archived, data = produced.archived, produced.data
    html_body: str | None = None
    files: list[DeliveryFile] = []
    for entry in archived.files:
        path = archive.file_path(archived.id, entry.format)
        if entry.format is ReportFormat.html:
            html_body = path.read_text(encoding="utf-8")
            continue
        media_type = entry.media_type.split(";", 1)[0].strip()
        files.append(DeliveryFile(filename=entry.filename, media_type=media_type, path=str(path)))
    link = f"{public_url.rstrip('/')}/reports/archive/{archived.id}" if public_url else None
    return ReportDelivery(
        workspace=archived.workspace,
        run_id=archived.id,
        report=archived.report,
        title=report_title(data),
        summary=report_summary(data),
        language=data.language,
        html_body=html_body,
        files=tuple(files),
        link=link,
    )


__all__ = [
    "DeliveryFile",
    "ProducedReport",
    "ReportDelivery",
    "definition_period",
    "period_dates",
    "produce",
    "report_delivery",
    "report_summary",
    "report_title",
]
