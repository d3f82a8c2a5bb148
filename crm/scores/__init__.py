"""Value and risk per customer: RFM with segments, Pareto value tiers, BG/NBD and Gamma-Gamma
lifetime value, churn risk with reasons; each score with its explanation and the parameters used.

- `crm.scores.rfm`, `crm.scores.pareto`, `crm.scores.models` (BG/NBD, Gamma-Gamma, CLV) and
  `crm.scores.churn`: the pure pieces;
- `crm.scores.score`: one workspace's customers and purchases -> a `CustomerScore` each;
- `crm.scores.store`: `ScoreStore` on SQLite and Elasticsearch, `build_score_store`;
- `crm.scores.run`: `recompute_scores(settings, workspace=)`, from the stores to the stores.

Customers without profiling consent get no score anywhere: only the reason they were skipped.
"""

from crm.scores.churn import ChurnReason, ChurnRisk
from crm.scores.pareto import ValueTier
from crm.scores.rfm import Segment
from crm.scores.run import RecomputeReport, recompute_scores
from crm.scores.score import CustomerScore, ModelParameters, Purchase, ScorePolicy, score_customers
from crm.scores.store import ScoreStore, build_score_store

__all__ = [
    "ChurnReason",
    "ChurnRisk",
    "CustomerScore",
    "ModelParameters",
    "Purchase",
    "RecomputeReport",
    "ScorePolicy",
    "ScoreStore",
    "Segment",
    "ValueTier",
    "build_score_store",
    "recompute_scores",
    "score_customers",
]
