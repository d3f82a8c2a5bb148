"""The index schema as code: rendered templates, mapping coverage, the document shape, migration."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import SchemaError
from core.ids import scoped_doc_id
from core.models import DEFAULT_WORKSPACE, EnrichedMention, SavedSearch, SourceCursor
from core.settings import ElasticsearchSettings
from index import migrate, schema
from index.analysis import analyze, analyze_fast
from index.backends.elasticsearch import ElasticsearchMentionStore
from index.base import MentionFilter, SearchRequest
from index.testing.corpus import enriched_mention, enriched_mentions, every_field_mention, reference_matches
from tests.index.stores import es_test_settings


# --- rendering -----------------------------------------------------------------------------------
def test_checked_in_templates_match_the_code() -> None:
    rendered = schema.rendered_templates()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in schema.TEMPLATES_DIR.glob("*.json")}
    assert on_disk == rendered, "run `python -m index.schema render` (or `earful index render-templates`)"


def test_render_entry_point_writes_the_same_files(tmp_path: Path) -> None:
    assert schema.main(["render", str(tmp_path)]) == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == schema.rendered_templates()
    assert schema.main(["bogus"]) == 2


def test_template_names_and_patterns() -> None:
    body = schema.mentions_template("acme")
    assert body["index_patterns"] == ["acme-mentions-v*"]
    assert body["version"] == schema.SCHEMA_VERSION
    assert body["template"]["mappings"]["_meta"]["schema_version"] == schema.SCHEMA_VERSION
    assert schema.index_name("acme") == f"acme-mentions-v{schema.SCHEMA_VERSION}"
    assert schema.alias_name("acme") == "acme-mentions"
    assert schema.template_name("acme") == "acme-mentions-template"
    with pytest.raises(SchemaError):
        schema.validate_prefix("Bad Prefix")


# --- mapping coverage ----------------------------------------------------------------------------
def _paths(value: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            out.add(path)
            if path != "metadata":  # stored, not indexed (enabled: false)
                out |= _paths(item, path + ".")
    elif isinstance(value, list):
        for item in value:
            out |= _paths(item, prefix)
    return out


def _mapped(properties: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, spec in properties.items():
        out.add(prefix + key)
        out |= _mapped(spec.get("properties", {}), f"{prefix}{key}.")
    return out


def test_mapping_has_every_enriched_mention_field() -> None:
    mapping = schema.mentions_mapping()
    assert mapping["dynamic"] == "strict"
    top = set(EnrichedMention.model_fields) | set(EnrichedMention.model_computed_fields)
    assert top | set(schema.STORAGE_FIELDS) == set(mapping["properties"])
    assert mapping["_source"] == {"excludes": [schema.QL_FIELD]}  # derived: indexed, not stored
    document = schema.document(every_field_mention(), DEFAULT_WORKSPACE)
    assert _paths(document) <= _mapped(mapping["properties"])
    for field in ("terms", "stems", "bigrams"):
        spec = mapping["properties"]["analysis"]["properties"][field]
        assert spec == {"type": "text", "analyzer": "whitespace", "index_options": "positions"}
    for field in ("text", "title"):
        assert mapping["properties"][field] == {"type": "text", "analyzer": "standard"}
    assert mapping["properties"]["metadata"] == {"type": "object", "enabled": False}
    facets = ("id", "platform", "source", "lang", "site", "country", "hashtags", "mentions", "product")
    assert all(mapping["properties"][f]["type"] == "keyword" for f in facets)


# --- documents -----------------------------------------------------------------------------------
def test_document_round_trips() -> None:
    for mention in [every_field_mention(), *enriched_mentions(50, seed=3)]:
        doc_id, text = schema.identified_document_json(mention, DEFAULT_WORKSPACE)
        assert doc_id == mention.id
        source = json.loads(text)
        assert source == schema.document(mention, DEFAULT_WORKSPACE)
        assert schema.mention_from_source(source) == mention
        assert source["id"] == mention.id


def test_analysis_keeps_title_and_text_apart() -> None:
    mention = enriched_mention("x", "机器很好", title="好耳")
    assert schema.analysis_object(mention) == {
        "terms": ["好 耳", "机 器 很 好"],
        "stems": ["好 耳", "机 器 很 好"],
        "bigrams": ["好耳", "机器 器很 很好"],
    }
    assert schema.analysis_object(enriched_mention("y", "Flights delayed"))["stems"] == ["flight delay"]


TRICKY = (
    "", "Don't STOP", "a_b c-d 42x 3.14", "it's  o'clock ''", "   ", "ABC\ndef\tghi", "x" * 300, "über",
    "耳机 ok", "耳\u0301机", "ＡＣＭＥ耳機", "這個耳機的音質很好 Café ＦＬＩＧＨＴ", "ﬁne 耳机", "ß耳机ß",
    "it’s 好的", "a'b’c 你好'世界", "ア イ　ウ", "耳机,音质", "𠀀𠀁 x", "Acme耳机battery很好", "乾隆皇帝",
    "發髮",
)  # fmt: skip


@pytest.mark.parametrize("text", TRICKY)
def test_fast_analysis_equals_analyze(text: str) -> None:
    assert analyze_fast(text) == analyze(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fast_analysis_equals_analyze_on_any_text(text: str) -> None:
    result = analyze_fast(text)
    assert result == analyze(text)
    for stream in (result.terms, result.stems, result.bigrams):  # document_json quotes them unescaped
        assert json.dumps(stream, ensure_ascii=False) == f'"{stream}"'


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_fast_analysis_equals_analyze_on_ascii(text: str) -> None:
    assert analyze_fast(text) == analyze(text)


# Dense in what matters: CJK (Simplified, Traditional, kana, astral), separators, apostrophes, folding.
_MIXED = st.sampled_from([*"耳机機電池电好的很ア　 ,.'’-_aZß\u0301ﬁＡ１𠀀發髮乾后", "\n", "don't"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_MIXED, max_size=40).map("".join))
def test_fast_analysis_equals_analyze_on_mixed_text(text: str) -> None:
    assert analyze_fast(text) == analyze(text)


# --- the client -----------------------------------------------------------------------------------
def test_client_is_built_from_settings() -> None:
    from index.es_client import TRANSPORT_RETRY_STATUSES, build_client

    settings_ = ElasticsearchSettings(
        hosts=["https://es.example:9243"],
        api_key="aWQ6a2V5",
        ca_certs=Path("/etc/ssl/certs/ca-certificates.crt"),
        verify_certs=True,
        request_timeout=7,
        max_retries=2,
    )
    client = build_client(settings_)
    assert client._headers["authorization"] == "ApiKey aWQ6a2V5"
    assert (client._request_timeout, client._retry_on_timeout, client._max_retries) == (7.0, True, 2)
    assert client._retry_on_status == TRANSPORT_RETRY_STATUSES  # 429 is the writer's, with backoff
    node = client.transport.node_pool.all()[0].config
    assert (node.scheme, node.host, node.port) == ("https", "es.example", 9243)
    assert (node.ca_certs, node.verify_certs) == ("/etc/ssl/certs/ca-certificates.crt", True)
    basic = build_client(ElasticsearchSettings(username="elastic", password="secret"))
    assert basic._headers["authorization"].startswith("Basic ")
    client.close()
    basic.close()


def test_nothing_is_built_or_imported_at_import_time() -> None:
    code = (
        "import sys, index.backends.elasticsearch, index.migrate, index.cli.es; "
        "assert 'elasticsearch' not in sys.modules, 'elasticsearch imported at import time'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# --- against Elasticsearch -----------------------------------------------------------------------
@pytest.fixture
def client_and_prefix(es_client: Any, es_prefix: str) -> tuple[Any, str]:
    """A client and a fresh prefix (es_prefix deletes its indices, aliases and templates afterwards)."""
    return es_client, es_prefix


def _make_old_index(client: Any, prefix: str, mentions: list[EnrichedMention], version: int = 0) -> str:
    """An index at an older schema version behind the alias, holding documents without `analysis`
    (as if that version had no pre-analysed fields): searching them needs the migration's re-analysis."""
    schema.put_template(client, prefix)
    name = schema.index_name(prefix, version)
    client.indices.create(
        index=name,
        mappings={"_meta": {"schema_version": version}},
        aliases={schema.alias_name(prefix): {"is_write_index": True}},
    )
    operations: list[Any] = []
    for mention in mentions:
        operations += [{"index": {"_id": mention.id}}, mention.model_dump(mode="json")]
    if operations:
        response = client.bulk(index=name, operations=operations, refresh=True)
        assert not response["errors"]
    return name


@pytest.mark.integration
def test_ensure_ready_creates_everything_once(client_and_prefix: tuple[Any, str]) -> None:
    client, prefix = client_and_prefix
    settings_ = ElasticsearchSettings(number_of_replicas=0)
    assert schema.ensure_ready(client, prefix, settings_) == schema.index_name(prefix)
    assert schema.ensure_ready(client, prefix, settings_) == schema.index_name(prefix)
    assert schema.alias_target(client, prefix) == schema.index_name(prefix)
    assert schema.index_schema_version(client, schema.index_name(prefix)) == schema.SCHEMA_VERSION
    mapping = client.indices.get_mapping(index=schema.index_name(prefix))[schema.index_name(prefix)][
        "mappings"
    ]
    assert mapping["dynamic"] == "strict"
    expected = json.loads(json.dumps(schema.mentions_mapping()).replace(', "index_options": "positions"', ""))
    assert mapping == expected  # the template applied (positions is the default), nothing dynamic added
    assert client.indices.exists(index=schema.state_index_name(prefix))
    report = migrate.migrate(client, prefix, settings_)
    assert report.action == "up_to_date"


@pytest.mark.integration
def test_migrate_moves_alias_and_reanalyses(client_and_prefix: tuple[Any, str], es_url: str) -> None:
    client, prefix = client_and_prefix
    mentions = enriched_mentions(120, seed=11)
    old = _make_old_index(client, prefix, mentions)
    es_settings = es_test_settings(es_url, prefix)
    store = ElasticsearchMentionStore(es_settings, workspace=DEFAULT_WORKSPACE, client=client, prefix=prefix)
    with pytest.raises(SchemaError, match="earful index migrate"):
        store.ensure_ready()
    assert migrate.status(client, prefix)["state"] == "needs_migration"

    dry = migrate.migrate(client, prefix, es_settings.elasticsearch, dry_run=True)
    assert (dry.action, dry.documents, dry.source_index) == ("would_migrate", 120, old)
    assert schema.alias_target(client, prefix) == old
    assert not client.indices.exists(index=schema.index_name(prefix))

    report = migrate.migrate(client, prefix, es_settings.elasticsearch, page_size=50)
    assert report.action == "migrated"
    assert (report.source_index, report.source_version, report.documents) == (old, 0, 120)
    assert schema.alias_target(client, prefix) == schema.index_name(prefix)
    assert client.count(index=schema.index_name(prefix))["count"] == 120
    assert client.indices.exists(index=old)  # kept as a backup, write-blocked
    blocked = client.indices.get_settings(index=old)[old]["settings"]["index"]["blocks"]["write"]
    assert blocked == "true"

    store.ensure_ready()  # now at the code's version
    assert store.count() == 120
    for query in ("battery", "耳机", "電池"):
        expected = {m.id for m in mentions if reference_matches(m, text=query)}
        assert expected
        assert {m.id for m in store.search(SearchRequest(text=query, limit=1000)).hits} == expected
    assert [m.id for m in store.export()] == [
        m.id for m in sorted(mentions, key=lambda m: (m.published_at, m.id))
    ]
    assert store.get(mentions[0].id) == mentions[0]
    status = migrate.status(client, prefix)
    assert status["state"] == "ok"
    assert (status["index"], status["documents"], status["other_indices"]) == (
        schema.index_name(prefix),
        120,
        [old],
    )

    # new writes go to the new index; a second run has nothing to do; the old one can be dropped
    store.upsert([enriched_mention("after-migration", published_at=datetime(2026, 11, 20, tzinfo=UTC))])
    store.refresh()
    assert store.count(MentionFilter(since=datetime(2026, 11, 19, tzinfo=UTC))) == 1
    assert migrate.migrate(client, prefix, es_settings.elasticsearch).action == "up_to_date"


@pytest.mark.integration
def test_migrate_delete_old_and_fresh_cluster(client_and_prefix: tuple[Any, str]) -> None:
    client, prefix = client_and_prefix
    es_settings = ElasticsearchSettings()
    assert migrate.migrate(client, prefix, es_settings, dry_run=True).action == "would_create"
    assert migrate.status(client, prefix)["state"] == "missing"
    old = _make_old_index(client, prefix, enriched_mentions(10, seed=12))
    report = migrate.migrate(client, prefix, es_settings, delete_old=True)
    assert report.old_index_deleted
    assert not client.indices.exists(index=old)
    assert client.count(index=schema.alias_name(prefix))["count"] == 10


@pytest.mark.integration
def test_index_newer_than_code_is_refused(client_and_prefix: tuple[Any, str]) -> None:
    client, prefix = client_and_prefix
    _make_old_index(client, prefix, [], version=schema.SCHEMA_VERSION + 1)
    with pytest.raises(SchemaError, match="newer"):
        schema.ensure_ready(client, prefix, ElasticsearchSettings())
    with pytest.raises(SchemaError):
        migrate.migrate(client, prefix, ElasticsearchSettings())


@pytest.mark.integration
def test_writes_during_migration_wait_for_the_new_index(
    client_and_prefix: tuple[Any, str], es_url: str
) -> None:
    """The old index is write-blocked while copying: a writer gets a retryable error, never a lost write."""
    from core.errors import PartialWriteError
    from index.bulk import BulkWriter

    client, prefix = client_and_prefix
    old = _make_old_index(client, prefix, enriched_mentions(5, seed=13))
    client.indices.put_settings(index=old, settings={"index.blocks.write": True})
    fast = ElasticsearchSettings(max_retries=1, initial_backoff=0.01, max_backoff=0.01)
    with pytest.raises(PartialWriteError) as caught:
        BulkWriter(client, fast, schema.alias_name(prefix), workspace=DEFAULT_WORKSPACE).write(
            [enriched_mention("late")]
        )
    assert caught.value.retryable
    assert caught.value.failures[0]["type"] == "cluster_block_exception"
    client.indices.put_settings(index=old, settings={"index.blocks.write": False})
    assert migrate.migrate(client, prefix, fast).action == "migrated"
    BulkWriter(client, fast, schema.alias_name(prefix), workspace=DEFAULT_WORKSPACE, refresh="true").write(
        [enriched_mention("late")]
    )
    assert client.count(index=schema.alias_name(prefix))["count"] == 6


# --- workspaces: an index of version 3 (before workspaces) -------------------------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _v3_body(name: str) -> dict[str, Any]:
    """A body version 3 provisioned (tests/fixtures holds its rendered templates, frozen)."""
    body: dict[str, Any] = json.loads((FIXTURES / f"es_v3_earful-{name}.json").read_text(encoding="utf-8"))
    return body


def _make_version_3_indices(
    client: Any,
    prefix: str,
    mentions: list[EnrichedMention],
    cursors: list[SourceCursor],
    searches: list[SavedSearch],
) -> str:
    """What version 3 provisioned and wrote: its template, ``v3`` behind the alias, the state and saved
    searches indices, and documents with ``_id`` = the unscoped id and no workspace field."""
    template = _v3_body("mentions-template")
    client.indices.put_index_template(
        name=schema.template_name(prefix),
        index_patterns=[f"{prefix}-mentions-v*"],
        priority=template["priority"],
        version=3,
        template=template["template"],
    )
    old = schema.index_name(prefix, 3)
    client.indices.create(index=old, aliases={schema.alias_name(prefix): {"is_write_index": True}})
    operations: list[Any] = []
    for mention in mentions:
        source = json.loads(schema.document_json(mention, DEFAULT_WORKSPACE))
        del source[schema.WORKSPACE_FIELD]  # a version 3 document is a version 4 one without it
        operations += [{"index": {"_id": mention.id}}, source]
    assert not client.bulk(index=old, operations=operations, refresh=True)["errors"]
    client.indices.create(index=schema.state_index_name(prefix), **_v3_body("state"))
    for cursor in cursors:
        client.index(
            index=schema.state_index_name(prefix), id=cursor.source, document=cursor.model_dump(mode="json")
        )
    client.indices.create(index=schema.saved_searches_index_name(prefix), **_v3_body("saved-searches"))
    for search in searches:
        client.index(
            index=schema.saved_searches_index_name(prefix),
            id=search.id,
            document=search.model_dump(mode="json"),
            refresh=True,
        )
    return old


@pytest.mark.integration
def test_migrate_moves_a_version_3_index_into_the_default_workspace(
    client_and_prefix: tuple[Any, str], es_url: str
) -> None:
    client, prefix = client_and_prefix
    mentions = enriched_mentions(60, seed=21)
    cursor = SourceCursor(source="feed", value="17")
    search = SavedSearch(owner="ann", name="battery", query="battery OR 电池")
    old = _make_version_3_indices(client, prefix, mentions, [cursor], [search])
    es_settings = es_test_settings(es_url, prefix)

    def store(workspace: str) -> ElasticsearchMentionStore:
        return ElasticsearchMentionStore(es_settings, workspace=workspace, client=client, prefix=prefix)

    with pytest.raises(SchemaError, match="earful index migrate"):
        store(DEFAULT_WORKSPACE).ensure_ready()
    dry = migrate.migrate(client, prefix, es_settings.elasticsearch, dry_run=True)
    assert dry.action == "would_migrate"
    assert any("would move the 1 documents" in note for note in dry.notes)

    report = migrate.migrate(client, prefix, es_settings.elasticsearch, page_size=25)
    assert (report.action, report.source_index, report.source_version) == ("migrated", old, 3)
    assert any(f"moved the 1 documents of {schema.state_index_name(prefix)}" in n for n in report.notes)
    default, other = store(DEFAULT_WORKSPACE), store("acme")
    default.ensure_ready()
    assert default.count() == 60
    assert all(default.get(m.id) == m for m in mentions)
    expected = {m.id for m in mentions if reference_matches(m, text="battery")}
    assert {m.id for m in default.search(SearchRequest(text="battery", limit=100)).hits} == expected
    assert list(default.export()) == sorted(mentions, key=lambda m: (m.published_at, m.id))
    assert default.load_cursor("feed") == cursor
    assert default.list_searches() == [search]
    assert default.get_search("ann", "battery") == search
    stored = client.get(index=schema.alias_name(prefix), id=scoped_doc_id(DEFAULT_WORKSPACE, mentions[0].id))
    assert stored["_source"][schema.WORKSPACE_FIELD] == DEFAULT_WORKSPACE

    assert other.count() == 0
    assert other.get(mentions[0].id) is None
    assert other.search(SearchRequest(text="battery")).total == 0
    assert other.load_cursor("feed") is None
    assert other.list_searches() == []
    assert other.get_search("ann", "battery") is None
    assert not other.delete_search("ann", "battery")
    assert other.delete([m.id for m in mentions]) == 0
    other.refresh()
    assert default.count() == 60
    assert migrate.migrate(client, prefix, es_settings.elasticsearch).action == "up_to_date"
    assert migrate.migrate(client, prefix, es_settings.elasticsearch).notes == []  # nothing left to move
