"""`earful crm duplicates | merge | unmerge | merges` on the SQLite store of a temporary home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.models import DEFAULT_WORKSPACE
from core.settings import get_settings
from crm.cli import crm_app
from crm.cli.identity import _DEFAULT_MIN_SCORE
from crm.customers import SQLiteCustomerDirectory
from crm.identity.matcher import DEFAULT_MIN_SCORE
from index.backends.sqlite import SQLiteMentionStore
from tests.crm.test_identity import ANA, ANA_TOO, MENTIONS, RECORDS


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    with SQLiteCustomerDirectory(tmp_path / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert(RECORDS)
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db") as store:
        store.upsert(MENTIONS)
    yield tmp_path
    get_settings.cache_clear()


def test_the_cli_default_threshold_is_the_matchers() -> None:
    assert _DEFAULT_MIN_SCORE == DEFAULT_MIN_SCORE


def test_duplicates_merge_merges_unmerge(home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(crm_app, ["duplicates"])
    assert result.exit_code == 0, result.output
    assert "C001  C002  same e-mail a***@example.com; " in result.output
    assert result.output.rstrip().endswith("1 pairs at score >= 0.9")
    pairs = json.loads(runner.invoke(crm_app, ["duplicates", "--json", "--min-score", "0.5"]).output)
    assert [(p["first_code"], p["second_code"]) for p in pairs] == [("C001", "C002")]

    result = runner.invoke(crm_app, ["merge", "C001", "C002", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("dry run: nothing changed\nmerge C002 (Ana  LIMA) into C001 (Ana Lima)")
    assert "re-point 2 linked mentions from C002 to C001" in result.output
    assert runner.invoke(crm_app, ["merges"]).output.strip() == "0 merges"

    result = runner.invoke(crm_app, ["merge", "C001", "C002", "--by", "li.wei"])
    assert result.exit_code == 0, result.output
    merge_id = result.output.split("merged: ")[1].split()[0]
    with SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.get(ANA_TOO.id) is None
    listed = runner.invoke(crm_app, ["merges"]).output
    assert f"{merge_id}  " in listed
    assert "C002 into C001  by li.wei  2 mentions  active" in listed
    assert json.loads(runner.invoke(crm_app, ["merges", "--json"]).output)[0]["id"] == merge_id

    result = runner.invoke(crm_app, ["merge", "C001", "C002"])
    assert result.exit_code == 2
    assert "C002 was absorbed into C001" in result.output

    # a master file still listing the absorbed code: that row is refused, with where and why
    (home / "customers.csv").write_text("code,name\nC002,Ana  LIMA\n", encoding="utf-8")
    result = runner.invoke(crm_app, ["import", str(home / "customers.csv")])
    assert result.exit_code == 1, result.output
    assert "imported 0 customers: 0 new, 0 updated, 0 unchanged; 1 rows rejected" in result.output
    assert (
        f"  customers.csv:2: C002 was absorbed into C001 by merge {merge_id}; unmerge first or import "
        "under the survivor's code"
    ) in result.output
    with SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.get(ANA_TOO.id) is None
    assert runner.invoke(crm_app, ["merge", "C001", "C001"]).exit_code == 2

    result = runner.invoke(crm_app, ["unmerge", merge_id, "--by", "ana"])
    assert result.exit_code == 0, result.output
    assert "2 mentions re-pointed back, 0 changed since and left" in result.output
    assert "undone" in runner.invoke(crm_app, ["merges"]).output
    with SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.records() == RECORDS
        assert directory.get(ANA.id) == ANA
    assert runner.invoke(crm_app, ["unmerge", merge_id]).exit_code == 2
    assert runner.invoke(crm_app, ["merge", "C001", "C002", "-w", "acme"]).exit_code == 2
