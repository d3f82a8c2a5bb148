"""What the alerting stores are: the protocols both backends implement and `alerts.store_testing` checks.

Four stores, each scoped to one workspace when it is built (``workspace=`` in its constructor,
required; the read-only `workspace` property), like the mention stores (`index.base`): no method reads
or writes outside it and none takes a workspace. Public ids (a rule's, an alert's) are the same in every
workspace; the storage keys include the workspace, so the same rule id in two workspaces is two rules.

- :class:`RuleStore`: the rules, as validated :class:`~alerts.rules.Rule` data.
- :class:`AlertStore`: the inbox of :class:`~alerts.inbox.Alert`, idempotent by alert id. Besides
  what people list, it keeps the feed of changes (`changed_since`): the store stamps each alert with
  a :class:`ChangeMark` when it adds it and each time it moves it, from its own clock (never the
  ``at`` of a status change, which may be any time), so a reader in another process (the HTTP API's
  live inbox, `alerts.feed`) learns of every alert raised or worked after a mark it holds.
- :class:`OutboxStore`: one :class:`~alerts.outbox.OutboxRecord` per (alert, channel), with
  compare-and-set transitions (``alerts.outbox`` describes the life of a record).
- :class:`EngineStateStore`: the engine's serialised state per rule (opaque JSON), so open windows,
  baselines and cooldowns survive a restart.

Times are explicit arguments where they decide something (``now``, ``at``): the engine and the
dispatcher run on an injectable clock, and so do the tests.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.base import AlertMessage
from alerts.inbox import Alert, AlertStatus
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.rules import Rule
from core.models import AwareDatetime


class ChangeMark(BaseModel):
    """A place in an alert store's feed of changes: the store's time of one change and the alert's id
    (which orders the changes of one instant). Ordered as ``(at, id)``; the smallest mark is before
    every change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime = Field(description="When the store made the change (its clock), microseconds")
    id: str = Field("", description="The alert changed then; '' for a place between instants")

    def key(self) -> tuple[datetime, str]:
        return (self.at, self.id)

    def __lt__(self, other: ChangeMark) -> bool:
        return self.key() < other.key()


class AlertChange(BaseModel):
    """One entry of the feed: an alert as it is now, the mark of its latest change and the mark of
    when the store added it (so a reader tells a new alert from one worked on since it looked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert: Alert
    mark: ChangeMark
    added: ChangeMark

    def new_since(self, mark: ChangeMark) -> bool:
        """Whether the alert was added after `mark` (else it was there and has changed since)."""
        return mark < self.added


class ListMark(BaseModel):
    """Where a page of `AlertStore.list` ended: the last alert's ``fired_at`` and id. The next page
    starts after it in list order (fired_at descending, then id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fired_at: AwareDatetime
    id: str = Field(min_length=1)


class AlertFilter(BaseModel):
    """Which alerts to list or count; every given field must match."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: AlertStatus | None = None
    rule_id: str | None = None
    key: str | None = None
    since: AwareDatetime | None = Field(None, description="fired_at >= since")
    id_prefix: str | None = Field(
        None, min_length=1, description="Alerts whose id starts with this (an id abbreviated, like git's)"
    )


@runtime_checkable
class RuleStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def save(self, rule: Rule | Mapping[str, Any], *, now: datetime | None = None) -> Rule:
        """Create or replace the rule of that id and return it as stored: validated again (data or a
        rule built without validation: RuleInvalid, each problem located), ``created_at`` kept from
        the stored rule when it replaces one, ``updated_at`` set to `now`."""
        ...

    def get(self, rule_id: str) -> Rule | None: ...

    def list(self, *, enabled_only: bool = False) -> list[Rule]:
        """By name, then id."""
        ...

    def delete(self, rule_id: str) -> bool: ...


@runtime_checkable
class AlertStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def add(self, alert: Alert) -> bool:
        """Store the alert; False (and nothing changed) when an alert of that id is already there."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...

    def list(
        self, filters: AlertFilter | None = None, *, limit: int = 100, after: ListMark | None = None
    ) -> list[Alert]:
        """Newest first (fired_at descending, then id); with `after`, the alerts that come after that
        place (the next page)."""
        ...

    def count(self, filters: AlertFilter | None = None) -> int: ...

    def ack(self, alert_id: str, *, by: str, at: datetime | None = None, note: str = "") -> Alert:
        """Acknowledge; NotFound when the workspace has no such alert."""
        ...

    def snooze(
        self, alert_id: str, *, until: datetime, by: str, at: datetime | None = None, note: str = ""
    ) -> Alert:
        """Mute the alert's rule for its key until `until` (the other keys keep alerting)."""
        ...

    def resolve(self, alert_id: str, *, by: str, at: datetime | None = None, note: str = "") -> Alert: ...

    def is_muted(self, rule_id: str, key: str, now: datetime) -> bool:
        """Whether an alert of this rule and key is snoozed past `now`."""
        ...

    def delete(self, alert_ids: Sequence[str]) -> int:
        """Remove these alerts (privacy erasure: alerts/privacy.py); how many there were."""
        ...

    def changed_since(
        self, mark: ChangeMark | None, *, now: datetime, limit: int = 100
    ) -> builtins.list[AlertChange]:
        """The alerts added or moved after `mark` (every alert when None), each once as it is now, in
        the order of their latest change, the first `limit`. `now` is the reader's clock: a backend
        whose changes may become readable out of order (Elasticsearch: writers in several processes,
        refreshes) holds back the changes of its last moments before `now` until they have settled,
        so that nothing is skipped by a reader that resumes after the last mark it got."""
        ...

    def latest_mark(self, now: datetime) -> ChangeMark:
        """A mark after every change readable at `now` (what a new reader starts from: the alerts
        already there are not news). Changes after it may still repeat some the reader saw: a feed is
        at least once."""
        ...


@runtime_checkable
class OutboxStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def enqueue(
        self, message: AlertMessage, channel: str, *, now: datetime, not_before: datetime | None = None
    ) -> bool:
        """Record a pending delivery of `message` through `channel`, due at `not_before` (quiet hours)
        or `now`; False (and nothing changed) when that (alert, channel) is already recorded."""
        ...

    def get(self, alert_id: str, channel: str) -> OutboxRecord | None: ...

    def list(
        self, *, state: DeliveryState | None = None, alert_id: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]:
        """Oldest first (created_at, alert id, channel)."""
        ...

    def delete(self, alert_ids: Sequence[str]) -> int:
        """Remove every delivery of these alerts, whatever their state; how many there were."""
        ...

    def due(
        self, now: datetime, limit: int = 100, *, exclude_channels: Collection[str] = ()
    ) -> builtins.list[OutboxRecord]:
        """Pending records whose next attempt is at or before `now`, the most overdue first; records of
        `exclude_channels` (channels held back: not configured on this installation) are left out."""
        ...

    def claim(self, record: OutboxRecord, *, now: datetime, lease: timedelta) -> OutboxRecord | None:
        """Take a due record for one attempt: one more attempt, not due again before ``now + lease``.
        None when the stored record is no longer the one read (another dispatcher got there first)."""
        ...

    def mark_sent(self, record: OutboxRecord, *, at: datetime, status: int | None = None) -> bool:
        """False when the record changed since `record` was read (the transition is not applied)."""
        ...

    def mark_retry(
        self,
        record: OutboxRecord,
        *,
        next_attempt_at: datetime,
        reason: str,
        at: datetime,
        status: int | None = None,
    ) -> bool: ...

    def mark_failed(
        self, record: OutboxRecord, *, reason: str, at: datetime, status: int | None = None
    ) -> bool: ...

    def counts(self) -> dict[DeliveryState, int]:
        """Records in each state (every state present)."""
        ...


@runtime_checkable
class EngineStateStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def save(self, rule_id: str, state: Mapping[str, Any]) -> None:
        """Replace the rule's state (a JSON object; the store does not look inside)."""
        ...

    def load(self, rule_id: str) -> dict[str, Any] | None: ...

    def delete(self, rule_id: str) -> bool: ...

    def rule_ids(self) -> list[str]:
        """Rules with a saved state, sorted."""
        ...


__all__ = [
    "AlertChange",
    "AlertFilter",
    "AlertStore",
    "ChangeMark",
    "EngineStateStore",
    "ListMark",
    "OutboxStore",
    "RuleStore",
]
