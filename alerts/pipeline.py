"""From a stored batch of mentions to alerts in the inbox and deliveries in the outbox, for one workspace.

    pipeline = AlertPipeline(stores, settings=settings, channels=workspace_channels(settings, ...))
    pipeline.process(batch)           # the batch just upserted: match, decide, explain, store, enqueue
    pipeline.tick()                   # no new mentions: close windows, send digests, flatlines, recoveries
    pipeline.dispatcher().run_once()  # deliver what is due
    pipeline.close()

Order of operations in :meth:`AlertPipeline.process`, and why (docs/alerts.md, "From a mention to the
support team's phone"):

1. ``RuleSet.match`` on the in-memory batch, the one that was just upserted: the store is never read
   back per batch. A rule with ``segments`` keeps only the mentions linked to a customer in one of them;
   memberships are cached (`crm.segments.SegmentMemberships`), evaluated again on `reload_rules` and
   once older than 15 minutes, so a customer who just joined or left a segment may be seen as before
   for that long.
2. One observation per (rule, matched mention); the engine steps the rules that matched.
3. Each decision becomes an :class:`~alerts.inbox.Alert` with its explanation (``alerts.explain``).
4. A key muted by a snooze is skipped (and reported); the rule's other keys are not.
5. ``AlertStore.add`` is idempotent (deterministic ids): a replayed batch, a backfill or a spool
   drain stores nothing new. The outbox is then asked for one delivery per channel of the rule,
   also idempotently, so a crash between the two is repaired by the replay and nothing is sent twice.
6. Only then is the rule's engine state saved: a crash before it replays the batch (the listen flow
   saves the source's cursor after this), which decides the same ids, instead of losing the alerts.

A store that fails while an alert is being stored keeps that alert in memory, retried before the next
batch or tick, and the rule's state is not saved until it went through. The pipeline never raises for
one rule's or one alert's problem: its :class:`AlertBatchReport` says what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.channels import Channel, ChannelConfig, build_channel
from alerts.dispatch import Clock, Dispatcher
from alerts.engine import AlertEngine, Decision, DecisionKind, Observation, RuleState, Step, keys_of, observe
from alerts.explain import CustomerLookup, Explainer, RecentMentions, Seen
from alerts.inbox import Alert, Explanation
from alerts.messages import message_for
from alerts.rules import EveryMatch, Rule
from alerts.store import AlertStores
from core.errors import EarfulError
from core.models import EnrichedMention, Span, utcnow
from core.settings import Settings
from crm.segments import SegmentMemberships
from index.base import MentionStore
from index.query.matcher import RuleSet

log = logging.getLogger(__name__)

_DECISION = {DecisionKind.alert: "fire", DecisionKind.recovery: "recovery", DecisionKind.digest: "digest"}
MAX_REPORTED = 100  # ids and problems listed in one report; the counts are always complete


class AlertBatchReport(BaseModel):
    """What one :meth:`AlertPipeline.process` or :meth:`~AlertPipeline.tick` did (or, added up, a run)."""

    model_config = ConfigDict(extra="forbid")

    matched: int = Field(0, description="(rule, mention) matches in the batch")
    alerts: int = Field(0, description="New alerts stored in the inbox")
    duplicates: int = Field(0, description="Alerts already in the inbox (a replay, a backfill)")
    muted: int = Field(0, description="Alerts not raised because their key is snoozed")
    enqueued: int = Field(0, description="New deliveries in the outbox (one per alert and channel)")
    late: int = Field(0, description="Matched mentions published in a window that had already closed")
    alert_ids: list[str] = Field(default_factory=list, description="The new alerts (the first 100)")
    muted_keys: list[str] = Field(default_factory=list, description="'rule: key' of the muted alerts")
    errors: list[str] = Field(default_factory=list, description="Problems met (no secrets in them)")

    def add(self, other: AlertBatchReport) -> None:
        for name in ("matched", "alerts", "duplicates", "muted", "enqueued", "late"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("alert_ids", "muted_keys", "errors"):
            mine: list[str] = getattr(self, name)
            mine.extend(getattr(other, name)[: max(0, MAX_REPORTED - len(mine))])

    def problem(self, text: str) -> None:
        log.warning("%s", text)
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(text)


class _Closeable(Protocol):
    def close(self) -> None: ...


@dataclass(frozen=True)
class _Held:
    """An alert a store failure kept from being stored or enqueued: retried before the next batch."""

    rule_id: str
    alert: Alert
    deliver_after: datetime | None


def _comparable(state: RuleState) -> str:
    # `now` moves with every step; what else changed is what is worth a write.
    return state.model_dump_json(exclude={"now"})


class AlertPipeline:
    """The alerting of one workspace: its enabled rules, their engine state, its channels. Not
    thread-safe: one thread calls process, tick and reload_rules (the dispatcher may run in another).

    Owns `stores` and `owned` (closed by :meth:`close`); `mentions` (read-only: the customer's history
    and the explanation of a window after a restart) and `customers` belong to the caller."""

    def __init__(
        self,
        stores: AlertStores,
        *,
        settings: Settings,
        channels: Mapping[str, ChannelConfig] | None = None,
        mentions: MentionStore | None = None,
        customers: CustomerLookup | None = None,
        clock: Clock = utcnow,
        owned: Sequence[_Closeable] = (),
        segments: SegmentMemberships | None = None,
    ) -> None:
        self.stores = stores
        self.workspace = stores.workspace
        self.settings = settings
        self.channels: dict[str, ChannelConfig] = dict(channels or {})
        self.clock = clock
        self.explainer = Explainer(
            recent=RecentMentions(),
            mentions=mentions,
            customers=customers,
            public_url=settings.alerts.public_url,
        )
        self.totals = AlertBatchReport()
        self.disabled_channels: dict[str, str] = {}
        self._owned = list(owned)
        self._engine = AlertEngine()
        self._ruleset = RuleSet()
        self._rules: dict[str, Rule] = {}
        self._saved: dict[str, str] = {}
        self._held: list[_Held] = []
        self._built: dict[str, Channel] | None = None
        self._dispatcher: Dispatcher | None = None
        # Customer segment memberships for rules with `segments`: cached, refreshed on reload_rules and
        # once older than their max_age (crm.segments.SegmentMemberships; docs/alerts.md, Segments).
        self.segments = segments or SegmentMemberships(settings, workspace=self.workspace)
        self.reload_rules()

    @property
    def rules(self) -> list[Rule]:
        """The enabled rules the pipeline evaluates."""
        return list(self._rules.values())

    # --- rules ---------------------------------------------------------------------------------------
    def reload_rules(self) -> None:
        """Read the enabled rules again: added ones start from their saved state (or afresh), edited
        ones keep their state unless their query, parameters, group_by or zone changed, disabled and
        deleted ones stop being evaluated (their saved state stays in the store)."""
        rules: list[Rule] = []
        for rule in self.stores.rules.list(enabled_only=True):
            if rule.id in self._ruleset and self._rules.get(rule.id, rule).query == rule.query:
                rules.append(rule)
                continue
            try:
                self._ruleset.add(rule.id, rule.query)
            except EarfulError as exc:  # validated when saved; a grammar change could still refuse it
                log.error("rule %r (%s) not evaluated: %s", rule.name, rule.id, exc)
                continue
            rules.append(rule)
        wanted = {rule.id for rule in rules}
        for rule_id in list(self._rules):
            if rule_id not in wanted:
                self._ruleset.remove(rule_id)
                self._saved.pop(rule_id, None)
        states = {
            rule.id: state for rule in rules if rule.id not in self._rules for state in self._load(rule)
        }
        self._engine.set_rules(rules, states)
        for rule_id, state in states.items():
            self._saved[rule_id] = _comparable(state)
        self._rules = {rule.id: rule for rule in rules}
        self.segments.refresh()
        self.explainer.recent.prune(rules, self.clock())

    def _load(self, rule: Rule) -> list[RuleState]:
        data = self.stores.state.load(rule.id)
        if data is None:
            return []
        try:
            return [RuleState.model_validate(data)]
        except ValidationError:  # written by an incompatible version: start afresh, say so
            log.warning("rule %r: saved engine state unreadable, starting afresh", rule.name)
            return []

    # --- batches -------------------------------------------------------------------------------------
    def process(self, batch: Sequence[EnrichedMention], *, now: datetime | None = None) -> AlertBatchReport:
        """Alerts from `batch`, the mentions just written to the store (never read back)."""
        report = AlertBatchReport()
        if not self._rules or not batch:
            return report
        now = now or self.clock()
        self._retry_held(now, report)
        observations: dict[str, list[Observation]] = {}
        hits: dict[tuple[str, str], tuple[EnrichedMention, tuple[Span, ...]]] = {}
        for mention, found in zip(batch, self._ruleset.match(batch), strict=True):
            for match in found:
                rule = self._rules[match.rule_id]
                if rule.segments and not self._in_segments(mention, rule, now, report):
                    continue
                observation = observe(mention, rule.group_by)
                observations.setdefault(rule.id, []).append(observation)
                report.matched += 1
                if isinstance(rule.spec, EveryMatch):
                    hits[(rule.id, mention.id)] = (mention, match.spans)
                else:
                    keys = frozenset(key for key, _ in keys_of(rule.group_by, observation.fields))
                    self.explainer.recent.add(rule.id, Seen(mention, match.spans, keys, now))
        # Only the rules that matched step here; `tick` steps them all (windows close on time there).
        steps = {
            rule_id: self._engine.engine(rule_id).step(obs, now) for rule_id, obs in observations.items()
        }
        self._settle(steps, hits, now, report)
        self.totals.add(report)
        return report

    def _in_segments(
        self, mention: EnrichedMention, rule: Rule, now: datetime, report: AlertBatchReport
    ) -> bool:
        """Whether the mention's linked customer is in one of the rule's segments (unlinked: never).
        Memberships that cannot be read count as none, and the report says so: a rule aimed at some
        customers does not alert on everyone's mentions while the CRM is down."""
        if mention.customer is None:
            return False
        try:
            members = self.segments.members(rule.segments, now)
        except EarfulError as exc:
            report.problem(f"rule {rule.name!r}: segments not evaluated: {exc}")
            return False
        return mention.customer.customer_id in members

    def tick(self, now: datetime | None = None) -> AlertBatchReport:
        """Step every rule without new mentions: windows close, digests fall due, a silent source is a
        flatline, an anomaly that ended is a recovery. Cheap: call it every second or so."""
        report = AlertBatchReport()
        if not self._rules:
            return report
        now = now or self.clock()
        self._retry_held(now, report)
        self._settle(self._engine.step({}, now), {}, now, report)
        self.explainer.recent.prune(self._rules.values(), now)
        self.totals.add(report)
        return report

    def _settle(
        self,
        steps: Mapping[str, Step],
        hits: Mapping[tuple[str, str], tuple[EnrichedMention, tuple[Span, ...]]],
        now: datetime,
        report: AlertBatchReport,
    ) -> None:
        for rule_id, step in steps.items():
            rule = self._rules[rule_id]
            report.late += len(step.late)
            for decision in step.decisions:
                alert = self._alert(rule, decision, hits)
                self._raise(rule, alert, decision.deliver_after, now, report)
            if not any(held.rule_id == rule_id for held in self._held):
                self._save(rule_id, report)

    def _alert(
        self,
        rule: Rule,
        decision: Decision,
        hits: Mapping[tuple[str, str], tuple[EnrichedMention, tuple[Span, ...]]],
    ) -> Alert:
        fired_at = decision.decided_at
        if decision.rule_kind == "every_match":
            mention_id = decision.mention_ids[0]
            hit = hits.get((rule.id, mention_id))
            explanation = (
                self.explainer.for_hit(rule, decision, *hit) if hit else Explanation(query=rule.query)
            )
            return Alert.for_hit(rule, decision.key, mention_id, fired_at=fired_at, explanation=explanation)
        assert decision.window_start is not None  # every windowed decision and digest has one
        return Alert.for_window(
            rule,
            decision.key,
            decision.window_start,
            fired_at=fired_at,
            decision=_DECISION[decision.kind],
            mention_ids=decision.mention_ids,
            explanation=self.explainer.for_window(rule, decision),
        )

    def _raise(
        self,
        rule: Rule,
        alert: Alert,
        deliver_after: datetime | None,
        now: datetime,
        report: AlertBatchReport,
    ) -> bool:
        """Store the alert and enqueue its deliveries; False (and held for a retry) when a store failed."""
        try:
            if self.stores.alerts.is_muted(rule.id, alert.key, now):
                report.muted += 1
                if len(report.muted_keys) < MAX_REPORTED:
                    report.muted_keys.append(f"{rule.name}: {alert.key}")
                return True
            new = self.stores.alerts.add(alert)
            # Asked even for a stored alert: a crash between add and enqueue is repaired by the replay,
            # and the outbox answers False for a delivery it already has, so nothing is sent twice.
            message = message_for(alert, workspace=self.workspace)
            for channel in rule.channels:
                if channel not in self.channels:
                    report.problem(
                        f"rule {rule.name!r} names the channel {channel!r}, which the workspace's channels "
                        "file does not define: the alert is in the inbox only"
                    )
                    continue
                if self.stores.outbox.enqueue(message, channel, now=now, not_before=deliver_after):
                    report.enqueued += 1
        except EarfulError as exc:
            report.problem(f"alert {alert.id} of rule {rule.name!r} not stored yet (retried): {exc}")
            self._held.append(_Held(rule.id, alert, deliver_after))
            return False
        if new:
            report.alerts += 1
            if len(report.alert_ids) < MAX_REPORTED:
                report.alert_ids.append(alert.id)
        else:
            report.duplicates += 1
        return True

    def _retry_held(self, now: datetime, report: AlertBatchReport) -> None:
        held, self._held = self._held, []
        for item in held:
            rule = self._rules.get(item.rule_id)
            if rule is not None:  # a rule deleted meanwhile: its alert goes with it
                self._raise(rule, item.alert, item.deliver_after, now, report)
        for rule_id in {item.rule_id for item in held} - {item.rule_id for item in self._held}:
            if rule_id in self._rules:
                self._save(rule_id, report)

    def _save(self, rule_id: str, report: AlertBatchReport) -> None:
        state = self._engine.engine(rule_id).state
        comparable = _comparable(state)
        if self._saved.get(rule_id) == comparable:
            return
        try:
            self.stores.state.save(rule_id, state.model_dump(mode="json"))
        except EarfulError as exc:  # saved with the next change; a restart before that replays
            report.problem(f"engine state of rule {self._rules[rule_id].name!r} not saved: {exc}")
            return
        self._saved[rule_id] = comparable

    # --- delivery ------------------------------------------------------------------------------------
    def dispatcher(self) -> Dispatcher:
        """The dispatcher of the workspace's outbox over its channels, built once. A channel this
        installation cannot build (NotConfigured: e-mail without an SMTP host) is disabled, listed in
        `disabled_channels`, and its deliveries stay pending until a dispatcher that can send them runs."""
        if self._dispatcher is None:
            built: dict[str, Channel] = {}
            for name, config in self.channels.items():
                try:
                    built[name] = build_channel(config, self.settings)
                except EarfulError as exc:
                    self.disabled_channels[name] = str(exc)
                    log.warning("channel %r disabled: %s", name, exc)
            self._built = built
            self._dispatcher = Dispatcher(
                self.stores.outbox,
                built,
                self.clock,
                settings=self.settings.alerts.dispatch,
                held=self.disabled_channels,
            )
        return self._dispatcher

    def close(self) -> None:
        """Close the channels, the alerting stores and what else the pipeline owns."""
        for channel in (self._built or {}).values():
            channel.close()
        self._built, self._dispatcher = None, None
        self.stores.close()
        for owned in self._owned:
            owned.close()

    def __enter__(self) -> AlertPipeline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["AlertBatchReport", "AlertPipeline"]
