"""The alert inbox's records: an :class:`Alert` (what fired, for which key, why, and what people did with
it since) and the status changes the inbox allows.

Ids are deterministic, so storing an alert is idempotent and a rerun alerts nobody twice:
- an ``every_match`` alert is one hit, ``core.ids.alert_hit_id(rule, key, mention)`` (:meth:`Alert.for_hit`);
- a windowed alert (threshold, spike, sentiment dip, flatline, digest) is one decision about one window
  of one key: :func:`window_alert_id` hashes ``(rule, key, window start, decision)``, where the decision
  says what was decided ("fire", "recovery"...) so that a spike and its recovery notice are two alerts.

Statuses: ``open`` -> ``acknowledged`` / ``snoozed`` (until a time) / ``resolved``, in any order; each
change is appended to ``history`` with who and when. A move to the status the alert already has is a
Conflict (two people acknowledging one alert: the second learns the first was there), except a snooze,
which may be moved to a new end. Snoozing is per key: a snoozed alert mutes its rule
for its key only, until ``snoozed_until`` (``AlertStore.is_muted``); the rule's other keys keep alerting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerts.channels.base import Link, MessageSection, Severity
from alerts.rules import Rule
from core.errors import Conflict, InvalidInput
from core.ids import alert_hit_id, alert_id
from core.models import AwareDatetime


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    snoozed = "snoozed"
    resolved = "resolved"


class StatusChange(_Frozen):
    """One entry of an alert's history: the status it moved to, who moved it, when (and until when,
    for a snooze)."""

    status: AlertStatus
    by: str = Field(min_length=1, max_length=200)
    at: AwareDatetime
    until: AwareDatetime | None = None
    note: str = Field("", max_length=2000)


class Ranked(_Frozen):
    """One entry of a top list: a term, author, site or aspect and how often it occurred."""

    key: str
    count: int = Field(ge=0)


class CustomerSummary(_Frozen):
    """The linked customer, as the alert shows it."""

    customer_id: str = Field(min_length=1)
    name: str | None = None
    tier: str | None = None
    open_complaints: int = Field(0, ge=0)
    last_mentions: tuple[str, ...] = Field((), description="Ids of the customer's latest mentions")


class Explanation(_Frozen):
    """Why an alert fired, in typed parts: the rule's query, the numbers of the decision (current,
    baseline mean and deviation, k, window seconds...), the top terms/authors/sites/aspects of the
    window, the linked customer, the highlighted snippet, and any further free-form sections."""

    query: str = ""
    numbers: dict[str, float | int | str] = Field(default_factory=dict)
    top_terms: tuple[Ranked, ...] = ()
    top_authors: tuple[Ranked, ...] = ()
    top_sites: tuple[Ranked, ...] = ()
    top_aspects: tuple[Ranked, ...] = ()
    customer: CustomerSummary | None = None
    snippet: str | None = Field(None, description="Matched text, HTML-escaped, spans in <em>")
    sections: tuple[MessageSection, ...] = ()
    links: tuple[Link, ...] = ()


class Alert(_Frozen):
    """An alert in the inbox. ``key`` is the rule's group-by key ("" for a rule without group_by)."""

    id: str = Field(min_length=1)
    rule_id: str = Field(min_length=1)
    rule_name: str = Field(min_length=1)
    kind: str = Field(min_length=1, description="The rule's kind (every_match, spike...)")
    decision: str = Field("fire", min_length=1, description="What was decided: fire, recovery...")
    severity: Severity = Severity.warning
    key: str = ""
    window_start: AwareDatetime | None = None
    fired_at: AwareDatetime
    mention_ids: tuple[str, ...] = ()
    explanation: Explanation = Field(default_factory=Explanation)
    status: AlertStatus = AlertStatus.open
    snoozed_until: AwareDatetime | None = None
    history: tuple[StatusChange, ...] = ()

    @model_validator(mode="after")
    def _snooze_has_an_end(self) -> Alert:
        if (self.status is AlertStatus.snoozed) != (self.snoozed_until is not None):
            raise ValueError("snoozed_until is set exactly when the status is snoozed")
        return self

    @classmethod
    def for_hit(
        cls,
        rule: Rule,
        key: str,
        mention_id: str,
        *,
        fired_at: datetime,
        explanation: Explanation | None = None,
    ) -> Alert:
        """The alert of one every_match hit."""
        return cls(
            id=alert_hit_id(rule.id, key, mention_id),
            rule_id=rule.id,
            rule_name=rule.name,
            kind=rule.kind,
            severity=rule.severity,
            key=key,
            fired_at=fired_at,
            mention_ids=(mention_id,),
            explanation=explanation or Explanation(query=rule.query),
        )

    @classmethod
    def for_window(
        cls,
        rule: Rule,
        key: str,
        window_start: datetime,
        *,
        fired_at: datetime,
        decision: str = "fire",
        mention_ids: Sequence[str] = (),
        explanation: Explanation | None = None,
    ) -> Alert:
        """The alert of one decision about one window of one key."""
        return cls(
            id=window_alert_id(rule.id, key, window_start, decision),
            rule_id=rule.id,
            rule_name=rule.name,
            kind=rule.kind,
            decision=decision,
            severity=rule.severity,
            key=key,
            window_start=window_start,
            fired_at=fired_at,
            mention_ids=tuple(mention_ids),
            explanation=explanation or Explanation(query=rule.query),
        )

    def muting(self, now: datetime) -> bool:
        """Whether this alert mutes its rule's key at `now` (snoozed, and the snooze not over)."""
        return (
            self.status is AlertStatus.snoozed and self.snoozed_until is not None and self.snoozed_until > now
        )


def window_alert_id(rule_id: str, key: str, window_start: datetime, decision: str = "fire") -> str:
    """Id of a windowed alert: a hash of (rule, key, window start in UTC, decision)."""
    start = window_start.astimezone(UTC).isoformat()
    return alert_id(rule_id, key, f"{decision}@{start}")


def transition(
    alert: Alert,
    status: AlertStatus,
    *,
    by: str,
    at: datetime,
    until: datetime | None = None,
    note: str = "",
) -> Alert:
    """The alert after a person moved it to `status` (a snooze needs `until`, later than `at`).
    Conflict when it is already in `status` (but a snooze may be given a new end)."""
    if status is alert.status and status is not AlertStatus.snoozed:
        last = next((c for c in reversed(alert.history) if c.status is status), None)
        since = f" by {last.by} at {last.at.isoformat()}" if last is not None else ""
        raise Conflict(
            f"alert {alert.id} is already {status.value}{since}",
            details={"alert": alert.id, "status": status.value},
        )
    if status is AlertStatus.snoozed:
        if until is None or until <= at:
            raise InvalidInput(
                "a snooze needs an expiry later than now",
                details={"alert": alert.id, "until": str(until), "at": at.isoformat()},
            )
    elif until is not None:
        raise InvalidInput(f"only a snooze takes an expiry, not {status.value}", details={"alert": alert.id})
    change = StatusChange(status=status, by=by, at=at, until=until, note=note)
    return alert.model_copy(
        update={"status": status, "snoozed_until": until, "history": (*alert.history, change)}
    )


__all__ = [
    "Alert",
    "AlertStatus",
    "CustomerSummary",
    "Explanation",
    "Ranked",
    "StatusChange",
    "transition",
    "window_alert_id",
]
