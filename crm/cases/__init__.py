"""Cases: a customer's problem, grouping their mentions and interactions, with a status, an assignee, a
priority, SLA timers, notes and a full history (`crm.cases.model`); the store on both backends
(`crm.cases.store`); the complaint rule that opens or joins cases from enriched mentions
(`crm.cases.rule`); the handover of a leaving staff member's customers and cases (`crm.handover`).

    store = build_case_store(settings, workspace="acme")
    report = assign_to_cases(batch, store, now=utcnow(), policy=settings.crm.cases)
    store.update(case_id, lambda c: c.move_to("resolved", by="li.wei", now=utcnow()))
"""

from __future__ import annotations

from crm.cases.model import (
    OPEN_STATUSES,
    RULE_ACTOR,
    TRANSITIONS,
    Case,
    CaseChange,
    CaseNote,
    CasePriority,
    CaseSla,
    CaseStatus,
    case_id,
)
from crm.cases.rule import CaseReport, assign_to_cases, is_case_complaint
from crm.cases.store import (
    CaseFilter,
    CaseStore,
    ElasticsearchCaseStore,
    SQLiteCaseStore,
    build_case_store,
    open_case_counts,
)

__all__ = [
    "OPEN_STATUSES",
    "RULE_ACTOR",
    "TRANSITIONS",
    "Case",
    "CaseChange",
    "CaseFilter",
    "CaseNote",
    "CasePriority",
    "CaseReport",
    "CaseSla",
    "CaseStatus",
    "CaseStore",
    "ElasticsearchCaseStore",
    "SQLiteCaseStore",
    "assign_to_cases",
    "build_case_store",
    "case_id",
    "is_case_complaint",
    "open_case_counts",
]
