"""What both backends of the alerting stores share, so they differ only in how they read and write:
checking a rule before it is saved, and every transition of an outbox record as a pure function of
the record read (the backends store the result with a compare-and-set on its revision)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.channels.base import AlertMessage
from alerts.inbox import Alert, AlertStatus, transition
from alerts.outbox import DeliveryState, OutboxRecord, clip_reason
from alerts.rules import Rule, parse_rules
from alerts.store.base import ChangeMark
from core.errors import InvalidInput, NotFound
from core.models import utcnow

#: The mark before every change of the feed (`AlertStore.latest_mark` of an empty store).
FEED_ORIGIN = ChangeMark(at=datetime(1970, 1, 1, tzinfo=UTC))


def rule_data(rule: Rule | Mapping[str, Any]) -> dict[str, Any]:
    return rule.model_dump(mode="json") if isinstance(rule, Rule) else dict(rule)


def checked_rule(data: Mapping[str, Any]) -> Rule:
    """The rule `data` describes, validated (RuleInvalid with every problem located)."""
    label = data.get("id") or data.get("name") or "rule"
    return parse_rules(dict(data), source=f"rule {label}")[0]


def stored_rule(rule: Rule, stored: Rule | None, now: datetime | None) -> Rule:
    """What `save` stores: `rule` with the stored rule's ``created_at`` when it replaces one, and
    ``updated_at`` = now (never before ``created_at``)."""
    now = now or utcnow()
    created = stored.created_at if stored is not None else rule.created_at
    return Rule.model_validate({**rule.model_dump(), "created_at": created, "updated_at": max(now, created)})


AlertChange = Callable[[Alert], Alert]


class StatusMoves:
    """`AlertStore.ack`, `snooze` and `resolve` over one primitive each backend implements: `_move`
    (read the alert, apply the change, write it back atomically; NotFound when absent)."""

    def _move(self, alert_id: str, action: str, change: AlertChange) -> Alert:
        raise NotImplementedError

    def _to(self, alert_id: str, status: AlertStatus, by: str, at: datetime | None, **extra: Any) -> Alert:
        def change(alert: Alert) -> Alert:
            return transition(alert, status, by=by, at=at or utcnow(), **extra)

        return self._move(alert_id, f"{status.value} an alert", change)

    def ack(self, alert_id: str, *, by: str, at: datetime | None = None, note: str = "") -> Alert:
        return self._to(alert_id, AlertStatus.acknowledged, by, at, note=note)

    def snooze(
        self, alert_id: str, *, until: datetime, by: str, at: datetime | None = None, note: str = ""
    ) -> Alert:
        return self._to(alert_id, AlertStatus.snoozed, by, at, until=until, note=note)

    def resolve(self, alert_id: str, *, by: str, at: datetime | None = None, note: str = "") -> Alert:
        return self._to(alert_id, AlertStatus.resolved, by, at, note=note)


def not_found(alert_id: str) -> NotFound:
    return NotFound(f"no alert {alert_id!r}", details={"alert": alert_id})


class OutboxTransitions:
    """`OutboxStore.claim` and the ``mark_*`` calls over one primitive each backend implements:
    `_swap` (store `updated` in place of `record` if the stored revision is still `record`'s, and
    return it with its new revision; None otherwise). Only a pending record moves."""

    def _swap(self, record: OutboxRecord, updated: OutboxRecord, action: str) -> OutboxRecord | None:
        raise NotImplementedError

    def _moved(self, record: OutboxRecord, updated: OutboxRecord, action: str) -> OutboxRecord | None:
        check_pending(record)
        return self._swap(record, updated, action)

    def claim(self, record: OutboxRecord, *, now: datetime, lease: timedelta) -> OutboxRecord | None:
        return self._moved(record, claimed(record, now, lease), "claim a delivery")

    def mark_sent(self, record: OutboxRecord, *, at: datetime, status: int | None = None) -> bool:
        return self._moved(record, sent(record, at, status), "mark a delivery sent") is not None

    def mark_retry(
        self,
        record: OutboxRecord,
        *,
        next_attempt_at: datetime,
        reason: str,
        at: datetime,
        status: int | None = None,
    ) -> bool:
        updated = retried(record, next_attempt_at, reason, at, status)
        return self._moved(record, updated, "reschedule a delivery") is not None

    def mark_failed(
        self, record: OutboxRecord, *, reason: str, at: datetime, status: int | None = None
    ) -> bool:
        return self._moved(record, failed(record, reason, at, status), "mark a delivery failed") is not None


def check_owned(message: AlertMessage, workspace: str) -> None:
    if message.workspace != workspace:
        raise InvalidInput(
            f"alert {message.alert_id} belongs to workspace {message.workspace!r}, not {workspace!r}",
            details={"alert": message.alert_id, "workspace": workspace},
        )


def pending(message: AlertMessage, channel: str, now: datetime, not_before: datetime | None) -> OutboxRecord:
    return OutboxRecord(
        alert_id=message.alert_id,
        channel=channel,
        message=message,
        next_attempt_at=not_before if not_before is not None else now,
        created_at=now,
        updated_at=now,
    )


def claimed(record: OutboxRecord, now: datetime, lease: timedelta) -> OutboxRecord:
    return record.model_copy(
        update={"attempts": record.attempts + 1, "next_attempt_at": now + lease, "updated_at": now}
    )


def sent(record: OutboxRecord, at: datetime, status: int | None) -> OutboxRecord:
    return record.model_copy(
        update={
            "state": DeliveryState.sent,
            "sent_at": at,
            "updated_at": at,
            "last_status": status,
            "last_reason": "",
        }
    )


def retried(
    record: OutboxRecord, next_attempt_at: datetime, reason: str, at: datetime, status: int | None
) -> OutboxRecord:
    return record.model_copy(
        update={
            "next_attempt_at": next_attempt_at,
            "updated_at": at,
            "last_status": status,
            "last_reason": clip_reason(reason),
        }
    )


def failed(record: OutboxRecord, reason: str, at: datetime, status: int | None) -> OutboxRecord:
    return record.model_copy(
        update={
            "state": DeliveryState.failed,
            "updated_at": at,
            "last_status": status,
            "last_reason": clip_reason(reason),
        }
    )


def check_pending(record: OutboxRecord) -> None:
    """Transitions start from a pending record; a sent or failed one is final."""
    if record.state is not DeliveryState.pending:
        raise InvalidInput(
            f"outbox record ({record.alert_id}, {record.channel}) is {record.state.value}, not pending",
            details={"alert": record.alert_id, "channel": record.channel, "state": record.state.value},
        )


def zero_counts() -> dict[DeliveryState, int]:
    return dict.fromkeys(DeliveryState, 0)


def check_limit(limit: int) -> int:
    if limit < 0:
        raise InvalidInput("limit must not be negative", details={"limit": limit})
    return limit


def state_json(rule_id: str, state: Mapping[str, Any]) -> str:
    """An engine state as the JSON text both backends store; InvalidInput when it is not JSON."""
    try:
        return json.dumps(dict(state), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"the engine state of rule {rule_id} is not a JSON object: {exc}", details={"rule": rule_id}
        ) from exc
