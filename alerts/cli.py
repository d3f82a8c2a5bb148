"""`earful alerts`: check a rule file, backtest a rule over a count series. Parses, calls
:mod:`alerts.rules` and :mod:`alerts.backtest`, renders; nothing heavy at module level."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from alerts.engine import Decision
    from alerts.rules import Rule
    from core.errors import InvalidInput

alerts_app = typer.Typer(
    name="alerts", help="Alert rules: validate a rule file, backtest a rule.", no_args_is_help=True
)

RuleFile = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Rules (YAML or JSON)")


def _fail(exc: InvalidInput) -> typer.Exit:
    """Each located problem on its own line: ``file:rules[1].spec.spike.window: ...``, ``file:7: ...``."""
    problems: list[Any] = exc.details.get("errors") or []
    lines = [
        f"{p['file']}:rules[{p['rule']}].{'.'.join(p['loc']) or 'rule'}: {p['message']}"
        if isinstance(p, dict)
        else str(p)
        for p in problems
    ]
    for line in lines or [str(exc)]:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(2)


def _load(path: Path) -> list[Rule]:
    from alerts.rules import load_rules
    from core.errors import InvalidInput

    try:
        return load_rules(path)
    except InvalidInput as exc:
        raise _fail(exc) from exc


@alerts_app.command("validate")
def validate_cmd(rule_file: Path = RuleFile) -> None:
    """Check every rule of a file: query, kind parameters, fields, time zone. Exit 2 on a problem."""
    for rule in _load(rule_file):
        typer.echo(f"ok  {rule.id}  {rule.kind:<13}  {rule.name}")


def decision_json(d: Decision) -> dict[str, Any]:
    """One JSON line of `backtest`: when, what, and the numbers."""
    return d.model_dump(
        mode="json",
        include={
            "decided_at",
            "kind",
            "key",
            "window_start",
            "window_end",
            "current",
            "count",
            "baseline_mean",
            "baseline_stdev",
            "k",
            "bound",
            "direction",
            "repeat",
            "reason",
        },
    )


@alerts_app.command("backtest")
def backtest_cmd(
    rule_file: Path = RuleFile,
    counts: Path = typer.Option(
        ..., "--counts", exists=True, dir_okay=False, help="CSV: timestamp,value[,negative]"
    ),
    rule_name: str | None = typer.Option(
        None, "--rule", help="The rule's name or id, when the file has several"
    ),
    interval_minutes: float | None = typer.Option(
        None, "--interval", help="Minutes per row (default: the median gap)"
    ),
) -> None:
    """Print, as JSON lines, when a windowed rule would have alerted (and recovered) over a count
    series; the last line sums it up."""
    from alerts.backtest import backtest, load_counts
    from core.errors import InvalidInput

    rules = _load(rule_file)
    chosen = [r for r in rules if rule_name in (None, r.name, r.id)]
    if len(chosen) != 1:
        names = ", ".join(repr(r.name) for r in rules)
        typer.echo(f"error: pick one rule with --rule (the file has {names})", err=True)
        raise typer.Exit(2)
    rule = chosen[0]
    try:
        rows = load_counts(counts, zone=rule.timezone)
        interval = timedelta(minutes=interval_minutes) if interval_minutes else None
        report = backtest(rule, rows, interval=interval)
    except InvalidInput as exc:
        raise _fail(exc) from exc
    for decision in report.decisions:
        typer.echo(json.dumps(decision_json(decision), ensure_ascii=False))
    summary = {
        "summary": {
            "rule": rule.name,
            "rows": report.rows,
            "alerts": report.alerts,
            "recoveries": report.recoveries,
            "late": report.late,
        }
    }
    typer.echo(json.dumps(summary, ensure_ascii=False))
