"""What only the embedded SQLite store has: the schema version guard and migrations, lock handling, a
file that outlives the process. The shared store contracts run on it in
tests/contracts/test_mention_store.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import InvalidInput, SchemaError, StoreError, StoreUnavailable, is_retryable
from core.models import DEFAULT_WORKSPACE, EnrichedMention, SavedSearch, SourceCursor, WritePolicy
from core.registry import STORES
from core.settings import Settings, SQLiteSettings
from index.backends.sqlite import SQLiteMentionStore, _prepare
from index.backends.sqlite_schema import FTS_COLUMNS, MENTION_DATA_COLUMNS, SCHEMA_VERSION
from index.base import MentionFilter, SearchRequest, UpsertResult
from index.query import evaluate_query, parse
from index.testing.corpus import (
    chronological,
    enriched_mention,
    enriched_mentions,
    reference_matches,
    reference_terms,
)


def _settings(tmp_path: Path, busy_timeout_ms: int = 5000) -> Settings:
    return Settings(home=tmp_path, sqlite=SQLiteSettings(busy_timeout_ms=busy_timeout_ms))


def test_registered_and_built_from_settings(tmp_path: Path) -> None:
    store = STORES.create("sqlite", _settings(tmp_path), workspace=DEFAULT_WORKSPACE)
    assert isinstance(store, SQLiteMentionStore)
    assert store.path == tmp_path / "earful.db"
    assert not store.path.exists()  # nothing is created before first use
    store.ensure_ready()
    assert store.path.exists()
    assert store.count() == 0
    store.close()


def test_wal_mode_and_busy_timeout(tmp_path: Path) -> None:
    with SQLiteMentionStore(_settings(tmp_path, busy_timeout_ms=1234), workspace=DEFAULT_WORKSPACE) as store:
        store.ensure_ready()
        conn = store._db.connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1234


def test_reopen_keeps_data(tmp_path: Path) -> None:
    mentions = enriched_mentions(20, seed=3)
    path = tmp_path / "sub" / "dir" / "earful.db"
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        store.upsert(mentions)
        store.save_cursor(cursor := SourceCursor(source="s", value="7"))
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        assert store.count() == 20
        assert store.get(mentions[5].id) == mentions[5]
        assert store.load_cursor("s") == cursor
        assert store.upsert(mentions, WritePolicy.create) == UpsertResult(skipped=20)
        assert (
            store.search(SearchRequest(text="the")).total
            == sum(reference_matches(m, text="the") for m in mentions)
            > 0
        )


def _set_version(path: Path, version: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE earful_meta SET value = ? WHERE key = 'schema_version'", (version,))
    conn.close()


@pytest.mark.parametrize("version", [str(SCHEMA_VERSION + 1), "0", "banana"])
def test_schema_version_guard(tmp_path: Path, version: str) -> None:
    path = tmp_path / "earful.db"
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        store.upsert([enriched_mention("a")])
    _set_version(path, version)
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        with pytest.raises(SchemaError) as info:
            store.ensure_ready()
        assert not info.value.retryable
        with pytest.raises(SchemaError):
            store.count()  # every operation refuses, not only ensure_ready
    if version.isdigit() and int(version) > SCHEMA_VERSION:
        assert "newer" in str(info.value)
        assert info.value.details == {"found": int(version), "expected": SCHEMA_VERSION}


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE mentions (x)")
    conn.commit()
    conn.close()
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store, pytest.raises(SchemaError):
        store.ensure_ready()


def test_locked_database_is_retryable(tmp_path: Path) -> None:
    path = tmp_path / "earful.db"
    with SQLiteMentionStore(
        _settings(tmp_path, busy_timeout_ms=50), workspace=DEFAULT_WORKSPACE, path=path
    ) as store:
        store.upsert([enriched_mention("a")])
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(StoreUnavailable) as info:
                store.upsert([enriched_mention("b")])
            assert is_retryable(info.value)
            assert info.value.details["operation"] == "upsert"
            assert "locked" in info.value.details["sqlite_error"]
            assert store.count() == 1  # WAL: readers are not blocked by the writer
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.upsert([enriched_mention("b")]) == UpsertResult(created=1)
        assert store.count() == 2


def test_other_sqlite_errors_are_store_errors(tmp_path: Path) -> None:
    path = tmp_path / "earful.db"
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        store.ensure_ready()
        store._db.connection().execute("DROP TABLE mention_hashtags")
        with pytest.raises(StoreError) as info:
            store.terms("hashtag")
        assert not isinstance(info.value, StoreUnavailable)
        assert not is_retryable(info.value)
        assert "no such table" in info.value.details["sqlite_error"]


def test_failed_batch_writes_nothing(tmp_path: Path) -> None:
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db") as store:
        store.upsert([enriched_mention("a")])
        store._db.connection().execute(
            "CREATE TRIGGER boom BEFORE INSERT ON mention_hashtags WHEN NEW.tag = 'boom' BEGIN "
            "SELECT RAISE(ABORT, 'boom'); END"
        )
        batch = [
            enriched_mention("b"),
            enriched_mention("a", "changed"),
            enriched_mention("c", hashtags=("boom",)),
        ]
        with pytest.raises(StoreError):
            store.upsert(batch)
        assert store.count() == 1
        assert store.get(enriched_mention("a").id) == enriched_mention("a")
        assert store.search(SearchRequest(text="changed")).total == 0


def test_invalid_aggregation_arguments(tmp_path: Path) -> None:
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db") as store:
        with pytest.raises(InvalidInput):
            store.date_histogram(tz="Mars/Olympus")
        with pytest.raises(InvalidInput):
            store.date_histogram(interval="fortnight")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.terms("colour")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            list(store.export(page_size=0))
        assert store.terms("platform", size=0) == []


def test_two_stores_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "earful.db"
    with (
        SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as first,
        SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as second,
    ):
        first.upsert(enriched_mentions(10, seed=1))
        assert second.count() == 10
        assert second.upsert(enriched_mentions(10, seed=1), WritePolicy.if_newer) == UpsertResult(skipped=10)
        second.delete([enriched_mentions(1, seed=1)[0].id])
        assert first.count(MentionFilter()) == 9


@pytest.mark.parametrize(
    ("policy", "expected", "winner"),
    [
        (WritePolicy.overwrite, UpsertResult(created=1, updated=1), "mine"),
        (WritePolicy.create, UpsertResult(created=1, skipped=1), "theirs"),
    ],
)
def test_plan_is_redone_inside_the_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: WritePolicy, expected: UpsertResult, winner: str
) -> None:
    """Another process writes the same mention between the first look and the write transaction."""
    path = tmp_path / "earful.db"
    with (
        SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as mine_store,
        SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as their_store,
    ):
        mine, theirs = enriched_mention("x", "from me"), enriched_mention("x", "from them")
        real_existing = SQLiteMentionStore._existing
        looks: list[int] = []

        def existing(self: SQLiteMentionStore, conn: sqlite3.Connection, ids: list[str]) -> object:
            found = real_existing(self, conn, ids)
            if self is mine_store and not looks:
                looks.append(1)
                their_store.upsert([theirs])
            return found

        monkeypatch.setattr(SQLiteMentionStore, "_existing", existing)
        assert mine_store.upsert([mine, enriched_mention("y")], policy) == expected
        assert mine_store.get(mine.id) == (mine if winner == "mine" else theirs)
        assert mine_store.count() == 2
        assert mine_store.search(SearchRequest(text="from")).total == 1


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_version_2_file(
    path: Path,
    mentions: Sequence[EnrichedMention],
    cursors: Sequence[SourceCursor] = (),
    searches: Sequence[SavedSearch] = (),
) -> None:
    """A database file as version 2 (before workspaces) wrote it: its frozen DDL, and each mention's
    row, FTS streams and side-table values (a version 2 row is a version 3 row without its workspace)."""
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "sqlite_mentions_v2.sql").read_text(encoding="utf-8"))
    columns = ", ".join(("id", *MENTION_DATA_COLUMNS))
    marks = ", ".join("?" * (len(MENTION_DATA_COLUMNS) + 2))
    with conn:
        for rowid, mention in enumerate(mentions, start=1):
            ready = _prepare(DEFAULT_WORKSPACE, mention.id, mention)
            conn.execute(f"INSERT INTO mentions (rowid, {columns}) VALUES ({marks})", (rowid, *ready.row[1:]))
            conn.execute(
                f"INSERT INTO mention_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, *ready.fts),
            )
            conn.executemany("INSERT INTO mention_intents VALUES (?, ?)", [(rowid, i) for i in ready.intents])
            conn.executemany(
                "INSERT INTO mention_hashtags VALUES (?, ?)", [(rowid, t) for t in ready.hashtags]
            )
        conn.executemany(
            "INSERT INTO cursors VALUES (?, ?)", [(c.source, c.model_dump_json()) for c in cursors]
        )
        conn.executemany(
            "INSERT INTO saved_searches VALUES (?, ?, ?)",
            [(s.owner, s.name, s.model_dump_json()) for s in searches],
        )
    conn.close()


def test_version_2_file_moves_into_the_default_workspace(tmp_path: Path) -> None:
    """Every row of a file written before workspaces belongs to `default` once opened; nothing of it is
    visible from another workspace, and the same mentions written there stay separate rows."""
    path = tmp_path / "earful.db"
    mentions = enriched_mentions(40, seed=4)
    cursor = SourceCursor(source="feed", value="42")
    search = SavedSearch(owner="ann", name="battery", query="battery OR 电池")
    write_version_2_file(path, mentions, [cursor], [search])
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        assert store.count() == 40
        assert all(store.get(m.id) == m for m in mentions)
        assert (
            store.search(SearchRequest(text="battery")).total
            == sum(reference_matches(m, text="battery") for m in mentions)
            > 0
        )
        assert {m.id for m in store.search(SearchRequest(query=search.query, limit=100)).hits} == {
            m.id for m in mentions if evaluate_query(parse(search.query), m) is not None
        }
        for field in ("intent", "hashtag", "platform"):
            assert store.terms(field) == reference_terms(mentions, field)
        assert list(store.export()) == chronological(mentions)
        assert store.load_cursor("feed") == cursor
        assert store.list_searches() == [search]
        with SQLiteMentionStore(workspace="acme", path=path) as other:
            assert other.count() == 0
            assert other.get(mentions[0].id) is None
            assert other.search(SearchRequest(text="battery")).total == 0
            assert other.terms("hashtag") == []
            assert other.load_cursor("feed") is None
            assert other.list_searches() == []
            assert other.delete([m.id for m in mentions]) == 0
            assert other.upsert(mentions) == UpsertResult(created=40)
            assert other.count() == 40
        assert store.count() == 40
        assert store.terms("intent") == reference_terms(mentions, "intent")
    conn = sqlite3.connect(path)
    version = conn.execute("SELECT value FROM earful_meta WHERE key = 'schema_version'").fetchone()[0]
    workspaces = conn.execute("SELECT workspace, count(*) FROM mentions GROUP BY workspace").fetchall()
    conn.close()
    assert version == str(SCHEMA_VERSION) == "3"
    assert sorted(workspaces) == [("acme", 40), ("default", 40)]


def test_version_1_file_is_migrated(tmp_path: Path) -> None:
    """A file written before saved searches existed (layout 1) opens, gains the table, keeps its data."""
    path = tmp_path / "earful.db"
    mentions = enriched_mentions(5, seed=4)
    write_version_2_file(path, mentions)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE saved_searches")
    conn.close()
    _set_version(path, "1")
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=path) as store:
        assert store.count() == 5
        search = SavedSearch(owner="ann", name="all", query="NOT nothingatall")
        store.save_search(search)
        assert store.get_search("ann", "all") == search
        assert store.search(SearchRequest(query=search.query)).total == 5
    conn = sqlite3.connect(path)
    version = conn.execute("SELECT value FROM earful_meta WHERE key = 'schema_version'").fetchone()[0]
    conn.close()
    assert version == str(SCHEMA_VERSION)
