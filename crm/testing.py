"""`CustomerDirectoryContract`: what every customer directory must do, as a pytest suite to subclass.

    class TestMyDirectory(CustomerDirectoryContract):
        @pytest.fixture
        def make_directory(self) -> Iterator[MakeDirectory]:
            def make(records: Sequence[CustomerRecord]) -> Any:
                directory = MyDirectory(...)
                directory.upsert(records)
                return directory
            yield make

`CustomerDirectoryContract` is six suites: `LookupContract` (the CustomerDirectory protocol; the
in-memory directory of nlp/ subclasses only this one), `WritesContract` (`upsert` idempotent by code,
replacing keys; `count`, `by_code`, `order_numbers`), `FeedbackContract` (LinkFeedbackStore) and
`CustomerWorkspaceContract` (isolation between workspaces; it needs a ``directory_in`` fixture: a
callable ``(workspace, records)`` -> a directory of that workspace on the same backend holding them),
`IdentityWritesContract` (what merges need: every record, deletes, verdicts per customer) and
`SearchContract` (`find`: the customer list's search, filters and pages).
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

    def test_feedback_keeps_who_gave_it_and_when(self, directory: Any) -> None:
        import time

        before = time.time_ns() // 1000
        directory.record_feedback("demo:@ana_l", ANA.id, "confirm", "m1", by="li.wei")
        directory.record_feedback("demo:@x", ANA.id, "reject")
        first, second = directory.feedback_of(ANA.id)
        assert (first.author_key, first.verdict, first.mention_id, first.by) == (
            "demo:@ana_l",
            "confirm",
            "m1",
            "li.wei",
        )
        assert before <= first.at_us <= second.at_us <= time.time_ns() // 1000
        assert second.by is None

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


class IdentityWritesContract(_Base):
    """What merges and unmerges (crm/identity) need of a directory: every record, deletes, and verdicts
    read per customer and written back exactly."""

    def test_records_lists_every_customer_with_order_numbers(self, directory: Any, record: Any) -> None:
        assert [r.customer.code for r in directory.records()] == ["C001", "C002", "C003"]
        assert directory.records()[0] == record(customer=ANA, order_numbers=("#A12345", "7654321"))

    def test_delete_removes_the_customer_and_its_keys(self, directory: Any) -> None:
        assert directory.delete([BO.id, "no-such-id"]) == 1
        assert directory.get(BO.id) is None
        assert directory.by_email("bo@example.com") == []
        assert self.codes(directory.by_handle("demo", "bochen")) == ["C003"]
        assert directory.count() == 2
        assert directory.delete([]) == 0

    def test_verdicts_per_customer_are_written_back_exactly(self, directory: Any) -> None:
        from crm.customers import LinkVerdict

        directory.record_feedback("demo:@x", BO.id, "reject", "m1")
        directory.record_feedback("demo:@y", BO.id, "confirm")
        directory.record_feedback("demo:@x", ANA.id, "confirm")
        mine = directory.feedback_of(BO.id)
        assert [(v.author_key, v.verdict, v.mention_id) for v in mine] == [
            ("demo:@x", "reject", "m1"),
            ("demo:@y", "confirm", None),
        ]
        copy = LinkVerdict(author_key="demo:@z", customer_id=ANA.id, verdict="reject", at_us=1)
        directory.put_feedback([copy])
        assert directory.feedback_of(ANA.id)[0] == copy  # its old time: oldest
        # the copy is older than the verdict on ANA for demo:@x, which still wins
        assert directory.feedback_for(["demo:@z", "demo:@x"]) == {ANA.id: "confirm", BO.id: "reject"}
        assert directory.delete_feedback([("demo:@z", ANA.id), ("demo:@nobody", ANA.id)]) == 1
        assert [v.author_key for v in directory.feedback_of(ANA.id)] == ["demo:@x"]
        with pytest.raises(InvalidInput):
            directory.put_feedback([copy.model_copy(update={"verdict": "maybe"})])


class SearchContract(_Base):
    """`find`: a page of customers by code, with the total, for the customer list."""

    @staticmethod
    def found(directory: Any, **query: Any) -> tuple[list[str], int]:
        from crm.customers import DirectoryQuery

        page = directory.find(DirectoryQuery(**query))
        return [c.code for c in page.customers], page.total

    def test_every_customer_by_code_in_pages(self, directory: Any) -> None:
        assert self.found(directory) == (["C001", "C002", "C003"], 3)
        assert self.found(directory, limit=2) == (["C001", "C002"], 3)
        assert self.found(directory, limit=2, offset=2) == (["C003"], 3)
        assert self.found(directory, limit=0) == ([], 3)
        assert self.found(directory, offset=9) == ([], 3)

    def test_text_matches_names_and_codes_inside_and_keys_exactly(self, directory: Any, record: Any) -> None:
        directory.upsert([record(customer=Customer(code="K-9", name="李雷 Li_Lei 100%"))])
        assert self.found(directory, text="lim") == (["C001"], 1)  # inside the name, any case
        assert self.found(directory, text="  ANA ") == (["C001"], 1)
        assert self.found(directory, text="c00") == (["C001", "C002", "C003"], 3)  # inside the code
        assert self.found(directory, text="雷") == (["K-9"], 1)
        assert self.found(directory, text="_lei 100%") == (["K-9"], 1)  # LIKE's wildcards are literal
        assert self.found(directory, text="%") == (["K-9"], 1)
        assert self.found(directory, text="*") == ([], 0)  # and the wildcard query's
        assert self.found(directory, text="ana.lima@EXAMPLE.com") == (["C001"], 1)
        assert self.found(directory, text="+86 (138) 0013 8000") == (["C001"], 1)
        assert self.found(directory, text="@BoChen") == (["C002", "C003"], 2)  # a handle, any platform
        assert self.found(directory, text="#a-12345") == (["C001"], 1)  # an order number
        assert self.found(directory, text="ana.lima") == ([], 0)  # keys match whole, never inside
        assert self.found(directory, text="  ")[1] == 4  # blank: no condition

    def test_tier_owner_and_ids_narrow_it(self, directory: Any, record: Any) -> None:
        directory.upsert([record(customer=BO.model_copy(update={"owner": "li.wei", "tier": Tier.gold}))])
        assert self.found(directory, tiers=(Tier.gold,)) == (["C001", "C002"], 2)
        assert self.found(directory, tiers=(Tier.gold, Tier.standard)) == (["C001", "C002", "C003"], 3)
        assert self.found(directory, tiers=(Tier.platinum,)) == ([], 0)
        assert self.found(directory, owner="li.wei") == (["C002"], 1)
        assert self.found(directory, owner="Li.Wei") == ([], 0)
        assert self.found(directory, ids=(BO.id, SHARED.id, "no-such-id")) == (["C002", "C003"], 2)
        assert self.found(directory, ids=()) == ([], 0)
        assert self.found(directory, ids=(ANA.id, BO.id), tiers=(Tier.gold,), text="bo") == (["C002"], 1)

    def test_a_page_deeper_than_the_window_is_refused(self) -> None:
        from pydantic import ValidationError

        from crm.customers import DirectoryQuery

        with pytest.raises(ValidationError):
            DirectoryQuery(offset=9_999, limit=2)


class CustomerDirectoryContract(
    LookupContract,
    WritesContract,
    FeedbackContract,
    CustomerWorkspaceContract,
    IdentityWritesContract,
    SearchContract,
):
    """Everything a stored directory (crm/customers.py) must do."""
