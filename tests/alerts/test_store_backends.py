"""What only one backend of the alerting stores has: SQLite's table-set version in the mentions file and
its feed marks in the order of writes, Elasticsearch's indices under the prefix with strict mappings and
its feed's settle time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from alerts.inbox import AlertStatus
from alerts.store import ChangeMark, build_alert_stores
from alerts.store.elasticsearch import FEED_SETTLE, ElasticsearchAlertStore
from alerts.store.sqlite import SCHEMA_VERSION, SQLiteAlertStore, SQLiteRuleStore
from alerts.store_testing import T0, make_alert, make_rule
from core.errors import SchemaError
from core.ids import scoped_doc_id
from core.models import DEFAULT_WORKSPACE, utcnow
from core.settings import ElasticsearchSettings, Settings, StoreSettings
from index.aggregations import to_epoch_micros
from index.backends.elasticsearch import es_datetime
from index.backends.sqlite import SQLiteMentionStore
from index.backends.sqlite_schema import SCHEMA_VERSION as MENTIONS_VERSION
from index.testing.corpus import enriched_mentions


@pytest.mark.parametrize("alerts_first", [True, False])
def test_alert_tables_and_mention_tables_share_one_file_in_either_order(
    tmp_path: Path, alerts_first: bool
) -> None:
    path = tmp_path / "earful.db"
    alerts = SQLiteAlertStore(workspace=DEFAULT_WORKSPACE, path=path)
    mentions = SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path)
    for store in (alerts, mentions) if alerts_first else (mentions, alerts):
        store.ensure_ready()
    mentions.upsert(enriched_mentions(3, seed=1))
    assert alerts.add(make_alert())
    assert mentions.count() == 3
    assert alerts.count() == 1
    with sqlite3.connect(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM earful_meta"))
    assert meta == {"schema_version": str(MENTIONS_VERSION), "alerts_schema_version": str(SCHEMA_VERSION)}
    alerts.close()
    mentions.close()


@pytest.mark.parametrize("found", ["99", "0", "x"])
def test_alert_tables_of_an_unknown_version_are_refused(tmp_path: Path, found: str) -> None:
    path = tmp_path / "earful.db"
    with SQLiteRuleStore(workspace=DEFAULT_WORKSPACE, path=path) as rules:
        rules.save(make_rule(), now=T0)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE earful_meta SET value = ? WHERE key = 'alerts_schema_version'", (found,))
    with SQLiteRuleStore(workspace=DEFAULT_WORKSPACE, path=path) as rules, pytest.raises(SchemaError) as info:
        rules.list()
    assert info.value.details["found"] == found
    if found == "99":
        assert "upgrade Earful" in str(info.value)


@pytest.mark.integration
def test_elasticsearch_indices_are_named_from_the_prefix_with_strict_mappings(
    es_url: str, es_prefix: str, es_client: Elasticsearch, tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path,
        store=StoreSettings(backend="elasticsearch"),
        elasticsearch=ElasticsearchSettings(hosts=[es_url], index_prefix=es_prefix),
    )
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        assert not es_client.indices.exists(index=f"{es_prefix}-alerts")  # nothing before first use
        stores.ensure_ready()
        suffixes = ("alert-rules", "alerts", "alert-outbox", "alert-state")
        names = [f"{es_prefix}-{suffix}" for suffix in suffixes]
        mappings = es_client.indices.get_mapping(index=names).body
        assert set(mappings) == set(names)
        for body in mappings.values():
            assert body["mappings"]["dynamic"] == "strict"
            assert body["mappings"]["properties"]["workspace"] == {"type": "keyword"}
        refresh = es_client.indices.get_settings(index=f"{es_prefix}-alert-outbox").body
        assert refresh[f"{es_prefix}-alert-outbox"]["settings"]["index"]["refresh_interval"] == "200ms"


def test_alert_tables_of_version_1_get_the_feed_marks(tmp_path: Path) -> None:
    """A file written before the feed: its alerts get their fired time as marks, and new changes come
    after them."""
    path = tmp_path / "earful.db"
    old = make_alert("m1")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE earful_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO earful_meta VALUES ('alerts_schema_version', '1')")
        conn.execute(
            "CREATE TABLE alerts (workspace TEXT NOT NULL, id TEXT NOT NULL, rule_id TEXT NOT NULL, "
            "key TEXT NOT NULL, status TEXT NOT NULL, fired_us INTEGER NOT NULL, snoozed_until_us INTEGER, "
            "doc TEXT NOT NULL, PRIMARY KEY (workspace, id)) WITHOUT ROWID"
        )
        conn.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, 'open', ?, NULL, ?)",
            (DEFAULT_WORKSPACE, old.id, old.rule_id, old.key, to_epoch_micros(T0), old.model_dump_json()),
        )
    with SQLiteAlertStore(workspace=DEFAULT_WORKSPACE, path=path) as alerts:
        [before] = alerts.changed_since(None, now=T0)
        assert (before.alert, before.mark.at, before.added.at) == (old, T0, T0)
        fresh = make_alert("m2")
        alerts.add(fresh)
        assert [c.alert.id for c in alerts.changed_since(before.mark, now=T0)] == [fresh.id]
        assert alerts.latest_mark(T0).id == fresh.id
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM earful_meta WHERE key = 'alerts_schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)


def test_sqlite_marks_follow_the_order_of_writes_whatever_the_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marks are past the workspace's latest even when the clock is behind it (set back, or many
    writes in one microsecond)."""
    with SQLiteAlertStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db") as alerts:
        first = make_alert("m0")
        alerts.add(first)
        monkeypatch.setattr("alerts.store.sqlite.utcnow", lambda: T0)  # the clock set back, and stopped
        for i in range(1, 6):
            alerts.add(make_alert(f"m{i}"))
        alerts.ack(first.id, by="ana", at=T0)
        changes = alerts.changed_since(None, now=T0)
    assert [c.alert.id for c in changes] == [make_alert(f"m{i}").id for i in range(1, 6)] + [first.id]
    ats = [c.mark.at for c in changes]
    assert ats == sorted(set(ats))
    assert ats[0] > changes[-1].added.at


@pytest.mark.integration
def test_elasticsearch_feed_holds_back_the_changes_that_have_not_settled(
    es_url: str, es_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path,
        store=StoreSettings(backend="elasticsearch"),
        elasticsearch=ElasticsearchSettings(hosts=[es_url], index_prefix=es_prefix),
    )
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        alert = make_alert()
        stores.alerts.add(alert)
        far = utcnow() + FEED_SETTLE * 10
        [change] = stores.alerts.changed_since(None, now=far)
        assert stores.alerts.changed_since(None, now=change.mark.at) == []  # just made: not settled
        assert stores.alerts.changed_since(None, now=change.mark.at + FEED_SETTLE) == [change]
        assert stores.alerts.latest_mark(far) == ChangeMark(at=far - FEED_SETTLE)


@pytest.mark.integration
def test_an_elasticsearch_alerts_index_of_an_older_earful_gets_the_feed_fields(
    es_url: str, es_prefix: str, es_client: Elasticsearch, tmp_path: Path
) -> None:
    settings = Settings(
        home=tmp_path,
        store=StoreSettings(backend="elasticsearch"),
        elasticsearch=ElasticsearchSettings(hosts=[es_url], index_prefix=es_prefix),
    )
    index = f"{es_prefix}-alerts"
    old_mappings = ElasticsearchAlertStore.mappings | {
        "properties": {
            k: v
            for k, v in ElasticsearchAlertStore.mappings["properties"].items()
            if k not in ("added_at", "changed_at")
        }
    }
    es_client.indices.create(index=index, mappings=old_mappings)
    old = make_alert("m1")
    es_client.index(
        index=index,
        id=scoped_doc_id(DEFAULT_WORKSPACE, old.id),
        document={
            "workspace": DEFAULT_WORKSPACE,
            "id": old.id,
            "rule_id": old.rule_id,
            "key": old.key,
            "status": "open",
            "fired_at": es_datetime(old.fired_at),
            "snoozed_until": None,
            "doc": old.model_dump(mode="json"),
        },
        refresh=True,
    )
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        stores.ensure_ready()
        properties = es_client.indices.get_mapping(index=index).body[index]["mappings"]["properties"]
        assert properties["changed_at"] == {"type": "date_nanos"}
        far = utcnow() + FEED_SETTLE * 10
        assert stores.alerts.changed_since(None, now=far) == []  # stored before the feed
        stores.alerts.ack(old.id, by="ana", at=T0)
        [change] = stores.alerts.changed_since(None, now=far)
        assert change.alert.status is AlertStatus.acknowledged
        assert change.added.at == T0  # its fired time stands for when it was added
