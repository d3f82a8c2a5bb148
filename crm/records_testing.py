"""Contract suites of the customer record stores, as pytest classes to subclass: `OrderStoreContract`
(crm/orders.py) and `InteractionStoreContract` (crm/interactions.py).

A backend's test class provides one fixture, ``stores_in``: a callable ``(workspace, kind) -> store``
(kind ``"orders"`` or ``"interactions"``) that builds a new store object of that workspace on the
backend under test, on the same storage every time, and closes it afterwards. Calling it again is a
restart: a new object, the same data. tests/contracts/test_record_stores.py runs both over every
backend. Times are fixed (`T0`), never the wall clock. This module imports pytest (test support).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from core.models import Tier
from crm.interactions import Interaction, InteractionChannel, interaction_id, parse_channel
from crm.orders import Order
from crm.segments import Range, SegmentDefinition, SegmentFilter

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
StoresIn = Callable[[str, str], Any]


def order(n: int, customer: str = "c1", *, amount: str = "10.00", **fields: Any) -> Order:
    """Order `o<n>`, `n` days before T0."""
    data: dict[str, Any] = {
        "order_id": f"o{n}",
        "customer_id": customer,
        "customer_code": customer.upper(),
        "ordered_at": T0 - timedelta(days=n),
        "amount": Decimal(amount),
        "currency": "CNY",
        "products": ("tea", "cups"),
        "channel": "tmall",
    }
    return Order(**{**data, **fields})


def interaction(n: int, customer: str = "c1", **fields: Any) -> Interaction:
    """An interaction `n` days before T0 (its id derived)."""
    data: dict[str, Any] = {
        "customer_id": customer,
        "at": T0 - timedelta(days=n),
        "channel": InteractionChannel.phone,
        "staff": "li.wei",
        "notes": f"call {n}",
    }
    return Interaction.new(**{**data, **fields})


class _RecordContract:
    """What both stores do; subclasses say which kind and how to make its record number `n`."""

    kind: str

    def make(self, n: int, customer: str = "c1", **fields: Any) -> Any:
        raise NotImplementedError

    def key(self, record: Any) -> str:
        raise NotImplementedError

    def changed(self, record: Any) -> Any:
        raise NotImplementedError

    @pytest.fixture
    def stores_in(self) -> StoresIn:
        raise NotImplementedError("subclasses provide a `stores_in` fixture")

    @pytest.fixture
    def store(self, stores_in: StoresIn) -> Any:
        return stores_in("default", self.kind)

    def test_upsert_is_idempotent_by_id(self, store: Any, stores_in: StoresIn) -> None:
        records = [self.make(n) for n in range(3)]
        assert (store.upsert(records).created, store.count()) == (3, 3)
        again = store.upsert(iter(records))  # any iterable
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        changed = self.changed(records[1])
        result = store.upsert([changed])
        assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
        reopened = stores_in("default", self.kind)  # a restart reads the same data
        assert reopened.get(self.key(changed)) == changed
        assert reopened.get("nope") is None
        assert store.upsert([]).created == 0

    def test_list_is_newest_first_with_bounds(self, store: Any) -> None:
        store.upsert([self.make(n, "c1") for n in range(5)] + [self.make(10 + n, "c2") for n in range(2)])
        newest = store.list("c1")
        assert [self.key(r) for r in newest] == [self.key(self.make(n)) for n in range(5)]
        assert store.list("c1", limit=2) == newest[:2]
        since, until = T0 - timedelta(days=3), T0 - timedelta(days=1)  # since inclusive, until exclusive
        assert [self.key(r) for r in store.list("c1", since=since, until=until)] == [
            self.key(self.make(n)) for n in (2, 3)
        ]
        assert len(store.list()) == 7
        assert (store.count("c1"), store.count("c2"), store.count("c3")) == (5, 2, 0)
        assert store.list("c3") == []

    def test_iter_all_reads_everything_in_batches(self, store: Any) -> None:
        records = [self.make(n, f"c{n % 3}") for n in range(7)]
        store.upsert(records)
        seen = list(store.iter_all(batch_size=2))
        assert sorted(map(self.key, seen)) == sorted(map(self.key, records))
        assert [self.key(r) for r in seen] == sorted(self.key(r) for r in seen)  # by id
        assert len({self.key(r) for r in seen}) == 7

    def test_an_upsert_that_fails_half_way_stores_nothing(self, store: Any) -> None:
        def crashing() -> Iterator[Any]:
            yield self.make(0)
            yield self.make(1)
            raise RuntimeError("the import crashed")

        with pytest.raises(RuntimeError):
            store.upsert(crashing())
        assert store.count() == 0
        assert store.get(self.key(self.make(0))) is None

    def test_workspaces_are_isolated(self, stores_in: StoresIn) -> None:
        acme, beta = stores_in("acme", self.kind), stores_in("beta", self.kind)
        assert (acme.workspace, beta.workspace) == ("acme", "beta")
        acme.upsert([self.make(0), self.make(1)])
        beta.upsert([self.changed(self.make(0))])  # the same id: another record
        assert (acme.count(), beta.count()) == (2, 1)
        assert acme.get(self.key(self.make(0))) == self.make(0)
        assert beta.get(self.key(self.make(1))) is None
        assert [self.key(r) for r in beta.iter_all()] == [self.key(self.make(0))]
        assert len(beta.list("c1")) == 1

    def test_delete_by_id_and_by_customer(self, stores_in: StoresIn) -> None:
        store, other = stores_in("default", self.kind), stores_in("other", self.kind)
        store.upsert([self.make(0, "c1"), self.make(1, "c1"), self.make(2, "c2"), self.make(3, "c2")])
        other.upsert([self.make(0, "c1")])
        assert store.delete([self.key(self.make(0)), "nope"]) == 1
        assert store.get(self.key(self.make(0))) is None
        assert store.delete([]) == 0
        assert store.delete_customer("c2") == 2
        assert [self.key(r) for r in store.iter_all()] == [self.key(self.make(1))]
        assert store.delete_customer("c9") == 0
        assert other.count() == 1  # another workspace's records stay


class OrderStoreContract(_RecordContract):
    kind = "orders"

    def make(self, n: int, customer: str = "c1", **fields: Any) -> Order:
        return order(n, customer, **fields)

    def key(self, record: Any) -> str:
        return str(record.order_id)

    def changed(self, record: Any) -> Order:
        assert isinstance(record, Order)
        return record.model_copy(update={"amount": record.amount + 1})

    def test_an_order_round_trips_exactly(self, store: Any) -> None:
        shanghai = order(0, amount="1234.56", ordered_at=datetime.fromisoformat("2026-03-01T20:00:00+08:00"))
        store.upsert([shanghai])
        stored = store.get("o0")
        assert stored == shanghai
        assert stored.amount == Decimal("1234.56")
        assert stored.ordered_at.utcoffset() == timedelta(hours=8)
        assert stored.products == ("tea", "cups")

    def test_order_ids_by_customer(self, store: Any) -> None:
        store.upsert([order(2, "c1"), order(1, "c1"), order(3, "c2")])
        assert store.order_ids_by_customer() == {"c1": ["o2", "o1"], "c2": ["o3"]}

    def test_bad_orders_do_not_build(self) -> None:
        with pytest.raises(ValidationError):
            order(0, amount="-1")
        with pytest.raises(ValidationError):
            order(0, ordered_at=datetime(2026, 3, 1))  # naive
        assert order(0, currency="rmb").currency == "CNY"
        assert order(0, currency="人民币").currency == "CNY"


class SegmentStoreContract(_RecordContract):
    """Segment definitions (crm/segments.py): the record storage with the owner as its customer."""

    kind = "segments"

    def make(self, n: int, customer: str = "c1", **fields: Any) -> SegmentDefinition:
        data: dict[str, Any] = {
            "name": f"s{n}",
            "owner": customer,
            "filter": SegmentFilter(tiers=(Tier.gold,), churn_risk=Range(min=0.5)),
            "updated_at": T0 - timedelta(days=n),
        }
        return SegmentDefinition(**{**data, **fields})

    def key(self, record: Any) -> str:
        return str(record.name)

    def changed(self, record: Any) -> SegmentDefinition:
        assert isinstance(record, SegmentDefinition)
        return record.model_copy(update={"description": "edited"})

    def test_a_definition_round_trips_exactly(self, store: Any) -> None:
        segment = self.make(0, filter=SegmentFilter(platforms=("weibo",), has_open_case=True))
        store.upsert([segment])
        assert store.get("s0") == segment
        assert store.get("s0").filter.has_open_case is True


class InteractionStoreContract(_RecordContract):
    kind = "interactions"

    def make(self, n: int, customer: str = "c1", **fields: Any) -> Interaction:
        return interaction(n, customer, **fields)

    def key(self, record: Any) -> str:
        return str(record.id)

    def changed(self, record: Any) -> Interaction:
        assert isinstance(record, Interaction)
        return record.model_copy(update={"outcome": "called back"})

    def test_an_interaction_round_trips_exactly(self, store: Any) -> None:
        visit = interaction(
            0,
            channel=parse_channel("拜访"),
            where="customer's office",
            cost=Decimal("200"),
            discount=Decimal("50.5"),
            currency="CNY",
            service="installation",
            outcome="renewed",
            notes="bring the new catalogue next time",
        )
        store.upsert([visit])
        assert store.get(visit.id) == visit
        assert visit.channel is InteractionChannel.visit

    def test_ids_are_derived_from_customer_time_channel_and_staff(self) -> None:
        first = interaction(0)
        assert first.id == interaction_id("c1", T0, "phone", "Li.Wei ")
        assert interaction(0, notes="other notes").id == first.id  # the same contact
        assert interaction(0, staff="zhang").id != first.id
        assert interaction(0, channel=InteractionChannel.wechat).id != first.id
        same_instant = T0.astimezone(datetime.fromisoformat("2026-01-01T00:00+08:00").tzinfo)
        assert interaction(0, at=same_instant).id == first.id
        assert interaction(0, id="crm-17").id == "crm-17"

    def test_channels_people_write(self) -> None:
        written = {"电话": "phone", "微信": "wechat", "QQ": "qq", "门店": "in_store", "In Store": "in_store"}
        written |= {"邮件": "email", "拜访": "visit", "E-mail": "email", "Other": "other"}
        assert {text: parse_channel(text).value for text in written} == written
        with pytest.raises(ValueError, match="channel"):
            parse_channel("carrier pigeon")
