"""`WorkflowStoreContract`: what every mention workflow store must do, as a pytest suite to subclass.

    class TestMyWorkflows(WorkflowStoreContract):
        @pytest.fixture
        def workflows_in(self) -> Iterator[MakeWorkflowStore]:
            yield lambda workspace: MyWorkflowStore(..., workspace=workspace)  # fresh, closed after

Times come from a fixed clock (`T0`); nothing reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts.workflow.model import (
    MAX_NOTE_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    HistoryAction,
    MentionWorkflow,
    WorkflowChange,
    WorkflowFilter,
    WorkflowPriority,
    WorkflowStatus,
)
from core.errors import Conflict, InvalidInput

MakeWorkflowStore = Callable[[str], Any]  # workspace -> a fresh workflow store of that workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


class WorkflowStoreContract:
    @pytest.fixture
    def workflows_in(self) -> MakeWorkflowStore:
        raise NotImplementedError("subclasses provide a `workflows_in` fixture")

    @pytest.fixture
    def store(self, workflows_in: MakeWorkflowStore) -> Any:
        return workflows_in("default")

    # --- state -----------------------------------------------------------------------------------
    def test_an_untouched_mention_has_the_default_state(self, store: Any) -> None:
        state = store.get("m1")
        assert state == MentionWorkflow(workspace="default", mention_id="m1")
        assert (state.status, state.priority, state.assignee, state.version) == ("open", "normal", None, 0)
        assert store.history("m1") == []
        assert store.notes("m1") == []
        assert store.list() == []

    def test_a_change_is_stored_with_its_history(self, store: Any) -> None:
        change = WorkflowChange(assignee="li.wei", status="pending", priority="high", starred=True)
        state, entries = store.apply("m1", change, "mei", T0)
        assert (state.assignee, state.status, state.priority, state.starred) == (
            "li.wei",
            WorkflowStatus.pending,
            WorkflowPriority.high,
            True,
        )
        assert state.version == 1
        assert state.updated_at == T0
        assert store.get("m1") == state
        assert [(e.action, e.before, e.after) for e in entries] == [
            (HistoryAction.assigned, None, "li.wei"),
            (HistoryAction.status, "open", "pending"),
            (HistoryAction.priority, "normal", "high"),
            (HistoryAction.starred, None, None),
        ]
        assert {(e.actor, e.at, e.mention_id) for e in entries} == {("mei", T0, "m1")}
        assert store.history("m1") == entries[::-1]  # newest first

    def test_a_change_that_changes_nothing_writes_nothing(self, store: Any) -> None:
        first, _ = store.apply("m1", WorkflowChange(status="closed"), "mei", T0)
        again, entries = store.apply("m1", WorkflowChange(status="closed", add_tags=()), "li.wei", at(5))
        assert entries == []
        assert again == first
        assert store.get("m1").version == 1
        assert store.get("m1").updated_at == T0
        assert len(store.history("m1")) == 1
        nothing, none = store.apply("m2", WorkflowChange(), "mei", T0)
        assert none == []
        assert nothing.version == 0
        assert store.list() == [first]

    def test_assignee_left_out_is_kept_and_null_unassigns(self, store: Any) -> None:
        store.apply("m1", WorkflowChange(assignee="li.wei"), "mei", T0)
        kept, _ = store.apply("m1", WorkflowChange(priority="urgent"), "mei", at(1))
        assert kept.assignee == "li.wei"
        cleared, entries = store.apply("m1", WorkflowChange(assignee=None), "mei", at(2))
        assert cleared.assignee is None
        assert [(e.action, e.before, e.after) for e in entries] == [
            (HistoryAction.unassigned, "li.wei", None)
        ]
        moved, entries = store.apply("m1", WorkflowChange(assignee="ana"), "key:k1", at(3))
        assert [(e.action, e.actor) for e in entries] == [(HistoryAction.assigned, "key:k1")]
        assert moved.version == 4

    def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(self, store: Any) -> None:
        store.apply("m1", WorkflowChange(status="pending"), "mei", T0, expected_version=0)
        with pytest.raises(Conflict) as caught:
            store.apply("m1", WorkflowChange(status="closed"), "li.wei", at(1), expected_version=0)
        assert caught.value.http_status == 409
        assert caught.value.details["version"] == 1
        assert store.get("m1").status is WorkflowStatus.pending
        state, _ = store.apply("m1", WorkflowChange(status="closed"), "li.wei", at(2), expected_version=1)
        assert state.version == 2
        with pytest.raises(Conflict):  # a mention never touched is at version 0
            store.apply("m9", WorkflowChange(starred=True), "mei", T0, expected_version=3)

    # --- tags ------------------------------------------------------------------------------------
    def test_tags_keep_their_case_and_compare_without_it(self, store: Any) -> None:
        state, entries = store.apply(
            "m1", WorkflowChange(add_tags=("  Refund  request ", "refund REQUEST", "vip")), "mei", T0
        )
        assert state.tags == ("Refund request", "vip")
        assert [(e.action, e.after) for e in entries] == [
            (HistoryAction.tagged, "Refund request"),
            (HistoryAction.tagged, "vip"),
        ]
        state, entries = store.apply(
            "m1", WorkflowChange(remove_tags=("REFUND request", "absent")), "mei", at(1)
        )
        assert state.tags == ("vip",)
        assert [(e.action, e.before) for e in entries] == [(HistoryAction.untagged, "Refund request")]
        assert [s.mention_id for s in store.list(WorkflowFilter(tag="VIP"))] == ["m1"]
        assert store.list(WorkflowFilter(tag="refund request")) == []

    def test_bad_tags_are_refused_and_nothing_is_written(self, store: Any) -> None:
        store.apply("m1", WorkflowChange(add_tags=tuple(f"t{i}" for i in range(MAX_TAGS))), "mei", T0)
        before, history = store.get("m1"), store.history("m1", limit=1000)
        assert len(before.tags) == MAX_TAGS
        assert len(history) == MAX_TAGS
        for tags in (("",), ("x" * (MAX_TAG_CHARS + 1),), ("a\x00b",), ("one-more",)):
            with pytest.raises(InvalidInput):  # with a valid change beside it: the whole change is refused
                store.apply("m1", WorkflowChange(status="closed", add_tags=tags), "mei", at(1))
        assert store.get("m1") == before
        assert store.history("m1", limit=1000) == history

    # --- notes -----------------------------------------------------------------------------------
    def test_notes_are_kept_in_order_with_a_history_entry(self, store: Any) -> None:
        first = store.add_note("m1", "mei", "  Called her back.  ", T0)
        second = store.add_note("m1", "li.wei", "Refund sent <b>today</b>", at(1))
        assert (first.text, first.author, first.at) == ("Called her back.", "mei", T0)
        assert first.id != second.id
        assert store.notes("m1") == [first, second]
        notes = [e for e in store.history("m1") if e.action is HistoryAction.note]
        assert [(e.actor, e.after, e.detail) for e in notes] == [
            ("li.wei", second.id, "Refund sent <b>today</b>"),
            ("mei", first.id, "Called her back."),
        ]
        state = store.get("m1")
        assert state.version == 0
        assert state.updated_at == at(1)
        assert [s.mention_id for s in store.list()] == ["m1"]
        store.apply("m1", WorkflowChange(status="closed"), "mei", at(2), expected_version=0)

    def test_a_note_must_have_text_within_the_limit(self, store: Any) -> None:
        for text in ("   ", "x" * (MAX_NOTE_CHARS + 1)):
            with pytest.raises(InvalidInput):
                store.add_note("m1", "mei", text, T0)
        assert store.notes("m1") == []
        assert store.history("m1") == []
        assert store.add_note("m1", "mei", "x" * MAX_NOTE_CHARS, T0).text == "x" * MAX_NOTE_CHARS

    # --- the queue -------------------------------------------------------------------------------
    def test_the_queue_filters_and_puts_the_latest_activity_first(self, store: Any) -> None:
        store.apply("m1", WorkflowChange(assignee="li.wei", add_tags=("vip",)), "mei", T0)
        store.apply("m2", WorkflowChange(assignee="ana", status="pending", starred=True), "mei", at(1))
        store.apply("m3", WorkflowChange(priority="urgent", status="closed"), "mei", at(2))
        store.add_note("m1", "mei", "still waiting", at(3))

        def ids(**filters: Any) -> list[str]:
            return [s.mention_id for s in store.list(WorkflowFilter(**filters))]

        assert ids() == ["m1", "m3", "m2"]
        assert ids(status="open") == ["m1"]
        assert ids(status="pending", assignee="ana") == ["m2"]
        assert ids(assignee="li.wei") == ["m1"]
        assert ids(starred=True) == ["m2"]
        assert ids(starred=False) == ["m1", "m3"]
        assert ids(priority="urgent") == ["m3"]
        assert ids(tag="VIP", status="open") == ["m1"]
        assert ids(assignee="nobody") == []
        assert [s.mention_id for s in store.list(limit=2)] == ["m1", "m3"]

    def test_history_is_newest_first_and_limited(self, store: Any) -> None:
        for n in range(5):
            store.apply("m1", WorkflowChange(starred=n % 2 == 0), "mei", at(n))
        history = store.history("m1", limit=3)
        assert [e.at for e in history] == [at(4), at(3), at(2)]
        assert [e.action for e in history] == [
            HistoryAction.starred,
            HistoryAction.unstarred,
            HistoryAction.starred,
        ]
        assert len({e.id for e in store.history("m1")}) == 5

    # --- erasure and isolation -------------------------------------------------------------------
    def test_delete_removes_state_notes_and_history(self, store: Any) -> None:
        store.apply("m1", WorkflowChange(assignee="li.wei", add_tags=("vip",)), "mei", T0)
        store.add_note("m1", "mei", "her phone number is in the ticket", at(1))
        store.apply("m2", WorkflowChange(starred=True), "mei", T0)
        assert store.delete(["m1", "m1", "m9"]) == 1
        assert store.get("m1") == MentionWorkflow(workspace="default", mention_id="m1")
        assert store.notes("m1") == []
        assert store.history("m1") == []
        assert store.list(WorkflowFilter(tag="vip")) == []
        assert [s.mention_id for s in store.list()] == ["m2"]
        assert store.delete([]) == 0

    def test_a_workspace_sees_nothing_of_another(self, workflows_in: MakeWorkflowStore) -> None:
        acme, beta = workflows_in("acme"), workflows_in("beta")
        assert (acme.workspace, beta.workspace) == ("acme", "beta")
        state, _ = acme.apply("m1", WorkflowChange(assignee="li.wei", add_tags=("vip",)), "mei", T0)
        acme.add_note("m1", "mei", "acme only", T0)
        assert state.workspace == "acme"
        assert beta.get("m1") == MentionWorkflow(workspace="beta", mention_id="m1")
        assert beta.notes("m1") == []
        assert beta.history("m1") == []
        assert beta.list() == []
        assert beta.list(WorkflowFilter(tag="vip")) == []
        with pytest.raises(Conflict):  # beta's m1 is at version 0, whatever acme's is
            beta.apply("m1", WorkflowChange(starred=True), "mei", T0, expected_version=1)
        assert beta.delete(["m1"]) == 0
        assert acme.get("m1") == state
        assert len(acme.notes("m1")) == 1
        beta.apply("m1", WorkflowChange(status="closed"), "ana", T0)
        assert acme.get("m1").status is WorkflowStatus.open


__all__ = ["T0", "MakeWorkflowStore", "WorkflowStoreContract", "at"]
