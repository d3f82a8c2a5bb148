"""Mention workflow, Brandwatch-style: assign a mention, move it through open, pending and closed, set
its priority, tag and star it, write notes, and keep the history of every change (`alerts.workflow.model`);
the store on both backends (`alerts.workflow.store`); the assignee's notice through the alert outbox
(`alerts.workflow.notify`). In the alerts layer because the notice travels through the alert channels.

    store = build_workflow_store(settings, workspace="acme")
    state, history = store.apply(mention_id, WorkflowChange(assignee="li.wei"), "mei", utcnow())
    update = update_workflow(store, stores.outbox, settings, mention=m, change=change, actor="mei", at=now)
"""

from __future__ import annotations

from alerts.workflow.model import (
    MAX_NOTE_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    HistoryAction,
    HistoryEntry,
    MentionWorkflow,
    WorkflowChange,
    WorkflowFilter,
    WorkflowNote,
    WorkflowPriority,
    WorkflowStatus,
    apply_change,
    normalize_tag,
    tag_key,
)
from alerts.workflow.notify import (
    ASSIGNMENT_RULE,
    AssignmentNotice,
    WorkflowUpdate,
    assignment_message,
    notify_assignment,
    update_workflow,
)
from alerts.workflow.store import (
    WORKFLOW_TABLES,
    ElasticsearchWorkflowStore,
    SQLiteWorkflowStore,
    WorkflowStore,
    build_workflow_store,
    workflow_index,
)

__all__ = [
    "ASSIGNMENT_RULE",
    "MAX_NOTE_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "WORKFLOW_TABLES",
    "AssignmentNotice",
    "ElasticsearchWorkflowStore",
    "HistoryAction",
    "HistoryEntry",
    "MentionWorkflow",
    "SQLiteWorkflowStore",
    "WorkflowChange",
    "WorkflowFilter",
    "WorkflowNote",
    "WorkflowPriority",
    "WorkflowStatus",
    "WorkflowStore",
    "WorkflowUpdate",
    "apply_change",
    "assignment_message",
    "build_workflow_store",
    "normalize_tag",
    "notify_assignment",
    "tag_key",
    "update_workflow",
    "workflow_index",
]
