"""`CustomerDirectoryContract`: what every customer directory must do, as a pytest suite to subclass.

    class TestMyDirectory(CustomerDirectoryContract):
        @pytest.fixture
        def make_directory(self) -> Iterator[MakeDirectory]:
            def make(records: Sequence[CustomerRecord]) -> Any:
                directory = MyDirectory(...)
                directory.upsert(records)
                return directory
            yield make

`CustomerDirectoryContract` is four suites: `LookupContract` (the CustomerDirectory protocol; the
in-memory directory of nlp/ subclasses only this one), `WritesContract` (`upsert` idempotent by code,
replacing keys; `count`, `by_code`, `order_numbers`), `FeedbackContract` (LinkFeedbackStore) and
`CustomerWorkspaceContract` (isolation between workspaces; it needs a ``directory_in`` fixture: a
callable ``(workspace, records)`` -> a directory of that workspace on the same backend holding them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from core.errors import InvalidInput
from core.models import Consent, Contact, Customer, Handle, Tier
from crm.customers import CustomerRecord

MakeDirectory = Callable[[Sequence[Any]], Any]  # CustomerRecords -> a directory holding them
# (workspace, CustomerRecords) -> a directory of that workspace, on the backend under test, holding them
MakeDirectoryIn = Callable[[str, Sequence[Any]], Any]

ANA = Customer(
    code="C001",
    name="Ana Lima",
    tier=Tier.gold,
    consent=Consent(profiling=True),
    city="Lisbon",
    country="PT",
    handles=(
        Handle(platform="Demo", handle="@Ana_L", user_id="u1"),
        Handle(platform="twitter", handle="analima", user_id="9001"),
    ),
    contacts=(
        Contact(kind="email", value="Ana.Lima@Example.com"),
        Contact(kind="phone", value="+86 138-0013-8000"),
    ),
)
BO = Customer(
    code="C002",
    name="Bo Chen",
    consent=Consent(profiling=True),
    handles=(Handle(platform="demo", handle="bochen", user_id="u2"),),
    contacts=(Contact(kind="email", value="bo@example.com"),),
)
SHARED = Customer(code="C003", name="Shared Handle", handles=(Handle(platform="demo", handle="BoChen"),))


def records(record_type: Any) -> list[Any]:
    return [
        record_type(customer=ANA, order_numbers=("#A12345", "7654321")),
        record_type(customer=BO),
        record_type(customer=SHARED),
    ]


class _Base:
    @pytest.fixture
    def make_directory(self) -> MakeDirectory:
        raise NotImplementedError("subclasses provide a `make_directory` fixture")

    @pytest.fixture
    def record(self) -> Any:
        return CustomerRecord

    @pytest.fixture
    def directory(self, make_directory: MakeDirectory, record: Any) -> Any:
        return make_directory(records(record))

    @staticmethod
    def codes(customers: list[Customer]) -> list[str]:
        return sorted(c.code for c in customers)


class LookupContract(_Base):
    def test_get_returns_the_customer_as_stored(self, directory: Any) -> None:
        assert directory.get(ANA.id) == ANA
        assert directory.get(BO.id) == BO
        assert directory.get("no-such-id") is None

    def test_platform_user_id_is_per_platform(self, directory: Any) -> None:
        assert self.codes(directory.by_platform_user_id("demo", "u1")) == ["C001"]
        assert self.codes(directory.by_platform_user_id(" DEMO ", "u1")) == ["C001"]
        assert self.codes(directory.by_platform_user_id("twitter", "9001")) == ["C001"]
        assert directory.by_platform_user_id("twitter", "u1") == []
        assert directory.by_platform_user_id("demo", "U1") == []  # ids are case-sensitive
        assert directory.by_platform_user_id("demo", "") == []

    def test_handles_ignore_at_and_case_and_are_per_platform(self, directory: Any) -> None:
        assert self.codes(directory.by_handle("demo", "ana_l")) == ["C001"]
        assert self.codes(directory.by_handle("demo", " @ANA_L")) == ["C001"]
        assert directory.by_handle("reddit", "ana_l") == []
        assert directory.by_handle("demo", "@") == []

    def test_a_shared_handle_returns_every_holder(self, directory: Any) -> None:
        assert self.codes(directory.by_handle("demo", "bochen")) == ["C002", "C003"]

    def test_handle_anywhere(self, directory: Any) -> None:
        assert self.codes(directory.by_handle_anywhere("AnaLima")) == ["C001"]
        assert self.codes(directory.by_handle_anywhere("@ana_l")) == ["C001"]
        assert self.codes(directory.by_handle_anywhere("bochen")) == ["C002", "C003"]
        assert directory.by_handle_anywhere("nobody") == []

    def test_email_and_phone_are_normalised(self, directory: Any) -> None:
        assert self.codes(directory.by_email(" ana.lima@EXAMPLE.com ")) == ["C001"]
        assert self.codes(directory.by_phone("+86 (138) 0013 8000")) == ["C001"]
        assert self.codes(directory.by_phone("8613800138000")) == ["C001"]
        assert directory.by_phone("8000") == []  # too short to be a phone number
        assert directory.by_email("nobody@example.com") == []

    def test_order_numbers(self, directory: Any) -> None:
        assert self.codes(directory.by_order_number("A12345")) == ["C001"]
        assert self.codes(directory.by_order_number("#a-12345")) == ["C001"]
        assert self.codes(directory.by_order_number("7654321")) == ["C001"]
        assert directory.by_order_number("1234567") == []
        assert directory.by_order_number("") == []


class WritesContract(_Base):
    def test_upsert_is_idempotent_by_code(self, directory: Any, record: Any) -> None:
        again = directory.upsert(records(record))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert directory.count() == 3
        assert directory.by_code("c001") == ANA  # codes compare case-insensitively, like customer ids

    def test_a_changed_row_replaces_the_customer_and_its_keys(self, directory: Any, record: Any) -> None:
        moved = ANA.model_copy(
            update={"handles": (Handle(platform="demo", handle="ana_new"),), "city": "Porto"}
        )
        result = directory.upsert([record(customer=moved), record(customer=BO)])
        assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
        assert directory.by_handle("demo", "ana_l") == []  # the old handle no longer links
        assert directory.by_platform_user_id("demo", "u1") == []
        assert directory.by_order_number("A12345") == []  # orders were not given again
        assert self.codes(directory.by_handle("demo", "ana_new")) == ["C001"]
        stored = directory.get(ANA.id)
        assert stored is not None
        assert stored.city == "Porto"
        new = Customer(code="C009", name="New One")
        assert directory.upsert([record(customer=new)]).created == 1
        assert directory.count() == 4

    def test_order_numbers_are_kept(self, directory: Any) -> None:
        assert directory.order_numbers(ANA.id) == ("#A12345", "7654321")
        assert directory.order_numbers(BO.id) == ()

    def test_iter_all_lists_every_customer_by_code_in_pages(self, directory: Any, record: Any) -> None:
        assert [c.code for c in directory.iter_all()] == ["C001", "C002", "C003"]
        assert [c.code for c in directory.iter_all(batch_size=2)] == ["C001", "C002", "C003"]
        assert next(iter(directory.iter_all(batch_size=1))) == ANA


class FeedbackContract(_Base):
    def test_feedback_newest_verdict_wins(self, directory: Any) -> None:
        assert directory.feedback_for(["demo:@ana_l"]) == {}
        directory.record_feedback("demo:@ana_l", ANA.id, "confirm", "m1")
        directory.record_feedback("demo:id:u1", BO.id, "reject")
        assert directory.feedback_for(["demo:@ana_l"]) == {ANA.id: "confirm"}
        assert directory.feedback_for(["demo:id:u1", "demo:@ana_l"]) == {ANA.id: "confirm", BO.id: "reject"}
        directory.record_feedback("demo:@ana_l", ANA.id, "reject", "m2")
        verdicts = directory.feedback_for(["demo:@ana_l", "demo:id:u1"])
        assert verdicts == {BO.id: "reject", ANA.id: "reject"}
        assert list(verdicts) == [BO.id, ANA.id]  # oldest first
        assert directory.feedback_for(["other:@x"]) == {}
        assert directory.feedback_for([]) == {}

    def test_feedback_rejects_unknown_verdicts(self, directory: Any) -> None:
        with pytest.raises(InvalidInput):
            directory.record_feedback("demo:@ana_l", ANA.id, "maybe")


class CustomerWorkspaceContract(_Base):
    """Two workspaces on one backend share no customer: the same code in both is two customers, and
    nothing of one is found, counted or judged through the other."""

    @pytest.fixture
    def directory_in(self) -> MakeDirectoryIn:
        raise NotImplementedError("subclasses provide a `directory_in` fixture")

    def test_a_directory_names_its_workspace(self, directory: Any, directory_in: MakeDirectoryIn) -> None:
        assert isinstance(directory.workspace, str)
        assert directory_in("tenant-b", []).workspace == "tenant-b"
        with pytest.raises(InvalidInput):
            directory_in("Not A Workspace", [])

    def test_nothing_of_one_workspace_is_found_from_the_other(
        self, directory: Any, directory_in: MakeDirectoryIn
    ) -> None:
        other = directory_in("tenant-b", [])
        assert other.count() == 0
        assert other.get(ANA.id) is None
        assert other.by_code("C001") is None
        assert other.order_numbers(ANA.id) == ()
        assert other.by_platform_user_id("demo", "u1") == []
        assert other.by_handle("demo", "ana_l") == []
        assert other.by_handle_anywhere("bochen") == []
        assert other.by_email("ana.lima@example.com") == []
        assert other.by_phone("+86 138-0013-8000") == []
        assert other.by_order_number("A12345") == []
        assert list(other.iter_all()) == []
        assert directory.count() == 3

    def test_the_same_code_in_two_workspaces_stays_two_customers(
        self, directory: Any, directory_in: MakeDirectoryIn, record: Any
    ) -> None:
        theirs = ANA.model_copy(
            update={"name": "Ana of tenant B", "handles": (Handle(platform="demo", handle="anab"),)}
        )
        other = directory_in("tenant-b", [record(customer=theirs, order_numbers=("B-777",))])
        assert other.get(ANA.id) == theirs
        assert directory.get(ANA.id) == ANA
        assert self.codes(other.by_handle("demo", "anab")) == ["C001"]
        assert directory.by_handle("demo", "anab") == []
        assert directory.by_order_number("B-777") == []
        assert other.by_handle("demo", "ana_l") == []
        assert directory.upsert(records(record)).unchanged == 3  # the other workspace changed nothing here
        assert other.count() == 1

    def test_feedback_is_per_workspace(self, directory: Any, directory_in: MakeDirectoryIn) -> None:
        other = directory_in("tenant-b", [])
        directory.record_feedback("demo:@ana_l", ANA.id, "confirm")
        assert other.feedback_for(["demo:@ana_l"]) == {}
        other.record_feedback("demo:@ana_l", ANA.id, "reject")
        assert directory.feedback_for(["demo:@ana_l"]) == {ANA.id: "confirm"}
        assert other.feedback_for(["demo:@ana_l"]) == {ANA.id: "reject"}


class CustomerDirectoryContract(LookupContract, WritesContract, FeedbackContract, CustomerWorkspaceContract):
    """Everything a stored directory (crm/customers.py) must do."""
