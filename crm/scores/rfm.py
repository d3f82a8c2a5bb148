"""RFM: recency, frequency and monetary scores 1-5 by quintiles of one workspace's customers, and the
segment their scores fall in.

Scores are ranks, not thresholds: customers are ordered by each measure (recency: most recent first
gets 5; frequency and monetary: most gets 5) and cut into five groups of equal size; tied customers
share the score of their average rank, so two customers with the same value never get different
scores. With fewer than five customers some scores are unused.

Segments: the common R x FM grid (FM = the rounded mean of F and M, half up), read from this table
(rows R 5..1, columns FM 1..5):

    R\\FM  1               2                   3                   4                 5
    5      new             potential loyalist  potential loyalist  champions         champions
    4      promising       potential loyalist  loyal               loyal             champions
    3      about to sleep  about to sleep      need attention      loyal             loyal
    2      hibernating     hibernating         at risk             at risk           can't lose them
    1      lost            lost                at risk             can't lose them   can't lose them

Recent and frequent big spenders are champions; good customers who have not bought for a long time
are "at risk" or, the biggest of them, "can't lose them"; small, long-gone ones are "lost".
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

import numpy as np


class Segment(StrEnum):
    champions = "champions"
    loyal = "loyal"
    potential_loyalist = "potential loyalist"
    new = "new"
    promising = "promising"
    need_attention = "need attention"
    about_to_sleep = "about to sleep"
    at_risk = "at risk"
    cant_lose_them = "can't lose them"
    hibernating = "hibernating"
    lost = "lost"


S = Segment
# SEGMENT_GRID[r - 1][fm - 1]
SEGMENT_GRID: Final[tuple[tuple[Segment, ...], ...]] = (
    (S.lost, S.lost, S.at_risk, S.cant_lose_them, S.cant_lose_them),
    (S.hibernating, S.hibernating, S.at_risk, S.at_risk, S.cant_lose_them),
    (S.about_to_sleep, S.about_to_sleep, S.need_attention, S.loyal, S.loyal),
    (S.promising, S.potential_loyalist, S.loyal, S.loyal, S.champions),
    (S.new, S.potential_loyalist, S.potential_loyalist, S.champions, S.champions),
)
SEGMENT_MEANING: Final[dict[Segment, str]] = {
    S.champions: "bought recently, buys often and spends the most",
    S.loyal: "buys regularly and spends well",
    S.potential_loyalist: "recent customer with average frequency and spend",
    S.new: "bought very recently, for the first times",
    S.promising: "recent, but has not bought much yet",
    S.need_attention: "average recency, frequency and spend",
    S.about_to_sleep: "below average recency and low frequency and spend",
    S.at_risk: "bought often and spent well, but long ago",
    S.cant_lose_them: "among the biggest customers, but has not come back for a long time",
    S.hibernating: "last bought long ago, rarely and for little",
    S.lost: "the lowest recency, frequency and spend",
}


def quintile_scores(values: Sequence[float], *, higher_is_better: bool = True) -> list[int]:
    """Score 1-5 of each value by its quintile among `values` (ties share their average rank)."""
    if not values:
        return []
    # scipy.stats takes seconds to import: only the scores run needs it, not every importer of crm.scores
    # (the HTTP API's first request, the CLI).
    from scipy.stats import rankdata

    data = np.asarray(values, dtype=np.float64)
    ranks = rankdata(data if higher_is_better else -data, method="average")  # 1 = worst
    n = len(values)
    # the average rank's position in [0, 1): five equal bins
    return [int(min(5, 1 + np.floor(5 * (rank - 0.5) / n))) for rank in ranks]


def fm_score(frequency: int, monetary: int) -> int:
    """The FM column of the grid: the mean of F and M, rounded half up."""
    return (frequency + monetary + 1) // 2


def segment_for(recency: int, frequency: int, monetary: int) -> Segment:
    for score in (recency, frequency, monetary):
        if not 1 <= score <= 5:
            raise ValueError(f"RFM scores are 1-5, not {score}")
    return SEGMENT_GRID[recency - 1][fm_score(frequency, monetary) - 1]
