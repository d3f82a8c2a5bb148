"""What people do with rules and alerts, over the stores (`alerts.store`), for the command line and the
API alike: find a rule by id or name and an alert by its id or an unambiguous prefix of it, save a rule
file, create or replace one rule from its data, switch a rule on or off, remove one, list the inbox a
page at a time, acknowledge, snooze or resolve an alert (working out a snooze's expiry), the period of
a backtest, and the one-line headline of an alert. Errors are the error tree's: NotFound for an
unknown rule or alert, InvalidInput for an ambiguous prefix, a bad duration or time, or a bad page
cursor, RuleInvalid (located) for a rule that does not validate, Conflict for a rule that exists."""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from alerts.feed import decode_mark, encode_mark
from alerts.inbox import Alert, AlertStatus
from alerts.rules import Duration, Rule, parse_rules
from alerts.store import AlertFilter, AlertStore, AlertStores, ListMark, RuleStore
from core.errors import Conflict, InvalidInput, NotFound, RuleInvalid
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


def rule_from_data(data: Any, *, source: str = "request") -> Rule:
    """The one rule of decoded JSON or YAML (a mapping); RuleInvalid, each problem located under
    `source`, when it does not validate or holds several rules."""
    found = parse_rules(data, source=source)
    if len(found) != 1:
        raise RuleInvalid(
            f"{source}: expected one rule, found {len(found)}", details={"file": source, "errors": []}
        )
    return found[0]


def rules_from_text(text: str, *, source: str = "form") -> list[Rule]:
    """The rules of a YAML or JSON text (JSON is YAML), as `load_rules` reads a file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleInvalid(
            f"{source}: not valid YAML or JSON: {exc}", details={"file": source, "errors": []}
        ) from exc
    return parse_rules(data, source=source)


def create_rule(rules: RuleStore, data: Any, *, now: datetime | None = None) -> Rule:
    """Save a new rule from its data; Conflict when a rule of its id (by default: of its name) exists."""
    rule = rule_from_data(data)
    if rules.get(rule.id) is not None:
        raise Conflict(
            f"a rule of id {rule.id!r} exists already (a rule of the same name?)", details={"rule": rule.id}
        )
    return rules.save(rule, now=now or utcnow())


def replace_rule(rules: RuleStore, rule_id: str, data: Any, *, now: datetime | None = None) -> Rule:
    """Replace the saved rule `rule_id` with `data` (its id stays, its creation time too): NotFound
    when there is none, InvalidInput when the data names another id."""
    if rules.get(rule_id) is None:
        raise NotFound(f"no rule {rule_id!r} in workspace {rules.workspace!r}", details={"rule": rule_id})
    if isinstance(data, dict) and data.get("id") not in (None, "", rule_id):
        raise InvalidInput(
            f"the rule's id is {rule_id!r}, not {data['id']!r} (a rule keeps its id)",
            details={"rule": rule_id},
        )
    return rules.save(rule_from_data({**data, "id": rule_id} if isinstance(data, dict) else data), now=now)


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


def parse_duration(text: str, name: str = "--for") -> timedelta:
    """A duration such as ``30m``, ``2h``, ``1d`` (or ISO ``PT2H``); InvalidInput naming `name`."""
    try:
        return _DURATION.validate_python(text)
    except ValidationError as exc:
        raise InvalidInput(
            f"{name}: expected a duration such as 30m, 2h or 1d, got {text!r}",
            details={name.lstrip("-"): text},
        ) from exc


def parse_time(text: str | datetime, name: str = "--until") -> datetime:
    """An ISO time (naive: UTC), or an aware datetime as is; InvalidInput naming `name`."""
    if isinstance(text, datetime):
        return parse_datetime(text)
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{name}: expected an ISO time such as 2026-12-08T09:00+01:00, got {text!r}",
            details={name.lstrip("-"): text},
        ) from exc


def snooze_expiry(
    now: datetime,
    *,
    for_: str | None = None,
    until: str | datetime | None = None,
    names: tuple[str, str] = ("--for", "--until"),
) -> datetime:
    """When a snooze given as a duration (``2h``, ``30m``, ``1d``, ISO ``PT2H``) or as an ISO time
    (naive: UTC) ends. Exactly one of the two; an expiry not after `now` is refused. `names`: what the
    caller calls the two (the command's options, the API's fields), for the errors."""
    if (for_ is None) == (until is None):
        raise InvalidInput(f"give exactly one of {names[0]} (2h, 30m, 1d) and {names[1]} (an ISO time)")
    end = now + parse_duration(for_, names[0]) if for_ is not None else parse_time(until or "", names[1])
    if end <= now:
        raise InvalidInput(
            f"a snooze must end in the future, not at {end.isoformat()}", details={"until": end.isoformat()}
        )
    return end


# --- working the inbox ---------------------------------------------------------------------------
def move_alert(
    alerts: AlertStore,
    ref: str,
    status: AlertStatus,
    *,
    by: str,
    note: str = "",
    until: datetime | None = None,
    at: datetime | None = None,
) -> Alert:
    """Move the alert `ref` names (its id or an unambiguous prefix) to `status`, recording who did it,
    when and why: acknowledged (someone is on it), snoozed until `until` (its rule is muted for its key
    only) or resolved (dealt with); the last two lift a snooze. An alert never goes back to open."""
    alert_id = find_alert(alerts, ref).id
    if status is AlertStatus.acknowledged:
        return alerts.ack(alert_id, by=by, at=at, note=note)
    if status is AlertStatus.resolved:
        return alerts.resolve(alert_id, by=by, at=at, note=note)
    if status is AlertStatus.snoozed:
        if until is None:
            raise InvalidInput("a snooze needs an end", details={"alert": alert_id})
        return alerts.snooze(alert_id, until=until, by=by, at=at, note=note)
    raise InvalidInput(f"an alert cannot be moved back to {status.value}", details={"alert": alert_id})


def snooze_alert(
    alerts: AlertStore,
    ref: str,
    *,
    by: str,
    for_: str | None = None,
    until: str | datetime | None = None,
    note: str = "",
    now: datetime | None = None,
    names: tuple[str, str] = ("--for", "--until"),
) -> Alert:
    """Snooze the alert `ref` names for a duration or until a time (`snooze_expiry`)."""
    now = now or utcnow()
    end = snooze_expiry(now, for_=for_, until=until, names=names)
    return move_alert(alerts, ref, AlertStatus.snoozed, by=by, note=note, until=end, at=now)


class InboxPage(BaseModel):
    """A page of the inbox, newest first, and the cursor of the next page (None: this is the last)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alerts: tuple[Alert, ...]
    next_cursor: str | None = None


def rule_id_of(rules: RuleStore, ref: str) -> str:
    """The id of the rule `ref` names (id, name or prefix), or `ref` itself when no rule has it: the id
    of a removed rule, whose alerts are still in the inbox."""
    try:
        return find_rule(rules, ref).id
    except NotFound:
        return ref


def list_inbox(
    stores: AlertStores,
    *,
    status: AlertStatus | None = None,
    rule: str | None = None,
    key: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> InboxPage:
    """The alerts of the inbox, newest first, that match every filter given (`rule`: an id or name);
    `cursor`: where the previous page ended (its ``next_cursor``)."""
    after = None
    if cursor:
        fired_at, alert_id = decode_mark(cursor, "cursor")
        if not alert_id:
            raise InvalidInput(f"not a cursor of the inbox: {cursor!r}", details={"cursor": cursor})
        after = ListMark(fired_at=fired_at, id=alert_id)
    rule_id = rule_id_of(stores.rules, rule) if rule is not None else None
    filters = AlertFilter(status=status, rule_id=rule_id, key=key)
    found = stores.alerts.list(filters, limit=limit + 1, after=after)  # one more: is there a next page?
    page = tuple(found[:limit])
    more = len(found) > limit and page
    return InboxPage(alerts=page, next_cursor=encode_mark(page[-1].fired_at, page[-1].id) if more else None)


def backtest_period(
    since: str | datetime, until: str | datetime | None = None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The period of a backtest: from `since` (a duration back from now, ``30d``, or an ISO time) to
    `until` (an ISO time; default now)."""
    now = now or utcnow()
    try:
        start = now - _DURATION.validate_python(since) if isinstance(since, str) else parse_time(since)
    except ValidationError:
        try:
            start = parse_time(since)
        except InvalidInput:
            raise InvalidInput(
                f"since: expected a duration back from now (30d, 12h) or an ISO time, got {since!r}",
                details={"since": since},
            ) from None
    end = parse_time(until, "until") if until is not None else now
    if end <= start:
        raise InvalidInput(
            "the backtest period is empty: its start is not before its end",
            details={"since": start.isoformat(), "until": end.isoformat()},
        )
    return start, end


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
    "InboxPage",
    "Saved",
    "backtest_period",
    "create_rule",
    "find_alert",
    "find_rule",
    "headline",
    "list_inbox",
    "missing_channels",
    "move_alert",
    "parse_duration",
    "parse_time",
    "plain_snippet",
    "remove_rule",
    "replace_rule",
    "rule_from_data",
    "rule_id_of",
    "rules_from_text",
    "save_rules",
    "set_enabled",
    "snooze_alert",
    "snooze_expiry",
]
