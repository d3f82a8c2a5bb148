"""Scoring one workspace: from its customers and their purchases (anything with `customer_id`,
`ordered_at` and `amount`: `Purchase`, which `crm.orders.Order` satisfies) to one `CustomerScore` per
customer, each with its explanation and the parameters used. Pure: the stores are read and written by
`crm.scores.run`.

- Consent: a customer without ``consent.profiling`` is not scored at all; their purchases take no part
  in the quintiles, the Pareto bands or the model fits, and their score records only why it is skipped.
- Purchases: orders of one customer on one calendar day (UTC) are one transaction for BG/NBD and
  Gamma-Gamma (the papers' convention); RFM frequency counts orders. Orders after `now`, of unknown
  customers, and customers' first-day orders for Gamma-Gamma (the papers use repeat purchases) do not
  count. Amounts are summed as given: a workspace is assumed to trade in one currency.
- Models: times in weeks. BG/NBD is fitted when at least `ScorePolicy.min_fit_customers` customers
  have purchases and `min_repeat_customers` of them bought again; Gamma-Gamma on the repeat
  customers, when as many. Otherwise a customer's score has no lifetime value and churn falls back on
  the overdue measure (`crm.scores.churn`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

import numpy as np
from pydantic import AwareDatetime, Field

from core.models import Customer, Frozen
from crm.scores import models
from crm.scores.churn import ChurnRisk, ChurnSignals, churn_risk, overdue
from crm.scores.pareto import TierAssignment, ValueTier, value_tiers
from crm.scores.rfm import SEGMENT_MEANING, Segment, quintile_scores, segment_for

NO_CONSENT = "no profiling consent (consent.profiling is false)"


class Purchase(Protocol):
    """What scoring reads of an order (`crm.orders.Order` fits)."""

    @property
    def customer_id(self) -> str: ...

    @property
    def ordered_at(self) -> datetime: ...

    @property
    def amount(self) -> Decimal: ...


@dataclass(frozen=True)
class MentionCounts:
    """A customer's linked mentions in the lookback window."""

    mentions: int = 0
    negative: int = 0
    intents: int = 0  # churn_risk or complaint


MentionSignals = Callable[[str], MentionCounts]  # customer id -> counts
OpenCases = Callable[[str], int]  # customer id -> open complaints and cases


class ScorePolicy(Frozen):
    """The choices a score depends on; stored with every score."""

    horizon_months: int = Field(12, ge=1, le=120, description="Lifetime value horizon")
    annual_discount: float = Field(0.10, ge=0, lt=1, description="Discount rate per year for CLV")
    mention_lookback_days: int = Field(90, ge=1, description="Mentions counted for churn risk")
    min_fit_customers: int = Field(10, ge=2, description="Customers with purchases needed to fit BG/NBD")
    min_repeat_customers: int = Field(3, ge=1, description="Repeat customers needed to fit either model")
    prior_strength: float = Field(
        0.15,
        ge=0,
        description="Weight of the weak prior on the log-parameters (models.fit_bgnbd), against the summed "
        "log-likelihood: it matters for a few dozen customers and vanishes for thousands",
    )

    @property
    def monthly_discount(self) -> float:
        return float((1 + self.annual_discount) ** (1 / 12) - 1)


class ModelParameters(Frozen):
    """What produced a run's scores: the fitted models (None when not fitted) and the policy."""

    bgnbd: dict[str, float] | None = Field(None, description="r, alpha, a, b (weeks)")
    gamma_gamma: dict[str, float] | None = Field(None, description="p, q, v")
    customers_scored: int = 0
    customers_fitted: int = Field(0, description="Customers with purchases the models saw")
    notes: tuple[str, ...] = Field((), description="Why a model was not fitted")
    policy: ScorePolicy = ScorePolicy()


class RFMScore(Frozen):
    recency_days: int = Field(ge=0, description="Days since the last order")
    frequency: int = Field(ge=1, description="Orders")
    monetary: Decimal = Field(description="Revenue")
    r: int = Field(ge=1, le=5)
    f: int = Field(ge=1, le=5)
    m: int = Field(ge=1, le=5)
    segment: Segment

    @property
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


class ValueScore(Frozen):
    tier: ValueTier
    rank: int = Field(ge=1, description="1 = the most revenue")
    revenue: Decimal
    share: float = Field(description="Share of the workspace's revenue")
    cumulative_share: float = Field(description="Of the customers ranked up to this one")


class LifetimeValue(Frozen):
    expected_purchases: float = Field(description="Expected purchase days over the horizon")
    p_alive: float = Field(ge=0, le=1)
    expected_order_value: float | None = None
    clv: float | None = Field(None, description="Discounted expected revenue over the horizon")
    horizon_months: int


class CustomerScore(Frozen):
    """One customer's scores at one moment (`computed_at`), or why they have none (`skipped`)."""

    customer_id: str
    customer_code: str
    customer_name: str = ""
    computed_at: AwareDatetime
    skipped: str | None = Field(None, description="Why the customer was not scored")
    rfm: RFMScore | None = None
    value: ValueScore | None = None
    lifetime: LifetimeValue | None = None
    churn: ChurnRisk | None = None
    explanation: tuple[str, ...] = ()
    parameters: ModelParameters = ModelParameters()

    @property
    def segment(self) -> Segment | None:
        return self.rfm.segment if self.rfm else None

    @property
    def tier(self) -> ValueTier | None:
        return self.value.tier if self.value else None


@dataclass
class _History:
    orders: int = 0
    revenue: Decimal = Decimal(0)
    days: dict[date, Decimal] = field(default_factory=dict)
    last: datetime | None = None


@dataclass(frozen=True)
class ScoreRun:
    scores: tuple[CustomerScore, ...]
    parameters: ModelParameters
    ignored_orders: int  # of unknown or unscored customers, or after `now`


def _weeks(days: int) -> float:
    return days / 7.0


def _histories(
    purchases: Iterable[Purchase], scored: set[str], now: datetime
) -> tuple[dict[str, _History], int]:
    histories: dict[str, _History] = {}
    ignored = 0
    for purchase in purchases:
        if purchase.customer_id not in scored or purchase.ordered_at > now:
            ignored += 1
            continue
        history = histories.setdefault(purchase.customer_id, _History())
        day = purchase.ordered_at.astimezone(now.tzinfo).date()
        history.orders += 1
        history.revenue += purchase.amount
        history.days[day] = history.days.get(day, Decimal(0)) + purchase.amount
        history.last = purchase.ordered_at if history.last is None else max(history.last, purchase.ordered_at)
    return histories, ignored


@dataclass(frozen=True)
class _Summary:
    ids: list[str]
    x: models.Array
    t_x: models.Array
    T: models.Array
    m: models.Array  # mean repeat-day value (0 without repeats)


def _summary(histories: dict[str, _History], today: date) -> _Summary:
    ids = sorted(histories)
    x, t_x, T, m = [], [], [], []
    for cid in ids:
        days = sorted(histories[cid].days)
        repeats = len(days) - 1
        x.append(float(repeats))
        t_x.append(_weeks((days[-1] - days[0]).days))
        T.append(_weeks((today - days[0]).days))
        repeat_value = sum((histories[cid].days[d] for d in days[1:]), Decimal(0))
        m.append(float(repeat_value / repeats) if repeats else 0.0)
    arr = np.asarray
    return _Summary(ids, arr(x, dtype=float), arr(t_x, dtype=float), arr(T, dtype=float), arr(m, dtype=float))


def _fit(
    summary: _Summary, policy: ScorePolicy
) -> tuple[models.BGNBDParams | None, models.GammaGammaParams | None, list[str]]:
    notes: list[str] = []
    repeaters = int(np.sum(summary.x > 0))
    bgnbd = gamma_gamma = None
    if len(summary.ids) < policy.min_fit_customers or repeaters < policy.min_repeat_customers:
        notes.append(
            f"BG/NBD and Gamma-Gamma not fitted: {len(summary.ids)} customers with purchases, {repeaters} "
            f"repeat (need {policy.min_fit_customers} and {policy.min_repeat_customers})"
        )
        return None, None, notes
    bgnbd = models.fit_bgnbd(
        summary.x, summary.t_x, summary.T, penalty=policy.prior_strength / len(summary.ids)
    )
    positive = (summary.x > 0) & (summary.m > 0)
    if int(np.sum(positive)) >= policy.min_repeat_customers and np.ptp(summary.m[positive]) > 0:
        gamma_gamma = models.fit_gamma_gamma(
            summary.x[positive],
            summary.m[positive],
            penalty=policy.prior_strength / int(np.sum(positive)),
        )
        if gamma_gamma.q <= 1:
            notes.append(
                "Gamma-Gamma fitted q <= 1 (no population mean): expected order value is the own mean"
            )
    else:
        notes.append("Gamma-Gamma not fitted: too few repeat customers with differing spend")
    return bgnbd, gamma_gamma, notes


def _money(value: Decimal | float) -> str:
    return f"{value:,.2f}"


def score_customers(
    customers: Sequence[Customer],
    purchases: Iterable[Purchase],
    *,
    now: datetime,
    mention_signals: MentionSignals | None = None,
    open_cases: OpenCases | None = None,
    policy: ScorePolicy | None = None,
) -> ScoreRun:
    """Every customer's score (module docstring). `mention_signals` and `open_cases` default to none."""
    policy = policy or ScorePolicy()
    consenting = [c for c in customers if c.consent.profiling]
    histories, ignored = _histories(purchases, {c.id for c in consenting}, now)
    today = now.date()
    summary = _summary(histories, today)
    bgnbd, gamma_gamma, notes = _fit(summary, policy)
    parameters = ModelParameters(
        bgnbd=None if bgnbd is None else {k: round(v, 6) for k, v in vars(bgnbd).items()},
        gamma_gamma=None if gamma_gamma is None else {k: round(v, 6) for k, v in vars(gamma_gamma).items()},
        customers_scored=len(consenting),
        customers_fitted=len(summary.ids),
        notes=tuple(notes),
        policy=policy,
    )
    position = {cid: i for i, cid in enumerate(summary.ids)}

    # RFM and tiers over the consenting customers with purchases
    buyers = summary.ids
    recency_days = [(today - max(histories[c].days)).days for c in buyers]
    r_scores = quintile_scores([float(d) for d in recency_days], higher_is_better=False)
    f_scores = quintile_scores([float(histories[c].orders) for c in buyers])
    m_scores = quintile_scores([float(histories[c].revenue) for c in buyers])
    codes = {c.id: c.code for c in consenting}
    tiers = value_tiers({c: histories[c].revenue for c in buyers}, codes)

    # lifetime values, for every buyer at once
    p_alive = expected = clv = order_value = None
    if bgnbd is not None:
        p_alive = models.probability_alive(bgnbd, summary.x, summary.t_x, summary.T)
        expected = models.expected_purchases(
            bgnbd, policy.horizon_months * models.WEEKS_PER_MONTH, summary.x, summary.t_x, summary.T
        )
        if gamma_gamma is not None:
            order_value = models.expected_average_value(gamma_gamma, summary.x, summary.m)
            clv = models.clv(
                bgnbd,
                order_value,
                summary.x,
                summary.t_x,
                summary.T,
                months=policy.horizon_months,
                monthly_discount=policy.monthly_discount,
            )
    interval = _population_interval(bgnbd, summary)

    scores: list[CustomerScore] = []
    base = {"computed_at": now, "parameters": parameters}
    for customer in customers:
        ident = {"customer_id": customer.id, "customer_code": customer.code, "customer_name": customer.name}
        if not customer.consent.profiling:
            scores.append(
                CustomerScore(**ident, **base, skipped=NO_CONSENT, explanation=(f"not scored: {NO_CONSENT}",))
            )
            continue
        lines: list[str] = []
        rfm = value = lifetime = None
        i = position.get(customer.id)
        if i is None:
            lines.append("no orders: no RFM, value tier or lifetime value")
            recency = ChurnSignals(recency=0.0, recency_reason="no orders yet")
        else:
            history = histories[customer.id]
            rfm = RFMScore(
                recency_days=recency_days[i],
                frequency=history.orders,
                monetary=history.revenue,
                r=r_scores[i],
                f=f_scores[i],
                m=m_scores[i],
                segment=segment_for(r_scores[i], f_scores[i], m_scores[i]),
            )
            lines.append(
                f"RFM {rfm.code}: last order {rfm.recency_days} days ago, {rfm.frequency} orders, "
                f"{_money(rfm.monetary)} revenue -> {rfm.segment.value} ({SEGMENT_MEANING[rfm.segment]})"
            )
            value = _value(tiers[customer.id])
            lines.append(
                f"value tier {value.tier.value}: rank {value.rank} of {len(buyers)}, "
                f"{value.share:.1%} of revenue, {value.cumulative_share:.1%} with those ranked above"
            )
            if p_alive is not None and expected is not None:
                lifetime = LifetimeValue(
                    expected_purchases=round(float(expected[i]), 4),
                    p_alive=round(float(p_alive[i]), 4),
                    expected_order_value=None if order_value is None else round(float(order_value[i]), 2),
                    clv=None if clv is None else round(float(clv[i]), 2),
                    horizon_months=policy.horizon_months,
                )
                lines.append(_lifetime_line(lifetime))
            recency = _recency_signal(summary, i, p_alive, interval)
        counts = mention_signals(customer.id) if mention_signals else MentionCounts()
        churn = churn_risk(
            ChurnSignals(
                recency=recency.recency,
                recency_reason=recency.recency_reason,
                mentions=counts.mentions,
                negative=counts.negative,
                intents=counts.intents,
                open_cases=open_cases(customer.id) if open_cases else 0,
            )
        )
        reasons = "; ".join(r.text for r in churn.reasons) or "no warning signs"
        lines.append(f"churn risk {churn.risk:.2f}: {reasons}")
        scores.append(
            CustomerScore(
                **ident,
                **base,
                rfm=rfm,
                value=value,
                lifetime=lifetime,
                churn=churn,
                explanation=tuple(lines),
            )
        )
    return ScoreRun(scores=tuple(scores), parameters=parameters, ignored_orders=ignored)


def _value(tier: TierAssignment) -> ValueScore:
    return ValueScore(
        tier=tier.tier,
        rank=tier.rank,
        revenue=tier.revenue,
        share=round(tier.share, 6),
        cumulative_share=round(tier.cumulative_share, 6),
    )


def _lifetime_line(lifetime: LifetimeValue) -> str:
    line = (
        f"expected {lifetime.expected_purchases:.2f} purchases in the next {lifetime.horizon_months} months, "
        f"P(alive) {lifetime.p_alive:.2f}"
    )
    if lifetime.expected_order_value is not None and lifetime.clv is not None:
        line += f", expected order {_money(lifetime.expected_order_value)}, CLV {_money(lifetime.clv)}"
    return line


def _population_interval(bgnbd: models.BGNBDParams | None, summary: _Summary) -> float:
    """Expected weeks between purchases in this workspace: alpha / r under BG/NBD, else the median of
    the repeat customers' own mean intervals (inf without any)."""
    if bgnbd is not None:
        return 1.0 / models.population_rate(bgnbd)
    own = [float(t / x) for x, t in zip(summary.x, summary.t_x, strict=True) if x > 0 and t > 0]
    return statistics.median(own) if own else math.inf


def _recency_signal(summary: _Summary, i: int, p_alive: models.Array | None, interval: float) -> ChurnSignals:
    x, t_x, T = float(summary.x[i]), float(summary.t_x[i]), float(summary.T[i])
    gap = T - t_x
    if x > 0 and p_alive is not None:
        alive = float(p_alive[i])
        return ChurnSignals(
            recency=1.0 - alive,
            recency_reason=f"P(alive) {alive:.2f} after {gap * 7:.0f} days without an order "
            f"(usually every {t_x / x * 7:.0f} days)",
        )
    own = t_x / x if x > 0 and t_x > 0 else interval
    signal = overdue(gap, own)
    if math.isinf(own):
        return ChurnSignals(recency=0.0, recency_reason="no purchase rhythm known yet")
    return ChurnSignals(
        recency=signal,
        recency_reason=f"{gap * 7:.0f} days since the last order, expected every {own * 7:.0f} days",
    )
