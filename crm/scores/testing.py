"""Test support for the scores: frozen purchases (`Sale`, a `Purchase` like `crm.orders.Order`), a
small fixed workspace (`CUSTOMERS`, `SALES`, `NOW`), a synthetic BG/NBD cohort whose dropouts are
known (`synthetic_cohort`), and the `ScoreStoreContract` suite.

A backend's test class provides ``stores_in``: a callable ``workspace -> ScoreStore`` that builds a new
store object of that workspace on the backend under test, on the same storage every time::

    class TestScoreStores(ScoreStoreContract):
        @pytest.fixture
        def stores_in(self, ...) -> Iterator[ScoreStoresIn]: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from core.errors import InvalidInput
from core.models import Consent, Customer
from crm.scores.pareto import ValueTier
from crm.scores.rfm import Segment
from crm.scores.score import CustomerScore, score_customers

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sale:
    """A purchase as scoring reads it."""

    customer_id: str
    ordered_at: datetime
    amount: Decimal


def customer(code: str, *, profiling: bool = True, name: str | None = None) -> Customer:
    return Customer(code=code, name=name or f"Customer {code}", consent=Consent(profiling=profiling))


def sales(who: Customer, days_ago: list[int], amount: str | list[str]) -> list[Sale]:
    amounts = amount if isinstance(amount, list) else [amount] * len(days_ago)
    return [
        Sale(who.id, NOW - timedelta(days=d, hours=1), Decimal(a))
        for d, a in zip(days_ago, amounts, strict=True)
    ]


# A small workspace: a big regular buyer, a lapsed big buyer, regulars, one-timers, a customer without
# orders and one without profiling consent (who has orders: they must not count anywhere).
BIG = customer("K001", name="Big Regular")
LAPSED = customer("K002", name="Lapsed Big")
NEWBIE = customer("K003", name="Newbie")
NO_ORDERS = customer("K004", name="Window Shopper")
PRIVATE = customer("K005", profiling=False, name="Private Person")
REGULARS = [customer(f"R{i:03d}") for i in range(1, 13)]
CUSTOMERS: list[Customer] = [BIG, LAPSED, NEWBIE, NO_ORDERS, PRIVATE, *REGULARS]
SALES: list[Sale] = [
    *sales(BIG, [3, 20, 41, 60, 83, 101, 122, 140], "900.00"),
    *sales(LAPSED, [300, 320, 345, 360, 380, 400], "700.00"),
    *sales(NEWBIE, [2], "40.00"),
    *sales(PRIVATE, [1, 5, 9], "5000.00"),
    *[
        sale
        for i, who in enumerate(REGULARS)
        for sale in sales(who, [5 + 7 * i, 40 + 7 * i, 80 + 9 * i], [f"{50 + 10 * i}.00"] * 3)
    ],
]


@dataclass(frozen=True)
class Cohort:
    customers: list[Customer]
    sales: list[Sale]
    dropped: set[str]  # customer ids whose simulated dropout came before `NOW`


def synthetic_cohort(n: int = 400, *, seed: int = 7, weeks: float = 78.0) -> Cohort:
    """Customers who buy as a Poisson process (rate ~ Gamma(r=2, alpha=8) per week: about every four
    weeks) and drop out after each purchase with probability p ~ Beta(1, 6); each first buys in the
    first half of the window. Who dropped out before `NOW` is known."""
    rng = np.random.default_rng(seed)
    customers: list[Customer] = []
    out: list[Sale] = []
    dropped: set[str] = set()
    start = NOW - timedelta(weeks=weeks)
    for i in range(n):
        who = customer(f"S{i:04d}")
        customers.append(who)
        rate = rng.gamma(2.0, 1 / 8.0)
        p = rng.beta(1.0, 6.0)
        t = rng.uniform(0, weeks / 2)
        alive = True
        while t < weeks:
            amount = Decimal(str(round(float(rng.gamma(6.0, 10.0)), 2)))
            out.append(Sale(who.id, start + timedelta(weeks=t), amount))
            if rng.random() < p:
                alive = False
                break
            t += rng.exponential(1 / rate)
        if not alive:
            dropped.add(who.id)
    return Cohort(customers=customers, sales=out, dropped=dropped)


def example_scores(computed_at: datetime = NOW) -> list[CustomerScore]:
    """The scores of the small workspace (`CUSTOMERS`, `SALES`) at `computed_at`."""
    return list(score_customers(CUSTOMERS, SALES, now=computed_at).scores)


# --- the store contract --------------------------------------------------------------------------
ScoreStoresIn = Callable[[str], Any]  # workspace -> a new score store of it, on the backend under test
WORKSPACE = "acme"
OTHER_WORKSPACE = "tenant-b"


class ScoreStoreContract:
    @pytest.fixture
    def stores_in(self) -> ScoreStoresIn:
        raise NotImplementedError("subclasses provide a `stores_in` fixture")

    @pytest.fixture
    def store(self, stores_in: ScoreStoresIn) -> Any:
        return stores_in(WORKSPACE)

    def test_an_empty_store(self, store: Any) -> None:
        assert store.workspace == WORKSPACE
        assert store.count() == 0
        assert store.list() == []
        assert store.get(BIG.id) is None
        assert store.delete(BIG.id) is False

    def test_scores_round_trip_with_explanation_time_and_parameters(self, store: Any) -> None:
        scores = example_scores()
        assert store.replace_all(scores) == len(CUSTOMERS)
        for score in scores:
            assert store.get(score.customer_id) == score
        big = store.get(BIG.id)
        assert big.computed_at == NOW
        assert big.explanation
        assert big.parameters.policy.horizon_months == 12
        assert big.parameters.bgnbd is not None
        assert set(big.parameters.bgnbd) == {"r", "alpha", "a", "b"}
        assert store.get(PRIVATE.id).skipped
        assert store.get(PRIVATE.id).rfm is None

    def test_list_ranks_key_customers_first_and_filters(self, store: Any) -> None:
        store.replace_all(example_scores())
        listed = store.list()
        assert len(listed) == len(CUSTOMERS) == store.count()
        tiers = [s.value.tier if s.value else None for s in listed]
        rank = {ValueTier.key: 0, ValueTier.growth: 1, ValueTier.standard: 2, None: 3}
        assert [rank[t] for t in tiers] == sorted(rank[t] for t in tiers)
        assert listed[0].customer_id == BIG.id  # the most revenue (the private customer's is not counted)
        assert listed[-1].skipped or listed[-1].value is None
        keys = store.list(tier=ValueTier.key)
        assert keys
        assert all(s.tier is ValueTier.key for s in keys)
        revenues = [s.value.revenue for s in keys]
        assert revenues == sorted(revenues, reverse=True)
        assert [s.customer_id for s in store.list(limit=2)] == [s.customer_id for s in listed[:2]]
        assert store.list(limit=0) == []
        segment = listed[0].segment
        assert all(s.segment == segment for s in store.list(segment=segment))
        assert store.list(segment=Segment.lost, tier=ValueTier.key) == [
            s for s in keys if s.segment is Segment.lost
        ]
        with pytest.raises(InvalidInput):
            store.list(limit=-1)

    def test_replace_all_drops_customers_not_in_the_new_run(self, store: Any) -> None:
        store.replace_all(example_scores())
        later = NOW + timedelta(days=1)
        fewer = [s for s in example_scores(later) if s.customer_id != LAPSED.id]
        assert store.replace_all(fewer) == len(CUSTOMERS) - 1
        assert store.get(LAPSED.id) is None
        assert store.count() == len(CUSTOMERS) - 1
        assert store.get(BIG.id).computed_at == later
        assert store.replace_all([]) == 0
        assert store.count() == 0

    def test_one_score_per_customer_in_a_run(self, store: Any) -> None:
        scores = example_scores()
        with pytest.raises(InvalidInput):
            store.replace_all([scores[0], scores[0]])

    def test_delete_forgets_one_customer(self, store: Any) -> None:
        store.replace_all(example_scores())
        assert store.delete(BIG.id) is True
        assert store.get(BIG.id) is None
        assert store.delete(BIG.id) is False
        assert store.count() == len(CUSTOMERS) - 1

    def test_a_new_store_object_reads_what_was_written(self, store: Any, stores_in: ScoreStoresIn) -> None:
        store.replace_all(example_scores())
        again = stores_in(WORKSPACE)
        assert again.get(BIG.id) == store.get(BIG.id)

    def test_workspaces_share_nothing(self, store: Any, stores_in: ScoreStoresIn) -> None:
        other = stores_in(OTHER_WORKSPACE)
        store.replace_all(example_scores())
        assert other.count() == 0
        assert other.list() == []
        assert other.get(BIG.id) is None
        assert other.delete(BIG.id) is False
        theirs = [s for s in example_scores(NOW + timedelta(hours=1)) if s.customer_id == BIG.id]
        other.replace_all(theirs)
        assert store.count() == len(CUSTOMERS)  # their replace_all deleted nothing here
        assert store.get(BIG.id).computed_at == NOW
        assert other.get(BIG.id).computed_at == NOW + timedelta(hours=1)
        other.replace_all([])
        assert store.count() == len(CUSTOMERS)


def as_orders(purchases: list[Sale], customers: list[Customer]) -> list[Any]:
    """The purchases as `crm.orders.Order`s (order ids by position), for tests over the real stores."""
    from crm.orders import Order

    codes = {c.id: c.code for c in customers}
    return [
        Order(
            order_id=f"O{i:05d}",
            customer_id=sale.customer_id,
            customer_code=codes[sale.customer_id],
            ordered_at=sale.ordered_at,
            amount=sale.amount,
            currency="CNY",
        )
        for i, sale in enumerate(purchases)
    ]
