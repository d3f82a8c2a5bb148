"""The CRM's settings: reminders (`crm.reminders`: birthdays, anniversaries, contract renewals)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from core.settings.base import Section


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


class CRMSettings(Section):
    reminders: ReminderSettings = Field(
        default_factory=ReminderSettings,
        description="Reminders of birthdays, anniversaries and contract renewals",
    )
