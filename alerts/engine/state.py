"""The engine's state: plain pydantic, dumped to JSON and loaded back exactly, so it survives a
restart (times are epoch seconds, counts floats: both round-trip through JSON unchanged)."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

from alerts.rules import Rule

Counts = tuple[float, float]  # (mentions, negative ones), scaled to a full window when it was cut short


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class KeyState(_State):
    fields: tuple[tuple[str, str], ...] = ()
    since: int | None = Field(None, description="Start of the first window this key had mentions in")
    last_seen: int | None = Field(None, description="Start of the last window with mentions")
    open: dict[int, Counts] = Field(default_factory=dict, description="Open windows by start (raw counts)")
    history: list[Counts] = Field(default_factory=list, description="Closed windows, oldest first")
    seasonal: dict[str, list[Counts]] = Field(default_factory=dict, description="Slot -> past weeks")
    events: list[tuple[float, int]] = Field(default_factory=list, description="threshold: (time, weight)")
    last_alert: float | None = None
    active: bool = False  # the anomaly holds (whether or not the cooldown let it be announced)
    announced: bool = False  # an alert went out for the current anomaly: its end sends a recovery
    fired_window: int | None = None  # the window already alerted for (early or at close)
    suppressed: int = 0
    pending: float = 0  # digest: mentions since the last due time
    top: list[tuple[float, float, str]] = Field(default_factory=list, description="digest: (rank, time, id)")
    seen: dict[str, float] = Field(
        default_factory=dict,
        description="Mention ids counted, with their window (or event) time: replays count once",
    )


class RuleState(_State):
    rule_id: str
    fingerprint: str = Field(description="Of what the state depends on; a changed rule starts afresh")
    origin: int | None = Field(None, description="Start of the first window the engine judges")
    now: float | None = None
    closed_until: int | None = Field(None, description="Every window ending at or before this is closed")
    last_due: float | None = None
    next_due: float | None = None
    late_total: int = 0
    keys: dict[str, KeyState] = Field(default_factory=dict)


class EngineState(_State):
    version: int = 1
    rules: dict[str, RuleState] = Field(default_factory=dict)


def fingerprint(rule: Rule) -> str:
    """What the state of `rule` depends on: its query, kind parameters, group_by and time zone. Editing the
    name, channels, severity, quiet hours or cooldown keeps the state; editing these starts afresh."""
    spec = {
        "query": rule.query,
        "spec": rule.spec.model_dump(mode="json"),
        "group_by": rule.group_by,
        "tz": rule.timezone,
    }
    return hashlib.blake2b(json.dumps(spec, sort_keys=True).encode(), digest_size=8).hexdigest()
