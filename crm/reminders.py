"""Reminders: customers' birthdays, anniversaries and contract renewals a few days ahead, as one daily
digest per account owner. A pure library: the flow (`flows.reminders`) delivers the digests through
the alert channels, the CLI (`earful crm remind`) and the UI show them.

- **Yearly dates** (birthday, anniversary) recur on their month and day. A **Feb 29** date falls, in a
  year without one, on Feb 28 (``leap_day="feb28"``, the default: still in the birthday's month, the
  common legal and social reading) or on Mar 1 (``"mar1"``); ``settings.crm.reminders.leap_day`` picks.
  The reminder says the age or the years ("turns 40", "5 years as a customer").
- **Contract renewal** is a one-off date: announced when it lies within its horizon, never again after.
- **Horizons** are per kind (``settings.crm.reminders``: 7 days for birthdays and anniversaries, 30 for
  renewals by default): a date ``today <= d <= today + N`` is due.
- **Order**: key customers first: value tier ``key`` (the 80/20 tier from the scores, through an
  optional callable) then the master-file tier (platinum to standard), then by date.
- **Time zones**: an owner's "today" is the date in the owner's zone (`crm.staff`), and that day's digest
  is due from ``send_hour`` local time; its id (owner + local date) makes delivering it idempotent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, model_validator

from core.models import Customer, Tier
from core.settings import ReminderSettings, Settings
from crm.staff import Language, Recipient, StaffDirectory, owner_key, workspace_staff

LeapDay = Literal["feb28", "mar1"]
#: The callable that gives a customer's value tier (crm.scores): "key" for the 80/20 customers.
ValueTier = Callable[[Customer], str | None]
KEY_VALUE_TIER = "key"
_TIER_RANK = {tier: rank for rank, tier in enumerate(Tier)}  # platinum first, standard last


class ReminderKind(StrEnum):
    birthday = "birthday"
    anniversary = "anniversary"
    contract_renewal = "contract_renewal"


YEARLY = frozenset({ReminderKind.birthday, ReminderKind.anniversary})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # What model_dump adds (computed ids and flags) reads back: the JSON the UI gets round-trips.
        if isinstance(data, dict):
            derived = cls.model_computed_fields
            data = {k: v for k, v in data.items() if k not in derived}
        return data


class Reminder(_Frozen):
    """One date of one customer, seen from `as_of` (the owner's local today)."""

    kind: ReminderKind
    customer_id: str
    customer_code: str
    customer_name: str
    owner: str = Field(description="The account owner, or the default recipient for customers without one")
    on: date = Field(description="The day it falls on (this year's or next year's for yearly dates)")
    original: date = Field(description="The date in the master file (birth date, anniversary, renewal)")
    as_of: date = Field(description="The owner's local date the reminder was computed for")
    days_until: int = Field(ge=0)
    years: int | None = Field(None, description="Age turned or years as a customer; None for renewals")
    tier: Tier = Tier.standard
    value_tier: str | None = Field(None, description="Value tier from the scores, when known")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.customer_id}:{self.on.isoformat()}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def key(self) -> bool:
        """A key customer: the 80/20 value tier, or a platinum or gold account."""
        return self.value_tier == KEY_VALUE_TIER or self.tier in (Tier.platinum, Tier.gold)


def _rank(reminder: Reminder) -> tuple[int, int, date, int, str]:
    kinds = list(ReminderKind)
    return (
        0 if reminder.value_tier == KEY_VALUE_TIER else 1,
        _TIER_RANK[reminder.tier],
        reminder.on,
        kinds.index(reminder.kind),
        reminder.customer_code,
    )


def digest_id(owner: str, day: date) -> str:
    """The digest's id, its idempotency key in the outbox: one digest per owner per local day."""
    digest = hashlib.blake2b(owner_key(owner).encode("utf-8"), digest_size=8).hexdigest()
    return f"reminders-{day.isoformat()}-{digest}"


class ReminderDigest(_Frozen):
    """An owner's reminders for one local day, key customers first."""

    owner: str
    day: date
    reminders: tuple[Reminder, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return digest_id(self.owner, self.day)


class OwnerDigest(_Frozen):
    """A digest with its recipient resolved (zone, channels, language) and the instant it was due."""

    recipient: Recipient
    digest: ReminderDigest
    local_time: AwareDatetime = Field(description="The computing instant in the recipient's zone")


# --- dates ---------------------------------------------------------------------------------------
def yearly_occurrence(original: date, year: int, *, leap_day: LeapDay = "feb28") -> date:
    """`original`'s month and day in `year`; Feb 29 in a common year is Feb 28 or Mar 1 (`leap_day`)."""
    try:
        return original.replace(year=year)
    except ValueError:  # Feb 29 in a year without one
        return date(year, 2, 28) if leap_day == "feb28" else date(year, 3, 1)


def next_occurrence(original: date, today: date, *, leap_day: LeapDay = "feb28") -> date:
    """The first yearly occurrence of `original` on or after `today` (and not before `original`)."""
    found = yearly_occurrence(original, today.year, leap_day=leap_day)
    if found < today:
        found = yearly_occurrence(original, today.year + 1, leap_day=leap_day)
    return max(found, original)


def horizons(settings: ReminderSettings, days: int | None = None) -> dict[ReminderKind, int]:
    """Days ahead per kind: the settings', or `days` for every kind (the CLI's ``--days``)."""
    if days is not None:
        return dict.fromkeys(ReminderKind, days)
    return {
        ReminderKind.birthday: settings.birthday_days,
        ReminderKind.anniversary: settings.anniversary_days,
        ReminderKind.contract_renewal: settings.contract_renewal_days,
    }


def _dates(customer: Customer) -> Iterable[tuple[ReminderKind, date]]:
    for kind, value in (
        (ReminderKind.birthday, customer.birthday),
        (ReminderKind.anniversary, customer.anniversary),
        (ReminderKind.contract_renewal, customer.contract_renewal),
    ):
        if value is not None:
            yield kind, value


def due_reminders(
    customers: Iterable[Customer],
    *,
    today: date,
    horizon: int | Mapping[ReminderKind, int],
    value_tier: ValueTier | None = None,
    leap_day: LeapDay = "feb28",
    default_owner: str = "unassigned",
) -> list[Reminder]:
    """The reminders falling within `horizon` days of `today` (a number for every kind, or one per
    kind; a kind missing from the mapping is not reminded), key customers first, then by date."""
    ahead = dict.fromkeys(ReminderKind, horizon) if isinstance(horizon, int) else dict(horizon)
    out: list[Reminder] = []
    for customer in customers:
        tier_of_value: str | None = None
        looked_up = False
        for kind, original in _dates(customer):
            if kind not in ahead:
                continue
            on = next_occurrence(original, today, leap_day=leap_day) if kind in YEARLY else original
            days_until = (on - today).days
            if not 0 <= days_until <= ahead[kind]:
                continue
            if not looked_up and value_tier is not None:  # once per customer, only when needed
                tier_of_value, looked_up = value_tier(customer), True
            years = on.year - original.year if kind in YEARLY else None
            out.append(
                Reminder(
                    kind=kind,
                    customer_id=customer.id,
                    customer_code=customer.code,
                    customer_name=customer.name,
                    owner=(customer.owner or "").strip() or default_owner,
                    on=on,
                    original=original,
                    as_of=today,
                    days_until=days_until,
                    years=years if years and years > 0 else None,
                    tier=customer.tier,
                    value_tier=tier_of_value,
                )
            )
    return sorted(out, key=_rank)


def digests(reminders: Iterable[Reminder]) -> list[ReminderDigest]:
    """One digest per owner (compared without case) and local day, key customers first; by owner."""
    groups: dict[tuple[str, date], list[Reminder]] = {}
    for reminder in reminders:
        groups.setdefault((owner_key(reminder.owner), reminder.as_of), []).append(reminder)
    return [
        ReminderDigest(owner=items[0].owner, day=day, reminders=tuple(sorted(items, key=_rank)))
        for (_, day), items in sorted(groups.items(), key=lambda entry: entry[0])
    ]


def owner_digests(
    customers: Iterable[Customer],
    *,
    now: datetime,
    staff: StaffDirectory,
    settings: ReminderSettings,
    value_tier: ValueTier | None = None,
    days: int | None = None,
    due_only: bool = True,
) -> list[OwnerDigest]:
    """Each owner's digest for their local today at `now` (aware). With `due_only`, only owners whose
    local time is at or after ``settings.send_hour``; owners with nothing due get no digest."""
    by_owner: dict[str, list[Customer]] = {}
    for customer in customers:
        owner = (customer.owner or "").strip() or settings.default_recipient
        by_owner.setdefault(owner_key(owner), []).append(customer)
    out: list[OwnerDigest] = []
    for group in by_owner.values():
        recipient = staff.resolve((group[0].owner or "").strip() or settings.default_recipient, settings)
        local = now.astimezone(ZoneInfo(recipient.timezone))
        if due_only and local.hour < settings.send_hour:
            continue
        found = due_reminders(
            group,
            today=local.date(),
            horizon=horizons(settings, days),
            value_tier=value_tier,
            leap_day=settings.leap_day,
            default_owner=settings.default_recipient,
        )
        if found:
            # One owner however the master file spells them: the staff file's id names the digest.
            found = [r.model_copy(update={"owner": recipient.id}) for r in found]
            for digest in digests(found):
                out.append(OwnerDigest(recipient=recipient, digest=digest, local_time=local))
    return sorted(out, key=lambda d: owner_key(d.recipient.id))


def stored_value_tiers(settings: Settings, *, workspace: str) -> ValueTier:
    """Each customer's value tier from `workspace`'s score store (read once now; None for a customer
    never scored): what puts key customers first in the CLI, the API and the flow."""
    from crm.scores import build_score_store

    with build_score_store(settings, workspace=workspace) as scores:
        tiers = {s.customer_id: s.tier.value for s in scores.list() if s.tier is not None}
    return lambda customer: tiers.get(customer.id)


def workspace_digests(
    settings: Settings,
    *,
    workspace: str,
    now: datetime,
    staff: StaffDirectory | None = None,
    value_tier: ValueTier | None = None,
    days: int | None = None,
    owner: str | None = None,
    due_only: bool = False,
) -> list[OwnerDigest]:
    """`owner_digests` over the workspace's customer directory and staff file (or `staff`): what the
    CLI, the API and the flow show or send. `value_tier` defaults to the stored scores' tiers; `owner`
    keeps one owner's digest."""
    from crm.customers import build_customer_directory

    staff = staff if staff is not None else workspace_staff(settings, workspace=workspace)
    value_tier = value_tier if value_tier is not None else stored_value_tiers(settings, workspace=workspace)
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        found = owner_digests(
            directory.iter_all(),
            now=now,
            staff=staff,
            settings=settings.crm.reminders,
            value_tier=value_tier,
            days=days,
            due_only=due_only,
        )
    finally:
        directory.close()
    if owner is not None:
        found = [d for d in found if owner_key(d.recipient.id) == owner_key(owner)]
    return found


def digest_view(item: OwnerDigest) -> dict[str, Any]:
    """A digest as JSON for people and the UI: every reminder's fields and its line of text in the
    recipient's language."""
    language = item.recipient.language
    return {
        "id": item.digest.id,
        "day": item.digest.day.isoformat(),
        "local_time": item.local_time.isoformat(),
        "recipient": item.recipient.model_dump(mode="json"),
        "reminders": [
            {**r.model_dump(mode="json"), "text": describe(r, language)} for r in item.digest.reminders
        ],
    }


# --- words (English and Chinese) -----------------------------------------------------------------
KIND_LABELS: Mapping[Language, Mapping[ReminderKind, str]] = {
    "en": {
        ReminderKind.birthday: "Birthdays",
        ReminderKind.anniversary: "Anniversaries",
        ReminderKind.contract_renewal: "Contract renewals",
    },
    "zh": {
        ReminderKind.birthday: "生日",
        ReminderKind.anniversary: "周年纪念",
        ReminderKind.contract_renewal: "合同续约",
    },
}


def _when(days: int, language: Language) -> str:
    if language == "zh":
        return "今天" if days == 0 else "明天" if days == 1 else f"{days} 天后"
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def subject(reminder: Reminder, language: Language = "en") -> str:
    """Who: "Li Lei (C001)", "李雷（C001）", starred for a key customer."""
    star = "★ " if reminder.key else ""
    if language == "zh":
        return f"{star}{reminder.customer_name}（{reminder.customer_code}）"
    return f"{star}{reminder.customer_name} ({reminder.customer_code})"


def detail(reminder: Reminder, language: Language = "en") -> str:
    """What and when: "birthday on 2026-03-01 (in 3 days), turns 40"."""
    day, when, years = reminder.on.isoformat(), _when(reminder.days_until, language), reminder.years
    if language == "zh":
        text = f"{day} {KIND_LABELS['zh'][reminder.kind]}（{when}）"
        if years and reminder.kind is ReminderKind.birthday:
            text += f"，满 {years} 岁"
        elif years:
            text += f"，成为客户 {years} 年"
        return text
    what = {
        ReminderKind.birthday: "birthday",
        ReminderKind.anniversary: "anniversary",
        ReminderKind.contract_renewal: "contract renewal",
    }[reminder.kind]
    text = f"{what} on {day} ({when})"
    if years and reminder.kind is ReminderKind.birthday:
        text += f", turns {years}"
    elif years:
        text += f", {years} year{'s' if years > 1 else ''} as a customer"
    return text


def describe(reminder: Reminder, language: Language = "en") -> str:
    """One line for a person: subject and detail."""
    return f"{subject(reminder, language)}{'：' if language == 'zh' else ': '}{detail(reminder, language)}"


def digest_title(digest: ReminderDigest, name: str, language: Language = "en") -> str:
    count = len(digest.reminders)
    if language == "zh":
        return f"{name} 的客户提醒（{digest.day.isoformat()}）：{count} 条"
    return f"Customer reminders for {name}, {digest.day.isoformat()}: {count}"


def digest_summary(digest: ReminderDigest, language: Language = "en") -> str:
    keys = sum(1 for r in digest.reminders if r.key)
    counts = {kind: sum(1 for r in digest.reminders if r.kind is kind) for kind in ReminderKind}
    labels = KIND_LABELS[language]
    if language == "zh":
        parts = "，".join(f"{labels[k]} {n}" for k, n in counts.items() if n)
        return f"{parts}；其中重点客户 {keys} 位。" if keys else f"{parts}。"
    parts = ", ".join(f"{labels[k].lower()}: {n}" for k, n in counts.items() if n)
    return f"{parts}; {keys} for key customers." if keys else f"{parts}."


__all__ = [
    "KEY_VALUE_TIER",
    "KIND_LABELS",
    "OwnerDigest",
    "Reminder",
    "ReminderDigest",
    "ReminderKind",
    "ValueTier",
    "describe",
    "detail",
    "digest_id",
    "digest_summary",
    "digest_title",
    "digest_view",
    "digests",
    "due_reminders",
    "horizons",
    "next_occurrence",
    "owner_digests",
    "subject",
    "workspace_digests",
    "yearly_occurrence",
]
