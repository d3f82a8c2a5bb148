"""Scoring a workspace: consent, customers without orders, ignored orders, small workspaces, and the
explanation of each score."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import Customer
from crm.scores.pareto import ValueTier
from crm.scores.rfm import Segment
from crm.scores.score import NO_CONSENT, CustomerScore, score_customers
from crm.scores.testing import (
    BIG,
    CUSTOMERS,
    LAPSED,
    NEWBIE,
    NO_ORDERS,
    NOW,
    PRIVATE,
    REGULARS,
    SALES,
    Sale,
    customer,
    sales,
)


def _by_code(customers: list[Customer], purchases: list[Sale]) -> dict[str, CustomerScore]:
    return {s.customer_code: s for s in score_customers(customers, purchases, now=NOW).scores}


def test_a_customer_without_profiling_consent_is_skipped_and_counts_nowhere() -> None:
    scores = _by_code(CUSTOMERS, SALES)
    private = scores[PRIVATE.code]
    assert private.skipped == NO_CONSENT
    assert (private.rfm, private.value, private.lifetime, private.churn) == (None, None, None, None)
    assert private.explanation == (f"not scored: {NO_CONSENT}",)
    # their 15,000 of orders would make them the top key customer; they are not in the ranking at all
    big = scores[BIG.code].value
    assert big is not None
    assert big.rank == 1
    without = _by_code(
        [c for c in CUSTOMERS if c != PRIVATE], [s for s in SALES if s.customer_id != PRIVATE.id]
    )
    for code, score in without.items():
        assert score.model_dump(exclude={"parameters"}) == scores[code].model_dump(exclude={"parameters"})
    assert scores[BIG.code].parameters.customers_scored == len(CUSTOMERS) - 1


def test_scores_explain_themselves() -> None:
    scores = _by_code(CUSTOMERS, SALES)
    big, lapsed = scores[BIG.code], scores[LAPSED.code]
    assert big.rfm is not None
    assert big.rfm.segment is Segment.champions
    assert big.tier is ValueTier.key
    assert big.rfm.frequency == 8
    assert big.rfm.monetary == Decimal("7200.00")
    assert big.rfm.recency_days == 3
    assert lapsed.segment is Segment.cant_lose_them
    assert lapsed.tier is ValueTier.key
    assert lapsed.churn is not None
    assert big.churn is not None
    assert lapsed.churn.risk > 0.6 > big.churn.risk
    assert lapsed.churn.reasons[0].signal == "recency"
    assert big.lifetime is not None
    assert lapsed.lifetime is not None
    assert big.lifetime.clv is not None
    assert lapsed.lifetime.clv is not None
    assert big.lifetime.clv > lapsed.lifetime.clv
    assert big.lifetime.p_alive > 0.8 > 0.1 > lapsed.lifetime.p_alive
    assert big.explanation[0].startswith(
        "RFM 555: last order 3 days ago, 8 orders, 7,200.00 revenue -> champions"
    )
    assert any(line.startswith("value tier key: rank 1 of 15") for line in big.explanation)
    assert any("CLV" in line for line in big.explanation)
    assert lapsed.explanation[-1].startswith("churn risk 0.")
    assert big.parameters.bgnbd is not None
    assert big.parameters.gamma_gamma is not None
    assert scores[NEWBIE.code].segment is Segment.new


def test_a_customer_without_orders_has_only_a_churn_score() -> None:
    score = _by_code(CUSTOMERS, SALES)[NO_ORDERS.code]
    assert score.skipped is None
    assert score.rfm is None
    assert score.value is None
    assert score.lifetime is None
    assert score.churn is not None
    assert score.churn.risk < 0.1
    assert score.explanation[0] == "no orders: no RFM, value tier or lifetime value"


def test_future_orders_and_orders_of_unknown_customers_are_ignored() -> None:
    stranger = customer("X999")
    extra = [
        Sale(stranger.id, NOW - timedelta(days=1), Decimal(99)),
        Sale(BIG.id, NOW + timedelta(days=1), Decimal(5)),
    ]
    run = score_customers(CUSTOMERS, [*SALES, *extra], now=NOW)
    assert run.ignored_orders == 2 + 3  # and the three of the customer without consent
    plain = score_customers(CUSTOMERS, SALES, now=NOW)
    assert run.scores == plain.scores


def test_orders_of_one_day_are_one_transaction_for_the_models() -> None:
    twice = [*SALES, *sales(BIG, [3], "900.00")]
    big = _by_code(CUSTOMERS, twice)[BIG.code]
    assert big.rfm is not None
    assert big.rfm.frequency == 9
    assert big.parameters.customers_fitted == 15


def test_a_small_workspace_is_scored_without_the_models() -> None:
    few = [BIG, LAPSED, *REGULARS[:3]]
    purchases = [s for s in SALES if s.customer_id in {c.id for c in few}]
    scores = _by_code(few, purchases)
    big = scores[BIG.code]
    assert big.lifetime is None
    assert big.parameters.bgnbd is None
    assert "not fitted" in big.parameters.notes[0]
    assert big.rfm is not None
    assert big.value is not None
    assert big.churn is not None
    lapsed = scores[LAPSED.code].churn
    assert lapsed is not None
    assert lapsed.risk > 0.5
    assert "expected every" in lapsed.reasons[0].text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 14), st.integers(0, 720), st.integers(0, 5000)),
        min_size=1,
        max_size=80,
    )
)
def test_any_workspace_scores_without_errors_or_nonsense(rows: list[tuple[int, int, int]]) -> None:
    people = [customer(f"H{i:02d}") for i in range(15)]
    purchases = [
        Sale(people[who].id, NOW - timedelta(days=days, hours=1), Decimal(cents) / 100)
        for who, days, cents in rows
    ]
    for score in score_customers(people, purchases, now=NOW).scores:
        assert score.churn is not None
        assert 0.0 <= score.churn.risk <= 1.0
        if score.lifetime is not None:
            assert 0.0 <= score.lifetime.p_alive <= 1.0
            assert math.isfinite(score.lifetime.expected_purchases)
            assert score.lifetime.expected_purchases >= 0
            assert score.lifetime.clv is None or (
                math.isfinite(score.lifetime.clv) and score.lifetime.clv >= 0
            )
