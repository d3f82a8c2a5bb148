"""`earful crm scores` on SQLite: the ranking (key customers first), filters, JSON, one customer's
explanation, and --recompute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.models import DEFAULT_WORKSPACE
from core.settings import get_settings
from crm.cli import crm_app
from crm.customers import build_customer_directory
from crm.orders import build_order_store
from crm.scores import recompute_scores
from crm.scores.testing import BIG, CUSTOMERS, LAPSED, NOW, PRIVATE, SALES, as_orders


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    settings = get_settings()
    with build_customer_directory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert(CUSTOMERS)
    orders = build_order_store(settings, workspace=DEFAULT_WORKSPACE)
    orders.upsert(as_orders(SALES, CUSTOMERS))
    orders.close()
    yield tmp_path
    get_settings.cache_clear()


def test_no_scores_yet_says_what_to_do(home: Path) -> None:
    result = CliRunner().invoke(crm_app, ["scores"])
    assert result.exit_code == 0, result.output
    assert "earful crm scores --recompute" in result.output


def test_the_ranking_filters_and_one_customer(home: Path) -> None:
    recompute_scores(get_settings(), workspace=DEFAULT_WORKSPACE, now=NOW)
    runner = CliRunner()
    result = runner.invoke(crm_app, ["scores"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["customer", "tier", "RFM", "segment"]
    assert lines[1].startswith("Big Regular (K001)")
    assert " key " in lines[1]
    assert " 555 " in lines[1]
    assert "champions" in lines[1]
    assert "skipped: no profiling consent" in lines[-1]
    assert len(lines) == 1 + len(CUSTOMERS)

    result = runner.invoke(crm_app, ["scores", "--top", "2", "--json"])
    assert result.exit_code == 0, result.output
    top = json.loads(result.output)
    assert [s["customer_code"] for s in top] == [BIG.code, LAPSED.code]
    assert top[0]["rfm"]["monetary"] == "7200.00"

    result = runner.invoke(crm_app, ["scores", "--segment", "cant-lose-them"])
    assert result.exit_code == 0, result.output
    assert "Lapsed Big (K002)" in result.output
    assert "Big Regular" not in result.output
    result = runner.invoke(crm_app, ["scores", "--tier", "key", "--json"])
    assert {s["value"]["tier"] for s in json.loads(result.output)} == {"key"}

    result = runner.invoke(crm_app, ["scores", "k002"])  # codes compare case-insensitively
    assert result.exit_code == 0, result.output
    assert "Lapsed Big (K002)" in result.output
    assert "can't lose them" in result.output
    assert "churn risk" in result.output
    assert "model: BG/NBD r=" in result.output

    result = runner.invoke(crm_app, ["scores", PRIVATE.code])
    assert "not scored: no profiling consent" in result.output
    result = runner.invoke(crm_app, ["scores", "NOPE"])
    assert result.exit_code == 1


def test_recompute(home: Path) -> None:
    result = CliRunner().invoke(crm_app, ["scores", "--recompute", "--top", "1"])
    assert result.exit_code == 0, result.output
    assert f"scored {len(CUSTOMERS) - 1} customers (1 skipped), 3 orders ignored" in result.output
    assert "Big Regular (K001)" in result.output
