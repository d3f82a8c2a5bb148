"""Settings of the CRM side (`EARFUL_CRM__*`): for now the case workflow's rule and SLA policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.settings.base import Seconds, Section

CasePriorityName = Literal["low", "normal", "high", "urgent"]


class CaseSettings(Section):
    """How complaints become cases, and the SLA policy per priority. SLA timers run on calendar time
    (24/7): complaints on social platforms arrive around the clock, and a small company has no
    business calendar to configure."""

    join_days: int = Field(
        7,
        ge=0,
        description="A complaint joins the customer's open case if the case was opened or last updated "
        "at most this many days before the complaint; otherwise it opens a new case",
    )
    default_priority: CasePriorityName = Field(
        "normal", description="Priority of a case opened from a complaint mention"
    )
    first_response_urgent: Seconds = Field(
        3600.0, gt=0, description="Time to the first response of an urgent case (seconds, or 30m, 4h, 3d)"
    )
    first_response_high: Seconds = Field(
        4 * 3600.0, gt=0, description="Time to the first response of a high-priority case"
    )
    first_response_normal: Seconds = Field(
        8 * 3600.0, gt=0, description="Time to the first response of a normal case"
    )
    first_response_low: Seconds = Field(
        24 * 3600.0, gt=0, description="Time to the first response of a low-priority case"
    )
    resolution_urgent: Seconds = Field(
        86400.0, gt=0, description="Time to the resolution of an urgent case (seconds, or 30m, 4h, 3d)"
    )
    resolution_high: Seconds = Field(
        2 * 86400.0, gt=0, description="Time to the resolution of a high-priority case"
    )
    resolution_normal: Seconds = Field(
        3 * 86400.0, gt=0, description="Time to the resolution of a normal case"
    )
    resolution_low: Seconds = Field(
        7 * 86400.0, gt=0, description="Time to the resolution of a low-priority case"
    )

    def first_response(self, priority: str) -> float:
        """Seconds allowed before the first response, for a priority name."""
        return float(getattr(self, f"first_response_{priority}"))

    def resolution(self, priority: str) -> float:
        """Seconds allowed before resolution, for a priority name."""
        return float(getattr(self, f"resolution_{priority}"))


class CrmSettings(Section):
    cases: CaseSettings = Field(
        default_factory=CaseSettings, description="Cases: the complaint rule and the SLA policy"
    )
