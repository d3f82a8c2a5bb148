"""Churn risk in [0, 1], with its reasons, from three kinds of signal:

1. **recency** against the customer's expected purchase rhythm, in [0, 1]: for a repeat customer,
   1 - P(alive) from BG/NBD; for a one-time customer (whom BG/NBD always counts alive) and when no
   model could be fitted, how overdue they are: ``1 - exp(-max(0, gap / interval - 1))`` where `gap`
   is the time since the last purchase and `interval` the expected time between purchases (their own
   mean interval, else the workspace's: alpha / r under BG/NBD, else the median of the repeat
   customers'). Zero while the next purchase is not yet due; 0.63 one interval late; 0.86 two late.
2. **what they say**: in their linked mentions of the lookback window, the share of negative ones,
   shrunk towards zero for few mentions (``negative / (mentions + 2)``: one angry mention is not a
   trend), and the number of ``churn_risk`` or ``complaint`` mentions (saturating at 3);
3. **open cases and complaints**: the count (saturating at 3).

They are combined by a logistic function with fixed, documented weights (`WEIGHTS`):

    risk = sigmoid(-3 + 4 * recency + 1.5 * negative + 2 * intents + 1.5 * cases)

so a customer with no signal is at 0.05, a fully lapsed one at 0.73, a lapsed one who complains and
has an open case at 0.99, and an active customer who complains loudly at 0.5. Recency weighs most
because it is behaviour, not words. The risk rises with every signal and never leaves (0, 1) (tests:
tests/crm/scores/test_churn.py checks monotonicity with hypothesis and, on a synthetic cohort whose
dropouts are known, that those who left rank above those who stayed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from pydantic import Field

from core.models import Frozen

INTERCEPT: Final = -3.0
WEIGHTS: Final[dict[str, float]] = {"recency": 4.0, "negative": 1.5, "intents": 2.0, "cases": 1.5}
SATURATION: Final = 3  # intents and cases beyond this add nothing
REASON_MIN: Final = 0.25  # a signal is given as a reason once it adds this much to the logit


@dataclass(frozen=True)
class ChurnSignals:
    recency: float  # in [0, 1], see the module docstring
    recency_reason: str  # how `recency` was measured, in words
    mentions: int = 0  # linked mentions in the lookback window
    negative: int = 0  # of which negative
    intents: int = 0  # of which with the churn_risk or complaint intent
    open_cases: int = 0


class ChurnReason(Frozen):
    signal: str = Field(description="recency, negative, intents or cases")
    contribution: float = Field(description="What it adds to the logit: weight x signal")
    text: str


class ChurnRisk(Frozen):
    risk: float = Field(ge=0, le=1)
    reasons: tuple[ChurnReason, ...] = Field((), description="The signals that raised it, largest first")
    signals: dict[str, float] = Field(default_factory=dict, description="Each signal in [0, 1]")


def overdue(gap: float, interval: float) -> float:
    """The recency signal from a gap and an expected interval (module docstring)."""
    if interval <= 0 or not math.isfinite(interval):
        return 0.0
    return 1.0 - math.exp(-max(0.0, gap / interval - 1.0))


def normalised(signals: ChurnSignals) -> dict[str, float]:
    return {
        "recency": min(1.0, max(0.0, signals.recency)),
        "negative": signals.negative / (signals.mentions + 2) if signals.mentions else 0.0,
        "intents": min(signals.intents, SATURATION) / SATURATION,
        "cases": min(signals.open_cases, SATURATION) / SATURATION,
    }


def churn_risk(signals: ChurnSignals) -> ChurnRisk:
    values = normalised(signals)
    logit = INTERCEPT + sum(WEIGHTS[name] * value for name, value in values.items())
    texts = {
        "recency": signals.recency_reason,
        "negative": f"{signals.negative} of {signals.mentions} recent mentions negative",
        "intents": f"{signals.intents} recent mentions about leaving or complaining",
        "cases": f"{signals.open_cases} open complaints or cases",
    }
    reasons = sorted(
        (
            ChurnReason(signal=name, contribution=round(WEIGHTS[name] * value, 4), text=texts[name])
            for name, value in values.items()
            if WEIGHTS[name] * value >= REASON_MIN
        ),
        key=lambda reason: -reason.contribution,
    )
    return ChurnRisk(
        risk=round(1.0 / (1.0 + math.exp(-logit)), 4),
        reasons=tuple(reasons),
        signals={name: round(value, 4) for name, value in values.items()},
    )
