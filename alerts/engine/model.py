"""What goes into the engine (observations) and what comes out (decisions), as frozen models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.base import Severity
from core.models import AwareDatetime


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Observation(_Frozen):
    """One matched mention as the engine sees it (build it with :func:`alerts.engine.observe`), or one
    row of a count series in a backtest (``weight`` mentions, ``negative`` of them negative)."""

    mention_id: str = Field(min_length=1)
    published_at: AwareDatetime
    fields: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="group_by field -> the mention's values for it (normalised)"
    )
    weight: int = Field(1, ge=0, description="How many mentions this stands for")
    negative: int = Field(0, ge=0, description="How many of them are negative")
    rank: float = Field(0.0, description="Orders a digest's top mentions (higher first)")


class DecisionKind(StrEnum):
    alert = "alert"
    recovery = "recovery"  # the anomaly (spike, dip, flatline) a previous alert announced has ended
    digest = "digest"


class Decision(_Frozen):
    """An alert (or recovery, or digest) with the numbers that explain it. ``id`` is deterministic:
    a replay of the same observations at the same times decides the same ids."""

    id: str
    rule_id: str
    rule_kind: str
    kind: DecisionKind
    key: str = Field(description="The group_by key: '' for a rule without group_by, else 'author=sam&...'")
    key_fields: tuple[tuple[str, str], ...] = ()
    decided_at: AwareDatetime
    severity: Severity
    deliver_after: AwareDatetime | None = Field(None, description="Held by quiet hours until then")
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    current: float | None = Field(None, description="The count (or negative share) judged")
    count: float | None = Field(None, description="Mentions in the window (or since the last digest)")
    baseline_mean: float | None = None
    baseline_stdev: float | None = Field(None, description="After the noise floor (docs/alerts.md)")
    baseline_size: int | None = Field(None, description="Windows in the baseline")
    k: float | None = None
    bound: float | None = Field(None, description="The value `current` crossed")
    direction: str | None = None
    repeat: bool = Field(False, description="The anomaly was already announced and still holds")
    suppressed: int = Field(0, description="every_match: mentions of this key the cooldown held back")
    mention_ids: tuple[str, ...] = ()
    reason: str = ""


class Step(_Frozen):
    """What one engine step decided, and the mentions it could not count: published in a window that
    had already closed (beyond the late allowance). Reported, never silently dropped."""

    decisions: tuple[Decision, ...] = ()
    late: tuple[str, ...] = ()
    now: datetime
