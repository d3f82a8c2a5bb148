"""A report definition: which brands, over which period, in which language and time zone, in which
formats, on which schedule, delivered to which channels. Stored per workspace (`reports.store`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from core.models import AwareDatetime, Frozen, utcnow
from core.settings import ReportLanguage, ZoneName
from reports.brands import brand_key
from reports.period import check_period_name
from reports.schedule import ReportSchedule


class ReportFormat(StrEnum):
    html = "html"  # self-contained: inline SVG charts and CSS, no external request
    pdf = "pdf"
    csv = "csv"  # a zip of one CSV per table
    xlsx = "xlsx"  # one sheet per table


#: The extension of each format's file (a CSV report is a zip of CSVs), and its media type.
FILE_EXTENSIONS: dict[ReportFormat, str] = {
    ReportFormat.html: "html",
    ReportFormat.pdf: "pdf",
    ReportFormat.csv: "zip",
    ReportFormat.xlsx: "xlsx",
}
MEDIA_TYPES: dict[ReportFormat, str] = {
    ReportFormat.html: "text/html; charset=utf-8",
    ReportFormat.pdf: "application/pdf",
    ReportFormat.csv: "application/zip",
    ReportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

PeriodName = Annotated[str, AfterValidator(check_period_name)]
DEFAULT_FORMATS = (ReportFormat.html, ReportFormat.pdf, ReportFormat.csv)


class ReportDefinition(Frozen):
    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Letters, digits, '-', '_', '.': it names files and URLs",
    )
    title: str = Field("", max_length=200, description="Shown on the report; defaults to the name")
    brands: tuple[str, ...] = Field((), description="Brand names, in the order shown; empty: every brand")
    period: PeriodName = "last-week"
    timezone: ZoneName = Field("UTC", description="Of the period, the schedule and every date shown")
    language: ReportLanguage = "en"
    formats: tuple[ReportFormat, ...] = DEFAULT_FORMATS
    schedule: ReportSchedule | None = None
    channels: tuple[str, ...] = Field((), description="Alert channels (by name) it is delivered through")
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @field_validator("brands")
    @classmethod
    def _distinct_brands(cls, brands: tuple[str, ...]) -> tuple[str, ...]:
        keys = [brand_key(b) for b in brands]
        if len(set(keys)) != len(keys):
            raise ValueError("a brand is named twice")
        return brands

    @field_validator("formats")
    @classmethod
    def _some_format(cls, formats: tuple[ReportFormat, ...]) -> tuple[ReportFormat, ...]:
        if not formats:
            raise ValueError("a report needs at least one format")
        return tuple(dict.fromkeys(formats))

    @property
    def display_title(self) -> str:
        return self.title or self.name


__all__ = [
    "DEFAULT_FORMATS",
    "FILE_EXTENSIONS",
    "MEDIA_TYPES",
    "PeriodName",
    "ReportDefinition",
    "ReportFormat",
]
