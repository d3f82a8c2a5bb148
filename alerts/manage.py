"""What people do with rules and alerts, over the stores (`alerts.store`), for the command line and the
API alike: find a rule by id or name and an alert by its id or an unambiguous prefix of it, save a rule
file, switch a rule on or off, remove one, work out a snooze's expiry, and the one-line headline of an
alert. Errors are the error tree's: NotFound for an unknown rule or alert, InvalidInput for an
ambiguous prefix or a bad duration."""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from alerts.inbox import Alert
from alerts.rules import Duration, Rule
from alerts.store import AlertFilter, AlertStore, AlertStores, RuleStore
from core.errors import InvalidInput, NotFound
from core.models import parse_datetime, utcnow

#: The fewest characters of an alert id taken as a prefix.
MIN_PREFIX = 4
_DURATION: TypeAdapter[Duration] = TypeAdapter(Duration)
_MARK = re.compile(r"</?em>")


def find_rule(rules: RuleStore, ref: str) -> Rule:
    """The rule whose id or name is `ref` (an id wins over a name); else the one rule whose id starts
    with `ref`. NotFound otherwise, InvalidInput when a name or prefix fits several."""
    found = rules.get(ref)
    if found is not None:
        return found
    every = rules.list()
    named = [r for r in every if r.name == ref]
    if not named and len(ref) >= MIN_PREFIX:
        named = [r for r in every if r.id.startswith(ref)]
    if len(named) > 1:
        ids = ", ".join(r.id for r in named)
        raise InvalidInput(f"{ref!r} names several rules ({ids}): give the id", details={"rule": ref})
    if not named:
        raise NotFound(f"no rule {ref!r} in workspace {rules.workspace!r}", details={"rule": ref})
    return named[0]


def find_alert(alerts: AlertStore, ref: str) -> Alert:
    """The alert of id `ref`, or the only one whose id starts with it (at least MIN_PREFIX characters).
    NotFound when there is none, InvalidInput when the prefix is ambiguous."""
    found = alerts.get(ref) if ref else None
    if found is not None:
        return found
    if len(ref) >= MIN_PREFIX:
        matches = alerts.list(AlertFilter(id_prefix=ref), limit=2)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise InvalidInput(
                f"alert id prefix {ref!r} is ambiguous: type more of the id", details={"alert": ref}
            )
    raise NotFound(f"no alert {ref!r} in workspace {alerts.workspace!r}", details={"alert": ref})


@dataclass(frozen=True)
class Saved:
    rule: Rule
    created: bool


def save_rules(rules: RuleStore, batch: Sequence[Rule], *, now: datetime | None = None) -> list[Saved]:
    """Save every rule (already validated together, as `load_rules` does), creating or replacing by id."""
    now = now or utcnow()
    out = []
    for rule in batch:
        created = rules.get(rule.id) is None
        out.append(Saved(rules.save(rule, now=now), created))
    return out


def set_enabled(rules: RuleStore, ref: str, enabled: bool, *, now: datetime | None = None) -> Rule:
    rule = find_rule(rules, ref)
    if rule.enabled == enabled:
        return rule
    now = now or utcnow()
    return rules.save(rule.edited(max(now, rule.updated_at), enabled=enabled), now=now)


def remove_rule(stores: AlertStores, ref: str) -> Rule:
    """Delete the rule and its engine state; its alerts stay in the inbox."""
    rule = find_rule(stores.rules, ref)
    stores.rules.delete(rule.id)
    stores.state.delete(rule.id)
    return rule


def missing_channels(batch: Sequence[Rule], known: Collection[str]) -> list[tuple[Rule, str]]:
    """(rule, channel) for each channel a rule names that is not among `known`."""
    return [(rule, name) for rule in batch for name in rule.channels if name not in known]


def snooze_expiry(now: datetime, *, for_: str | None = None, until: str | None = None) -> datetime:
    """When a snooze given as a duration (``2h``, ``30m``, ``1d``, ISO ``PT2H``) or as an ISO time
    (naive: UTC) ends. Exactly one of the two; an expiry not after `now` is refused."""
    if (for_ is None) == (until is None):
        raise InvalidInput("give exactly one of --for (2h, 30m, 1d) and --until (an ISO time)")
    if for_ is not None:
        try:
            length = _DURATION.validate_python(for_)
        except ValidationError as exc:
            raise InvalidInput(
                f"--for: expected a duration such as 30m, 2h or 1d, got {for_!r}", details={"for": for_}
            ) from exc
        end = now + length
    else:
        assert until is not None
        try:
            end = parse_datetime(until)
        except ValueError as exc:
            raise InvalidInput(
                f"--until: expected an ISO time such as 2026-12-08T09:00+01:00, got {until!r}",
                details={"until": until},
            ) from exc
    if end <= now:
        raise InvalidInput(
            f"a snooze must end in the future, not at {end.isoformat()}", details={"until": end.isoformat()}
        )
    return end


def plain_snippet(snippet: str) -> str:
    """A stored snippet (HTML-escaped, matches in ``<em>``) as plain text."""
    return html.unescape(_MARK.sub("", snippet))


def headline(alert: Alert, width: int = 90) -> str:
    """One line that says what happened: the matched text for a mention's alert, else the numbers of
    the window (count against the bound crossed), else the query."""
    e = alert.explanation
    if e.snippet:
        text = " ".join(plain_snippet(e.snippet).split())
    elif "count" in e.numbers or "current" in e.numbers:
        count = e.numbers.get("count", e.numbers.get("current"))
        text = f"{count} mentions"
        if "bound" in e.numbers:
            text += f" (bound {e.numbers['bound']})"
        if "baseline_mean" in e.numbers:
            text += f", baseline {e.numbers['baseline_mean']}"
    else:
        text = e.query
    if alert.decision != "fire":
        text = f"{alert.decision}: {text}"
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = [
    "MIN_PREFIX",
    "Saved",
    "find_alert",
    "find_rule",
    "headline",
    "missing_channels",
    "plain_snippet",
    "remove_rule",
    "save_rules",
    "set_enabled",
    "snooze_expiry",
]
