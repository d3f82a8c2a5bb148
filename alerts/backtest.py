"""Backtest a rule: when would it have alerted (and recovered)? Over a plain count series (windowed
rules), or over the stored mentions of a period (every kind; `backtest_over`, whose typed
`PeriodBacktest` the command line and the HTTP API both show).

The series is CSV, one row per interval: ``timestamp,value`` and, for a sentiment_dip rule, a third
column ``negative`` (how many of the value were negative). A header row is optional. A timestamp
without an offset is read in the rule's time zone. Each row becomes one observation of ``value``
mentions published at its timestamp and processed at the end of its interval, so the decisions carry
the time a live engine would have decided them (a window is judged `late_allowance` after its end).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby, pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from alerts.engine import Decision, DecisionKind, Observation, RuleEngine, observe
from alerts.engine.windows import window_bounds
from alerts.rules import Digest, EveryMatch, Flatline, Rule, SentimentDip, Spike
from core.errors import InvalidInput
from core.models import AwareDatetime, EnrichedMention
from index.base import MentionFilter, MentionStore, SearchRequest


class CountRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: AwareDatetime
    value: int
    negative: int | None = None


class BacktestReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    rows: int
    interval: timedelta
    decisions: tuple[Decision, ...]
    late: int

    @property
    def alerts(self) -> int:
        return sum(d.kind == "alert" for d in self.decisions)

    @property
    def recoveries(self) -> int:
        return sum(d.kind == "recovery" for d in self.decisions)


def parse_counts(text: str, *, zone: str = "UTC", source: str = "<counts>") -> list[CountRow]:
    """Rows of a count series; InvalidInput listing every bad row as ``source:line: reason``."""
    rows: list[CountRow] = []
    problems: list[str] = []
    tz = ZoneInfo(zone)
    for line_no, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if line_no == 1 and cells[0].lower() in ("timestamp", "time", "date"):
            continue  # a header
        where = f"{source}:{line_no}"
        if len(cells) not in (2, 3):
            problems.append(f"{where}: expected timestamp,value[,negative], found {len(cells)} columns")
            continue
        try:
            stamp = datetime.fromisoformat(cells[0])
        except ValueError:
            problems.append(f"{where}: {cells[0]!r} is not an ISO 8601 timestamp")
            continue
        numbers = []
        for name, cell in zip(("value", "negative"), cells[1:], strict=False):
            if not cell.isdigit():
                problems.append(f"{where}: {name} {cell!r} is not a whole number >= 0")
                break
            numbers.append(int(cell))
        else:
            if len(numbers) == 2 and numbers[1] > numbers[0]:
                problems.append(f"{where}: negative {numbers[1]} is more than value {numbers[0]}")
                continue
            stamp = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=tz)
            rows.append(
                CountRow(
                    timestamp=stamp, value=numbers[0], negative=numbers[1] if len(numbers) == 2 else None
                )
            )
    seen: dict[datetime, int] = {}
    for i, row in enumerate(rows):
        if row.timestamp in seen:
            problems.append(f"{source}: timestamp {row.timestamp.isoformat()} appears twice")
        seen[row.timestamp] = i
    if problems:
        raise InvalidInput("; ".join(problems), details={"file": source, "errors": problems})
    if not rows:
        raise InvalidInput(f"{source}: no rows", details={"file": source, "errors": []})
    return sorted(rows, key=lambda r: r.timestamp)


def load_counts(path: Path | str, *, zone: str = "UTC") -> list[CountRow]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot read: {exc.strerror or exc}", details={"file": str(path)}
        ) from exc
    return parse_counts(text, zone=zone, source=str(path))


class _Replay:
    """Drives a rule's engine over past data the way a live one would have been driven: it judges each
    window when it closes and makes each digest when it is due, not only when the next data comes."""

    def __init__(self, rule: Rule, origin: datetime) -> None:
        self.rule = rule
        self.engine = RuleEngine(rule)
        self.engine.start(origin)
        self.decisions: list[Decision] = []
        self.late = 0

    def _next_moment(self) -> float | None:
        """When the engine next decides without new data: a window's close, a digest's due time (a
        threshold slides and decides only on data)."""
        spec, state = self.rule.spec, self.engine.state
        if isinstance(spec, Digest):
            return state.next_due
        if not isinstance(spec, Spike | SentimentDip | Flatline) or not state.closed_until:
            return None
        end = window_bounds(state.closed_until, int(spec.window.total_seconds()), self.rule.timezone)[1]
        return end + spec.late_allowance.total_seconds()

    def close_until(self, moment: datetime) -> None:
        """Step the engine at every moment it would have decided something before `moment`."""
        while True:
            due = self._next_moment()
            if due is None or due >= moment.timestamp():
                return
            self.step([], datetime.fromtimestamp(due, UTC))

    def step(self, observations: Sequence[Observation], now: datetime) -> None:
        step = self.engine.step(observations, now)
        self.decisions.extend(step.decisions)
        self.late += len(step.late)


def backtest(rule: Rule, rows: Sequence[CountRow], *, interval: timedelta | None = None) -> BacktestReport:
    """Run `rule` over `rows` (sorted) and report every decision. `interval`: the rows' spacing,
    by default the median gap between timestamps (one row: the rule's window)."""
    if isinstance(rule.spec, EveryMatch | Digest):
        raise InvalidInput(f"rule {rule.name!r} is {rule.kind}: a count series backtests windowed rules only")
    if isinstance(rule.spec, SentimentDip) and any(row.negative is None for row in rows):
        raise InvalidInput("a sentiment_dip backtest needs a third column, negative, on every row")
    if not rows:
        raise InvalidInput("no rows to backtest")
    window = rule.spec.window
    if interval is None:
        gaps = [b.timestamp - a.timestamp for a, b in pairwise(rows)]
        interval = statistics.median_low(gaps) if gaps else window
    if interval <= timedelta(0):
        raise InvalidInput("the interval between rows must be positive")
    replay = _Replay(rule, rows[0].timestamp)
    seconds, allowance = int(window.total_seconds()), rule.spec.late_allowance.total_seconds()
    for i, row in enumerate(rows, start=1):
        o = Observation(
            mention_id=f"row{i}", published_at=row.timestamp, weight=row.value, negative=row.negative or 0
        )
        replay.close_until(row.timestamp + interval)
        replay.step([o], row.timestamp + interval)
    last_end = window_bounds(rows[-1].timestamp.timestamp(), seconds, rule.timezone)[1]
    # the series' last window, no further
    replay.close_until(datetime.fromtimestamp(last_end + allowance + 1, UTC))
    return BacktestReport(
        rule_id=rule.id,
        rows=len(rows),
        interval=interval,
        decisions=tuple(replay.decisions),
        late=replay.late,
    )


def stored_mentions(
    store: MentionStore,
    query: str,
    *,
    since: datetime,
    until: datetime,
    page_size: int = 1000,
) -> Iterator[EnrichedMention]:
    """The mentions of `store` published in [since, until) that match `query`, oldest first (by
    publication time, then id), read a page at a time. Each page starts at the last one's newest
    instant (to the millisecond, the coarsest precision of a backend), skipping the ids already read
    there, so the offset stays small however long the period."""
    start, offset = since, 0
    seen: set[str] = set()  # ids read at or after `start`
    while True:
        request = SearchRequest(
            query=query,
            filters=MentionFilter(since=start, until=until),
            sort="oldest",
            limit=page_size,
            offset=offset,
        )
        hits = store.search(request).hits
        for mention in hits:
            if mention.id not in seen:
                seen.add(mention.id)
                yield mention
        if len(hits) < page_size:
            return
        boundary = hits[-1].published_at.replace(microsecond=hits[-1].published_at.microsecond // 1000 * 1000)
        if boundary <= start:  # a whole page within one millisecond: read deeper there
            offset += len(hits)
            continue
        start, offset = boundary, 0
        seen = {m.id for m in hits if m.published_at >= boundary}


class StoredBacktest(BaseModel):
    """What a rule would have decided over the stored mentions of a period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    since: AwareDatetime
    until: AwareDatetime
    mentions: int
    decisions: tuple[Decision, ...]
    late: int

    def count(self, kind: DecisionKind) -> int:
        return sum(d.kind is kind for d in self.decisions)


class DecisionLine(BaseModel):
    """A decision of a backtest as people read it: when, what, for which key, and the numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DecisionKind
    key: str
    decided_at: AwareDatetime
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    current: float | None = None
    count: float | None = None
    baseline_mean: float | None = None
    baseline_stdev: float | None = None
    k: float | None = None
    bound: float | None = None
    direction: str | None = None
    repeat: bool = False
    reason: str = ""

    @classmethod
    def of(cls, decision: Decision) -> DecisionLine:
        return cls.model_validate(decision.model_dump(include=set(cls.model_fields)))


class PeriodBacktest(BaseModel):
    """What a rule would have decided over the stored mentions of a period, summed up, with each
    decision. Nothing was stored or sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = Field(description="The rule's name")
    rule_id: str
    since: AwareDatetime
    until: AwareDatetime
    mentions: int = Field(description="Stored mentions of the period the rule's query matches")
    alerts: int
    recoveries: int
    digests: int
    late: int = Field(description="Mentions that came after their window was judged")
    decisions: tuple[DecisionLine, ...] = ()


def backtest_over(
    rule: Rule, store: MentionStore, *, since: datetime, until: datetime, page_size: int = 1000
) -> PeriodBacktest:
    """`backtest_stored`, summed up: how many alerts, recoveries and digests, and each decision."""
    stored = backtest_stored(rule, store, since=since, until=until, page_size=page_size)
    return PeriodBacktest(
        rule=rule.name,
        rule_id=rule.id,
        since=stored.since,
        until=stored.until,
        mentions=stored.mentions,
        alerts=stored.count(DecisionKind.alert),
        recoveries=stored.count(DecisionKind.recovery),
        digests=stored.count(DecisionKind.digest),
        late=stored.late,
        decisions=tuple(DecisionLine.of(d) for d in stored.decisions),
    )


def backtest_stored(
    rule: Rule, store: MentionStore, *, since: datetime, until: datetime, page_size: int = 1000
) -> StoredBacktest:
    """Run `rule` over the stored mentions it matches that were published in [since, until): each
    instant's mentions go through `observe` and the engine with the clock at their publication time
    (so nothing is late), windows are judged and digests made when they are due, and the windows
    closed by `until` are judged at the end. Nothing is stored or sent."""
    if until <= since:
        raise InvalidInput("the backtest period is empty: its start is not before its end")
    replay = _Replay(rule, since)
    read = 0
    found = stored_mentions(store, rule.query, since=since, until=until, page_size=page_size)
    for published, batch in groupby(found, key=lambda m: m.published_at):
        mentions = list(batch)
        read += len(mentions)
        replay.close_until(published)
        replay.step([observe(m, rule.group_by) for m in mentions], published)
    replay.close_until(until)
    return StoredBacktest(
        rule_id=rule.id,
        since=since,
        until=until,
        mentions=read,
        decisions=tuple(replay.decisions),
        late=replay.late,
    )
