"""Backtest a windowed rule over a plain count series: when would it have alerted, and recovered?

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
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from alerts.engine import Decision, Observation, RuleEngine
from alerts.engine.windows import window_bounds
from alerts.rules import Digest, EveryMatch, Rule, SentimentDip
from core.errors import InvalidInput
from core.models import AwareDatetime


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
    engine = RuleEngine(rule)
    engine.start(rows[0].timestamp)
    decisions: list[Decision] = []
    late = 0
    seconds, allowance = int(window.total_seconds()), rule.spec.late_allowance.total_seconds()

    def close_until(moment: datetime) -> None:
        # A live engine is stepped often: judge each window when it closes, not at the next row.
        while True:
            closed = engine.state.closed_until
            close_at = window_bounds(closed, seconds, rule.timezone)[1] + allowance if closed else None
            if close_at is None or close_at >= moment.timestamp():
                return
            decisions.extend(engine.step([], datetime.fromtimestamp(close_at, UTC)).decisions)

    for i, row in enumerate(rows, start=1):
        o = Observation(
            mention_id=f"row{i}", published_at=row.timestamp, weight=row.value, negative=row.negative or 0
        )
        close_until(row.timestamp + interval)
        step = engine.step([o], row.timestamp + interval)
        decisions.extend(step.decisions)
        late += len(step.late)
    last_end = window_bounds(rows[-1].timestamp.timestamp(), seconds, rule.timezone)[1]
    close_until(datetime.fromtimestamp(last_end + allowance + 1, UTC))  # the series' last window, no further
    return BacktestReport(
        rule_id=rule.id, rows=len(rows), interval=interval, decisions=tuple(decisions), late=late
    )
