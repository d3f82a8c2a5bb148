"""What both backends of the alerting stores share, so they differ only in how they read and write:
checking a rule before it is saved, and every transition of an outbox record as a pure function of
the record read (the backends store the result with a compare-and-set on its revision)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from alerts.channels.base import AlertMessage
from alerts.outbox import DeliveryState, OutboxRecord, clip_reason
from alerts.rules import Rule, parse_rules
from core.errors import InvalidInput
from core.models import utcnow


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
