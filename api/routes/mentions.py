"""One mention and its workflow (JSON): the mention with its enrichment, the models that made it and its
linked customer; its workflow (assignee, status, priority, tags, star), changed with optimistic
concurrency; its notes and history; and the workspace's queue of mentions in work.

The logic is `alerts.workflow`'s (the change, its history, the assignee's notice through the outbox);
these routes parse, authorise, check that the mention exists in the principal's workspace (another
workspace's mention is simply not found: every store is scoped) and that an assignee is a member who
may work mentions, and render. The page (`api.web.pages.mentions`) uses the same helpers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from alerts.workflow import (
    MAX_NOTE_CHARS,
    AssignmentNotice,
    HistoryEntry,
    MentionWorkflow,
    WorkflowChange,
    WorkflowFilter,
    WorkflowNote,
    WorkflowPriority,
    WorkflowStatus,
    WorkflowUpdate,
    update_workflow,
)
from api.accounts.models import Permission, User, allows
from api.accounts.store import AccountStore
from api.auth import Principal
from api.deps import Stores, get_accounts, require
from api.errors import error_responses
from api.services import Services
from core.errors import InvalidInput, NotFound
from core.models import EnrichedMention, ModelRef, utcnow

router = APIRouter(prefix="/api/v1", tags=["mentions"])

Reader = Annotated[Principal, Depends(require(Permission.READ))]
Worker = Annotated[Principal, Depends(require(Permission.MENTIONS_WORK))]
Accounts = Annotated[AccountStore, Depends(get_accounts)]
MentionId = Annotated[str, Path(min_length=1, max_length=200, description="The mention's id")]

_WORKFLOW_EXAMPLE: dict[str, Any] = {
    "workspace": "default",
    "mention_id": "3b9f0c2a7d1e4f5a6b7c",
    "status": "pending",
    "priority": "high",
    "assignee": "li.wei",
    "tags": ["refund", "VIP"],
    "starred": True,
    "updated_at": "2026-03-02T09:30:00Z",
    "version": 3,
}
_ENTRY_EXAMPLE: dict[str, Any] = {
    "id": "a1b2c3d4e5f6a7b8c9d0",
    "mention_id": "3b9f0c2a7d1e4f5a6b7c",
    "actor": "mei",
    "at": "2026-03-02T09:30:00Z",
    "action": "assigned",
    "before": None,
    "after": "li.wei",
    "detail": None,
}


# --- models --------------------------------------------------------------------------------------
class CustomerSummaryOut(BaseModel):
    """The customer a mention is linked to, as the mention shows it (nothing sensitive)."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    code: str | None = Field(None, description="None when the customer record is gone")
    name: str | None = None
    tier: str | None = None
    owner: str | None = Field(None, description="The staff member who owns the account")
    confidence: float = Field(description="Of the link, 0..1")
    method: str = Field(description="How the link was made: handle, email, order_number...")


class MentionDetail(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "mention": {
                        "id": "3b9f0c2a7d1e4f5a6b7c",
                        "platform": "twitter",
                        "text": "Where is my refund?",
                    },
                    "models": [{"name": "lexicon", "version": "1"}],
                    "customer": {
                        "customer_id": "c-42",
                        "code": "C042",
                        "name": "Ana Lima",
                        "tier": "gold",
                        "owner": "li.wei",
                        "confidence": 0.95,
                        "method": "handle",
                    },
                    "workflow": _WORKFLOW_EXAMPLE,
                }
            ]
        },
    )

    mention: EnrichedMention = Field(description="The mention with its enrichment (sentiment, intents...)")
    models: list[ModelRef] = Field(description="Name and version of every model that enriched it")
    customer: CustomerSummaryOut | None = Field(description="The linked customer; null when unlinked")
    workflow: MentionWorkflow


class WorkflowOut(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"workflow": _WORKFLOW_EXAMPLE}]})

    workflow: MentionWorkflow


class WorkflowPatch(WorkflowChange):
    """A partial change: only the fields given change (``assignee: null`` unassigns), applied only to
    ``expected_version`` when it is given (409 when the workflow changed since)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"assignee": "li.wei", "priority": "high", "add_tags": ["refund"], "expected_version": 2},
                {"assignee": None, "status": "closed"},
            ]
        }
    )

    expected_version: int | None = Field(None, ge=0, description="The version the change was made against")

    def change(self) -> WorkflowChange:
        return WorkflowChange.model_validate(
            self.model_dump(exclude_unset=True, exclude={"expected_version"})
        )


class NoticeOut(BaseModel):
    """Where the notice of an assignment went."""

    model_config = ConfigDict(frozen=True)

    assignee: str
    queued: bool = Field(description="False: no assignment channel, the assignment is in the history only")
    channels: list[str] = Field(description="Channels the notice was queued to (delivered by the dispatcher)")
    missing: list[str] = Field(description="Assignment channels the workspace's channels.yaml lacks")
    message: str = Field(description="The same, for a person")

    @classmethod
    def of(cls, notice: AssignmentNotice) -> NoticeOut:
        return cls(
            assignee=notice.assignee,
            queued=notice.queued,
            channels=list(notice.channels),
            missing=list(notice.missing),
            message=notice.summary,
        )


class WorkflowChanged(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "workflow": _WORKFLOW_EXAMPLE,
                    "history": [_ENTRY_EXAMPLE],
                    "notice": {
                        "assignee": "li.wei",
                        "queued": False,
                        "channels": [],
                        "missing": [],
                        "message": "no assignment channel is configured: the assignment to li.wei is in the "
                        "history only",
                    },
                }
            ]
        },
    )

    workflow: MentionWorkflow
    history: list[HistoryEntry] = Field(description="What this change recorded; empty: nothing changed")
    notice: NoticeOut | None = Field(description="Set when the change assigned someone")


class NewNote(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Called her back; refund sent."}]},
    )

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class Notes(BaseModel):
    model_config = ConfigDict(frozen=True)

    mention_id: str
    notes: list[WorkflowNote] = Field(description="Oldest first")


class History(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={"examples": [{"mention_id": "3b9f0c2a7d1e4f5a6b7c", "entries": [_ENTRY_EXAMPLE]}]},
    )

    mention_id: str
    entries: list[HistoryEntry] = Field(description="Newest first")


class Queue(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"items": [_WORKFLOW_EXAMPLE]}]})

    items: list[MentionWorkflow] = Field(description="Mentions in work that match, latest activity first")


# --- helpers the page shares ---------------------------------------------------------------------
def find_mention(services: Services, mention_id: str) -> EnrichedMention:
    """The mention of the principal's workspace; NotFound (404) otherwise, another workspace's too."""
    mention = services.mentions.get(mention_id)
    if mention is None:
        raise NotFound(f"no mention {mention_id!r}", details={"mention": mention_id})
    return mention


def customer_summary(services: Services, mention: EnrichedMention) -> CustomerSummaryOut | None:
    link = mention.customer
    if link is None:
        return None
    customer = services.customers.get(link.customer_id)
    return CustomerSummaryOut(
        customer_id=link.customer_id,
        code=customer.code if customer else None,
        name=customer.name if customer else None,
        tier=customer.tier.value if customer else None,
        owner=customer.owner if customer else None,
        confidence=link.confidence,
        method=link.method,
    )


def mention_detail(services: Services, mention_id: str) -> MentionDetail:
    mention = find_mention(services, mention_id)
    return MentionDetail(
        mention=mention,
        models=list(mention.models),
        customer=customer_summary(services, mention),
        workflow=services.workflow.get(mention.id),
    )


def assignable(accounts: AccountStore, workspace: str) -> list[User]:
    """The members of `workspace` a mention may be assigned to: enabled, with a role that works mentions."""
    roles = {m.username: m.role for m in accounts.members(workspace)}
    return [
        user
        for user in accounts.list_users(workspace)
        if not user.disabled and allows(roles[user.username], Permission.MENTIONS_WORK)
    ]


def change_workflow(
    services: Services,
    accounts: AccountStore,
    principal: Principal,
    mention_id: str,
    change: WorkflowChange,
    expected_version: int | None,
) -> WorkflowUpdate:
    """Check the mention and the assignee, then apply the change (and queue the assignee's notice)."""
    mention = find_mention(services, mention_id)
    assignee = change.assignee if change.sets_assignee else None
    if assignee is not None and assignee not in {
        u.username for u in assignable(accounts, principal.workspace)
    }:
        raise InvalidInput(
            f"{assignee!r} is not a member of workspace {principal.workspace!r} who may work mentions",
            details={"assignee": assignee, "workspace": principal.workspace},
        )
    return update_workflow(
        services.workflow,
        services.alerts.outbox,
        services.settings,
        mention=mention,
        change=change,
        actor=principal.actor,
        at=utcnow(),
        expected_version=expected_version,
    )


def checked_limit(services: Services, limit: int) -> int:
    ceiling = services.settings.api.max_page_size
    if limit > ceiling:
        raise InvalidInput(f"limit is at most {ceiling}", details={"limit": limit, "max": ceiling})
    return limit


# --- routes --------------------------------------------------------------------------------------
@router.get(
    "/mentions/{mention_id}",
    response_model=MentionDetail,
    summary="A mention with its enrichment, models, linked customer and workflow",
    responses=error_responses(401, 403, 404),
)
def get_mention(mention_id: MentionId, principal: Reader, services: Stores) -> MentionDetail:
    return mention_detail(services, mention_id)


@router.get(
    "/mentions/{mention_id}/workflow",
    response_model=WorkflowOut,
    summary="A mention's workflow: assignee, status, priority, tags, star, version",
    responses=error_responses(401, 403, 404),
)
def get_workflow(mention_id: MentionId, principal: Reader, services: Stores) -> WorkflowOut:
    mention = find_mention(services, mention_id)
    return WorkflowOut(workflow=services.workflow.get(mention.id))


@router.patch(
    "/mentions/{mention_id}/workflow",
    response_model=WorkflowChanged,
    summary="Change a mention's workflow (assign, status, priority, tags, star); 409 on a stale version",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def patch_workflow(
    mention_id: MentionId, body: WorkflowPatch, principal: Worker, services: Stores, accounts: Accounts
) -> WorkflowChanged:
    update = change_workflow(services, accounts, principal, mention_id, body.change(), body.expected_version)
    return WorkflowChanged(
        workflow=update.state,
        history=list(update.history),
        notice=NoticeOut.of(update.notice) if update.notice else None,
    )


@router.post(
    "/mentions/{mention_id}/notes",
    response_model=WorkflowNote,
    status_code=201,
    summary="Add a note to a mention (recorded in its history)",
    responses=error_responses(400, 401, 403, 404, 422),
)
def add_note(mention_id: MentionId, body: NewNote, principal: Worker, services: Stores) -> WorkflowNote:
    mention = find_mention(services, mention_id)
    return services.workflow.add_note(mention.id, principal.actor, body.text, utcnow())


@router.get(
    "/mentions/{mention_id}/notes",
    response_model=Notes,
    summary="A mention's notes, oldest first",
    responses=error_responses(401, 403, 404),
)
def list_notes(mention_id: MentionId, principal: Reader, services: Stores) -> Notes:
    mention = find_mention(services, mention_id)
    return Notes(mention_id=mention.id, notes=services.workflow.notes(mention.id))


@router.get(
    "/mentions/{mention_id}/history",
    response_model=History,
    summary="Who changed what on a mention, and when: newest first",
    responses=error_responses(400, 401, 403, 404, 422),
)
def get_history(
    mention_id: MentionId,
    principal: Reader,
    services: Stores,
    limit: Annotated[int, Query(ge=1, description="At most this many entries")] = 100,
) -> History:
    mention = find_mention(services, mention_id)
    entries = services.workflow.history(mention.id, limit=checked_limit(services, limit))
    return History(mention_id=mention.id, entries=entries)


@router.get(
    "/workflow",
    response_model=Queue,
    summary="The queue: mentions in work, filtered by status, assignee, tag, star or priority",
    responses=error_responses(400, 401, 403, 422),
)
def queue(
    principal: Reader,
    services: Stores,
    status: WorkflowStatus | None = None,
    priority: WorkflowPriority | None = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    starred: bool | None = None,
    limit: Annotated[int, Query(ge=1, description="At most this many mentions")] = 50,
) -> Queue:
    filters = WorkflowFilter(status=status, priority=priority, assignee=assignee, tag=tag, starred=starred)
    return Queue(items=services.workflow.list(filters, limit=checked_limit(services, limit)))


__all__ = [
    "MentionDetail",
    "WorkflowPatch",
    "assignable",
    "change_workflow",
    "customer_summary",
    "find_mention",
    "mention_detail",
    "router",
]
