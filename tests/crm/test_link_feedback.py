"""A person's verdict on a link (crm/link_feedback.py): recorded with who and when so the linker learns,
and applied to the stored mention at once; directories written before verdicts kept who gave them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from core.errors import InvalidInput, NotFound
from core.models import DEFAULT_WORKSPACE, Author, CustomerLink, EnrichedMention, RawMention
from crm.customers import (
    CUSTOMER_MAPPINGS,
    FEEDBACK_MAPPINGS,
    CustomerRecord,
    ElasticsearchCustomerDirectory,
    SQLiteCustomerDirectory,
)
from crm.link_feedback import judge_link, verdict_at, verdicts_by_mention
from crm.testing import ANA, BO
from index.backends.sqlite import SQLiteMentionStore
from nlp.linking.linker import ScoredLinker
from nlp.testing import raw_mention

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def mention(n: int, handle: str, link: CustomerLink | None = None) -> EnrichedMention:
    raw = RawMention(
        platform="demo",
        native_id=f"m{n}",
        source="test",
        text=f"mention {n}",
        published_at=NOW - timedelta(hours=n),
        author=Author(platform="demo", handle=handle),
    )
    return EnrichedMention.from_raw(raw, lang="en", customer=link)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLiteCustomerDirectory, SQLiteMentionStore]]:
    path = tmp_path / "earful.db"
    with (
        SQLiteMentionStore(path=path, workspace=DEFAULT_WORKSPACE) as store,
        SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory,
    ):
        directory.upsert([CustomerRecord(customer=ANA), CustomerRecord(customer=BO)])
        yield directory, store


def test_a_confirm_links_the_mention_and_teaches_the_linker(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore],
) -> None:
    directory, store = stores
    stranger = mention(1, "zed")
    store.upsert([stranger])
    before = datetime.now(UTC)

    judged = judge_link(directory, store, mention_id=stranger.id, customer=BO, verdict="confirm", by="li.wei")

    assert (judged.verdict, judged.author_key, judged.by, judged.changed) == (
        "confirm",
        "demo:@zed",
        "li.wei",
        True,
    )
    assert (judged.customer_id, judged.customer_code, judged.mention_id) == (BO.id, "C002", stranger.id)
    assert before - timedelta(seconds=1) <= judged.at <= datetime.now(UTC)
    manual = CustomerLink(
        customer_id=BO.id, confidence=1.0, method="manual", evidence=("confirmed for demo:@zed",)
    )
    assert judged.link == manual
    stored = store.get(stranger.id)
    assert stored is not None
    assert stored.customer == manual
    (verdict,) = directory.feedback_of(BO.id)
    assert (verdict.verdict, verdict.by, verdict.mention_id, verdict_at(verdict)) == (
        "confirm",
        "li.wei",
        stranger.id,
        judged.at,
    )
    assert verdicts_by_mention(directory, BO.id) == {stranger.id: verdict}
    later = raw_mention("again", 9, platform="demo", author=Author(platform="demo", handle="ZED"))
    assert ScoredLinker(directory, feedback=directory).link(later) == manual  # the linker learnt


def test_a_reject_unlinks_the_mention_and_the_author_for_good(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore],
) -> None:
    directory, store = stores
    handle = CustomerLink(customer_id=ANA.id, confidence=0.85, method="handle", evidence=("handle",))
    linked = mention(2, "ana_l", handle)
    store.upsert([linked])

    judged = judge_link(directory, store, mention_id=linked.id, customer=ANA, verdict="reject", by="amy")

    assert (judged.verdict, judged.link, judged.changed) == ("reject", None, True)
    stored = store.get(linked.id)
    assert stored is not None
    assert stored.customer is None
    assert directory.feedback_for(["demo:@ana_l"]) == {ANA.id: "reject"}
    again = raw_mention("hello", 3, platform="demo", author=Author(platform="demo", handle="ana_l"))
    assert ScoredLinker(directory, feedback=directory).link(again) is None
    # rejecting another customer leaves this mention's link alone; the newest verdict is the one kept
    relinked = judge_link(directory, store, mention_id=linked.id, customer=ANA, verdict="confirm")
    assert relinked.changed
    other = judge_link(directory, store, mention_id=linked.id, customer=BO, verdict="reject", by="amy")
    assert (other.changed, other.link) == (False, relinked.link)
    assert [(v.verdict, v.by) for v in directory.feedback_of(ANA.id)] == [("confirm", None)]


def test_unknown_mentions_verdicts_and_workspaces_are_refused(
    stores: tuple[SQLiteCustomerDirectory, SQLiteMentionStore], tmp_path: Path
) -> None:
    directory, store = stores
    with pytest.raises(NotFound):
        judge_link(directory, store, mention_id="nope", customer=ANA, verdict="confirm")
    store.upsert([mention(1, "zed")])
    with pytest.raises(InvalidInput):
        judge_link(directory, store, mention_id=mention(1, "zed").id, customer=ANA, verdict="maybe")
    with (
        SQLiteMentionStore(path=tmp_path / "earful.db", workspace="tenant-b") as other,
        pytest.raises(InvalidInput, match="different workspaces"),
    ):
        judge_link(directory, other, mention_id=mention(1, "zed").id, customer=ANA, verdict="confirm")
    assert directory.feedback_of(ANA.id) == []


# --- directories from before verdicts kept who gave them --------------------------------------
def test_a_sqlite_feedback_table_without_judged_by_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "earful.db"
    with SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert([ANA])
    conn = sqlite3.connect(path)
    with conn:  # the table as the version before it wrote it, with one verdict
        conn.execute("DROP TABLE customer_link_feedback")
        conn.execute(
            "CREATE TABLE customer_link_feedback (workspace TEXT NOT NULL, author_key TEXT NOT NULL, "
            "customer_id TEXT NOT NULL, verdict TEXT NOT NULL, mention_id TEXT, at_us INTEGER NOT NULL, "
            "PRIMARY KEY (workspace, author_key, customer_id))"
        )
        conn.execute(
            "INSERT INTO customer_link_feedback VALUES ('default', 'demo:@x', ?, 'reject', 'm1', 1)",
            (ANA.id,),
        )
    conn.close()
    with SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory:
        directory.record_feedback("demo:@y", ANA.id, "confirm", by="li.wei")
        assert [(v.author_key, v.by) for v in directory.feedback_of(ANA.id)] == [
            ("demo:@x", None),
            ("demo:@y", "li.wei"),
        ]
    with SQLiteCustomerDirectory(path, workspace=DEFAULT_WORKSPACE) as directory:  # opened again: as is
        assert len(directory.feedback_of(ANA.id)) == 2


@pytest.mark.integration
def test_an_elasticsearch_feedback_index_without_by_gets_the_field(
    es_client: Elasticsearch, es_prefix: str
) -> None:
    old_feedback = {**FEEDBACK_MAPPINGS, "properties": dict(FEEDBACK_MAPPINGS["properties"])}
    del old_feedback["properties"]["by"]
    es_client.indices.create(index=f"{es_prefix}-customers", mappings=CUSTOMER_MAPPINGS)
    es_client.indices.create(index=f"{es_prefix}-customer-feedback", mappings=old_feedback)
    directory = ElasticsearchCustomerDirectory(
        client=es_client, prefix=es_prefix, workspace=DEFAULT_WORKSPACE
    )
    es_client.index(  # a verdict as the version before wrote it
        index=directory.feedback_index,
        id=directory._pair_id("demo:@x", ANA.id),
        document={
            "workspace": DEFAULT_WORKSPACE,
            "author_key": "demo:@x",
            "customer_id": ANA.id,
            "verdict": "reject",
            "mention_id": None,
            "at_us": 1,
        },
        refresh=True,
    )

    directory.record_feedback("demo:@y", ANA.id, "confirm", "m2", by="li.wei")  # strict: needs the field
    assert [(v.author_key, v.by) for v in directory.feedback_of(ANA.id)] == [
        ("demo:@x", None),
        ("demo:@y", "li.wei"),
    ]
