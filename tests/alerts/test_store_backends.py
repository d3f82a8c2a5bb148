"""What only one backend of the alerting stores has: SQLite's table-set version in the mentions file,
Elasticsearch's indices under the prefix with strict mappings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from alerts.store import build_alert_stores
from alerts.store.sqlite import SCHEMA_VERSION, SQLiteAlertStore, SQLiteRuleStore
from alerts.store_testing import T0, make_alert, make_rule
from core.errors import SchemaError
from core.models import DEFAULT_WORKSPACE
from core.settings import ElasticsearchSettings, Settings, StoreSettings
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
