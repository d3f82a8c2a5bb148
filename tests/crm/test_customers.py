"""Customer directories (what only one backend has, the factory, migrations; their contract runs in
tests/contracts/test_customer_store.py), the master-file import and the `earful customers` commands."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from core.customer_keys import author_keys
from core.errors import InvalidInput
from core.ids import scoped_doc_id
from core.models import (
    DEFAULT_WORKSPACE,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    Sentiment,
    SentimentLabel,
    Tier,
)
from core.settings import get_settings
from crm.cases import SQLiteCaseStore, assign_to_cases
from crm.cli import customers_app
from crm.customers import (
    CUSTOMER_MAPPINGS,
    FEEDBACK_MAPPINGS,
    CustomerRecord,
    ElasticsearchCustomerDirectory,
    SQLiteCustomerDirectory,
    build_customer_directory,
)
from crm.master_file import import_master_file, read_master_file
from crm.testing import ANA, BO, records
from index.backends.sqlite import SQLiteMentionStore
from nlp.linking import CustomerDirectory
from nlp.linking.feedback import LinkFeedbackStore
from nlp.linking.linker import ScoredLinker
from nlp.testing import raw_mention


# --- what only one backend has (the contract: tests/contracts/test_customer_store.py) ---------------
def test_sqlite_shares_the_mentions_file_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "earful.db"
    with (
        SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as mentions,
        SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as customers,
    ):
        mentions.upsert([enriched("hello", 0)])
        customers.upsert([ANA])
        assert mentions.count() == 1
        assert customers.count() == 1
    with SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as reopened:
        assert reopened.get(ANA.id) == ANA  # durable


@pytest.mark.integration
def test_elasticsearch_index_layout(es_client: Elasticsearch, es_prefix: str) -> None:
    directory = ElasticsearchCustomerDirectory(
        client=es_client, prefix=es_prefix, workspace=DEFAULT_WORKSPACE
    )
    assert directory.upsert(records(CustomerRecord)).created == 3
    assert isinstance(directory, CustomerDirectory)
    assert isinstance(directory, LinkFeedbackStore)
    mapping = es_client.indices.get_mapping(index=directory.index)[directory.index]["mappings"]
    assert mapping["properties"]["handles"]["type"] == "keyword"
    assert mapping["properties"]["name"]["type"] == "text"
    found = es_client.search(index=directory.index, query={"match": {"name": "lima"}})
    assert [hit["_id"] for hit in found["hits"]["hits"]] == [scoped_doc_id(DEFAULT_WORKSPACE, ANA.id)]


def test_the_scored_linker_runs_on_a_stored_directory(tmp_path: Path) -> None:
    with SQLiteCustomerDirectory(tmp_path / "c.db", workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert(
            [CustomerRecord(customer=ANA, order_numbers=("A12345",)), CustomerRecord(customer=BO)]
        )
        linker = ScoredLinker(directory, feedback=directory)
        by_handle = raw_mention("hi", platform="demo", author=Author(platform="demo", handle="ana_l"))
        link = linker.link(by_handle)
        assert link is not None
        assert (link.customer_id, link.method) == (ANA.id, "handle")
        directory.record_feedback(author_keys(by_handle)[0], ANA.id, "reject")
        assert linker.link(by_handle) is None


def test_build_customer_directory_follows_the_store_backend(tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"home": tmp_path})
    sqlite = build_customer_directory(settings, workspace=DEFAULT_WORKSPACE)
    assert isinstance(sqlite, SQLiteCustomerDirectory)
    assert sqlite.path == tmp_path / "earful.db"
    es = settings.model_copy(update={"store": settings.store.model_copy(update={"backend": "elasticsearch"})})
    directory = build_customer_directory(es, workspace=DEFAULT_WORKSPACE)
    assert isinstance(directory, ElasticsearchCustomerDirectory)
    assert directory.index == f"{settings.elasticsearch.index_prefix}-customers"


# --- directories written before workspaces ------------------------------------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD_RECORDS = [CustomerRecord(customer=ANA, order_numbers=("#A12345",)), CustomerRecord(customer=BO)]


def test_a_sqlite_directory_from_before_workspaces_moves_into_default(tmp_path: Path) -> None:
    """Tables written with the frozen pre-workspace DDL, rows as that version wrote them."""
    path = tmp_path / "earful.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "sqlite_customers_v1.sql").read_text(encoding="utf-8"))
    with conn:
        for record in OLD_RECORDS:
            conn.execute(
                "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.customer.code,
                    record.customer.model_dump_json(exclude={"id"}),
                    json.dumps(record.order_numbers),
                    record.fingerprint(),
                ),
            )
            conn.executemany(
                "INSERT INTO customer_keys VALUES (?, ?, ?)",
                [(name, value, record.id) for name, values in record.keys().items() for value in values],
            )
        conn.execute(
            "INSERT INTO customer_link_feedback VALUES ('demo:@bochen', ?, 'reject', NULL, 1)", (BO.id,)
        )
    conn.close()
    with SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.count() == 2
        assert directory.get(ANA.id) == ANA
        assert [c.code for c in directory.by_handle("demo", "ana_l")] == ["C001"]
        assert [c.code for c in directory.by_order_number("A12345")] == ["C001"]
        assert directory.feedback_for(["demo:@bochen"]) == {BO.id: "reject"}
        assert directory.upsert(OLD_RECORDS).unchanged == 2  # the stored fingerprints survived
    with SQLiteCustomerDirectory(path, workspace="acme") as other:
        assert other.count() == 0
        assert other.get(ANA.id) is None
        assert other.by_handle("demo", "ana_l") == []
        assert other.feedback_for(["demo:@bochen"]) == {}
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT DISTINCT workspace FROM customer_keys").fetchall() == [("default",)]
    conn.close()


@pytest.mark.integration
def test_an_elasticsearch_directory_from_before_workspaces_moves_into_default(
    es_client: Elasticsearch, es_prefix: str
) -> None:
    """Indices as that version created them (today's mappings without `workspace` and `_meta`) and
    documents as it wrote them (``_id`` = the customer id, the feedback pair's hash)."""
    old_customers = {k: v for k, v in CUSTOMER_MAPPINGS.items() if k != "_meta"}
    old_customers["properties"] = {
        k: v for k, v in CUSTOMER_MAPPINGS["properties"].items() if k != "workspace"
    }
    old_feedback = {k: v for k, v in FEEDBACK_MAPPINGS.items() if k != "_meta"}
    old_feedback["properties"] = {
        k: v for k, v in FEEDBACK_MAPPINGS["properties"].items() if k != "workspace"
    }
    index, feedback = f"{es_prefix}-customers", f"{es_prefix}-customer-feedback"
    es_client.indices.create(index=index, mappings=old_customers)
    es_client.indices.create(index=feedback, mappings=old_feedback)
    for record in OLD_RECORDS:
        body = ElasticsearchCustomerDirectory._doc(record, record.fingerprint())
        es_client.index(index=index, id=record.id, document=body)
    pair = hashlib.blake2b(f"demo:@bochen\x1f{BO.id}".encode(), digest_size=16).hexdigest()
    verdict = {"author_key": "demo:@bochen", "customer_id": BO.id, "verdict": "reject", "at_us": 1}
    es_client.index(index=feedback, id=pair, document=verdict, refresh=True)
    es_client.indices.refresh(index=index)

    directory = ElasticsearchCustomerDirectory(
        client=es_client, prefix=es_prefix, workspace=DEFAULT_WORKSPACE
    )
    assert directory.count() == 2  # the first call gets the indices ready, moving their documents
    assert directory.get(ANA.id) == ANA
    assert [c.code for c in directory.by_order_number("A12345")] == ["C001"]
    assert directory.feedback_for(["demo:@bochen"]) == {BO.id: "reject"}
    assert directory.upsert(OLD_RECORDS).unchanged == 2
    assert es_client.count(index=index)["count"] == 2  # moved, not copied
    other = ElasticsearchCustomerDirectory(client=es_client, prefix=es_prefix, workspace="acme")
    assert other.count() == 0
    assert other.get(ANA.id) is None
    assert other.by_handle("demo", "ana_l") == []
    assert other.feedback_for(["demo:@bochen"]) == {}


# --- the master file -----------------------------------------------------------------------------
HEADER = (
    "code,name,tier,category,industry,emails,phones,handles,user_ids,birthday,consent_marketing,"
    "consent_profiling,city,country,order_numbers"
)
GOOD = (
    "C001,Ana Lima,gold,consumer,retail,ana.lima@example.com;ana@work.example,+86 138 0013 8000,"
    "demo:@Ana_L;twitter:analima,demo:u1;twitter:9001,1990-04-01,yes,yes,Lisbon,PT,#A12345;7654321"
)
MASTER = "\n".join(
    [
        HEADER,
        GOOD,
        'C002,"Chen, Bo",,,,bo@example.com,,demo:bochen,,,,1,,,',
        "C003,Bad Tier,diamond,,,,,,,,,,,,",
        "C004,Bad Handle,,,,,,twitter,,,,,,,",
        "",
        'C005,"Multi',
        'line",,,,,,,,not-a-date,,,,,',
        "C006,Bad Consent,,,,,,,,,maybe,,,,",
        "C001,Dup,,,,,,,,,,,,,",
        "C007,Too Many,,,,,,,,,,,,,,,extra",
        ",No Code,,,,,,,,,,,,,",
        "C008,Short Row",
    ]
)


@pytest.fixture
def master(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text("\ufeff" + MASTER + "\n", encoding="utf-8")  # with an Excel BOM
    return path


def test_master_file_rows_and_rejections(master: Path) -> None:
    read = read_master_file(master)
    assert [r.customer.code for r in read.records] == ["C001", "C002", "C008"]
    ana = read.records[0]
    assert ana.customer.tier is Tier.gold
    assert ana.customer.birthday is not None
    assert ana.customer.birthday.isoformat() == "1990-04-01"
    assert ana.customer.consent.profiling
    assert ana.customer.consent.marketing
    assert [(h.platform, h.handle, h.user_id) for h in ana.customer.handles] == [
        ("demo", "Ana_L", "u1"),
        ("twitter", "analima", "9001"),
    ]
    assert [c.kind for c in ana.customer.contacts] == ["email", "email", "phone"]
    assert ana.order_numbers == ("#A12345", "7654321")
    assert read.records[1].customer.name == "Chen, Bo"
    assert read.records[1].customer.consent.profiling
    assert not read.records[1].customer.consent.marketing
    reasons = {r.locator: r.reason for r in read.rejected}
    assert list(reasons) == [
        "customers.csv:4",
        "customers.csv:5",
        "customers.csv:7",
        "customers.csv:9",
        "customers.csv:10",
        "customers.csv:11",
        "customers.csv:12",
    ]
    assert "tier" in reasons["customers.csv:4"]
    assert "platform:value" in reasons["customers.csv:5"]
    assert "birthday" in reasons["customers.csv:7"]  # a multi-line record: located where it starts
    assert "consent_marketing" in reasons["customers.csv:9"]
    assert reasons["customers.csv:10"] == "duplicate code 'C001' (first at line 2)"
    assert "17 fields" in reasons["customers.csv:11"]
    assert reasons["customers.csv:12"] == "code is empty"
    assert all(r.source == "customers" and r.raw for r in read.rejected)


def test_bad_files_fail_whole(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,emial\nC1,A,a@b.c\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="emial"):
        read_master_file(bad)
    bad.write_text("name\nA\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="code"):
        read_master_file(bad)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="header"):
        read_master_file(bad)
    with pytest.raises(InvalidInput):
        read_master_file(tmp_path / "missing.csv")


def test_import_is_idempotent(master: Path, tmp_path: Path) -> None:
    with SQLiteCustomerDirectory(tmp_path / "c.db", workspace=DEFAULT_WORKSPACE) as directory:
        first = import_master_file(master, directory)
        assert (first.created, first.updated, first.unchanged, len(first.rejected)) == (3, 0, 0, 7)
        again = import_master_file(master, directory)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert directory.count() == 3
        assert [c.code for c in directory.by_order_number("a12345")] == ["C001"]
        assert [c.code for c in directory.by_handle("demo", "ana_l")] == ["C001"]


# --- the CLI -------------------------------------------------------------------------------------
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def enriched(text: str, n: int, **fields: Any) -> EnrichedMention:
    raw = raw_mention(text, n, platform="demo", published_at=NOW - timedelta(hours=n))
    return EnrichedMention.from_raw(raw, lang="en", **fields)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_import_show_and_feedback(home: Path, master: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(customers_app, ["import", str(master)])
    assert result.exit_code == 1, result.output  # rejected rows: reported, and the exit code says so
    assert "imported 3 customers: 3 new, 0 updated, 0 unchanged; 7 rows rejected" in result.output
    assert "customers.csv:10: duplicate code 'C001' (first at line 2)" in result.output

    link = CustomerLink(customer_id=ANA.id, confidence=0.85, method="handle", evidence=("handle",))
    negative = Sentiment(label=SentimentLabel.negative, score=-0.8, confidence=0.9)
    complaint = (Intent(label=IntentLabel.complaint, confidence=0.9),)
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as store:
        store.upsert(
            [
                enriched("parcel lost again", 0, customer=link, sentiment=negative, intents=complaint),
                enriched(
                    "love the new app", 1, customer=link, sentiment=Sentiment(label=SentimentLabel.positive)
                ),
                enriched("someone else", 2, author=Author(platform="demo", handle="zed")),
            ]
        )
    result = runner.invoke(customers_app, ["show", "c001"])
    assert result.exit_code == 0, result.output
    assert "Ana Lima (C001)  tier gold" in result.output
    assert "linked mentions: 2  sentiment: negative 50%, positive 50%" in result.output
    assert "open cases: 0  open complaints: 0" in result.output  # a complaint counts once on a case
    with SQLiteCaseStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as cases:
        complained = enriched("parcel lost again", 0, customer=link, sentiment=negative, intents=complaint)
        (case_id,) = assign_to_cases([complained], cases, now=complained.published_at).opened
    result = runner.invoke(customers_app, ["show", "c001"])
    assert "open cases: 1  open complaints: 1" in result.output
    assert f"# {case_id}  new" in result.output
    assert "parcel lost again" in result.output
    assert "someone else" not in result.output
    result = runner.invoke(customers_app, ["show", "C001", "--json"])
    assert '"open_complaints"' in result.output
    assert runner.invoke(customers_app, ["show", "NOPE"]).exit_code == 2

    stranger = enriched("someone else", 2, author=Author(platform="demo", handle="zed"))
    result = runner.invoke(customers_app, ["link-feedback", stranger.id, "C002", "confirm"])
    assert result.exit_code == 0, result.output
    assert "confirmed: author demo:@zed is C002" in result.output
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as store:
        relinked = store.get(stranger.id)
        assert relinked is not None
        assert relinked.customer is not None
        assert (relinked.customer.method, relinked.customer.confidence) == ("manual", 1.0)
    with SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.feedback_for(["demo:@zed"]) == {BO.id: "confirm"}
        linker = ScoredLinker(directory, feedback=directory)
        later = raw_mention("again", 9, platform="demo", author=Author(platform="demo", handle="ZED"))
        assert linker.link(later) == CustomerLink(
            customer_id=BO.id, confidence=1.0, method="manual", evidence=("confirmed for demo:@zed",)
        )
    result = runner.invoke(customers_app, ["link-feedback", stranger.id, BO.id, "reject"])
    assert result.exit_code == 0, result.output
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=home / "earful.db") as store:
        unlinked = store.get(stranger.id)
        assert unlinked is not None
        assert unlinked.customer is None
    assert runner.invoke(customers_app, ["link-feedback", "nope", "C001", "confirm"]).exit_code == 2
    assert runner.invoke(customers_app, ["link-feedback", stranger.id, "C001", "maybe"]).exit_code == 2


def test_cli_customers_and_verdicts_stay_in_their_workspace(home: Path, master: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(customers_app, ["import", str(master), "--workspace", "acme"])
    assert "imported 3 customers: 3 new" in result.output
    result = runner.invoke(customers_app, ["show", "C001"])  # the default workspace has none
    assert result.exit_code == 2
    assert "no customer with code 'C001' in workspace 'default'" in result.output
    assert runner.invoke(customers_app, ["show", "C001", "-w", "beta"]).exit_code == 2

    link = CustomerLink(customer_id=ANA.id, confidence=0.85, method="handle", evidence=("handle",))
    with SQLiteMentionStore(workspace="acme", path=home / "earful.db") as store:
        store.upsert([enriched("parcel lost again", 0, customer=link)])
    result = runner.invoke(customers_app, ["show", "C001", "--workspace", "acme", "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    assert (view["customer"]["code"], view["mentions"]) == ("C001", 1)

    stranger = enriched("someone else", 2, author=Author(platform="demo", handle="zed"))
    with SQLiteMentionStore(workspace="acme", path=home / "earful.db") as store:
        store.upsert([stranger])
    # the mention and the customer are acme's: from the default workspace neither exists
    result = runner.invoke(customers_app, ["link-feedback", stranger.id, "C002", "confirm"])
    assert result.exit_code == 2
    result = runner.invoke(customers_app, ["link-feedback", stranger.id, "C002", "confirm", "-w", "acme"])
    assert result.exit_code == 0, result.output
    with SQLiteCustomerDirectory(home / "earful.db", workspace="acme") as directory:
        assert directory.feedback_for(["demo:@zed"]) == {BO.id: "confirm"}
    with SQLiteCustomerDirectory(home / "earful.db", workspace=DEFAULT_WORKSPACE) as directory:
        assert directory.count() == 0
        assert directory.feedback_for(["demo:@zed"]) == {}

    result = runner.invoke(customers_app, ["show", "C001", "--workspace", "Acme"])
    assert isinstance(result.exception, InvalidInput)
