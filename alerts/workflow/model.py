"""A mention's workflow, Brandwatch-style: who works on it (`assignee`), where it stands (`status`), how
urgent it is (`priority`), the team's `tags`, a `starred` flag, the notes staff write about it, and the
history of every change (who, when, what).

A change is a `WorkflowChange` (a partial update) that `apply_change` turns, without side effects, into
the new state and its history entries; a change that changes nothing gives no entry, and the stores then
write nothing. `version` counts the state's changes (0: never changed), so a client that read version
*n* can ask for its change to apply only to version *n* (optimistic concurrency, `Conflict` otherwise).

Tags keep the case they were first written in, trimmed with inner whitespace collapsed, and are
compared case-insensitively: adding "Refund" to a mention tagged "refund" changes nothing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AwareDatetime, Field, StringConstraints

from core.errors import InvalidInput
from core.models import Frozen

MAX_TAG_CHARS: Final = 64
MAX_TAGS: Final = 32  # tags on one mention
MAX_NOTE_CHARS: Final = 4000
MAX_ACTOR_CHARS: Final = 200
_PREVIEW: Final = 200  # characters of a note a history entry repeats


class WorkflowStatus(StrEnum):
    open = "open"
    pending = "pending"
    closed = "closed"


class WorkflowPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class HistoryAction(StrEnum):
    assigned = "assigned"
    unassigned = "unassigned"
    status = "status"
    priority = "priority"
    tagged = "tagged"
    untagged = "untagged"
    starred = "starred"
    unstarred = "unstarred"
    note = "note"


Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ACTOR_CHARS)]


def tag_key(tag: str) -> str:
    """What two tags are compared by: case-folded, NFKC."""
    return unicodedata.normalize("NFKC", tag).casefold()


def normalize_tag(tag: str) -> str:
    """A tag as stored: trimmed, inner whitespace collapsed; InvalidInput when empty, too long or with
    control characters."""
    text = " ".join(tag.split())
    if not text:
        raise InvalidInput("a tag cannot be empty", details={"tag": tag})
    if len(text) > MAX_TAG_CHARS:
        raise InvalidInput(
            f"a tag has at most {MAX_TAG_CHARS} characters", details={"tag": text[:MAX_TAG_CHARS] + "…"}
        )
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise InvalidInput("a tag cannot contain control characters", details={"tag": text})
    return text


class MentionWorkflow(Frozen):
    """Where one mention stands in the team's work; the default (`version` 0) until someone changes it."""

    workspace: str = Field(min_length=1)
    mention_id: str = Field(min_length=1)
    status: WorkflowStatus = WorkflowStatus.open
    priority: WorkflowPriority = WorkflowPriority.normal
    assignee: str | None = Field(None, description="User name of the staff member working on it")
    tags: tuple[str, ...] = Field((), max_length=MAX_TAGS)
    starred: bool = False
    updated_at: AwareDatetime | None = Field(None, description="Last change or note; None: never touched")
    version: int = Field(
        0, ge=0, description="How many changes the state has had (what expected_version names)"
    )

    @classmethod
    def default(cls, workspace: str, mention_id: str) -> MentionWorkflow:
        return cls(workspace=workspace, mention_id=mention_id)


class WorkflowNote(Frozen):
    id: str = Field(min_length=1)
    mention_id: str = Field(min_length=1)
    author: str = Field(min_length=1, max_length=MAX_ACTOR_CHARS)
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)
    at: AwareDatetime


class HistoryEntry(Frozen):
    """One change of a mention's workflow: who (a user name, or ``key:<id>`` for an API key), when, what."""

    id: str = Field(min_length=1)
    mention_id: str = Field(min_length=1)
    actor: str = Field(min_length=1, max_length=MAX_ACTOR_CHARS)
    at: AwareDatetime
    action: HistoryAction
    before: str | None = None
    after: str | None = None
    detail: str | None = Field(None, description="A note's opening words, what the notice reached...")


class WorkflowChange(Frozen):
    """A partial update: only the fields given change. ``assignee: null`` unassigns; leaving ``assignee``
    out leaves it as it is."""

    assignee: Username | None = None
    status: WorkflowStatus | None = None
    priority: WorkflowPriority | None = None
    add_tags: tuple[str, ...] = Field((), max_length=MAX_TAGS)
    remove_tags: tuple[str, ...] = Field((), max_length=MAX_TAGS)
    starred: bool | None = None

    @property
    def sets_assignee(self) -> bool:
        """Whether the change names the assignee at all (``null`` included)."""
        return "assignee" in self.model_fields_set


class WorkflowFilter(Frozen):
    """Which workflows a queue lists; every given field must match."""

    status: WorkflowStatus | None = None
    priority: WorkflowPriority | None = None
    assignee: str | None = None
    tag: str | None = Field(None, description="Compared case-insensitively")
    starred: bool | None = None


def entry_id(mention_id: str, *parts: object) -> str:
    """A history entry's (or note's) id: a hash of its mention and place, so a retried write is the same."""
    body = "\x1f".join((mention_id, *map(str, parts))).encode("utf-8")
    return hashlib.blake2b(body, digest_size=10).hexdigest()


def apply_change(
    state: MentionWorkflow, change: WorkflowChange, *, actor: str, at: datetime
) -> tuple[MentionWorkflow, list[HistoryEntry]]:
    """The state after `change` and its history entries, in the order: assignee, status, priority, tags
    removed, tags added, star. Nothing changed: the same state and no entry."""
    actor = actor.strip()
    if not actor:
        raise InvalidInput("a workflow change needs who made it", details={"mention": state.mention_id})
    moves: list[tuple[HistoryAction, str | None, str | None]] = []
    fields: dict[str, object] = {}
    if change.sets_assignee and change.assignee != state.assignee:
        action = HistoryAction.unassigned if change.assignee is None else HistoryAction.assigned
        moves.append((action, state.assignee, change.assignee))
        fields["assignee"] = change.assignee
    if change.status is not None and change.status is not state.status:
        moves.append((HistoryAction.status, state.status.value, change.status.value))
        fields["status"] = change.status
    if change.priority is not None and change.priority is not state.priority:
        moves.append((HistoryAction.priority, state.priority.value, change.priority.value))
        fields["priority"] = change.priority
    tags = list(state.tags)
    for raw in change.remove_tags:
        key = tag_key(normalize_tag(raw))
        for tag in [t for t in tags if tag_key(t) == key]:
            tags.remove(tag)
            moves.append((HistoryAction.untagged, tag, None))
    for raw in change.add_tags:
        tag = normalize_tag(raw)
        if all(tag_key(t) != tag_key(tag) for t in tags):
            tags.append(tag)
            moves.append((HistoryAction.tagged, None, tag))
    if len(tags) > MAX_TAGS:
        raise InvalidInput(
            f"a mention has at most {MAX_TAGS} tags", details={"mention": state.mention_id, "tags": len(tags)}
        )
    if tuple(tags) != state.tags:
        fields["tags"] = tuple(tags)
    if change.starred is not None and change.starred != state.starred:
        moves.append((HistoryAction.starred if change.starred else HistoryAction.unstarred, None, None))
        fields["starred"] = change.starred
    if not moves:
        return state, []
    version = state.version + 1
    entries = [
        HistoryEntry(
            id=entry_id(state.mention_id, "change", version, n),
            mention_id=state.mention_id,
            actor=actor,
            at=at,
            action=action,
            before=before,
            after=after,
        )
        for n, (action, before, after) in enumerate(moves)
    ]
    return state.model_copy(update={**fields, "updated_at": at, "version": version}), entries


def make_note(
    mention_id: str, *, seq: int, author: str, text: str, at: datetime
) -> tuple[WorkflowNote, HistoryEntry]:
    """The `seq`-th note of a mention (0-based) and the history entry that records it."""
    author, text = author.strip(), text.strip()
    if not author:
        raise InvalidInput("a note needs an author", details={"mention": mention_id})
    if not text:
        raise InvalidInput("a note needs some text", details={"mention": mention_id})
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(
            f"a note has at most {MAX_NOTE_CHARS} characters",
            details={"mention": mention_id, "chars": len(text)},
        )
    note = WorkflowNote(
        id=entry_id(mention_id, "note", seq), mention_id=mention_id, author=author, text=text, at=at
    )
    preview = text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"
    entry = HistoryEntry(
        id=entry_id(mention_id, "note-entry", seq),
        mention_id=mention_id,
        actor=author,
        at=at,
        action=HistoryAction.note,
        after=note.id,
        detail=preview,
    )
    return note, entry


__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "HistoryAction",
    "HistoryEntry",
    "MentionWorkflow",
    "WorkflowChange",
    "WorkflowFilter",
    "WorkflowNote",
    "WorkflowPriority",
    "WorkflowStatus",
    "apply_change",
    "entry_id",
    "make_note",
    "normalize_tag",
    "tag_key",
]
