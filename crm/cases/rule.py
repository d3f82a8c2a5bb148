"""The complaint rule: which case a complaint mention goes to.

A mention counts when it is linked to a customer (its ``customer`` link) and carries the ``complaint``
intent; every other mention of the batch is ignored. For each such mention, oldest first:

1. already on a case (any status, `CaseStore.by_mentions`): nothing to do. A replayed batch, a spool
   drain or a backfill of the same mentions adds nothing;
2. the customer has an open case (new, open, pending, escalated) that was opened or last changed at
   most ``crm.cases.join_days`` days (default 7) before the complaint was published: the mention joins
   the most recently changed such case (a pending case goes back to open: the customer spoke again);
3. otherwise a new case opens: its id is a hash of the customer and the mention (so a crash between
   the write and the report cannot open it twice), opened when the complaint was published (the SLA
   clock starts when the customer complained, not when Earful noticed), at the configured priority,
   assigned to the customer's account owner when the directory knows one.

A resolved or closed case is never joined: a complaint after resolution is a new problem.

The rule dates what it does by the complaint (its ``published_at``, capped at `now`), not by when Earful
processed it: the history says when the customer spoke, and a backfill of last year's mentions builds
the same cases that listening live would have built, instead of piling them all into one case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import Field

from core.models import Customer, EnrichedMention, Frozen, IntentLabel
from core.settings import CaseSettings
from crm.cases.model import RULE_ACTOR, Case, CasePriority, case_id
from crm.cases.store import CaseFilter, CaseStore

TITLE_CHARS = 80


class CustomerLookup(Protocol):
    """What the rule needs of the customer directory: the customer, for its account owner."""

    def get(self, customer_id: str) -> Customer | None: ...


class CaseReport(Frozen):
    """What `assign_to_cases` did with one batch."""

    complaints: int = Field(0, ge=0, description="Linked complaint mentions in the batch")
    opened: tuple[str, ...] = Field((), description="Ids of the cases opened")
    joined: tuple[str, ...] = Field((), description="Ids of the existing cases that got a mention")
    already: int = Field(0, ge=0, description="Complaints that were already on a case (a replay)")


def is_case_complaint(mention: EnrichedMention) -> bool:
    """A mention the rule acts on: linked to a customer, with the complaint intent."""
    return mention.customer is not None and any(i.label is IntentLabel.complaint for i in mention.intents)


def case_title(mention: EnrichedMention) -> str:
    text = " ".join((mention.title or mention.text).split())
    cut = text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"
    return f"Complaint on {mention.platform}: {cut or mention.id}"


def _joining(mention_id: str, now: datetime) -> Callable[[Case], Case]:
    return lambda case: case.add_mention(mention_id, by=RULE_ACTOR, now=now)


def assign_to_cases(
    batch: Sequence[EnrichedMention],
    store: CaseStore,
    *,
    now: datetime,
    policy: CaseSettings | None = None,
    customers: CustomerLookup | None = None,
) -> CaseReport:
    """Open or join cases for the batch's complaint mentions (the rule in this module's docstring).
    `policy` is the SLA policy and join window (default: `CaseSettings()`); `customers` gives each new
    case its customer's account owner as assignee."""
    policy = policy or CaseSettings()
    window = timedelta(days=policy.join_days)
    complaints = sorted(
        {m.id: m for m in batch if is_case_complaint(m)}.values(), key=lambda m: (m.published_at, m.id)
    )
    if not complaints:
        return CaseReport()
    known = store.by_mentions([m.id for m in complaints])
    open_cases: dict[str, list[Case]] = {}  # per customer, most recently changed first
    opened: dict[str, None] = {}
    joined: dict[str, None] = {}
    already = 0
    for mention in complaints:
        if mention.id in known:
            already += 1
            continue
        assert mention.customer is not None  # is_case_complaint
        customer = mention.customer.customer_id
        if customer not in open_cases:
            open_cases[customer] = store.list(CaseFilter(customer_id=customer, open_only=True))
        at = min(mention.published_at, now)
        target = next((c for c in open_cases[customer] if at - c.last_activity_at <= window), None)
        if target is not None:
            case = store.update(target.id, _joining(mention.id, at))
            if target.id not in opened:
                joined[target.id] = None
        else:
            found = customers.get(customer) if customers is not None else None
            case = Case.open(
                id=case_id(customer, mention.id),
                customer_id=customer,
                title=case_title(mention),
                by=RULE_ACTOR,
                opened_at=at,
                now=at,
                policy=policy,
                priority=CasePriority(policy.default_priority),
                assignee=found.owner if found is not None else None,
                mention_ids=(mention.id,),
            )
            if not store.create(case):
                already += 1
                continue
            opened[case.id] = None
        open_cases[customer] = [case, *(c for c in open_cases[customer] if c.id != case.id)]
    return CaseReport(complaints=len(complaints), opened=tuple(opened), joined=tuple(joined), already=already)
