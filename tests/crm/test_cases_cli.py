"""`earful crm cases|case ...|transfer` on SQLite, through the Typer app (`crm.cli.crm_app`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.models import DEFAULT_WORKSPACE, Customer, utcnow
from core.settings import get_settings
from crm.cases import CaseStatus, SQLiteCaseStore, assign_to_cases
from crm.cases.testing import complaint
from crm.cli import crm_app
from crm.customers import SQLiteCustomerDirectory
from index.backends.sqlite import SQLiteMentionStore

ANA = Customer(code="C001", name="Ana Lima", owner="li.wei")
BO = Customer(code="C002", name="Bo Chen", owner="li.wei")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    with SQLiteCustomerDirectory(tmp_path / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert([ANA, BO])
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(crm_app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_a_case_from_opening_to_closing(home: Path) -> None:
    out = run("case", "open", "C001", "--title", "Strap broke", "--priority", "high", "--by", "mei")
    assert "assigned to li.wei" in out  # the account owner
    case_id = out.split()[2]
    assert f"{case_id}  new       high   C001     li.wei" in run("cases")
    run("case", "note", case_id[:6], "called her", "--private", "--by", "li.wei")
    run("case", "note", case_id, "a new strap is on its way", "--by", "li.wei")
    run("case", "assign", case_id, "wang.fang", "--by", "boss")
    assert f"case {case_id}: new -> resolved" in run(
        "case", "status", case_id, "resolved", "--note", "strap sent", "--by", "wang.fang"
    )
    refused = run("case", "status", case_id, "pending", code=2)
    assert "cannot move from resolved to pending (allowed from resolved: open, closed)" in refused
    run("case", "status", case_id, "closed", "--by", "wang.fang")
    assert "cannot move from closed to open" in run("case", "status", case_id, "open", code=2)

    shown = run("case", "show", case_id)
    assert "customer  Ana Lima (C001), account owner li.wei" in shown
    assert "status    closed   priority high   assignee wang.fang" in shown
    assert "li.wei (private): called her" in shown
    assert "li.wei: a new strap is on its way" in shown
    for line in (
        "mei          opened: Strap broke",
        "boss         assignee: li.wei -> wang.fang",
        "wang.fang    status: new -> resolved",
        "wang.fang    status: resolved -> closed",
    ):
        assert line in shown
    body = json.loads(run("case", "show", case_id, "--json"))
    assert body["customer_code"] == "C001"
    assert body["first_response_at"] is not None
    assert body["sla"]["breached"] is False

    assert "no case 'nope'" in run("case", "show", "nope", code=2)
    assert "no customer 'C999'" in run("case", "open", "C999", "--title", "x", code=2)


def test_list_filters(home: Path) -> None:
    now = utcnow()
    with SQLiteCaseStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as cases:
        old = assign_to_cases([complaint("a", ANA, at=now - timedelta(days=2))], cases, now=now).opened[0]
        fresh = assign_to_cases([complaint("b", BO, at=now)], cases, now=now).opened[0]
        cases.update(fresh, lambda c: c.assign("wang.fang", by="boss", now=now))
    listed = run("cases", "--breached")  # 2 days old, never answered: 8 h to respond, 3 days to resolve
    assert f"! {old}" in listed
    assert fresh not in listed
    assert fresh in run("cases", "--assignee", "wang.fang")
    assert old not in run("cases", "--customer", "C002")
    assert run("cases", "--status", "resolved") == "no cases\n"
    assert {c["id"] for c in json.loads(run("cases", "--open", "--json"))} == {old, fresh}


def test_transfer_with_a_dry_run_then_the_whole_story_for_the_new_owner(home: Path) -> None:
    now = utcnow()
    mention = complaint("a", ANA, at=now)
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as store:
        store.upsert([mention])
    with SQLiteCaseStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as cases:
        customers = SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE)
        (case_id,) = assign_to_cases([mention], cases, now=now, customers=customers).opened
        customers.close()
        cases.update(
            case_id,
            lambda c: c.add_note("she wants a refund, not a new strap", by="li.wei", now=now, private=True),
        )

    dry = run("transfer", "--from", "li.wei", "--to", "wang.fang", "--dry-run")
    assert "would move 2 customers and 1 open cases from li.wei to wang.fang" in dry
    assert "customer C001" in dry
    assert f"case {case_id}" in dry
    assert "li.wei" in run("cases", "--assignee", "li.wei")

    moved = run("transfer", "--from", "li.wei", "--to", "wang.fang", "--by", "boss")
    assert "moved 2 customers and 1 open cases" in moved
    assert run("cases", "--assignee", "li.wei") == "no cases\n"
    shown = run("case", "show", case_id)
    assert "account owner wang.fang" in shown
    assert "assignee wang.fang" in shown
    assert "my order arrived broken" in shown  # the customer's own words
    assert "she wants a refund, not a new strap" in shown
    assert "boss         assignee: li.wei -> wang.fang" in shown
    view = run("show", "C001")
    assert f"# {case_id}  new" in view
    assert "open cases: 1  open complaints: 1" in view
    with SQLiteCaseStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as cases:
        assert cases.get(case_id).status is CaseStatus.new
