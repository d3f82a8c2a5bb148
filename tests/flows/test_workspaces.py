"""`earful workspaces list` and `flows.workspaces.list_workspaces`: which workspaces hold what, read the
same way on SQLite and Elasticsearch, without creating or migrating anything."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from alerts.workflow import WorkflowChange, build_workflow_store
from core.models import DEFAULT_WORKSPACE, SavedSearch, SourceCursor, utcnow
from core.settings import Settings, get_settings
from crm.cases import build_case_store
from crm.cases.testing import make_case
from crm.customers import CustomerRecord, build_customer_directory
from crm.identity.audit import build_merge_audit_store
from crm.identity.testing import merge_record
from crm.interactions import build_interaction_store
from crm.orders import build_order_store
from crm.records_testing import interaction, order
from crm.scores import build_score_store
from crm.scores.testing import example_scores
from crm.testing import ANA, BO
from flows.cli.workspaces import workspaces_app
from flows.wiring import build_store
from flows.workspaces import list_workspaces
from index.testing.corpus import enriched_mention
from index.workspaces import MENTION_TABLES, es_workspace_counts, sqlite_workspace_counts
from reports.brands import Brand, BrandRole
from reports.definitions import ReportDefinition
from reports.store import build_report_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = {
    "acme": {
        "mentions": 1,
        "saved_searches": 1,
        "customers": 2,
        "link_feedback": 1,
        "orders": 2,
        "interactions": 1,
        "scores": 1,
        "cases": 1,
        "merges": 1,
        "workflow": 2,
        "brands": 2,
        "reports": 1,
    },
    "beta": {"cursors": 1},
    DEFAULT_WORKSPACE: {"mentions": 2, "cursors": 1},
}


def fill(settings: Settings) -> None:
    """Three workspaces, each holding other kinds (`EXPECTED`), through the workspace-scoped stores."""
    stores = {ws: build_store(settings, workspace=ws) for ws in EXPECTED}
    try:
        stores[DEFAULT_WORKSPACE].upsert([enriched_mention("a"), enriched_mention("b")])
        stores[DEFAULT_WORKSPACE].save_cursor(SourceCursor(source="feed", value="7"))
        stores["acme"].upsert([enriched_mention("a")])  # the same mention as default's: two things
        stores["acme"].save_search(SavedSearch(name="refunds", owner="ana", query="refund"))
        stores["beta"].save_cursor(SourceCursor(source="feed", value="1"))
        for store in stores.values():
            store.refresh()
    finally:
        for store in stores.values():
            store.close()
    directory = build_customer_directory(settings, workspace="acme")
    try:
        directory.upsert([ANA, BO])
        directory.record_feedback("demo:@zed", BO.id, "confirm")
    finally:
        directory.close()
    # the CRM records of acme: one or two of each kind
    with build_order_store(settings, workspace="acme") as orders:
        orders.upsert([order(1, ANA.id), order(2, BO.id)])
    with build_interaction_store(settings, workspace="acme") as interactions:
        interactions.upsert([interaction(1, ANA.id)])
    with build_score_store(settings, workspace="acme") as scores:
        scores.replace_all(example_scores()[:1])
    with build_case_store(settings, workspace="acme") as cases:
        cases.create(make_case())
    with build_merge_audit_store(settings, workspace="acme") as merges:
        merges.add(merge_record("m1", CustomerRecord(customer=ANA), CustomerRecord(customer=BO)))
    with build_workflow_store(settings, workspace="acme") as workflows:  # a change and a note: two rows
        workflows.apply("a", WorkflowChange(assignee="li.wei"), "mei", utcnow())
        workflows.add_note("b", "mei", "seen", utcnow())
    with build_report_store(settings, workspace="acme") as reports:
        reports.save_brand(Brand(name="Acme", query="acme"))
        reports.save_brand(Brand(name="小米", query="小米 OR xiaomi", role=BrandRole.competitor))
        reports.save_report(ReportDefinition(name="weekly", brands=("Acme", "小米")))


def test_sqlite_counts_each_workspace_by_kind(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert list_workspaces(settings) == {}  # no file: nothing, and no file made
    assert not settings.sqlite_path.exists()
    fill(settings)
    counts = list_workspaces(settings)
    assert counts == EXPECTED
    assert list(counts) == ["acme", "beta", "default"]


def test_a_sqlite_file_from_before_workspaces_counts_as_default_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "sqlite_mentions_v2.sql").read_text(encoding="utf-8"))
        conn.execute("INSERT INTO cursors VALUES ('feed', '{}')")
    assert sqlite_workspace_counts(path, MENTION_TABLES) == {DEFAULT_WORKSPACE: {"cursors": 1}}
    with sqlite3.connect(path) as conn:  # read, not migrated
        assert conn.execute("SELECT value FROM earful_meta WHERE key = 'schema_version'").fetchone() == ("2",)


@pytest.mark.integration
def test_elasticsearch_counts_each_workspace_by_kind(
    tmp_path: Path, es_url: str, es_client: Elasticsearch, es_prefix: str
) -> None:
    settings = Settings(
        home=tmp_path,
        store={"backend": "elasticsearch"},
        elasticsearch={"hosts": [es_url], "index_prefix": es_prefix},
    )
    assert list_workspaces(settings) == {}  # no index yet: nothing, and none made
    assert es_client.indices.get(index=f"{es_prefix}*") == {}
    fill(settings)
    es_client.indices.refresh(index=f"{es_prefix}-*")
    assert list_workspaces(settings) == EXPECTED


def test_cli_lists_the_workspaces_as_a_table_or_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))  # the configured store: SQLite in this home
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    runner = CliRunner()
    empty = runner.invoke(workspaces_app, ["list"])
    assert empty.exit_code == 0, empty.output
    assert "No workspace holds data in the sqlite store yet." in empty.output
    fill(get_settings())
    result = runner.invoke(workspaces_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED
    table = runner.invoke(workspaces_app, ["list"], env={"COLUMNS": "200"}).output  # one line per row
    assert "Workspaces in the sqlite store" in table
    rows = {
        line.split()[0]: line.split()[1:]
        for line in table.splitlines()
        if line.split()[:1] in (["acme"], ["beta"], ["default"])
    }
    # mentions, cursors, saved searches, customers, link feedback, orders, interactions, scores, cases,
    # merges, workflow, brands, reports
    assert rows == {
        "acme": ["1", "0", "1", "2", "1", "2", "1", "1", "1", "1", "2", "2", "1"],
        "beta": ["0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
        "default": ["2", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
    }


@pytest.mark.integration
def test_an_index_from_before_workspaces_counts_as_default_and_a_missing_one_as_nothing(
    es_client: Elasticsearch, es_prefix: str
) -> None:
    legacy = f"{es_prefix}-state"
    es_client.indices.create(index=legacy, mappings={"properties": {"source": {"type": "keyword"}}})
    es_client.index(index=legacy, document={"source": "feed"}, refresh=True)
    counts = es_workspace_counts(es_client, {"cursors": legacy, "mentions": f"{es_prefix}-mentions"})
    assert counts == {DEFAULT_WORKSPACE: {"cursors": 1}}
    assert es_client.indices.get_mapping(index=legacy)[legacy]["mappings"]["properties"].keys() == {"source"}
