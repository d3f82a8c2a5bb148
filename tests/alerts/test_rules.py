"""The rule model: what is refused, where the error points, ids that survive a rename, rule files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerts.channels.base import Severity
from alerts.rules import (
    Digest,
    EveryMatch,
    QuietHours,
    Rule,
    Spike,
    Threshold,
    load_rules,
    quiet_until,
)
from core.errors import InvalidInput, RuleInvalid
from core.ids import rule_id

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def rule_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Refund spike",
        "owner": "support",
        "query": "refund OR chargeback",
        "spec": {"kind": "spike", "window": "1h"},
        "created_at": T0,
        "updated_at": T0,
    }
    return {**data, **changes}


def errors_of(**changes: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as info:
        Rule.model_validate(rule_data(**changes))
    return [dict(e) for e in info.value.errors(include_url=False)]


def test_a_valid_rule_gets_its_id_from_its_name_and_keeps_it_when_renamed() -> None:
    rule = Rule.model_validate(rule_data())
    assert rule.id == rule_id("Refund spike") == rule_id("  refund   SPIKE ")
    assert isinstance(rule.spec, Spike)
    assert rule.spec.window == timedelta(hours=1)
    assert rule.spec.effective_k == 2.5
    renamed = rule.edited(T0 + timedelta(days=1), name="Refunds")
    assert renamed.id == rule.id
    assert renamed.name == "Refunds"
    assert renamed.updated_at == T0 + timedelta(days=1)
    again = Rule.model_validate_json(renamed.model_dump_json())
    assert again == renamed


def test_a_query_error_keeps_the_parsers_position_and_expected_tokens() -> None:
    [error] = errors_of(query="refund AND")
    assert error["loc"] == ("query",)
    assert error["type"] == "query_syntax"
    assert error["ctx"]["position"] == 10
    assert "a term" in error["ctx"]["expected"]
    assert "column 11" in error["msg"]


def test_an_unknown_field_operator_in_the_query_is_refused() -> None:
    [error] = errors_of(query="colour:red")
    assert error["ctx"]["reason"] == "unknown_field"
    assert "tier:" in error["ctx"]["expected"]


@pytest.mark.parametrize(
    ("changes", "loc", "words"),
    [
        ({"spec": {"kind": "spike", "window": "-1h"}}, ("spec", "spike", "window"), "positive"),
        ({"spec": {"kind": "spike", "window": "7m"}}, ("spec", "spike", "window"), "divide 24 hours"),
        (
            {"spec": {"kind": "threshold", "window": "1h", "min_count": 0}},
            ("spec", "threshold", "min_count"),
            "",
        ),
        (
            {"spec": {"kind": "flatline", "window": "1h", "min_count": -2}},
            ("spec", "flatline", "min_count"),
            "",
        ),
        ({"spec": {"kind": "spike", "window": "1h", "periods": 1}}, ("spec", "spike", "periods"), ""),
        ({"spec": {"kind": "pager"}}, ("spec",), "kind"),
        ({"spec": {"kind": "digest", "cron": "0 9 30 2 *"}}, ("spec", "digest", "cron"), "day-of-month"),
        ({"spec": {"kind": "digest", "cron": "0 9 * *"}}, ("spec", "digest", "cron"), "invalid cron"),
        ({"spec": {"kind": "digest"}}, ("spec", "digest"), "exactly one"),
        ({"spec": {"kind": "every_match", "window": "1h"}}, ("spec", "every_match", "window"), "Extra"),
        ({"group_by": ["colour"]}, ("group_by",), "unknown field 'colour'"),
        ({"timezone": "Mars/Olympus"}, ("timezone",), "unknown time zone"),
        ({"cooldown": "-5m"}, ("cooldown",), "negative"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, ("quiet_hours",), "start != end"),
        ({"severity": "panic"}, ("severity",), ""),
        ({"colour": "red"}, ("colour",), "Extra"),
        ({"created_at": "2025-03-01T00:00:00"}, ("created_at",), "timezone-aware"),
    ],
)
def test_bad_rules_are_refused_with_a_located_error(
    changes: dict[str, Any], loc: tuple[str, ...], words: str
) -> None:
    errors = errors_of(**changes)
    assert any(e["loc"] == loc and words in e["msg"] for e in errors), errors


def test_group_by_takes_query_fields_and_the_extra_mention_fields() -> None:
    rule = Rule.model_validate(rule_data(group_by=["author", "tier", "aspect", "collector"]))
    assert rule.group_by == ("author", "tier", "aspect", "collector")
    assert Rule.model_validate(rule_data(group_by=["platform", "hashtag"])).group_by == (
        "platform",
        "hashtag",
    )


def test_durations_in_every_form() -> None:
    for value in ("15m", "900s", "PT15M", 900, "0.25h"):
        rule = Rule.model_validate(rule_data(spec={"kind": "threshold", "window": value, "min_count": 3}))
        assert isinstance(rule.spec, Threshold)
        assert rule.spec.window == timedelta(minutes=15)


def test_default_cooldown_per_kind() -> None:
    assert Rule.model_validate(rule_data()).effective_cooldown == timedelta(hours=1)
    every = Rule.model_validate(rule_data(spec={"kind": "every_match"}))
    assert isinstance(every.spec, EveryMatch)
    assert every.effective_cooldown == timedelta(0)
    assert Rule.model_validate(rule_data(cooldown="0s")).effective_cooldown == timedelta(0)


def test_digest_takes_an_interval_or_a_cron() -> None:
    rule = Rule.model_validate(rule_data(spec={"kind": "digest", "cron": "0 9 * * 1-5"}))
    assert isinstance(rule.spec, Digest)
    assert rule.spec.cron == "0 9 * * 1-5"
    rule = Rule.model_validate(rule_data(spec={"kind": "digest", "every": "30m"}))
    assert isinstance(rule.spec, Digest)
    assert rule.spec.every == timedelta(minutes=30)


def test_quiet_hours_hold_non_critical_deliveries_until_they_end() -> None:
    quiet = QuietHours(start=time(22), end=time(7))
    rule = Rule.model_validate(rule_data(quiet_hours=quiet, timezone="Europe/Paris"))
    # 23:30 in Paris (UTC+1 in March): held until 07:00 Paris the next morning
    assert quiet_until(rule, datetime(2025, 3, 1, 22, 30, tzinfo=UTC)) == datetime(2025, 3, 2, 6, tzinfo=UTC)
    # 05:00 Paris: held until 07:00 the same morning
    assert quiet_until(rule, datetime(2025, 3, 2, 4, tzinfo=UTC)) == datetime(2025, 3, 2, 6, tzinfo=UTC)
    assert quiet_until(rule, datetime(2025, 3, 2, 12, tzinfo=UTC)) is None
    critical = rule.model_copy(update={"severity": Severity.critical})
    assert quiet_until(critical, datetime(2025, 3, 1, 22, 30, tzinfo=UTC)) is None


def test_load_rules_locates_each_problem_by_file_and_index(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: ok, owner: me, query: refund, spec: {kind: every_match}}\n"
        "  - {name: bad, owner: me, query: 'refund AND', spec: {kind: spike, window: -1h}}\n"
    )
    with pytest.raises(RuleInvalid) as info:
        load_rules(path)
    err = info.value
    assert isinstance(err, InvalidInput)
    assert f"{path}:rules[1].query" in err.message
    assert f"{path}:rules[1].spec.spike.window" in err.message
    located = {(p["rule"], tuple(p["loc"])) for p in err.details["errors"]}
    assert (1, ("query",)) in located
    query_error = next(p for p in err.details["errors"] if p["loc"] == ["query"])
    assert query_error["context"]["position"] == 10
    json.dumps(err.to_dict())  # the JSON error shape carries it


def test_load_rules_reads_json_and_single_rules(tmp_path: Path) -> None:
    path = tmp_path / "rule.json"
    path.write_text(
        json.dumps({"name": "a", "owner": "me", "query": "refund", "spec": {"kind": "every_match"}})
    )
    [rule] = load_rules(path)
    assert rule.name == "a"
    (tmp_path / "dup.yaml").write_text(
        "- {name: a, owner: me, query: x, spec: {kind: every_match}}\n"
        "- {name: A, owner: me, query: y, spec: {kind: every_match}}\n"
    )
    with pytest.raises(RuleInvalid, match="share the id"):
        load_rules(tmp_path / "dup.yaml")
    (tmp_path / "broken.yaml").write_text("- {name: a\n")
    with pytest.raises(RuleInvalid, match="not valid YAML"):
        load_rules(tmp_path / "broken.yaml")
