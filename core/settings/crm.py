"""Settings of the CRM side (`EARFUL_CRM__*`): the case workflow's rule and SLA policy (`crm.cases`);
reminders of birthdays, anniversaries and contract renewals (`crm.reminders`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

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


def check_zone(name: str) -> str:
    """`name` when it is an IANA time zone this machine knows; ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai or UTC)") from exc
    return name


ZoneName = Annotated[str, AfterValidator(check_zone)]


class ReminderSettings(Section):
    birthday_days: int = Field(7, ge=0, le=366, description="Days ahead a customer's birthday is announced")
    anniversary_days: int = Field(
        7, ge=0, le=366, description="Days ahead a customer's anniversary with the company is announced"
    )
    contract_renewal_days: int = Field(
        30, ge=0, le=3660, description="Days ahead a contract renewal is announced (a one-off date)"
    )
    leap_day: Literal["feb28", "mar1"] = Field(
        "feb28",
        description="Where a Feb 29 birthday or anniversary falls in a year without one: 'feb28' (the "
        "last day of February) or 'mar1' (the day after Feb 28)",
    )
    timezone: ZoneName = Field(
        "UTC",
        description="Time zone of an account owner who is not in the staff file (staff.yaml), and of "
        "customers without an owner",
    )
    send_hour: int = Field(
        8, ge=0, le=23, description="Local hour (owner's zone) from which that day's reminder digest is sent"
    )
    default_recipient: str = Field(
        "unassigned",
        min_length=1,
        description="Who receives the reminders of customers without an account owner (a staff id)",
    )
    default_channels: list[str] = Field(
        default_factory=list,
        description="Alert channels (names in channels.yaml) of owners the staff file does not list or "
        "gives no channels; empty: their digests are listed but not delivered",
    )
    default_language: Literal["en", "zh"] = Field(
        "en", description="Language of the digests of owners the staff file does not list: 'en' or 'zh'"
    )
    staff_file: Path | None = Field(
        None,
        description="The staff directory (YAML: id, name, timezone, channels, language); default "
        "'staff.yaml' in the workspace's directory under home",
    )


class CrmSettings(Section):
    cases: CaseSettings = Field(
        default_factory=CaseSettings, description="Cases: the complaint rule and the SLA policy"
    )
    reminders: ReminderSettings = Field(
        default_factory=ReminderSettings,
        description="Reminders of birthdays, anniversaries and contract renewals",
    )
