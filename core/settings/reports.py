"""Settings of brand managers' reports (`EARFUL_REPORTS__*`): where built reports are archived, and the
defaults a report definition falls back on."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from core.settings.base import Section
from core.settings.crm import ZoneName

ReportLanguage = Literal["en", "zh"]


class ReportsSettings(Section):
    archive_dir: Path | None = Field(
        None, description="Where built reports are kept, one folder per workspace (default <home>/reports)"
    )
    timezone: ZoneName = Field("UTC", description="Time zone of a report definition that names none")
    language: ReportLanguage = Field("en", description="Language of a report definition that names none")
    top: int = Field(10, ge=1, le=100, description="Rows of each top list (authors, sites, intents, reasons)")
    samples: int = Field(3, ge=0, le=20, description="Sample mentions shown per section of a report")
    public_url: str | None = Field(
        None,
        description="Address of the web UI as recipients reach it (https://earful.example.com); a "
        "delivered report links to its archived copy there when set",
    )
