"""Rendering a `ReportData`: HTML (self-contained), PDF (WeasyPrint), CSV (a zip of one CSV per table) and
XLSX (one sheet per table). Charts are rendered once to SVG and shared by the HTML and the PDF.

- `render_report(data, fmt)`: one format's bytes;
- `render_formats(data, formats)`: several, rendering the charts and the HTML once;
- `MEDIA_TYPES`, `FILE_EXTENSIONS` (without the dot): what the archive and the API serve them as.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import InvalidInput
from reports.data import ReportData
from reports.definitions import ReportFormat
from reports.labels import report_labels
from reports.render.charts import report_svg_charts
from reports.render.html import render_html
from reports.render.pdf import html_to_pdf
from reports.render.tables import local_time, report_tables, tables_csv_zip, tables_xlsx

__all__ = ["FILE_EXTENSIONS", "MEDIA_TYPES", "render_formats", "render_report", "report_svg_charts"]

MEDIA_TYPES: dict[ReportFormat, str] = {
    ReportFormat.html: "text/html; charset=utf-8",
    ReportFormat.pdf: "application/pdf",
    ReportFormat.csv: "application/zip",
    ReportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_EXTENSIONS: dict[ReportFormat, str] = {
    ReportFormat.html: "html",
    ReportFormat.pdf: "pdf",
    ReportFormat.csv: "csv.zip",
    ReportFormat.xlsx: "xlsx",
}


def render_formats(data: ReportData, formats: Iterable[ReportFormat | str]) -> dict[ReportFormat, bytes]:
    """Each of `formats` (in the order given, duplicates once) as bytes; the charts and the tables are
    built once whatever the number of formats."""
    wanted = list(dict.fromkeys(_format(fmt) for fmt in formats))
    words = report_labels(data.language)
    files: dict[ReportFormat, bytes] = {}
    charts = (
        report_svg_charts(data, words) if ReportFormat.html in wanted or ReportFormat.pdf in wanted else {}
    )
    tables = report_tables(data, words) if ReportFormat.csv in wanted or ReportFormat.xlsx in wanted else ()
    for fmt in wanted:
        if fmt is ReportFormat.html:
            files[fmt] = render_html(data, charts=charts).encode("utf-8")
        elif fmt is ReportFormat.pdf:
            files[fmt] = html_to_pdf(render_html(data, charts=charts, inline_charts=False))
        elif fmt is ReportFormat.csv:
            files[fmt] = tables_csv_zip(tables, when=local_time(data.generated_at, data.timezone))
        elif fmt is ReportFormat.xlsx:
            files[fmt] = tables_xlsx(
                tables, title=data.title, when=local_time(data.generated_at, data.timezone)
            )
    return files


def render_report(data: ReportData, fmt: ReportFormat | str) -> bytes:
    """The report in one format."""
    wanted = _format(fmt)
    return render_formats(data, (wanted,))[wanted]


def _format(fmt: ReportFormat | str) -> ReportFormat:
    try:
        return ReportFormat(fmt)
    except ValueError as exc:
        choices = ", ".join(f.value for f in ReportFormat)
        raise InvalidInput(
            f"unknown report format {fmt!r}: one of {choices}", details={"field": "format", "value": str(fmt)}
        ) from exc
