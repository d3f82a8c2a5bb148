"""The alert engine: per rule, a state that each batch of observations updates and that decides alerts.

Pure: no I/O, no store reads, no wall clock. Every call takes an explicit ``now`` (the time the batch
is processed; a ``now`` earlier than the last one is taken as the last one), and the state is a
pydantic model that round-trips through JSON exactly, so a restarted process decides what an
uninterrupted one would have. Semantics of each kind: docs/alerts.md, "Rules and kinds".

Replays count once: a windowed or digest rule remembers the mention ids of its open windows (or of
the current digest) and ignores one it has already counted, so a rerun or a replayed spool neither
inflates a window nor alerts twice. every_match decisions carry the alert hit id
``(rule, key, mention)``, which the inbox stores idempotently.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import product
from urllib.parse import quote

from alerts.engine.judge import Verdict, judge_count, judge_share
from alerts.engine.model import Decision, DecisionKind, Observation, Step
from alerts.engine.state import Counts, EngineState, KeyState, RuleState, fingerprint
from alerts.engine.windows import WEEK, at, next_due, window_bounds, window_slot
from alerts.rules import (
    BaselineKind,
    Digest,
    EveryMatch,
    Flatline,
    Rule,
    SentimentDip,
    Spike,
    Threshold,
    quiet_until,
)
from core.ids import alert_hit_id, alert_id

_ZERO: Counts = (0.0, 0.0)


def keys_of(
    group_by: Sequence[str], fields: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """The keys an observation counts under: one per combination of its values of the group_by
    fields (a mention with two hashtags counts under each); a field without a value has the key value
    ''. The key reads ``author=sam&site=example.com`` (values URL-quoted), '' without group_by."""
    if not group_by:
        return [("", ())]
    choices = [tuple(dict.fromkeys(fields.get(name, ()))) or ("",) for name in group_by]
    out = []
    for values in product(*choices):
        pairs = tuple(zip(group_by, values, strict=True))
        out.append(("&".join(f"{name}={quote(value, safe='')}" for name, value in pairs), pairs))
    return out


class RuleEngine:
    """The engine of one rule. Feed it with :meth:`step`; read or persist :attr:`state`."""

    def __init__(self, rule: Rule, state: RuleState | None = None) -> None:
        self.rule = rule
        fp = fingerprint(rule)
        if state is None or state.fingerprint != fp or state.rule_id != rule.id:
            state = RuleState(rule_id=rule.id, fingerprint=fp)  # a changed rule starts afresh
        self.state = state
        spec = rule.spec
        self.window = self.late = 0
        if isinstance(spec, Threshold | Spike | SentimentDip | Flatline):
            self.window = int(spec.window.total_seconds())
            self.late = int(spec.late_allowance.total_seconds())
        self.cooldown = rule.effective_cooldown.total_seconds()
        self._out: list[Decision] = []

    # --- driving -----------------------------------------------------------------------------------
    def start(self, origin: datetime) -> None:
        """Begin judging at the window holding `origin` (a backtest's first row); by default the first
        :meth:`step` begins at the window holding ``now - late_allowance``."""
        if self.state.origin is None:
            self._begin(origin.timestamp())

    def step(self, observations: Iterable[Observation], now: datetime) -> Step:
        s = self.state
        t_now = max(now.timestamp(), s.now if s.now is not None else -math.inf)
        s.now = t_now
        if s.origin is None:
            self._begin(t_now - self.late)
        self._out = []
        late: list[str] = []
        spec = self.rule.spec
        obs = list(observations)
        if isinstance(spec, EveryMatch):
            self._every_match(obs, t_now)
        elif isinstance(spec, Digest):
            self._digest(spec, obs, t_now)
        elif isinstance(spec, Threshold):
            self._threshold(spec, obs, t_now, late)
        else:
            touched = self._count(obs, late)
            self._close(t_now)
            if isinstance(spec, Spike):
                self._early(spec, touched, t_now)
        s.late_total += len(late)
        return Step(decisions=tuple(self._out), late=tuple(late), now=at(t_now))

    def _begin(self, t: float) -> None:
        s = self.state
        spec = self.rule.spec
        if isinstance(spec, Digest):
            s.origin = int(t)
            s.last_due = t
            s.next_due = next_due(t, self.rule.timezone, every=_seconds(spec), cron=spec.cron)
        elif self.window:
            s.origin = window_bounds(t, self.window, self.rule.timezone)[0]
            s.closed_until = s.origin
            if isinstance(spec, Flatline) and not self.rule.group_by:
                s.keys[""] = KeyState(since=s.origin)  # the one key exists before anything is said
        else:
            s.origin = int(t)

    # --- decisions ---------------------------------------------------------------------------------
    def _emit(
        self, kind: DecisionKind, key: str, ks: KeyState, occurrence: str, t_now: float, **numbers: object
    ) -> None:
        decision_id = str(numbers.pop("id", "")) or alert_id(self.rule.id, key, occurrence)
        self._out.append(
            Decision.model_validate(
                {
                    "id": decision_id,
                    "rule_id": self.rule.id,
                    "rule_kind": self.rule.kind,
                    "kind": kind,
                    "key": key,
                    "key_fields": ks.fields,
                    "decided_at": at(t_now),
                    "severity": self.rule.severity,
                    "deliver_after": quiet_until(self.rule, at(t_now)),
                    **numbers,
                }
            )
        )

    def _cooled(self, ks: KeyState, t_now: float) -> bool:
        return ks.last_alert is None or t_now - ks.last_alert >= self.cooldown

    def _key(self, key: str, pairs: tuple[tuple[str, str], ...]) -> KeyState:
        ks = self.state.keys.get(key)
        if ks is None:
            ks = self.state.keys[key] = KeyState(fields=pairs)
        return ks

    def _new_to(self, o: Observation, stamp: float) -> list[tuple[str, KeyState]]:
        """The keys `o` counts under that have not counted it yet (a replay counts once), marked as
        counting it from now on, `stamp` being when the mark may be forgotten."""
        out = []
        for key, pairs in keys_of(self.rule.group_by, o.fields):
            ks = self._key(key, pairs)
            if o.mention_id not in ks.seen:
                ks.seen[o.mention_id] = stamp
                out.append((key, ks))
        return out

    # --- every_match -------------------------------------------------------------------------------
    def _every_match(self, obs: list[Observation], t_now: float) -> None:
        for o in obs:
            for key, pairs in keys_of(self.rule.group_by, o.fields):
                ks = self._key(key, pairs)
                if not self._cooled(ks, t_now):
                    ks.suppressed += 1  # reported with this key's next alert
                    continue
                self._emit(
                    DecisionKind.alert,
                    key,
                    ks,
                    "",
                    t_now,
                    id=alert_hit_id(self.rule.id, key, o.mention_id),
                    count=1,
                    mention_ids=(o.mention_id,),
                    suppressed=ks.suppressed,
                    reason=f"matched {self.rule.query}",
                )
                ks.suppressed = 0
                ks.last_alert = t_now
        for key in [k for k, ks in self.state.keys.items() if not ks.suppressed and self._cooled(ks, t_now)]:
            del self.state.keys[key]  # nothing left to remember for it

    # --- digest ------------------------------------------------------------------------------------
    def _digest(self, spec: Digest, obs: list[Observation], t_now: float) -> None:
        s = self.state
        for o in obs:
            t = o.published_at.timestamp()
            for _, ks in self._new_to(o, t):
                ks.pending += o.weight
                ks.top.append((o.rank, t, o.mention_id))
                ks.top.sort(key=lambda item: (-item[0], -item[1], item[2]))
                del ks.top[spec.top :]
        assert s.next_due is not None
        assert s.last_due is not None
        if t_now < s.next_due:
            return
        due = s.next_due
        if spec.send_empty and not s.keys:
            s.keys[""] = KeyState()
        for key in sorted(s.keys):
            ks = s.keys[key]
            if ks.pending or spec.send_empty:
                self._emit(
                    DecisionKind.digest,
                    key,
                    ks,
                    f"digest:{at(due).isoformat()}",
                    t_now,
                    window_start=at(s.last_due),
                    window_end=at(due),
                    count=ks.pending,
                    mention_ids=tuple(mid for _, _, mid in ks.top),
                    reason=f"{ks.pending:g} mentions since {at(s.last_due).isoformat()}",
                )
        s.keys.clear()
        s.last_due = due
        s.next_due = next_due(t_now, self.rule.timezone, every=_seconds(spec), cron=spec.cron)

    # --- threshold ---------------------------------------------------------------------------------
    def _threshold(self, spec: Threshold, obs: list[Observation], t_now: float, late: list[str]) -> None:
        horizon = t_now - self.window - self.late
        fresh: dict[str, list[tuple[float, str]]] = {}
        for o in obs:
            t = o.published_at.timestamp()
            if t < horizon:
                late.append(o.mention_id)
                continue
            for key, ks in self._new_to(o, t):
                bisect.insort(ks.events, (t, o.weight))
                fresh.setdefault(key, []).append((t, o.mention_id))
        for key in sorted(self.state.keys):
            ks = self.state.keys[key]
            if key in fresh:
                self._threshold_key(spec, key, ks, sorted(fresh[key]), t_now)
            keep = bisect.bisect_left(ks.events, (horizon, -1))
            del ks.events[:keep]
            ks.seen = {mid: t for mid, t in ks.seen.items() if t >= horizon}
            if not ks.events and self._cooled(ks, t_now):
                del self.state.keys[key]

    def _threshold_key(
        self, spec: Threshold, key: str, ks: KeyState, fresh: list[tuple[float, str]], t_now: float
    ) -> None:
        # The densest window [e, e + window) holding a new mention starts at some mention e: slide
        # any other window right until its left edge meets its first mention, and it loses none.
        times = [t for t, _ in fresh]
        best: tuple[float, float, str] | None = None  # (count, start, newest new mention in it)
        events = ks.events
        total, j = 0.0, 0
        for start, weight in events:
            while j < len(events) and events[j][0] < start + self.window:
                total += events[j][1]
                j += 1
            lo, hi = bisect.bisect_left(times, start), bisect.bisect_left(times, start + self.window)
            if hi > lo and (best is None or total > best[0]):
                best = (total, start, fresh[hi - 1][1])
            total -= weight
        if best is None or best[0] < spec.min_count or not self._cooled(ks, t_now):
            return
        count, start, trigger = best
        self._emit(
            DecisionKind.alert,
            key,
            ks,
            f"threshold:{at(start).isoformat()}:{trigger}",
            t_now,
            window_start=at(start),
            window_end=at(start + self.window),
            current=count,
            count=count,
            bound=float(spec.min_count),
            direction="up",
            reason=f"{count:g} mentions within {spec.window} (at least {spec.min_count})",
        )
        ks.last_alert = t_now

    # --- spike, sentiment_dip, flatline: tumbling windows --------------------------------------------
    def _count(self, obs: list[Observation], late: list[str]) -> set[tuple[str, int]]:
        s = self.state
        assert s.closed_until is not None
        touched: set[tuple[str, int]] = set()
        for o in obs:
            start, _ = window_bounds(o.published_at.timestamp(), self.window, self.rule.timezone)
            if start < s.closed_until:
                late.append(o.mention_id)
                continue
            for key, ks in self._new_to(o, start):
                count, negative = ks.open.get(start, _ZERO)
                ks.open[start] = (count + o.weight, negative + o.negative)
                ks.since = start if ks.since is None else min(ks.since, start)
                ks.last_seen = start if ks.last_seen is None else max(ks.last_seen, start)
                touched.add((key, start))
        return touched

    def _close(self, t_now: float) -> None:
        s = self.state
        assert s.closed_until is not None
        while True:
            start, end = window_bounds(s.closed_until, self.window, self.rule.timezone)
            if end + self.late > t_now:
                return
            for key in sorted(s.keys):
                self._close_key(key, s.keys[key], start, end, t_now)
            s.closed_until = end

    def _close_key(self, key: str, ks: KeyState, start: int, end: int, t_now: float) -> None:
        spec = self.rule.spec
        count, negative = ks.open.pop(start, _ZERO)
        scale = self.window / (end - start)  # a window cut short at a DST midnight counts as a full one
        counts = (count * scale, negative * scale)
        verdict: Verdict | None = None
        if isinstance(spec, Spike):
            values = [c for c, _ in self._baseline(spec, ks, start)]
            if len(values) >= self._needed(spec):
                verdict = judge_count(spec, counts[0], values, closed=True)
        elif isinstance(spec, SentimentDip):
            shares = [n / c for c, n in self._baseline(spec, ks, start) if c >= spec.min_volume]
            if len(shares) >= self._needed(spec):
                verdict = judge_share(spec, counts[1], counts[0], shares)
        elif isinstance(spec, Flatline) and ks.since is not None and start >= ks.since:
            bound = float(spec.min_count)
            verdict = Verdict(counts[0] < bound, "down", counts[0], math.nan, math.nan, bound, 0)
        if verdict is not None:
            self._judged(key, ks, start, end, verdict, t_now, closed=True, count=count)
        if isinstance(spec, Spike | SentimentDip):
            ks.history.append(counts)
            del ks.history[: -spec.periods]
            if spec.baseline is BaselineKind.seasonal:
                past = ks.seasonal.setdefault(window_slot(start, self.rule.timezone), [])
                past.append(counts)
                del past[: -spec.weeks]
        if ks.seen:
            ks.seen = {mid: t for mid, t in ks.seen.items() if t >= end}
        if self._idle(ks, end, t_now):
            del self.state.keys[key]

    def _idle(self, ks: KeyState, closed_until: int, t_now: float) -> bool:
        """A key whose baseline is all zeros again is forgotten: its zeros come back as padding
        (docs/alerts.md, "Baselines"). A flatline key is never forgotten: its silence is the point."""
        spec = self.rule.spec
        if isinstance(spec, Flatline) or ks.active or ks.open or not self._cooled(ks, t_now):
            return False
        if isinstance(spec, Spike | SentimentDip):
            span = spec.periods * self.window if spec.baseline is BaselineKind.trailing else spec.weeks * WEEK
            return ks.last_seen is None or closed_until - ks.last_seen > span
        return True

    def _needed(self, spec: Spike | SentimentDip) -> int:
        """Baseline windows needed before judging: half the trailing windows (at least 2), or 2 weeks."""
        return max(2, spec.periods // 2) if spec.baseline is BaselineKind.trailing else 2

    def _baseline(self, spec: Spike | SentimentDip, ks: KeyState, start: int) -> list[Counts]:
        """The windows the window at `start` is judged against, oldest first. Windows since the
        engine's origin that the key has no record of count as zero (it said nothing then); windows
        before the origin are unknown and left out."""
        s = self.state
        assert s.origin is not None
        assert s.closed_until is not None
        zone = self.rule.timezone
        if spec.baseline is BaselineKind.seasonal:
            values = ks.seasonal.get(window_slot(start, zone), [])[-spec.weeks :]
            available = min(spec.weeks, (start - s.origin + 3600) // WEEK)  # an hour of DST slack
        else:
            values = list(ks.history)
            w = s.closed_until
            while w < start:  # windows still open (late allowance) before the one judged early
                end = window_bounds(w, self.window, zone)[1]
                values.append(ks.open.get(w, _ZERO))
                w = end
            values = values[-spec.periods :]
            available = min(spec.periods, math.ceil((start - s.origin) / self.window))
        return [_ZERO] * max(0, available - len(values)) + values

    def _early(self, spec: Spike, touched: set[tuple[str, int]], t_now: float) -> None:
        """An upward spike can only grow while its window is open: judge it on every batch, so it
        alerts seconds after the mention that tips it, not when the window closes."""
        s = self.state
        assert s.closed_until is not None
        if spec.direction.value == "down":
            return
        for key, start in sorted(touched):
            ks = s.keys.get(key)
            if ks is None or start < s.closed_until or start not in ks.open:
                continue
            values = [c for c, _ in self._baseline(spec, ks, start)]
            if len(values) < self._needed(spec):
                continue
            verdict = judge_count(spec, ks.open[start][0], values, closed=False)
            if verdict.out:
                end = window_bounds(start, self.window, self.rule.timezone)[1]
                self._judged(key, ks, start, end, verdict, t_now, closed=False, count=ks.open[start][0])

    def _judged(
        self,
        key: str,
        ks: KeyState,
        start: int,
        end: int,
        v: Verdict,
        t_now: float,
        *,
        closed: bool,
        count: float,
    ) -> None:
        """One window's verdict: alert when the anomaly starts (and again, after the cooldown, while
        it lasts, once per window at most); a recovery when a closed window is normal again after an
        announced anomaly."""
        numbers: dict[str, object] = {
            "window_start": at(start),
            "window_end": at(end),
            "current": v.current,
            "count": count,
            "baseline_mean": None if math.isnan(v.mean) else v.mean,
            "baseline_stdev": None if math.isnan(v.stdev) else v.stdev,
            "baseline_size": v.size if not math.isnan(v.mean) else None,
            "k": self._k() if isinstance(self.rule.spec, Spike | SentimentDip) else None,
            "bound": v.bound,
            "direction": v.direction,
        }
        if v.out:
            ks.active = True
            if ks.fired_window == start or not self._cooled(ks, t_now):
                return
            repeat = ks.announced
            self._emit(
                DecisionKind.alert,
                key,
                ks,
                f"alert:{at(start).isoformat()}",
                t_now,
                repeat=repeat,
                reason=self._reason(v, start, end, repeat),
                **numbers,
            )
            ks.announced, ks.fired_window, ks.last_alert = True, start, t_now
        elif closed and ks.active:
            if ks.announced:
                self._emit(
                    DecisionKind.recovery,
                    key,
                    ks,
                    f"recovery:{at(start).isoformat()}",
                    t_now,
                    reason=f"back to normal: {v.current:g} in {at(start):%Y-%m-%d %H:%M}–{at(end):%H:%M} UTC",
                    **numbers,
                )
            ks.active = ks.announced = False

    def _k(self) -> float:
        spec = self.rule.spec
        return spec.effective_k if isinstance(spec, Spike | SentimentDip) else math.nan

    def _reason(self, v: Verdict, start: int, end: int, repeat: bool) -> str:
        span = f"{at(start):%Y-%m-%d %H:%M}–{at(end):%H:%M} UTC"
        still = "still " if repeat else ""
        if isinstance(self.rule.spec, Flatline):
            return f"{still}{v.current:g} mentions in {span}, fewer than {v.bound:g}"
        what = "negative share" if isinstance(self.rule.spec, SentimentDip) else "mentions"
        side = "above" if v.direction == "up" else "below"
        return (
            f"{still}{v.current:.3g} {what} in {span}, {side} {v.bound:.3g} "
            f"(baseline {v.mean:.3g} ± {v.stdev:.3g} over {v.size} windows, k={self._k():g})"
        )


def _seconds(spec: Digest) -> int | None:
    return int(spec.every.total_seconds()) if spec.every is not None else None


class AlertEngine:
    """The engines of many rules, keyed by rule id; disabled rules keep their state but are not fed."""

    def __init__(self, rules: Iterable[Rule] = (), state: EngineState | None = None) -> None:
        self._engines: dict[str, RuleEngine] = {}
        self._saved = dict(state.rules) if state is not None else {}
        self.set_rules(rules)

    def set_rules(self, rules: Iterable[Rule], states: Mapping[str, RuleState] | None = None) -> None:
        """Replace the rule set: a rule whose query, kind parameters, group_by and zone are unchanged
        keeps its state; a removed rule's state is dropped. A rule new to the engine starts from its
        entry in `states` (a saved state: a rule enabled again), else from the state it was built with."""
        engines: dict[str, RuleEngine] = {}
        for rule in rules:
            old = self._engines.get(rule.id)
            saved = self._saved.pop(rule.id, None)
            if old is None and states is not None and rule.id in states:
                saved = states[rule.id]
            engines[rule.id] = RuleEngine(rule, old.state if old else saved)
        self._engines = engines

    @property
    def rules(self) -> list[Rule]:
        return [engine.rule for engine in self._engines.values()]

    def engine(self, rule_id: str) -> RuleEngine:
        return self._engines[rule_id]

    def step(self, batch: Mapping[str, Sequence[Observation]], now: datetime) -> dict[str, Step]:
        """Feed each rule its observations (rule id -> the batch's matches; a rule without matches is
        still stepped, to close its windows and send its digests). Unknown rule ids are ignored."""
        return {
            rule_id: engine.step(batch.get(rule_id, ()), now)
            for rule_id, engine in self._engines.items()
            if engine.rule.enabled
        }

    @property
    def state(self) -> EngineState:
        return EngineState(rules={rule_id: e.state for rule_id, e in self._engines.items()})

    def dump_state(self) -> str:
        return self.state.model_dump_json()

    @classmethod
    def load(cls, rules: Iterable[Rule], state_json: str) -> AlertEngine:
        return cls(rules, EngineState.model_validate_json(state_json))
