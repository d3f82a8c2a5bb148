"""Small builders for the engine tests: a rule from its kind parameters, observations, a feed loop."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.engine import Decision, Observation, RuleEngine
from alerts.rules import Rule

T0 = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday


def make_rule(spec: dict[str, Any], **changes: Any) -> Rule:
    data: dict[str, Any] = {
        "name": f"test {spec['kind']}",
        "owner": "support",
        "query": "refund",
        "spec": spec,
        "created_at": T0,
        "updated_at": T0,
    }
    return Rule.model_validate({**data, **changes})


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def obs(
    when: datetime, mention_id: str, *, negative: bool = False, weight: int = 1, **fields: str
) -> Observation:
    return Observation(
        mention_id=mention_id,
        published_at=when,
        fields={name: tuple(value.split(",")) for name, value in fields.items()},
        weight=weight,
        negative=int(negative) * weight,
    )


def burst(hour: float, count: int, prefix: str = "m", negative: int = 0, **fields: str) -> list[Observation]:
    """`count` mentions spread over the hour starting at `hour`, the first `negative` of them negative."""
    return [
        obs(
            hours(hour) + timedelta(seconds=i * 3600 // max(count, 1)),
            f"{prefix}{hour}-{i}",
            negative=i < negative,
            **fields,
        )
        for i in range(count)
    ]


def run(engine: RuleEngine, feed: Iterable[tuple[datetime, list[Observation]]]) -> list[Decision]:
    out: list[Decision] = []
    for now, batch in feed:
        out.extend(engine.step(batch, now).decisions)
    return out
