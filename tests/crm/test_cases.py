"""A case's own rules, without a store: the transitions, the SLA timers on a fixed clock, the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import InvalidInput
from core.settings import CaseSettings, Settings
from crm.cases import OPEN_STATUSES, RULE_ACTOR, TRANSITIONS, CasePriority, CaseStatus
from crm.cases.testing import T0, make_case

HOUR = timedelta(hours=1)


def test_the_transition_table_is_the_documented_one() -> None:
    allowed = {s.value: sorted(t.value for t in TRANSITIONS[s]) for s in CaseStatus}
    assert allowed == {
        "new": ["closed", "escalated", "open", "pending", "resolved"],
        "open": ["closed", "escalated", "pending", "resolved"],
        "pending": ["closed", "escalated", "open", "resolved"],
        "escalated": ["closed", "open", "pending", "resolved"],
        "resolved": ["closed", "open"],
        "closed": [],
    }
    assert {s.value for s in OPEN_STATUSES} == {"new", "open", "pending", "escalated"}


@pytest.mark.parametrize(
    ("path", "refused", "message"),
    [
        (
            ["resolved"],
            "pending",
            "cannot move from resolved to pending (allowed from resolved: open, closed)",
        ),
        (
            ["closed"],
            "open",
            "cannot move from closed to open (allowed from closed: none: a closed case is final)",
        ),
        (["open"], "new", "cannot move from open to new"),
        (["open"], "open", "cannot move from open to open"),
    ],
)
def test_refused_transitions_say_what_is_allowed(path: list[str], refused: str, message: str) -> None:
    case = make_case()
    for status in path:
        case = case.move_to(status, by="mei", now=T0)
    with pytest.raises(InvalidInput) as raised:
        case.move_to(refused, by="mei", now=T0)
    assert message in str(raised.value)
    assert raised.value.details == {"case": case.id, "from": path[-1], "to": refused}


def test_an_unknown_status_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown case status 'done'; known: new, open, pending"):
        make_case().move_to("done", by="mei", now=T0)


def test_sla_targets_come_from_the_priority_policy() -> None:
    urgent = make_case(priority=CasePriority.urgent)
    assert urgent.first_response_due == T0 + HOUR
    assert urgent.resolution_due == T0 + timedelta(days=1)
    low = make_case(priority=CasePriority.low, policy=CaseSettings(first_response_low="30m"))
    assert low.first_response_due == T0 + timedelta(minutes=30)
    assert low.resolution_due == T0 + timedelta(days=7)


def test_sla_timers_on_a_fixed_clock() -> None:
    case = make_case(priority=CasePriority.high)  # 4 h to respond, 2 days to resolve
    sla = case.sla(T0 + HOUR)
    assert sla.first_response_left == 3 * 3600
    assert sla.resolution_left == 47 * 3600
    assert not sla.breached
    late = case.sla(T0 + 5 * HOUR)
    assert late.first_response_breached
    assert not late.resolution_breached
    assert late.first_response_left == -3600
    responded = case.add_note("we are on it", by="li.wei", now=T0 + 2 * HOUR)
    assert responded.first_response_at == T0 + 2 * HOUR
    after = responded.sla(T0 + 5 * HOUR)
    assert not after.first_response_breached
    assert after.first_response_left is None
    resolved = responded.move_to("resolved", by="li.wei", now=T0 + timedelta(days=3))
    final = resolved.sla(T0 + timedelta(days=9))
    assert final.resolution_breached
    assert final.resolution_left is None


def test_what_counts_as_a_first_response() -> None:
    case = make_case()
    assert case.add_note("internal only", by="li.wei", now=T0 + HOUR, private=True).first_response_at is None
    assert case.assign("li.wei", by="mei", now=T0 + HOUR).first_response_at is None
    assert case.move_to("open", by=RULE_ACTOR, now=T0 + HOUR).first_response_at is None
    assert case.move_to("open", by="li.wei", now=T0 + HOUR).first_response_at == T0 + HOUR
    first = case.add_note("sorry about that", by="li.wei", now=T0 + HOUR)
    assert first.add_note("again", by="li.wei", now=T0 + 2 * HOUR).first_response_at == T0 + HOUR


def test_reopening_clears_the_resolution_but_not_its_target() -> None:
    case = make_case().move_to("resolved", by="mei", now=T0 + HOUR)
    assert case.resolved_at == T0 + HOUR
    reopened = case.move_to("open", by="mei", now=T0 + timedelta(days=4))
    assert reopened.resolved_at is None
    assert reopened.resolution_due == case.resolution_due
    assert reopened.sla(T0 + timedelta(days=4)).resolution_breached


def test_a_new_priority_moves_the_targets_from_the_opening() -> None:
    case = make_case().reprioritise("urgent", by="mei", now=T0 + HOUR, policy=CaseSettings())
    assert case.first_response_due == T0 + HOUR
    assert case.resolution_due == T0 + timedelta(days=1)
    assert case.reprioritise("urgent", by="mei", now=T0 + 2 * HOUR, policy=CaseSettings()) is case


def test_every_change_is_in_the_history_with_who_when_and_from_to() -> None:
    case = (
        make_case(assignee="li.wei")
        .move_to("open", by="li.wei", now=T0 + HOUR)
        .assign("wang.fang", by="boss", now=T0 + 2 * HOUR)
        .add_note("customer called", by="wang.fang", now=T0 + 3 * HOUR, private=True)
        .add_mention("m9", by=RULE_ACTOR, now=T0 + 4 * HOUR)
        .move_to("resolved", by="wang.fang", now=T0 + 5 * HOUR, note="replaced the strap")
    )
    rows = [(h.by, h.field, h.before, h.after) for h in case.history]
    assert rows == [
        ("mei", "opened", None, "Broken strap"),
        ("mei", "assignee", None, "li.wei"),
        ("li.wei", "status", "new", "open"),
        ("boss", "assignee", "li.wei", "wang.fang"),
        ("wang.fang", "note", None, "private: customer called"),
        (RULE_ACTOR, "mention", None, "m9"),
        ("wang.fang", "status", "open", "resolved"),
        ("wang.fang", "note", None, "private: replaced the strap"),
    ]
    assert case.updated_at == T0 + 5 * HOUR
    assert [n.text for n in case.notes][-1] == "replaced the strap"


def test_changes_need_an_actor_and_notes_need_text() -> None:
    with pytest.raises(InvalidInput, match="who made it"):
        make_case().assign("x", by=" ", now=T0)
    with pytest.raises(InvalidInput, match="needs some text"):
        make_case().add_note("  ", by="mei", now=T0)


def test_the_case_settings_are_a_crm_section() -> None:
    settings = Settings.model_validate({"crm": {"cases": {"join_days": 3, "resolution_high": "12h"}}})
    assert settings.crm.cases.join_days == 3
    assert settings.crm.cases.resolution("high") == 12 * 3600
