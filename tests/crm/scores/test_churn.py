"""Churn risk: bounds and monotonicity of the combination (hypothesis), its reasons, and a synthetic
cohort whose dropouts are known: those who left must rank above those who stayed."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.scores.churn import ChurnSignals, churn_risk, overdue
from crm.scores.score import MentionCounts, score_customers
from crm.scores.testing import NOW, synthetic_cohort

signals = st.builds(
    lambda recency, mentions, negative, intents, cases: ChurnSignals(
        recency=recency,
        recency_reason="r",
        mentions=mentions,
        negative=min(negative, mentions),
        intents=min(intents, mentions),
        open_cases=cases,
    ),
    st.floats(0, 1),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 10),
)


@settings(max_examples=200, deadline=None)
@given(signals, st.floats(0, 1), st.integers(0, 5), st.integers(0, 5))
def test_risk_stays_in_bounds_and_rises_with_every_signal(
    base: ChurnSignals, more_recency: float, more_negative: int, more_cases: int
) -> None:
    risk = churn_risk(base).risk
    assert 0.0 < risk < 1.0
    later = replace(base, recency=min(1.0, base.recency + more_recency))
    assert churn_risk(later).risk >= risk
    angrier = replace(
        base,
        mentions=base.mentions + more_negative,
        negative=base.negative + more_negative,
        intents=base.intents + more_negative,
    )
    assert churn_risk(angrier).risk >= risk
    assert churn_risk(replace(base, open_cases=base.open_cases + more_cases)).risk >= risk


def test_reasons_name_the_signals_that_raised_the_risk() -> None:
    calm = churn_risk(ChurnSignals(recency=0.0, recency_reason="ordered last week"))
    assert calm.risk < 0.1
    assert calm.reasons == ()
    gone = churn_risk(
        ChurnSignals(
            recency=0.9, recency_reason="P(alive) 0.10", mentions=4, negative=3, intents=2, open_cases=1
        )
    )
    assert gone.risk > 0.95
    assert [r.signal for r in gone.reasons] == ["recency", "intents", "negative", "cases"]
    assert gone.reasons[0].text == "P(alive) 0.10"
    assert gone.signals["negative"] == 0.5  # 3 / (4 + 2)


def test_overdue() -> None:
    assert overdue(5, 10) == 0.0
    assert 0.6 < overdue(20, 10) < 0.65
    assert overdue(20, 0) == 0.0


def test_on_a_synthetic_cohort_those_who_left_rank_above_those_who_stayed() -> None:
    cohort = synthetic_cohort()
    assert 0.2 < len(cohort.dropped) / len(cohort.customers) < 0.8
    run = score_customers(cohort.customers, cohort.sales, now=NOW)
    risk = {s.customer_id: s.churn.risk for s in run.scores if s.churn}
    left = [risk[c] for c in cohort.dropped]
    stayed = [risk[c.id] for c in cohort.customers if c.id not in cohort.dropped]
    # AUC: the chance that a random leaver is ranked above a random stayer
    pairs = sum((a > b) + 0.5 * (a == b) for a in left for b in stayed)
    auc = pairs / (len(left) * len(stayed))
    assert auc > 0.75, auc


def test_mentions_and_cases_raise_the_risk_of_an_active_customer() -> None:
    cohort = synthetic_cohort(n=60)
    quiet = {s.customer_id: s for s in score_customers(cohort.customers, cohort.sales, now=NOW).scores}
    loud = {
        s.customer_id: s
        for s in score_customers(
            cohort.customers,
            cohort.sales,
            now=NOW,
            mention_signals=lambda _: MentionCounts(mentions=5, negative=4, intents=3),
            open_cases=lambda _: 2,
        ).scores
    }
    for cid, score in quiet.items():
        assert score.churn is not None
        louder = loud[cid].churn
        assert louder is not None
        assert louder.risk > score.churn.risk
        assert {"intents", "cases", "negative"} <= {r.signal for r in louder.reasons}
