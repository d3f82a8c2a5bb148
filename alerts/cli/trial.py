"""`earful alerts validate | test | backtest`: check a rule, try it on stored mentions or a text, and
see when it would have alerted, over a count series or the stored mentions of a period. Nothing here
stores an alert or sends anything."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from alerts.cli.common import RuleFile, mention_store, pick, rule_from, snippet_text
from core.cli_options import Home, Workspace, home_settings
from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from alerts.engine import Decision
    from alerts.trial import Fragments, StoredTrial, TextTrial

RuleName = typer.Option(None, "--rule", help="The rule's name or id, when the file has several")


def validate_cmd(rule_file: Path = RuleFile) -> None:
    """Check every rule of a file: query, kind parameters, fields, time zone. Exit 2 on a problem."""
    from alerts.rules import load_rules

    for rule in load_rules(rule_file):
        typer.echo(f"ok  {rule.id}  {rule.kind:<13}  {rule.name}")


def decision_json(d: Decision) -> dict[str, Any]:
    """One JSON line of `backtest`: when, what, and the numbers."""
    from alerts.backtest import DecisionLine

    return DecisionLine.of(d).model_dump(mode="json")


def _print_lines(lines: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    for line in lines:
        typer.echo(json.dumps(line, ensure_ascii=False))
    typer.echo(json.dumps({"summary": summary}, ensure_ascii=False))


def backtest_cmd(
    rule_file: Path = RuleFile,
    counts: Path | None = typer.Option(
        None, "--counts", exists=True, dir_okay=False, help="CSV: timestamp,value[,negative]"
    ),
    since: str | None = typer.Option(
        None, "--since", help="Run over the stored mentions published since: 30d, 12h, 2w or an ISO date"
    ),
    rule_name: str | None = RuleName,
    interval_minutes: float | None = typer.Option(
        None, "--interval", help="--counts: minutes per row (default: the median gap)"
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Print, as JSON lines, when a rule would have alerted (and recovered): over a count series
    (--counts, windowed rules) or over the stored mentions of a period (--since, every kind); the
    last line sums it up. Nothing is stored or sent."""
    from alerts.backtest import backtest, backtest_over, load_counts
    from alerts.manage import backtest_period
    from alerts.rules import load_rules

    if (counts is None) == (since is None):
        raise InvalidInput("give exactly one of --counts FILE.csv and --since 30d")
    rule = pick(load_rules(rule_file), rule_name)
    if counts is not None:
        rows = load_counts(counts, zone=rule.timezone)
        interval = timedelta(minutes=interval_minutes) if interval_minutes else None
        report = backtest(rule, rows, interval=interval)
        summary = {
            "rule": rule.name,
            "rows": report.rows,
            "alerts": report.alerts,
            "recoveries": report.recoveries,
            "late": report.late,
        }
        _print_lines([decision_json(d) for d in report.decisions], summary)
        return
    assert since is not None
    start, end = backtest_period(since)
    with mention_store(home_settings(home), workspace) as store:
        stored = backtest_over(rule, store, since=start, until=end)
    lines = [d.model_dump(mode="json") for d in stored.decisions]
    _print_lines(lines, stored.model_dump(mode="json", exclude={"rule_id", "decisions"}))


def _fragments_text(fragments: Fragments, fallback: str) -> Any:
    from rich.text import Text

    parts = [*fragments.get("title", ()), *fragments.get("text", ())]
    if not parts:
        return Text(fallback[:300])
    out = Text()
    for i, part in enumerate(parts):
        out += (Text(" … ") if i else Text()) + snippet_text(part)
    return out


def _print_stored(trial: StoredTrial, rule_name: str, since: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(markup=False, highlight=False)
    shown = len(trial.hits)
    console.print(
        f"{trial.total} stored mentions of the last {since} match rule {rule_name!r}"
        + (f" (the newest {shown} below)" if shown < trial.total else "")
    )
    if not trial.hits:
        return
    table = Table(show_header=True)
    for column in ("published", "platform", "author", "sentiment", "text"):
        table.add_column(column, overflow="fold")
    for hit in trial.hits:
        m = hit.mention
        author = m.author.handle if m.author and m.author.handle else "-"
        table.add_row(
            m.published_at.strftime("%Y-%m-%d %H:%M"),
            m.platform,
            author,
            m.sentiment.label.value,
            _fragments_text(hit.fragments, m.text),
        )
    console.print(table)


def _print_text(trial: TextTrial, rule_name: str) -> None:
    from rich.console import Console

    console = Console(markup=False, highlight=False)
    m = trial.mention
    verdict = "matches" if trial.matched else "does not match"
    console.print(f"the text {verdict} rule {rule_name!r}")
    if trial.matched:
        console.print(_fragments_text(trial.fragments, m.text), soft_wrap=True)
    intents = ", ".join(i.label.value for i in m.intents) or "-"
    aspects = ", ".join(a.label.value for a in m.aspects) or "-"
    console.print(
        f"tagged as: lang {m.lang}, sentiment {m.sentiment.label.value}, intents {intents}, "
        f"aspects {aspects} (a text has no customer, tier, author, site or source)"
    )


def try_cmd(
    rule: str = typer.Argument(..., help="A rule file, or a saved rule's id or name"),
    rule_name: str | None = RuleName,
    text: str | None = typer.Option(None, "--text", help="Check this text instead of the stored mentions"),
    since: str = typer.Option("7d", "--since", help="Stored mentions published since: 7d, 12h, 2w, ISO"),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="How many matches to show"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Show which stored mentions of the last --since a rule matches, matched words highlighted, and
    how many; or, with --text, whether a text would match once tagged (the configured tagger). Sends
    nothing and stores nothing."""
    from alerts.trial import stored_matches, text_matches
    from index.cli.search import parse_since
    from nlp.base import build_tagger

    settings = home_settings(home)
    found = rule_from(rule, rule_name, settings, workspace)
    if text is not None:
        _print_text(text_matches(found, text, build_tagger(settings)), found.name)
        return
    start = parse_since(since)
    with mention_store(settings, workspace) as store:
        trial = stored_matches(found, store, since=start, limit=limit)
    _print_stored(trial, found.name, since)
