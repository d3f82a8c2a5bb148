"""Backtest over a count series, the CLI that prints it, and the presets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts.backtest import backtest, parse_counts, stored_mentions
from alerts.cli import alerts_app
from alerts.presets import PRESETS, preset
from alerts.rules import EveryMatch, Flatline
from core.errors import InvalidInput, RuleInvalid
from core.models import DEFAULT_WORKSPACE
from index.backends.sqlite import SQLiteMentionStore
from index.testing.corpus import enriched_mention
from tests.alerts.engine_support import T0, make_rule

SPIKE = {"kind": "spike", "window": "1h", "periods": 6, "min_count": 10}
COUNTS = [4, 6, 5, 7, 5, 3, 11, 14, 4, 5]  # the spike example of docs/alerts.md


def series(counts: list[int]) -> str:
    return "timestamp,value\n" + "".join(
        f"{(T0 + timedelta(hours=h)).isoformat()},{n}\n" for h, n in enumerate(counts)
    )


def test_backtest_finds_the_worked_spike_example() -> None:
    report = backtest(make_rule(SPIKE), parse_counts(series(COUNTS)))
    assert [(d.kind.value, d.window_start, d.decided_at, d.current) for d in report.decisions] == [
        ("alert", T0 + timedelta(hours=6), T0 + timedelta(hours=7), 11),
        ("alert", T0 + timedelta(hours=7), T0 + timedelta(hours=8), 14),
        ("recovery", T0 + timedelta(hours=8), T0 + timedelta(hours=9, minutes=10), 4),
    ]
    assert (report.rows, report.interval, report.alerts, report.recoveries) == (10, timedelta(hours=1), 2, 1)


def test_a_flatline_backtest_judges_the_last_window_too() -> None:
    rule = make_rule({"kind": "flatline", "window": "1h", "min_count": 1})
    report = backtest(rule, parse_counts(series([3, 2, 0])))
    [alert] = report.decisions
    assert alert.window_start == T0 + timedelta(hours=2)


def test_bad_rows_are_located_by_line() -> None:
    text = (
        "timestamp,value\n2025-03-03T00:00:00Z,4\nyesterday,3\n2025-03-03T02:00:00Z,-1\n"
        "2025-03-03T03:00:00Z\n"
    )
    with pytest.raises(InvalidInput) as info:
        parse_counts(text, source="c.csv")
    assert info.value.details["errors"] == [
        "c.csv:3: 'yesterday' is not an ISO 8601 timestamp",
        "c.csv:4: value '-1' is not a whole number >= 0",
        "c.csv:5: expected timestamp,value[,negative], found 1 columns",
    ]


def test_naive_timestamps_are_read_in_the_rules_zone() -> None:
    [row] = parse_counts("2025-03-03 09:00,4\n", zone="Europe/Paris")
    assert row.timestamp == datetime(2025, 3, 3, 8, tzinfo=UTC)


def test_backtest_refuses_what_it_cannot_judge() -> None:
    with pytest.raises(InvalidInput, match="windowed rules only"):
        backtest(make_rule({"kind": "every_match"}), parse_counts(series([1])))
    with pytest.raises(InvalidInput, match="negative"):
        backtest(make_rule({"kind": "sentiment_dip", "window": "1h"}), parse_counts(series([1])))


def test_cli_backtest_prints_json_lines(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- {name: spike, owner: me, query: refund, spec: {kind: spike, window: 1h, periods: 6}}\n"
    )
    counts = tmp_path / "counts.csv"
    counts.write_text(series(COUNTS))
    result = CliRunner().invoke(alerts_app, ["backtest", str(rules), "--counts", str(counts)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("kind") for line in lines[:-1]] == ["alert", "alert", "recovery"]
    assert lines[0]["decided_at"] == "2025-03-03T07:00:00Z"
    assert lines[-1] == {"summary": {"rule": "spike", "rows": 10, "alerts": 2, "recoveries": 1, "late": 0}}


def test_cli_validate_locates_problems(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- {name: ok, owner: me, query: refund, spec: {kind: every_match}}\n"
        "- {name: bad, owner: me, query: 'refund AND', spec: {kind: flatline, window: 1h},"
        " timezone: Mars/Base}\n"
    )
    result = CliRunner().invoke(alerts_app, ["validate", str(rules)])
    assert result.exit_code == 2
    assert f"{rules}:rules[1].query: expected a term" in result.stderr
    assert "column 11" in result.stderr
    assert f"{rules}:rules[1].timezone: Value error, unknown time zone" in result.stderr
    rules.write_text("- {name: ok, owner: me, query: refund, spec: {kind: every_match}}\n")
    result = CliRunner().invoke(alerts_app, ["validate", str(rules)])
    assert result.exit_code == 0
    assert "every_match" in result.stdout


def test_presets_build_valid_rules() -> None:
    vip = preset("vip_complaint", owner="support")
    assert vip.query == "intent:complaint AND tier:(gold OR platinum)"
    assert isinstance(vip.spec, EveryMatch)
    silent = preset("source_silent", owner="ops", platform="reddit")
    assert isinstance(silent.spec, Flatline)
    assert silent.query == "source:reddit"
    assert preset("negative_spike", owner="me", query="acme").query == "(acme) AND sentiment:negative"
    assert preset("sentiment_dip", owner="me", query="acme").kind == "sentiment_dip"
    assert set(PRESETS) == {"vip_complaint", "negative_spike", "sentiment_dip", "source_silent"}
    with pytest.raises(RuleInvalid, match="needs query"):
        preset("negative_spike", owner="me")


def test_stored_mentions_page_oldest_first_without_gaps_or_repeats(tmp_path: Path) -> None:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    # seven at one instant (more than a page), some a microsecond apart, one outside the period
    times = [t] * 7 + [t + timedelta(microseconds=1), t + timedelta(microseconds=2), t + timedelta(hours=1)]
    mentions = [enriched_mention(f"n{i}", "refund", published_at=at) for i, at in enumerate(times)]
    mentions.append(enriched_mention("late", "refund", published_at=t + timedelta(days=2)))
    mentions.append(enriched_mention("other", "hello", published_at=t))
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "m.db") as store:
        store.ensure_ready()
        store.upsert(mentions)
        read = list(stored_mentions(store, "refund", since=t, until=t + timedelta(days=1), page_size=3))
    expected = sorted(mentions[:10], key=lambda m: (m.published_at, m.id))
    assert [m.id for m in read] == [m.id for m in expected]
