"""RFM quintiles and segments; Pareto value tiers."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.scores.pareto import KEY_SHARE, ValueTier, value_tiers
from crm.scores.rfm import SEGMENT_GRID, Segment, quintile_scores, segment_for


def test_quintiles_cut_ranks_into_five_equal_groups() -> None:
    assert quintile_scores([float(v) for v in range(10)]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([float(v) for v in range(10)], higher_is_better=False) == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
        1,
    ]
    assert quintile_scores([7.0, 7.0, 7.0]) == [3, 3, 3]  # ties share their average rank
    assert quintile_scores([]) == []
    assert quintile_scores([1.0]) == [3]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=60))
def test_quintiles_are_monotone_and_tie_safe(values: list[float]) -> None:
    scores = quintile_scores(values)
    assert all(1 <= s <= 5 for s in scores)
    for a, sa in zip(values, scores, strict=True):
        for b, sb in zip(values, scores, strict=True):
            if a < b:
                assert sa <= sb
            if a == b:
                assert sa == sb


def test_the_segment_grid_names_every_segment() -> None:
    assert {segment for row in SEGMENT_GRID for segment in row} == set(Segment)
    assert segment_for(5, 5, 5) is Segment.champions
    assert segment_for(5, 1, 1) is Segment.new
    assert segment_for(1, 5, 5) is Segment.cant_lose_them
    assert segment_for(1, 1, 1) is Segment.lost
    assert segment_for(2, 3, 4) is Segment.at_risk
    assert segment_for(2, 1, 2) is Segment.hibernating


def test_the_key_tier_is_the_smallest_set_reaching_80_percent() -> None:
    revenue = {"a": Decimal(500), "b": Decimal(300), "c": Decimal(100), "d": Decimal(60), "e": Decimal(40)}
    tiers = value_tiers(revenue)
    assert {c for c, t in tiers.items() if t.tier is ValueTier.key} == {"a", "b"}  # 80% exactly
    assert tiers["c"].tier is ValueTier.growth
    assert tiers["d"].tier is ValueTier.growth
    assert tiers["e"].tier is ValueTier.standard
    assert tiers["b"].cumulative_share == 0.8
    assert tiers["a"].rank == 1
    assert value_tiers({"only": Decimal(10), "none": Decimal(0)})["none"].tier is ValueTier.standard
    assert value_tiers({"x": Decimal(0)})["x"].tier is ValueTier.standard


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 10_000), min_size=1, max_size=40))
def test_key_customers_bring_80_percent_and_none_is_superfluous(amounts: dict[str, int]) -> None:
    revenue = {c: Decimal(v) for c, v in amounts.items()}
    total = sum(revenue.values())
    tiers = value_tiers(revenue)
    key = sorted((c for c, t in tiers.items() if t.tier is ValueTier.key), key=lambda c: tiers[c].rank)
    if total == 0:
        assert not key
        return
    assert sum(revenue[c] for c in key) >= KEY_SHARE * total
    assert sum(revenue[c] for c in key[:-1]) < KEY_SHARE * total  # the smallest such set
    ranked = sorted(tiers, key=lambda c: tiers[c].rank)
    order = {ValueTier.key: 0, ValueTier.growth: 1, ValueTier.standard: 2}
    assert [order[tiers[c].tier] for c in ranked] == sorted(order[tiers[c].tier] for c in ranked)
