"""The durable outbox's records: one :class:`OutboxRecord` per (alert, channel), from the moment the
alert is decided until its channel confirms (``sent``) or refuses for good (``failed``).

Life of a record (``alerts.dispatch.Dispatcher`` drives it; every step is a store call):

``enqueue`` (pending, due at once or when quiet hours end) -> ``claim`` (still pending, one more
attempt, due again only after a lease: a dispatcher that dies mid-send leaves it to be retried, never
lost) -> ``mark_sent`` | ``mark_retry`` (pending, due at the backoff) | ``mark_failed``.

``claim`` and the ``mark_*`` calls are compare-and-set on the record's ``revision`` (a version the store
issues with every read and write: a SQLite version column, Elasticsearch's sequence number and primary
term), so two dispatchers that read the same due record cannot both claim it, and a dispatcher whose
lease ran out cannot overwrite what the one that took over decided. A record is delivered at least
once, and exactly once unless a dispatcher dies between the channel's answer and ``mark_sent``.

The record keeps the rendered :class:`~alerts.channels.AlertMessage` (never a secret: channels carry
theirs in their configuration) and the last status and reason, so a restart needs nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.base import AlertMessage
from core.models import AwareDatetime

MAX_REASON = 500  # characters of a channel's reason kept on the record


class DeliveryState(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxRecord(BaseModel):
    """One (alert, channel) delivery."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str = Field(min_length=1)
    channel: str = Field(min_length=1, description="The channel's configured name")
    message: AlertMessage
    state: DeliveryState = DeliveryState.pending
    attempts: int = Field(0, ge=0, description="Sends started (claims)")
    next_attempt_at: AwareDatetime = Field(description="When a pending record is due")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    sent_at: AwareDatetime | None = None
    last_status: int | None = Field(None, description="HTTP status or SMTP code of the last answer")
    last_reason: str = Field("", max_length=MAX_REASON, description="Why the last attempt did not succeed")
    revision: str = Field("", description="The store's version of this record: what claims compare")


def clip_reason(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


__all__ = ["MAX_REASON", "DeliveryState", "OutboxRecord", "clip_reason"]
