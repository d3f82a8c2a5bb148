"""Telling the assignee: when a change assigns a mention to someone, a notice goes into the workspace's
alert outbox, once per channel named in ``EARFUL_ALERTS__ASSIGNMENT_CHANNELS``, and the dispatcher that
delivers alerts (`alerts.dispatch`) delivers it with the same retries: a channel that is down delays the
notice, never loses it. Without assignment channels the assignment is in the mention's history only, and
`AssignmentNotice` says so.

    update = update_workflow(store, outbox, settings, mention=mention, change=change, actor="mei", at=now)
    update.state, update.history, update.notice

The notice names the mention (platform, author, the start of its text, its link), who assigned it, to
whom, and its priority; it is rendered once, as an `AlertMessage` keyed ``assign-<history entry id>``,
and carries the mention id, so that erasing the mention (alerts/privacy.py) erases the notice too.

The change is stored first, then the notice is queued: an outbox that fails in between leaves the
assignment made and the error raised (retryable), and the notice is not queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from pydantic import Field

from alerts.channels.base import AlertMessage, Link, MessageField, MessageSection, Severity
from alerts.channels.catalog import workspace_channels
from alerts.channels.config import ChannelConfig
from alerts.explain import http_link, snippet
from alerts.store.base import OutboxStore
from alerts.workflow.model import (
    HistoryAction,
    HistoryEntry,
    MentionWorkflow,
    WorkflowChange,
    WorkflowPriority,
)
from alerts.workflow.store import WorkflowStore
from core.models import EnrichedMention, Frozen
from core.settings import Settings

ASSIGNMENT_RULE: Final = "Mention assignment"
_SEVERITY: Final = {
    WorkflowPriority.urgent: Severity.critical,
    WorkflowPriority.high: Severity.warning,
}


class AssignmentNotice(Frozen):
    """Where the notice of an assignment went."""

    assignee: str
    message_id: str | None = Field(None, description="The outbox key of the notice; None: nothing queued")
    channels: tuple[str, ...] = Field((), description="Channels it was queued to")
    missing: tuple[str, ...] = Field(
        (), description="Assignment channels the workspace's channels.yaml does not define (skipped)"
    )

    @property
    def queued(self) -> bool:
        return bool(self.channels)

    @property
    def summary(self) -> str:
        """One line for people: where the notice went, or why it went nowhere."""
        if self.channels:
            text = f"{self.assignee} is notified through {', '.join(self.channels)}"
        else:
            text = (
                f"no assignment channel is configured: the assignment to {self.assignee} "
                "is in the history only"
            )
        if self.missing:
            text += f" (not in channels.yaml: {', '.join(self.missing)})"
        return text


class WorkflowUpdate(Frozen):
    """What `update_workflow` did."""

    state: MentionWorkflow
    history: tuple[HistoryEntry, ...] = ()
    notice: AssignmentNotice | None = Field(None, description="Set when the change assigned someone")


def _author(mention: EnrichedMention) -> str:
    author = mention.author
    if author is None:
        return "unknown"
    if author.handle:
        return "@" + author.handle.lstrip("@")
    return author.display_name or author.native_id or "unknown"


def assignment_message(
    mention: EnrichedMention,
    state: MentionWorkflow,
    entry: HistoryEntry,
    *,
    public_url: str | None = None,
) -> AlertMessage:
    """The notice of `entry` (an ``assigned`` history entry) about `mention`, now in `state`."""
    assignee, by = entry.after or "", entry.actor
    mention_fields = (
        MessageField(label="Platform", value=mention.platform),
        MessageField(label="Author", value=_author(mention)),
        MessageField(label="Published", value=mention.published_at.isoformat()),
        MessageField(label="Mention", value=mention.id),
    )
    work_fields = [
        MessageField(label="Assigned to", value=assignee),
        MessageField(label="Assigned by", value=by),
        MessageField(label="Priority", value=state.priority.value),
        MessageField(label="Status", value=state.status.value),
    ]
    if entry.before:
        work_fields.append(MessageField(label="Previously", value=entry.before))
    if state.tags:
        work_fields.append(MessageField(label="Tags", value=", ".join(state.tags)))
    links: list[Link | None] = [http_link("Mention", mention.url)]
    if public_url:
        links.append(http_link("Open in Earful", f"{public_url.rstrip('/')}/mentions/{mention.id}"))
    return AlertMessage(
        alert_id=f"assign-{entry.id}",
        workspace=state.workspace,
        rule=ASSIGNMENT_RULE,
        title=f"Mention assigned to {assignee} ({state.priority.value} priority)"[:300],
        severity=_SEVERITY.get(state.priority, Severity.info),
        summary=f"{by} assigned a {mention.platform} mention by {_author(mention)} to {assignee}",
        snippet=snippet(mention, ()),
        sections=(
            MessageSection(title="Mention", fields=mention_fields),
            MessageSection(title="Workflow", fields=tuple(work_fields)),
        ),
        links=tuple(link for link in links if link is not None),
        created_at=entry.at,
    )


def notify_assignment(
    outbox: OutboxStore,
    settings: Settings,
    *,
    mention: EnrichedMention,
    state: MentionWorkflow,
    entry: HistoryEntry,
    now: datetime,
    channels: Mapping[str, ChannelConfig] | None = None,
) -> AssignmentNotice:
    """Queue the notice of `entry` to the assignment channels the workspace defines (`channels`: its
    catalog, read from channels.yaml when not given). Queuing twice queues nothing more."""
    wanted = tuple(dict.fromkeys(settings.alerts.assignment_channels))
    assignee = entry.after or ""
    if not wanted:
        return AssignmentNotice(assignee=assignee)
    catalog = channels if channels is not None else workspace_channels(settings, workspace=outbox.workspace)
    present = tuple(name for name in wanted if name in catalog)
    missing = tuple(name for name in wanted if name not in catalog)
    if not present:
        return AssignmentNotice(assignee=assignee, missing=missing)
    message = assignment_message(mention, state, entry, public_url=settings.alerts.public_url)
    for name in present:
        outbox.enqueue(message, name, now=now)
    return AssignmentNotice(assignee=assignee, message_id=message.alert_id, channels=present, missing=missing)


def update_workflow(
    store: WorkflowStore,
    outbox: OutboxStore,
    settings: Settings,
    *,
    mention: EnrichedMention,
    change: WorkflowChange,
    actor: str,
    at: datetime,
    expected_version: int | None = None,
    channels: Mapping[str, ChannelConfig] | None = None,
) -> WorkflowUpdate:
    """Apply `change` to `mention`'s workflow (Conflict on a stale `expected_version`) and, when it
    assigned someone, queue their notice."""
    state, entries = store.apply(mention.id, change, actor, at, expected_version)
    notice = None
    for entry in entries:
        if entry.action is HistoryAction.assigned:
            notice = notify_assignment(
                outbox, settings, mention=mention, state=state, entry=entry, now=at, channels=channels
            )
    return WorkflowUpdate(state=state, history=tuple(entries), notice=notice)


__all__ = [
    "ASSIGNMENT_RULE",
    "AssignmentNotice",
    "WorkflowUpdate",
    "assignment_message",
    "notify_assignment",
    "update_workflow",
]
