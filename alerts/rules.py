"""Alert rules as data: a frozen, validated :class:`Rule` and the parameter model of each kind.

A rule is refused when it is built, never when it first runs: a query that does not parse (its error
keeps the parser's position and expected tokens), an unknown ``group_by`` field, a window that is not
positive or does not divide a day, a count below 1, an unknown time zone, a cron that never fires.
The errors are pydantic's, each located by ``loc``; :func:`load_rules` turns them into one
:class:`~core.errors.RuleInvalid` located by file and rule index as well.

Semantics of every kind (windows, baselines, cooldowns, late data, quiet hours): docs/alerts.md,
"Rules and kinds". The engine that applies them is :mod:`alerts.engine`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from cronsim import CronSim, CronSimError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from alerts.channels.base import Severity
from core.errors import EarfulError, QuerySyntaxError, RuleInvalid
from core.ids import rule_id
from core.models import AwareDatetime, utcnow
from index.query.fields import FIELDS
from index.query.parser import parse

DAY = timedelta(days=1)

# --- vocabulary ----------------------------------------------------------------------------------
# group_by reads the query language's keyword fields (same names, same normalised values, so a key
# `author=sam` is what `author:sam` matches), minus url: (a substring, never a useful key), plus three
# mention fields the query language does not have. Note `source` is the platform, as in `source:`;
# the configured source that collected a mention (what a flatline on "a collector" wants) is `collector`.
EXTRA_GROUP_FIELDS = {
    "platform": "The platform (the same values as source:).",
    "collector": "The name of the configured source that collected the mention.",
    "product": "The product the source attached to the mention (reviews).",
}
GROUP_FIELDS: tuple[str, ...] = (
    *(name for name, op in FIELDS.items() if op.kind == "keyword" and name != "url"),
    *EXTRA_GROUP_FIELDS,
)


class Sensitivity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


# k, the number of standard deviations above (or below) the baseline that fires. Higher sensitivity
# fires on smaller deviations. 3 / 2.5 / 2: under a normal approximation one ordinary window in about
# 740 / 160 / 44 exceeds mean + k·sd, i.e. with hourly windows a false alarm every month / week / two
# days per key in the worst case; the Poisson floor on the deviation (docs/alerts.md) makes low
# volumes much quieter still. Brandwatch and Meltwater expose three levels the same way.
SENSITIVITY_K: dict[Sensitivity, float] = {
    Sensitivity.low: 3.0,
    Sensitivity.medium: 2.5,
    Sensitivity.high: 2.0,
}


class Direction(StrEnum):
    up = "up"
    down = "down"
    both = "both"


class BaselineKind(StrEnum):
    trailing = "trailing"  # mean and stdev of the `periods` windows before this one
    seasonal = "seasonal"  # the same local hour-of-week (window slot) over the past `weeks` weeks


_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def _parse_duration(value: Any) -> Any:
    """Accept "90s", "15m", "1h", "7d", "2w" besides pydantic's own forms (seconds, ISO 8601 "PT1H")."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found:
            return timedelta(seconds=float(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()])
    return value


def _non_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


def _window(value: timedelta) -> timedelta:
    # Windows tile each local day (docs/alerts.md, "Windows"), so they must divide it in whole seconds.
    seconds = value.total_seconds()
    if seconds <= 0:
        raise ValueError("a window must be positive")
    if seconds < 60 or seconds != int(seconds) or DAY.total_seconds() % seconds:
        raise ValueError(
            "a window must be whole seconds, at least 1 minute, and divide 24 hours (5m, 1h, 6h, 1d)"
        )
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration), AfterValidator(_non_negative)]
WindowLength = Annotated[timedelta, BeforeValidator(_parse_duration), AfterValidator(_window)]


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Paris or UTC)") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_zone)]


class _Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- kinds ---------------------------------------------------------------------------------------
class EveryMatch(_Params):
    """Every matching mention is an alert, as soon as its batch is indexed."""

    kind: Literal["every_match"] = "every_match"


class Digest(_Params):
    """One message per due time with the count and the top mentions since the last one."""

    kind: Literal["digest"] = "digest"
    every: Annotated[WindowLength | None, Field(description="Due every this long, from local midnight")] = (
        None
    )
    cron: str | None = Field(None, description="Due at this cron expression, in the rule's time zone")
    top: int = Field(5, ge=1, le=50, description="Mentions listed in the message")
    send_empty: bool = Field(False, description="Send a digest that counts nothing (a heartbeat)")

    @field_validator("cron")
    @classmethod
    def _cron_fires(cls, cron: str | None) -> str | None:
        if cron is None:
            return None
        try:
            next(CronSim(cron, datetime(2000, 1, 1, tzinfo=UTC)))
        except CronSimError as exc:  # cronsim refuses dates that never exist (Feb 30, Apr 31) itself
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from exc
        except StopIteration as exc:
            raise ValueError(f"cron expression {cron!r} never fires") from exc
        return cron

    @model_validator(mode="after")
    def _one_schedule(self) -> Digest:
        if (self.every is None) == (self.cron is None):
            raise ValueError("a digest needs exactly one of `every` and `cron`")
        return self


class _Windowed(_Params):
    window: WindowLength = Field(description="Length of a window, by publication time")
    late_allowance: Duration = Field(
        timedelta(minutes=10),
        description="How long after its end a window still counts late mentions before it closes",
    )

    @field_validator("late_allowance")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if value > timedelta(days=7):  # open windows are kept in memory until they close
            raise ValueError("late_allowance is at most 7 days")
        return value


class Threshold(_Windowed):
    """At least `min_count` matches in any `window` (sliding), per key."""

    kind: Literal["threshold"] = "threshold"
    min_count: int = Field(ge=1)


class _Anomaly(_Windowed):
    baseline: BaselineKind = BaselineKind.trailing
    periods: int = Field(12, ge=2, le=1000, description="Trailing windows in the baseline")
    weeks: int = Field(4, ge=2, le=52, description="Weeks of the seasonal baseline")
    sensitivity: Sensitivity = Sensitivity.medium
    k: float | None = Field(None, gt=0, le=20, description="Explicit k; overrides sensitivity")

    @property
    def effective_k(self) -> float:
        return self.k if self.k is not None else SENSITIVITY_K[self.sensitivity]


class Spike(_Anomaly):
    """The window's count against its baseline: fires at mean ± k·sd, never below `min_count`."""

    kind: Literal["spike"] = "spike"
    min_count: int = Field(10, ge=1, description="Up: the current count; down: the baseline mean")
    direction: Direction = Direction.up


class SentimentDip(_Anomaly):
    """The window's share of negative mentions against its baseline, above `min_volume` mentions."""

    kind: Literal["sentiment_dip"] = "sentiment_dip"
    min_volume: int = Field(
        20, ge=1, description="Mentions a window needs to be judged (and to count in a baseline)"
    )


class Flatline(_Windowed):
    """Fewer than `min_count` matches in a closed window: a collector (or the conversation) stopped."""

    kind: Literal["flatline"] = "flatline"
    min_count: int = Field(1, ge=1)


Spec = Annotated[
    EveryMatch | Digest | Threshold | Spike | SentimentDip | Flatline,
    Field(discriminator="kind"),
]
WindowedSpec = Threshold | Spike | SentimentDip | Flatline
KINDS: tuple[str, ...] = ("every_match", "digest", "threshold", "spike", "sentiment_dip", "flatline")


class QuietHours(_Params):
    """A daily span (local time) when deliveries below `critical` are held and sent when it ends.
    The alert itself is decided and stored at once (the inbox shows it); only channels wait."""

    start: time
    end: time
    timezone: TimeZoneName | None = Field(None, description="Defaults to the rule's time zone")

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours need start != end (overnight spans such as 22:00-07:00 are fine)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local times without an offset; set `timezone`")
        return self


class Rule(BaseModel):
    """An alert rule. ``id`` defaults to :func:`core.ids.rule_id` of the name and is stored, so a
    renamed rule keeps its id (and its alerts, state and cooldowns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=200)
    description: str = ""
    query: str = Field(min_length=1, description="Query language text")
    spec: Spec
    group_by: tuple[str, ...] = Field((), max_length=4)
    cooldown: Duration | None = Field(
        None, description="Per key: no new alert this long after one; default per kind (docs/alerts.md)"
    )
    severity: Severity = Severity.warning
    channels: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    quiet_hours: QuietHours | None = None
    timezone: TimeZoneName = "UTC"
    enabled: bool = True
    segments: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = Field(
        (),
        description="Only mentions linked to a customer in one of these customer segments (crm/segments.py); "
        "none: every mention",
    )
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(data, dict) and not data.get("id") and isinstance(name, str) and name.strip():
            data = {**data, "id": rule_id(name)}  # a blank name gets its own error from `name`
        return data

    @field_validator("query")
    @classmethod
    def _query_parses(cls, query: str) -> str:
        try:
            parse(query)
        except QuerySyntaxError as exc:
            # Keep the parser's location in the error's context (JSON-safe), not only in its text.
            raise PydanticCustomError(
                "query_syntax",
                "{message} (column {column})",
                {
                    "message": exc.message,
                    "column": exc.position + 1,
                    "position": exc.position,
                    "expected": list(exc.expected),
                    "reason": exc.reason,
                },
            ) from exc
        return query

    @field_validator("group_by")
    @classmethod
    def _known_fields(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        for name in fields:
            if name not in GROUP_FIELDS:
                raise ValueError(f"unknown field {name!r}; group_by takes {', '.join(GROUP_FIELDS)}")
        if len(set(fields)) != len(fields):
            raise ValueError("a field is listed twice")
        return fields

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.updated_at < self.created_at:
            raise ValueError("updated_at is before created_at")
        return self

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_cooldown(self) -> timedelta:
        """`cooldown`, or the kind's default: none for every_match and digest, one window otherwise
        (a windowed rule alerts a key at most once per window unless told otherwise)."""
        if self.cooldown is not None:
            return self.cooldown
        if isinstance(self.spec, Threshold | Spike | SentimentDip | Flatline):
            return self.spec.window
        return timedelta(0)

    def edited(self, now: datetime, **changes: Any) -> Rule:
        """A validated copy with `changes` and ``updated_at=now``; the id stays (renaming included)."""
        data = {**self.model_dump(), **changes, "id": self.id, "updated_at": now}
        return Rule.model_validate(data)


def quiet_until(rule: Rule, at: datetime) -> datetime | None:
    """When a delivery decided `at` may leave: None for now (outside quiet hours, or critical), else
    the end of the quiet span that `at` falls in (aware, UTC)."""
    quiet = rule.quiet_hours
    if quiet is None or rule.severity is Severity.critical:
        return None
    zone = ZoneInfo(quiet.timezone or rule.timezone)
    local = at.astimezone(zone)
    now_t = local.time().replace(tzinfo=None)
    overnight = quiet.start > quiet.end
    inside = (quiet.start <= now_t or now_t < quiet.end) if overnight else quiet.start <= now_t < quiet.end
    if not inside:
        return None
    end_day = local.date()
    if overnight and now_t >= quiet.start:
        end_day += timedelta(days=1)
    end = datetime.combine(end_day, quiet.end, tzinfo=zone)
    return end.astimezone(UTC)


# --- files ---------------------------------------------------------------------------------------
def load_rules(path: Path | str) -> list[Rule]:
    """The rules of a YAML or JSON file: one rule (a mapping), a list of them, or ``{"rules": [...]}``.
    Raises RuleInvalid listing every problem, each located as ``file:rules[i].field``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleInvalid(f"{path}: cannot read: {exc.strerror or exc}", details={"file": str(path)}) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RuleInvalid(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}",
            details={"file": str(path)},
        ) from exc
    return parse_rules(data, source=str(path))


def parse_rules(data: Any, *, source: str = "<rules>") -> list[Rule]:
    """Rules from already-decoded data (see :func:`load_rules`); problems located under `source`."""
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    items: Sequence[Any] = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    if not items:
        raise RuleInvalid(
            f"{source}: expected a rule, a list of rules or {{rules: [...]}}",
            details={"file": source, "errors": []},
        )
    rules: list[Rule] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                problems.append(
                    {
                        "file": source,
                        "rule": index,
                        "loc": [str(p) for p in error["loc"]],
                        "message": error["msg"],
                        **({"context": _json_safe(error["ctx"])} if "ctx" in error else {}),
                    }
                )
    ids = [r.id for r in rules]
    for rule in rules:
        if ids.count(rule.id) > 1:
            problems.append(
                {
                    "file": source,
                    "rule": ids.index(rule.id),
                    "loc": ["id"],
                    "message": f"two rules share the id {rule.id!r} (same name?)",
                }
            )
            break
    if problems:
        raise RuleInvalid(
            "; ".join(map(problem_line, problems)), details={"file": source, "errors": problems}
        )
    return rules


def problem_line(problem: Any) -> str:
    """A located problem of `parse_rules` (``details["errors"]`` of its RuleInvalid) as one line:
    ``file:rules[1].spec.window: message``."""
    if not isinstance(problem, dict):
        return str(problem)
    where = ".".join(problem["loc"]) or "rule"
    return f"{problem['file']}:rules[{problem['rule']}].{where}: {problem['message']}"


def error_lines(exc: EarfulError) -> list[str]:
    """An error as lines: each located problem of a rules file on its own (`problem_line`), else the
    message."""
    problems: list[Any] = exc.details.get("errors") or []
    return [problem_line(p) for p in problems] or [" ".join(str(exc).split()) or type(exc).__name__]


def _json_safe(ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list) or v is None else str(v)
        for k, v in ctx.items()
    }


def window_of(rule: Rule) -> timedelta | None:
    """The window of a windowed rule, None for every_match and digest."""
    return rule.spec.window if isinstance(rule.spec, _Windowed) else None


__all__ = [
    "GROUP_FIELDS",
    "KINDS",
    "SENSITIVITY_K",
    "BaselineKind",
    "Digest",
    "Direction",
    "EveryMatch",
    "Flatline",
    "QuietHours",
    "Rule",
    "Sensitivity",
    "SentimentDip",
    "Spec",
    "Spike",
    "Threshold",
    "WindowedSpec",
    "error_lines",
    "load_rules",
    "parse_rules",
    "problem_line",
    "quiet_until",
    "window_of",
]
