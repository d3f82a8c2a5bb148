"""`MergeAuditStoreContract`: what every merge audit store must do, as a pytest suite to subclass. A
subclass provides an ``audit_in`` fixture: a callable ``workspace -> store`` on one fresh backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import InvalidInput, NotFound
from core.models import CustomerLink
from crm.customers import CustomerRecord, LinkVerdict
from crm.identity.audit import MergeRecord, MovedMention
from crm.testing import ANA, BO

AuditIn = Callable[[str], Any]  # workspace -> a merge audit store of that workspace
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def merge_record(
    merge_id: str, survivor: CustomerRecord, absorbed: CustomerRecord, minutes: int = 0
) -> MergeRecord:
    """A complete record, every part filled, `minutes` after T0."""
    return MergeRecord(
        id=merge_id,
        survivor_id=survivor.id,
        absorbed_id=absorbed.id,
        survivor_code=survivor.customer.code,
        absorbed_code=absorbed.customer.code,
        by="li.wei",
        at=T0 + timedelta(minutes=minutes),
        survivor_before=survivor,
        absorbed_before=absorbed,
        survivor_after=CustomerRecord(customer=survivor.customer, order_numbers=("#A1", "#B2")),
        feedback_added=(
            LinkVerdict(author_key="demo:@bo", customer_id=survivor.id, verdict="reject", at_us=7),
        ),
        feedback_replaced=(
            LinkVerdict(
                author_key="demo:@bo", customer_id=survivor.id, verdict="confirm", mention_id="m0", at_us=3
            ),
        ),
        mentions=(
            MovedMention(
                mention_id="m1",
                link=CustomerLink(customer_id=absorbed.id, confidence=0.85, method="handle", evidence=("h",)),
            ),
        ),
        changes=("merge C002 into C001",),
    )


class MergeAuditStoreContract:
    @pytest.fixture
    def audit_in(self) -> AuditIn:
        raise NotImplementedError("subclasses provide an `audit_in` fixture")

    @pytest.fixture
    def audit(self, audit_in: AuditIn) -> Any:
        return audit_in("default")

    @staticmethod
    def pair() -> tuple[CustomerRecord, CustomerRecord]:
        return CustomerRecord(customer=ANA, order_numbers=("#A1",)), CustomerRecord(
            customer=BO, order_numbers=("#B2",)
        )

    def test_a_record_comes_back_whole(self, audit: Any) -> None:
        record = merge_record("mg-1", *self.pair())
        assert audit.get("mg-1") is None
        audit.add(record)
        assert audit.get("mg-1") == record
        assert audit.list() == [record]
        assert record.active

    def test_a_merge_id_is_recorded_once(self, audit: Any) -> None:
        audit.add(merge_record("mg-1", *self.pair()))
        with pytest.raises(InvalidInput):
            audit.add(merge_record("mg-1", *self.pair(), minutes=5))

    def test_list_is_newest_first_and_can_leave_undone_merges_out(self, audit: Any) -> None:
        survivor, absorbed = self.pair()
        older, newer = merge_record("mg-a", survivor, absorbed), merge_record("mg-b", absorbed, survivor, 10)
        audit.add(older)
        audit.add(newer)
        assert [m.id for m in audit.list()] == ["mg-b", "mg-a"]
        undone = newer.model_copy(update={"undone_at": T0 + timedelta(hours=1), "undone_by": "ana"})
        audit.save(undone)
        assert audit.get("mg-b") == undone
        assert not undone.active
        assert [m.id for m in audit.list(active_only=True)] == ["mg-a"]
        assert [m.id for m in audit.list()] == ["mg-b", "mg-a"]

    def test_involving_finds_active_merges_of_either_customer(self, audit: Any) -> None:
        survivor, absorbed = self.pair()
        audit.add(merge_record("mg-a", survivor, absorbed))
        assert [m.id for m in audit.involving(ANA.id)] == ["mg-a"]
        assert [m.id for m in audit.involving(BO.id)] == ["mg-a"]
        assert audit.involving("nobody") == []
        record = audit.get("mg-a")
        audit.save(record.model_copy(update={"undone_at": T0, "undone_by": "ana"}))
        assert audit.involving(ANA.id) == []

    def test_delete_involving_removes_every_merge_of_either_customer(
        self, audit: Any, audit_in: AuditIn
    ) -> None:
        survivor, absorbed = self.pair()
        other = audit_in("tenant-b")
        audit.add(merge_record("mg-a", survivor, absorbed))
        undone = merge_record("mg-b", absorbed, survivor, 10)
        audit.add(undone)
        audit.save(undone.model_copy(update={"undone_at": T0, "undone_by": "ana"}))
        other.add(merge_record("mg-a", survivor, absorbed))
        assert audit.delete_involving("nobody") == 0
        assert audit.delete_involving(BO.id) == 2
        assert audit.list() == []
        assert [m.id for m in other.list()] == ["mg-a"]

    def test_saving_an_unknown_merge_is_not_found(self, audit: Any) -> None:
        with pytest.raises(NotFound):
            audit.save(merge_record("mg-x", *self.pair()))

    def test_workspaces_share_nothing(self, audit: Any, audit_in: AuditIn) -> None:
        other = audit_in("tenant-b")
        assert other.workspace == "tenant-b"
        audit.add(merge_record("mg-1", *self.pair()))
        assert other.get("mg-1") is None
        assert other.list() == []
        assert other.involving(ANA.id) == []
        other.add(merge_record("mg-1", *self.pair(), minutes=3))  # the same id in another workspace
        assert audit.get("mg-1") is not None
        assert audit.get("mg-1") != other.get("mg-1")
        with pytest.raises(InvalidInput):
            audit_in("Not A Workspace")
