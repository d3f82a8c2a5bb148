"""A case: one customer's problem, with its mentions and interactions, status, assignee, priority, SLA
timers, notes and the full history of every change.

Statuses and the moves allowed between them (`TRANSITIONS`; anything else is refused with InvalidInput
naming the allowed moves):

    new       -> open, pending, escalated, resolved, closed
    open      -> pending, escalated, resolved, closed
    pending   -> open, escalated, resolved, closed      (pending: waiting on the customer)
    escalated -> open, pending, resolved, closed
    resolved  -> open (reopened), closed
    closed    -> nothing: closed is final; a new complaint opens a new case

A case is *open* while its status is new, open, pending or escalated (`OPEN_STATUSES`).

SLA timers (`Case.sla`): both targets are fixed when the case opens, from the priority's policy
(`CaseSettings`), counted from `opened_at` (for a case opened by a complaint: when the customer
complained), and moved when the priority changes. The first response is the first thing staff do that
the customer sees: a note that is not private, or a status change by a person. Resolution is the first
move to resolved or closed; reopening clears it (the original resolution target stays, so a reopened
case that is late shows as breached).

Every change goes through `Case` methods that return a new case with a `CaseChange` appended (who,
when, what field, from, to): the history is complete by construction.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Self

from pydantic import AwareDatetime, Field

from core.errors import InvalidInput
from core.models import Frozen
from core.settings import CaseSettings

RULE_ACTOR: Final = "earful"  # who the complaint rule acts as in a case's history


class CaseStatus(StrEnum):
    new = "new"
    open = "open"
    pending = "pending"
    escalated = "escalated"
    resolved = "resolved"
    closed = "closed"


class CasePriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


OPEN_STATUSES: Final = frozenset({CaseStatus.new, CaseStatus.open, CaseStatus.pending, CaseStatus.escalated})
TRANSITIONS: Final[dict[CaseStatus, frozenset[CaseStatus]]] = {
    CaseStatus.new: frozenset(CaseStatus) - {CaseStatus.new},
    CaseStatus.open: frozenset(CaseStatus) - {CaseStatus.new, CaseStatus.open},
    CaseStatus.pending: frozenset(CaseStatus) - {CaseStatus.new, CaseStatus.pending},
    CaseStatus.escalated: frozenset(CaseStatus) - {CaseStatus.new, CaseStatus.escalated},
    CaseStatus.resolved: frozenset({CaseStatus.open, CaseStatus.closed}),
    CaseStatus.closed: frozenset(),
}
_DONE: Final = frozenset({CaseStatus.resolved, CaseStatus.closed})


def case_id(customer_id: str, first: str) -> str:
    """A case's id: a hash of its customer and what opened it (the first mention's id, or a manual
    case's title and time), so a replayed complaint opens the same case, never a second one."""
    body = "\x1f".join(("case", customer_id, first)).encode("utf-8")
    return hashlib.blake2b(body, digest_size=10).hexdigest()


class CaseNote(Frozen):
    author: str = Field(min_length=1)
    at: AwareDatetime
    text: str = Field(min_length=1)
    private: bool = Field(False, description="Internal: not a response the customer sees")


class CaseChange(Frozen):
    """One entry of a case's history."""

    at: AwareDatetime
    by: str = Field(description="Staff member, or 'earful' for the complaint rule")
    field: str = Field(description="What changed: status, assignee, priority, mention, note, opened...")
    before: str | None = None
    after: str | None = None


class CaseSla(Frozen):
    """The SLA timers of a case at one moment."""

    first_response_due: AwareDatetime
    resolution_due: AwareDatetime
    first_response_breached: bool
    resolution_breached: bool
    first_response_left: float | None = Field(
        description="Seconds until the first response is due (negative: late); None once responded"
    )
    resolution_left: float | None = Field(
        description="Seconds until resolution is due (negative: late); None once resolved"
    )

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached


def _check_actor(by: str) -> str:
    if not by.strip():
        raise InvalidInput("a case change needs who made it", details={"by": by})
    return by.strip()


class Case(Frozen):
    id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=500)
    status: CaseStatus = CaseStatus.new
    priority: CasePriority = CasePriority.normal
    assignee: str | None = None
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    first_response_due: AwareDatetime
    resolution_due: AwareDatetime
    mention_ids: tuple[str, ...] = ()
    interaction_ids: tuple[str, ...] = ()
    notes: tuple[CaseNote, ...] = ()
    history: tuple[CaseChange, ...] = ()

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        *,
        customer_id: str,
        title: str,
        by: str,
        opened_at: datetime,
        now: datetime,
        policy: CaseSettings,
        priority: CasePriority = CasePriority.normal,
        assignee: str | None = None,
        mention_ids: tuple[str, ...] = (),
        id: str | None = None,
    ) -> Case:
        """A new case, its SLA targets set from `policy`, its history starting with who opened it."""
        by = _check_actor(by)
        title = " ".join(title.split())[:500] or "(untitled)"
        return cls(
            id=id or case_id(customer_id, f"{title}\x1f{now.isoformat()}"),
            customer_id=customer_id,
            title=title,
            priority=priority,
            assignee=assignee,
            opened_at=opened_at,
            updated_at=now,
            first_response_due=opened_at + timedelta(seconds=policy.first_response(priority.value)),
            resolution_due=opened_at + timedelta(seconds=policy.resolution(priority.value)),
            mention_ids=mention_ids,
            history=(CaseChange(at=now, by=by, field="opened", after=title),)
            + ((CaseChange(at=now, by=by, field="assignee", after=assignee),) if assignee else ()),
        )

    # --- reading ---------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_activity_at(self) -> datetime:
        """When the case was opened or last changed, whichever is later: what the join window reads."""
        return max(self.opened_at, self.updated_at)

    def sla(self, now: datetime) -> CaseSla:
        responded, resolved = self.first_response_at, self.resolved_at
        return CaseSla(
            first_response_due=self.first_response_due,
            resolution_due=self.resolution_due,
            first_response_breached=(responded or now) > self.first_response_due,
            resolution_breached=(resolved or now) > self.resolution_due,
            first_response_left=None if responded else (self.first_response_due - now).total_seconds(),
            resolution_left=None if resolved else (self.resolution_due - now).total_seconds(),
        )

    # --- changes ---------------------------------------------------------------------------------
    def _changed(self, change: CaseChange, **fields: object) -> Self:
        return self.model_copy(update={**fields, "updated_at": change.at, "history": (*self.history, change)})

    def move_to(self, status: CaseStatus | str, *, by: str, now: datetime, note: str | None = None) -> Case:
        """The case in `status`; a move `TRANSITIONS` does not allow raises InvalidInput. A move by a
        person counts as the first response; a move to resolved or closed as the resolution."""
        by = _check_actor(by)
        try:
            target = CaseStatus(status)
        except ValueError:
            raise InvalidInput(
                f"unknown case status {status!r}; known: {', '.join(s.value for s in CaseStatus)}",
                details={"status": str(status)},
            ) from None
        allowed = TRANSITIONS[self.status]
        if target not in allowed:
            options = ", ".join(s.value for s in CaseStatus if s in allowed) or "none: a closed case is final"
            raise InvalidInput(
                f"case {self.id}: cannot move from {self.status.value} to {target.value} "
                f"(allowed from {self.status.value}: {options})",
                details={"case": self.id, "from": self.status.value, "to": target.value},
            )
        fields: dict[str, object] = {"status": target}
        if by != RULE_ACTOR and self.first_response_at is None:
            fields["first_response_at"] = now
        if target in _DONE and self.resolved_at is None:
            fields["resolved_at"] = now
        elif target not in _DONE:
            fields["resolved_at"] = None  # reopened
        case = self._changed(
            CaseChange(at=now, by=by, field="status", before=self.status.value, after=target.value), **fields
        )
        return case.add_note(note, by=by, now=now, private=True) if note else case

    def assign(self, assignee: str | None, *, by: str, now: datetime) -> Case:
        """The case assigned to `assignee` (None: unassigned); the same assignee again changes nothing."""
        if assignee == self.assignee:
            return self
        change = CaseChange(
            at=now, by=_check_actor(by), field="assignee", before=self.assignee, after=assignee
        )
        return self._changed(change, assignee=assignee)

    def reprioritise(
        self, priority: CasePriority | str, *, by: str, now: datetime, policy: CaseSettings
    ) -> Case:
        """The case at `priority`, its SLA targets recomputed from `opened_at` under the new priority."""
        target = CasePriority(priority)
        if target is self.priority:
            return self
        change = CaseChange(
            at=now, by=_check_actor(by), field="priority", before=self.priority.value, after=target.value
        )
        return self._changed(
            change,
            priority=target,
            first_response_due=self.opened_at + timedelta(seconds=policy.first_response(target.value)),
            resolution_due=self.opened_at + timedelta(seconds=policy.resolution(target.value)),
        )

    def add_note(self, text: str, *, by: str, now: datetime, private: bool = False) -> Case:
        """The case with a note; a note that is not private is a response the customer sees."""
        by = _check_actor(by)
        if not text.strip():
            raise InvalidInput("a note needs some text", details={"case": self.id})
        note = CaseNote(author=by, at=now, text=text.strip(), private=private)
        change = CaseChange(
            at=now, by=by, field="note", after=("private: " if private else "") + note.text[:80]
        )
        fields: dict[str, object] = {"notes": (*self.notes, note)}
        if not private and by != RULE_ACTOR and self.first_response_at is None:
            fields["first_response_at"] = now
        return self._changed(change, **fields)

    def add_mention(self, mention_id: str, *, by: str, now: datetime) -> Case:
        """The case with one more mention (once); a pending case goes back to open: the customer spoke."""
        if mention_id in self.mention_ids:
            return self
        case = self._changed(
            CaseChange(at=now, by=_check_actor(by), field="mention", after=mention_id),
            mention_ids=(*self.mention_ids, mention_id),
        )
        if case.status is CaseStatus.pending:
            case = case._changed(
                CaseChange(
                    at=now, by=by, field="status", before=case.status.value, after=CaseStatus.open.value
                ),
                status=CaseStatus.open,
            )
        return case

    def add_interaction(self, interaction_id: str, *, by: str, now: datetime) -> Case:
        if interaction_id in self.interaction_ids:
            return self
        change = CaseChange(at=now, by=_check_actor(by), field="interaction", after=interaction_id)
        return self._changed(change, interaction_ids=(*self.interaction_ids, interaction_id))
