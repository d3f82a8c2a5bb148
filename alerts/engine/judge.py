"""The statistics of the anomaly kinds: a baseline's mean and deviation, and whether a window is out.

Noise floors keep small numbers quiet. Counts are roughly Poisson, so a window's deviation is at
least sqrt(mean) (and at least 1): a baseline of 5, 5, 5, 5 (stdev 0) does not make 6 a spike. A
negative share over n mentions varies by at least sqrt(p(1-p)/n), with p kept within [0.05, 0.95] so
that a baseline without a single negative mention does not make one negative mention a dip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alerts.rules import Direction, SentimentDip, Spike

_SHARE_FLOOR = 0.05


@dataclass(frozen=True, slots=True)
class Verdict:
    out: bool  # the window is anomalous
    direction: str
    current: float
    mean: float
    stdev: float  # after the noise floor
    bound: float  # the value `current` had to reach (up) or fall to (down)
    size: int  # values in the baseline


def mean_stdev(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for fewer than two values)."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = math.fsum(values) / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def judge_count(spec: Spike, current: float, values: list[float], *, closed: bool) -> Verdict:
    """A spike window against its baseline. Up fires at max(mean + k·sd, min_count) and above the
    mean; down at mean - k·sd, and only from a baseline mean of at least min_count (0 over 0, or 2
    over 1, never fires either way). Down is judged only on a closed window: an open one can still grow."""
    mean, sd = mean_stdev(values)
    sd = max(sd, math.sqrt(max(mean, 1.0)))
    k = spec.effective_k
    up_bound = max(mean + k * sd, float(spec.min_count))
    down_bound = mean - k * sd
    up = spec.direction in (Direction.up, Direction.both) and current >= up_bound and current > mean
    down = (
        closed
        and spec.direction in (Direction.down, Direction.both)
        and mean >= spec.min_count
        and current <= down_bound
    )
    if down:
        return Verdict(True, "down", current, mean, sd, down_bound, len(values))
    bound = up_bound if spec.direction is not Direction.down else down_bound
    direction = "up" if spec.direction is not Direction.down else "down"
    return Verdict(up, direction, current, mean, sd, bound, len(values))


def judge_share(spec: SentimentDip, negative: float, total: float, shares: list[float]) -> Verdict:
    """A window's negative share against the shares of the baseline windows that had min_volume."""
    share = negative / total if total else 0.0
    mean, sd = mean_stdev(shares)
    p = min(max(mean, _SHARE_FLOOR), 1 - _SHARE_FLOOR)
    sd = max(sd, math.sqrt(p * (1 - p) / max(total, 1.0)))
    bound = mean + spec.effective_k * sd
    out = total >= spec.min_volume and share >= bound and share > mean
    return Verdict(out, "up", share, mean, sd, bound, len(shares))
