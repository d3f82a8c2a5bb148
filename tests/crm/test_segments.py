"""Segments on SQLite: definitions (located errors), evaluation (profiling consent), the CLI
(list with counts, add, show, export, remove)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE, Customer, Handle
from core.settings import get_settings
from crm.cli import crm_app
from crm.customers import build_customer_directory
from crm.orders import build_order_store
from crm.scores import recompute_scores
from crm.scores.testing import BIG, CUSTOMERS, LAPSED, NOW, PRIVATE, SALES, as_orders
from crm.segments import SegmentContext, SegmentDefinition, SegmentFilter, evaluate, load_segment

AT_RISK = """\
name: at-risk big spenders
owner: li.wei
description: key customers drifting away
filter:
  value_tiers: [key, growth]
  churn_risk: {min: 0.3}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    settings = get_settings()
    weibo = PRIVATE.model_copy(update={"handles": (Handle(platform="weibo", handle="pp"),)})
    with build_customer_directory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert([weibo if c.code == PRIVATE.code else c for c in CUSTOMERS])
    orders = build_order_store(settings, workspace=DEFAULT_WORKSPACE)
    orders.upsert(as_orders(SALES, CUSTOMERS))
    orders.close()
    recompute_scores(settings, workspace=DEFAULT_WORKSPACE, now=NOW)
    yield tmp_path
    get_settings.cache_clear()


def test_bad_definitions_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nowner: me\nfilter:\n  churn_risk: {min: 2}\n  colour: red\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_segment(bad)
    locs = {e["loc"] for e in caught.value.details["errors"]}
    assert locs == {"filter.churn_risk.min", "filter.colour"}
    assert all(e["file"] == str(bad) for e in caught.value.details["errors"])
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid"):
        load_segment(tmp_path / "bad.json")


def test_score_conditions_never_match_without_profiling_consent() -> None:
    f = SegmentFilter(platforms=("weibo",))
    private = Customer(code="P", name="p", handles=(Handle(platform="Weibo", handle="p"),))
    assert evaluate(SegmentDefinition(name="w", owner="o", filter=f), [private], SegmentContext()).count == 1
    scored = SegmentFilter(platforms=("weibo",), negative_share={"max": 1.0})  # type: ignore[arg-type]
    ctx = SegmentContext(negative_share=lambda _: 0.5)
    assert evaluate(SegmentDefinition(name="w", owner="o", filter=scored), [private], ctx).count == 0
    consenting = private.model_copy(
        update={"consent": private.consent.model_copy(update={"profiling": True})}
    )
    assert evaluate(SegmentDefinition(name="w", owner="o", filter=scored), [consenting], ctx).count == 1


def test_the_segment_commands(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert "no segments" in runner.invoke(crm_app, ["segments"]).output
    (tmp_path / "risk.yaml").write_text(AT_RISK, encoding="utf-8")
    (tmp_path / "weibo.json").write_text(
        json.dumps({"name": "on weibo", "owner": "zhang", "filter": {"platforms": ["weibo"]}}),
        encoding="utf-8",
    )
    for name in ("risk.yaml", "weibo.json"):
        result = runner.invoke(crm_app, ["segment", "add", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    result = runner.invoke(crm_app, ["segments"])
    assert result.exit_code == 0, result.output
    rows = {line[:28].strip(): line.split() for line in result.output.splitlines()[1:]}
    assert rows["on weibo"][3] == "1"  # a platform condition is not profiling: the private customer is in

    result = runner.invoke(crm_app, ["segment", "show", "at-risk big spenders", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    codes = {m["code"] for m in shown["members"]}
    assert LAPSED.code in codes
    assert BIG.code not in codes
    assert PRIVATE.code not in codes
    assert shown["count"] == len(codes)
    assert shown["customers"] == len(CUSTOMERS)

    out = tmp_path / "risk.csv"
    result = runner.invoke(crm_app, ["segment", "export", "at-risk big spenders", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    assert {r["code"] for r in exported} == codes
    assert all(float(r["churn_risk"]) >= 0.3 for r in exported)

    assert runner.invoke(crm_app, ["segment", "remove", "on weibo"]).exit_code == 0
    assert runner.invoke(crm_app, ["segment", "remove", "on weibo"]).exit_code == 1
    assert runner.invoke(crm_app, ["segment", "show", "on weibo"]).exit_code == 1

    (tmp_path / "bad.yaml").write_text("name: x\nfilter: {tiers: [diamond]}\n", encoding="utf-8")
    result = runner.invoke(crm_app, ["segment", "add", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 2
    assert "bad.yaml:owner" in result.output
    assert "bad.yaml:filter.tiers.0" in result.output
