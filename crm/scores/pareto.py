"""Value tiers by Pareto's rule: customers sorted by revenue (ties by code), the smallest set that
brings 80% of the workspace's revenue is "key"; the customers after them up to 95% are "growth"; the
rest, and every customer without revenue, are "standard".

A customer is in a band when the revenue of the customers ranked before them is still below the
band's share: so the customer who crosses 80% is key (the set is the smallest that reaches 80%), and
with one dominant customer the key set is that one customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final


class ValueTier(StrEnum):
    key = "key"
    growth = "growth"
    standard = "standard"


KEY_SHARE: Final = Decimal("0.80")
GROWTH_SHARE: Final = Decimal("0.95")
TIER_RANK: Final[dict[ValueTier, int]] = {ValueTier.key: 0, ValueTier.growth: 1, ValueTier.standard: 2}


@dataclass(frozen=True)
class TierAssignment:
    tier: ValueTier
    rank: int  # 1 = the customer with the most revenue
    revenue: Decimal
    share: float  # of the workspace's revenue
    cumulative_share: float  # of the customers ranked up to and including this one


def value_tiers(
    revenue: Mapping[str, Decimal], order_key: Mapping[str, str] | None = None
) -> dict[str, TierAssignment]:
    """customer id -> their tier, from customer id -> revenue (`order_key`: tie-breaks, e.g. codes)."""
    keys = order_key or {}
    ranked = sorted(revenue, key=lambda c: (-revenue[c], keys.get(c, c)))
    total = sum(revenue.values(), Decimal(0))
    out: dict[str, TierAssignment] = {}
    before = Decimal(0)
    for rank, customer in enumerate(ranked, start=1):
        amount = revenue[customer]
        if total <= 0 or amount <= 0:
            tier = ValueTier.standard
        elif before < KEY_SHARE * total:
            tier = ValueTier.key
        elif before < GROWTH_SHARE * total:
            tier = ValueTier.growth
        else:
            tier = ValueTier.standard
        before += amount
        out[customer] = TierAssignment(
            tier=tier,
            rank=rank,
            revenue=amount,
            share=float(amount / total) if total > 0 else 0.0,
            cumulative_share=float(before / total) if total > 0 else 0.0,
        )
    return out
