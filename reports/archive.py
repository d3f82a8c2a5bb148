"""The archive of built reports: every run's files (HTML, PDF, CSV zip, XLSX) and its record, on disk
under ``<settings.reports_dir>/<workspace>/<report>/<run id>/``, listed and downloaded by the API, the UI
and the CLI, attached to deliveries by path (the outbox keeps a path, never the bytes).

A run's id hashes (workspace, report, period start, period end, language): building the same report for
the same period again replaces its files and keeps one entry, so a schedule that fires twice archives (and
delivers) one report.
"""

from __future__ import annotations

from pydantic import Field

from core.models import AwareDatetime, Frozen
from core.settings import ReportLanguage
from reports.definitions import ReportFormat


class ArchivedFile(Frozen):
    format: ReportFormat
    filename: str = Field(description="Within the run's folder: <report>-<first day>[-<last day>].<ext>")
    media_type: str
    size: int = Field(ge=0)


class ArchivedReport(Frozen):
    """One built report, as `manifest.json` in its folder records it."""

    id: str
    workspace: str
    report: str = Field(description="The definition's name")
    title: str
    language: ReportLanguage
    timezone: str
    period_name: str
    start: AwareDatetime
    end: AwareDatetime
    built_at: AwareDatetime
    files: tuple[ArchivedFile, ...]
    total: int = Field(ge=0, description="Mentions the report counted (distinct, every brand)")
    brands: tuple[str, ...] = ()


__all__ = ["ArchivedFile", "ArchivedReport"]
