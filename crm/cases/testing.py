"""`CaseStoreContract`: what every case store must do, as a pytest suite to subclass; and
`CaseRuleContract`: the complaint rule (`assign_to_cases`) over a store of the backend under test.

    class TestMyCases(CaseStoreContract, CaseRuleContract):
        @pytest.fixture
        def cases_in(self) -> Iterator[MakeCaseStore]:
            yield lambda workspace: MyCaseStore(..., workspace=workspace)  # fresh and empty, closed after

Times come from a fixed clock (`T0`); nothing reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import InvalidInput, NotFound
from core.models import Customer, CustomerLink, EnrichedMention, Intent, IntentLabel
from core.settings import CaseSettings
from crm.cases.model import RULE_ACTOR, Case, CasePriority, CaseStatus
from crm.cases.rule import assign_to_cases
from crm.cases.store import CaseFilter
from index.testing.corpus import enriched_mention

MakeCaseStore = Callable[[str], Any]  # workspace -> a fresh case store of that workspace (same backend)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = CaseSettings()
ANA = Customer(code="C001", name="Ana Lima", owner="li.wei")
BO = Customer(code="C002", name="Bo Chen")


def make_case(customer: Customer = ANA, title: str = "Broken strap", **fields: Any) -> Case:
    """A case opened at T0 by 'mei' (fields override `Case.open`'s arguments)."""
    args: dict[str, Any] = {
        "customer_id": customer.id,
        "title": title,
        "by": "mei",
        "opened_at": T0,
        "now": T0,
        "policy": POLICY,
    }
    return Case.open(**{**args, **fields})


def complaint(
    native_id: str,
    customer: Customer | None = ANA,
    *,
    at: datetime = T0,
    intent: IntentLabel = IntentLabel.complaint,
) -> EnrichedMention:
    """A mention published at `at`, linked to `customer` (None: unlinked), with one intent."""
    link = CustomerLink(customer_id=customer.id, confidence=1.0, method="handle") if customer else None
    return enriched_mention(
        native_id,
        f"{native_id}: my order arrived broken",
        published_at=at,
        intents=(Intent(label=intent, confidence=0.9),),
        customer=link,
    )


class Owners:
    """A customer lookup for the rule: the account owner of each case's customer."""

    def __init__(self, *customers: Customer) -> None:
        self._by_id = {c.id: c for c in customers}

    def get(self, customer_id: str) -> Customer | None:
        return self._by_id.get(customer_id)


class _Base:
    @pytest.fixture
    def cases_in(self) -> MakeCaseStore:
        raise NotImplementedError("subclasses provide a `cases_in` fixture")

    @pytest.fixture
    def store(self, cases_in: MakeCaseStore) -> Any:
        return cases_in("default")


class CaseStoreContract(_Base):
    def test_a_created_case_reads_back_whole(self, store: Any) -> None:
        case = make_case(assignee="li.wei", mention_ids=("m1",))
        case = case.add_note("called her back", by="li.wei", now=T0 + timedelta(hours=1), private=True)
        assert store.create(case) is True
        assert store.get(case.id) == case
        assert store.get("nope") is None

    def test_create_refuses_an_existing_id(self, store: Any) -> None:
        case = make_case()
        assert store.create(case) is True
        assert store.create(case.model_copy(update={"title": "other"})) is False
        assert store.get(case.id) == case

    def test_update_applies_the_change_atomically_and_keeps_it(self, store: Any) -> None:
        case = make_case()
        store.create(case)
        later = T0 + timedelta(hours=2)
        changed = store.update(case.id, lambda c: c.move_to("open", by="li.wei", now=later))
        assert changed.status is CaseStatus.open
        assert changed.first_response_at == later
        assert store.get(case.id) == changed
        assert [h.field for h in changed.history] == ["opened", "status"]

    def test_update_of_an_unknown_case_is_not_found(self, store: Any) -> None:
        with pytest.raises(NotFound):
            store.update("nope", lambda c: c)

    def test_a_refused_transition_changes_nothing(self, store: Any) -> None:
        case = make_case()
        store.create(case)
        store.update(case.id, lambda c: c.move_to("closed", by="mei", now=T0))
        with pytest.raises(InvalidInput, match="cannot move from closed to open"):
            store.update(case.id, lambda c: c.move_to("open", by="mei", now=T0))
        stored = store.get(case.id)
        assert stored is not None
        assert stored.status is CaseStatus.closed

    def test_list_filters_and_orders_by_last_change(self, store: Any) -> None:
        first = make_case(title="first", assignee="li.wei")
        second = make_case(title="second", now=T0 + timedelta(hours=1))
        other = make_case(BO, title="bo's", now=T0 + timedelta(hours=2), assignee="li.wei")
        for case in (first, second, other):
            store.create(case)
        store.update(first.id, lambda c: c.move_to("resolved", by="li.wei", now=T0 + timedelta(hours=3)))
        assert [c.title for c in store.list()] == ["first", "bo's", "second"]
        assert [c.title for c in store.list(limit=2)] == ["first", "bo's"]
        assert [c.title for c in store.list(CaseFilter(open_only=True))] == ["bo's", "second"]
        assert [c.title for c in store.list(CaseFilter(assignee="li.wei"))] == ["first", "bo's"]
        assert [c.title for c in store.list(CaseFilter(customer_id=ANA.id, open_only=True))] == ["second"]
        resolved = CaseFilter(statuses=(CaseStatus.resolved, CaseStatus.closed))
        assert [c.title for c in store.list(resolved)] == ["first"]
        assert store.list(CaseFilter(statuses=(CaseStatus.resolved,), open_only=True)) == []
        assert store.count() == 3
        assert store.count(CaseFilter(open_only=True, assignee="li.wei")) == 1

    def test_by_mentions_finds_the_cases_holding_them(self, store: Any) -> None:
        one = make_case(mention_ids=("m1", "m2"))
        two = make_case(BO, title="bo's", mention_ids=("m3",))
        store.create(one)
        store.create(two)
        store.update(two.id, lambda c: c.add_mention("m4", by="mei", now=T0))
        assert store.by_mentions(["m1", "m3", "m4", "m9"]) == {
            "m1": [one.id],
            "m3": [two.id],
            "m4": [two.id],
        }
        assert store.by_mentions([]) == {}

    def test_delete_customer_removes_their_cases_only(self, cases_in: MakeCaseStore) -> None:
        store, other = cases_in("default"), cases_in("globex")
        one = make_case(mention_ids=("m1",)).add_note("private", by="mei", now=T0, private=True)
        two = make_case(BO, title="bo's", mention_ids=("m3",))
        store.create(one)
        store.create(two)
        other.create(one)
        assert store.delete_customer(ANA.id) == 1
        assert store.get(one.id) is None
        assert store.by_mentions(["m1", "m3"]) == {"m3": [two.id]}
        assert store.delete_customer(ANA.id) == 0
        assert [c.id for c in store.list()] == [two.id]
        assert other.get(one.id) == one

    def test_workspaces_are_isolated(self, cases_in: MakeCaseStore) -> None:
        acme, globex = cases_in("acme"), cases_in("globex")
        case = make_case(mention_ids=("m1",))
        assert acme.create(case) is True
        assert globex.get(case.id) is None
        assert globex.list() == []
        assert globex.count() == 0
        assert globex.by_mentions(["m1"]) == {}
        with pytest.raises(NotFound):
            globex.update(case.id, lambda c: c)
        assert globex.create(case) is True  # the same case id in another workspace is another case
        assert acme.count() == globex.count() == 1


class CaseRuleContract(_Base):
    def test_a_linked_complaint_opens_a_case_for_its_customers_owner(self, store: Any) -> None:
        report = assign_to_cases(
            [complaint("a")], store, now=T0 + timedelta(minutes=5), customers=Owners(ANA)
        )
        assert len(report.opened) == 1
        assert report.joined == ()
        assert report.complaints == 1
        case = store.get(report.opened[0])
        assert case.customer_id == ANA.id
        assert case.assignee == "li.wei"
        assert case.status is CaseStatus.new
        assert case.mention_ids == (complaint("a").id,)
        assert case.opened_at == T0  # when the customer complained
        assert case.first_response_due == T0 + timedelta(hours=8)
        assert case.history[0].by == RULE_ACTOR

    def test_complaints_within_the_window_join_the_open_case(self, store: Any) -> None:
        first = assign_to_cases([complaint("a")], store, now=T0)
        later = T0 + timedelta(days=6, hours=23)
        second = assign_to_cases([complaint("b", at=later), complaint("c", at=later)], store, now=later)
        assert second.opened == ()
        assert second.joined == first.opened
        case = store.get(first.opened[0])
        assert case.mention_ids == tuple(complaint(x).id for x in "abc")

    def test_a_complaint_after_the_window_opens_a_new_case(self, store: Any) -> None:
        first = assign_to_cases([complaint("a")], store, now=T0)
        later = T0 + timedelta(days=7, hours=1)
        second = assign_to_cases([complaint("b", at=later)], store, now=later)
        assert len(second.opened) == 1
        assert second.opened != first.opened
        assert store.count(CaseFilter(customer_id=ANA.id, open_only=True)) == 2

    def test_a_note_keeps_the_case_joinable(self, store: Any) -> None:
        (opened,) = assign_to_cases([complaint("a")], store, now=T0).opened
        store.update(opened, lambda c: c.add_note("on it", by="li.wei", now=T0 + timedelta(days=5)))
        later = T0 + timedelta(days=11)  # 11 days after opening, 6 after the last change
        assert assign_to_cases([complaint("b", at=later)], store, now=later).joined == (opened,)

    def test_a_complaint_after_resolution_opens_a_new_case(self, store: Any) -> None:
        (opened,) = assign_to_cases([complaint("a")], store, now=T0).opened
        store.update(opened, lambda c: c.move_to("resolved", by="li.wei", now=T0 + timedelta(hours=1)))
        report = assign_to_cases(
            [complaint("b", at=T0 + timedelta(hours=2))], store, now=T0 + timedelta(hours=2)
        )
        assert len(report.opened) == 1
        assert report.opened != (opened,)

    def test_a_pending_case_reopens_when_the_customer_complains_again(self, store: Any) -> None:
        (opened,) = assign_to_cases([complaint("a")], store, now=T0).opened
        store.update(opened, lambda c: c.move_to("pending", by="li.wei", now=T0 + timedelta(hours=1)))
        assign_to_cases([complaint("b", at=T0 + timedelta(hours=3))], store, now=T0 + timedelta(hours=3))
        assert store.get(opened).status is CaseStatus.open

    def test_a_replayed_batch_adds_nothing(self, store: Any) -> None:
        batch = [complaint("a"), complaint("b", BO), complaint("c", at=T0 + timedelta(hours=1))]
        first = assign_to_cases(batch, store, now=T0 + timedelta(hours=1))
        snapshot = store.list()
        again = assign_to_cases(batch, store, now=T0 + timedelta(hours=5))
        assert len(first.opened) == 2
        assert again.opened == again.joined == ()
        assert again.already == 3
        assert store.list() == snapshot

    def test_unlinked_mentions_and_other_intents_are_ignored(self, store: Any) -> None:
        batch = [
            complaint("a", None),
            complaint("b", intent=IntentLabel.praise),
            complaint("c", intent=IntentLabel.question),
            enriched_mention("d", "no intents at all"),
        ]
        assert assign_to_cases(batch, store, now=T0).complaints == 0
        assert store.count() == 0

    def test_each_customer_gets_their_own_case(self, store: Any) -> None:
        report = assign_to_cases(
            [complaint("a"), complaint("b", BO)], store, now=T0, customers=Owners(ANA, BO)
        )
        cases = {store.get(i).customer_id: store.get(i) for i in report.opened}
        assert set(cases) == {ANA.id, BO.id}
        assert cases[BO.id].assignee is None  # no account owner: unassigned

    def test_the_configured_priority_and_window_apply(self, store: Any) -> None:
        policy = CaseSettings(join_days=1, default_priority="high")
        (opened,) = assign_to_cases([complaint("a")], store, now=T0, policy=policy).opened
        case = store.get(opened)
        assert case.priority is CasePriority.high
        assert case.first_response_due == T0 + timedelta(hours=4)
        later = T0 + timedelta(days=2)
        assert len(assign_to_cases([complaint("b", at=later)], store, now=later, policy=policy).opened) == 1
