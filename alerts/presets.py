"""Rule templates shipped with Earful: fill in the owner (and what the template asks for) to get a
validated :class:`~alerts.rules.Rule`. `earful demo` creates them; users start from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.rules import Rule, parse_rules
from core.errors import RuleInvalid


@dataclass(frozen=True)
class Preset:
    title: str
    template: dict[str, Any]
    params: tuple[str, ...] = ()  # placeholders of name and query, filled by `preset`


PRESETS: dict[str, Preset] = {
    "vip_complaint": Preset(
        "Complaint from a VIP customer",
        {
            "name": "Complaint from a VIP customer",
            "query": "intent:complaint AND tier:(gold OR platinum)",
            "spec": {"kind": "every_match"},
            "group_by": ["customer"],
            "severity": "critical",
        },
    ),
    "negative_spike": Preset(
        "Negative spike",  # Meltwater's shape: the last hour against the 12 before it
        {
            "name": "Negative spike: {query}",
            "query": "({query}) AND sentiment:negative",
            "spec": {
                "kind": "spike",
                "window": "1h",
                "periods": 12,
                "sensitivity": "medium",
                "min_count": 10,
            },
            "cooldown": "1h",
        },
        params=("query",),
    ),
    "sentiment_dip": Preset(
        "Sentiment dip",
        {
            "name": "Sentiment dip: {query}",
            "query": "{query}",
            "spec": {"kind": "sentiment_dip", "window": "1h", "periods": 24, "min_volume": 20},
        },
        params=("query",),
    ),
    "source_silent": Preset(
        "A source went silent",
        {
            "name": "Silent source: {platform}",
            "query": "source:{platform}",
            "spec": {"kind": "flatline", "window": "1h", "min_count": 1, "late_allowance": "30m"},
            "severity": "warning",
        },
        params=("platform",),
    ),
}


def preset(name: str, *, owner: str, overrides: dict[str, Any] | None = None, **params: str) -> Rule:
    """The preset `name` for `owner`, its placeholders filled from `params`, `overrides` applied.
    RuleInvalid (located as ``preset NAME:rules[0].field``) when the result is not a valid rule."""
    if name not in PRESETS:
        raise RuleInvalid(f"no preset {name!r}; presets: {', '.join(PRESETS)}", details={"preset": name})
    found = PRESETS[name]
    missing = [p for p in found.params if p not in params]
    if missing:
        raise RuleInvalid(f"preset {name!r} needs {', '.join(missing)}", details={"preset": name})
    data = dict(found.template)
    for text_field in ("name", "query"):
        data[text_field] = data[text_field].format(**params)
    return parse_rules({**data, "owner": owner, **(overrides or {})}, source=f"preset {name}")[0]


def preset_from_params(
    name: str, *, owner: str, params: Mapping[str, str], channels: Sequence[str] = ()
) -> Rule:
    """A preset as the command line gives it: `params` fill the preset's placeholders (``query``,
    ``platform``) and override any other field of the rule (``name``, ``severity``, ``cooldown``,
    ``timezone``...); `channels` are the channels it delivers to."""
    placeholders = PRESETS[name].params if name in PRESETS else ()
    fill = {k: v for k, v in params.items() if k in placeholders}
    overrides: dict[str, Any] = {k: v for k, v in params.items() if k not in placeholders}
    if channels:
        overrides["channels"] = list(channels)
    return preset(name, owner=owner, overrides=overrides, **fill)
