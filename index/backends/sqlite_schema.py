"""The SQLite store's tables, and the version guard that refuses a layout this code does not know.

Layout (version 3; older files are migrated in place when opened: version 1 lacked ``saved_searches``,
version 2 lacked workspaces and its rows all go to the ``default`` workspace):
- ``mentions``: the workspace, the JSON document plus the scalar columns filters, sorts and facets
  read; the key is ``(workspace, id)``, so the same mention in two workspaces is two rows. ``rowid`` is
  an integer alias, unique across workspaces, that the side tables and the FTS table share;
- ``mention_intents`` / ``mention_hashtags``: one row per distinct value of a multi-valued field;
- ``mention_fts``: FTS5 over the streams of :func:`index.analysis.analyze` (title and text kept in
  separate columns so a phrase never spans them). The streams are already normalised and space-joined,
  so the tokenizer only has to split on spaces: FTS5's ``ascii`` tokenizer does exactly that (every
  non-ASCII character is a token character), where ``unicode61`` would re-split some characters the
  analysis keeps (e.g. the katakana middle dot) and shift positions. It keeps its own copy of the
  streams (a regular, not contentless, table): SQLite < 3.43 has no ``contentless_delete``, and
  deleting from a contentless table would need the old streams re-analysed;
- ``cursors``: source cursors, keyed ``(workspace, source)``; ``saved_searches``: named queries per
  owner (the JSON of `core.models.SavedSearch`), keyed ``(workspace, owner, name)``; ``earful_meta``:
  the schema version.
"""

from __future__ import annotations

import sqlite3

from core.errors import SchemaError
from core.models import DEFAULT_WORKSPACE

SCHEMA_VERSION = 3

# bm25 weights, in FTS column order: a word in the title counts twice as much as one in the text.
FTS_COLUMNS = ("title_terms", "title_stems", "text_terms", "text_stems", "bigrams")
BM25_WEIGHTS = (2.0, 2.0, 1.0, 1.0, 0.5)

# Mention columns other than rowid, workspace and id: what the version 2 -> 3 rebuild copies as is.
MENTION_DATA_COLUMNS = (
    "published_us",
    "enriched_us",
    "collected_us",
    "platform",
    "source",
    "lang",
    "sentiment",
    "customer_id",
    "site",
    "author",
    "country",
    "doc",
)


def _mentions_table(name: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {name} (
    rowid INTEGER PRIMARY KEY,
    workspace TEXT NOT NULL,
    id TEXT NOT NULL,
    published_us INTEGER NOT NULL,
    enriched_us INTEGER NOT NULL,
    collected_us INTEGER NOT NULL,
    platform TEXT NOT NULL,
    source TEXT NOT NULL,
    lang TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    customer_id TEXT,
    site TEXT,
    author TEXT,
    country TEXT,
    doc TEXT NOT NULL,
    UNIQUE (workspace, id)
)"""


# Every lookup is within one workspace, so every index leads with it; (workspace, published_us, id) is
# also the keyset of `export`.
_MENTION_INDEXES = tuple(
    f"CREATE INDEX IF NOT EXISTS mentions_{name} ON mentions (workspace, {columns})"
    for name, columns in (
        ("published", "published_us, id"),
        ("platform", "platform"),
        ("source", "source"),
        ("lang", "lang"),
        ("sentiment", "sentiment"),
        ("customer", "customer_id"),
        ("site", "site"),
        ("author", "author"),
        ("country", "country"),
    )
)


def _cursors_table(name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (workspace TEXT NOT NULL, source TEXT NOT NULL, "
        "doc TEXT NOT NULL, PRIMARY KEY (workspace, source)) WITHOUT ROWID"
    )


def _saved_searches_table(name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (workspace TEXT NOT NULL, owner TEXT NOT NULL, "
        "name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workspace, owner, name)) WITHOUT ROWID"
    )


_DDL = (
    "CREATE TABLE IF NOT EXISTS earful_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    _mentions_table("mentions"),
    *_MENTION_INDEXES,
    "CREATE TABLE IF NOT EXISTS mention_intents (mention INTEGER NOT NULL, intent TEXT NOT NULL, "
    "PRIMARY KEY (mention, intent)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS mention_intents_value ON mention_intents (intent, mention)",
    "CREATE TABLE IF NOT EXISTS mention_hashtags (mention INTEGER NOT NULL, tag TEXT NOT NULL, "
    "PRIMARY KEY (mention, tag)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS mention_hashtags_value ON mention_hashtags (tag, mention)",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5({', '.join(FTS_COLUMNS)}, tokenize='ascii')",
    _cursors_table("cursors"),
    _saved_searches_table("saved_searches"),
)


def rebuild_table(table: str, create: str, copy: str, indexes: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A table rebuild (SQLite cannot change a primary key in place): create ``<table>_new``, fill it
    with `copy` (an ``INSERT ... SELECT`` from `table`), drop the old table (its indexes go with it),
    rename the new one and index it."""
    return (create, copy, f"DROP TABLE {table}", f"ALTER TABLE {table}_new RENAME TO {table}", *indexes)


def _v2_to_v3() -> tuple[str, ...]:
    """Version 3 adds workspaces: every row of a version 2 file belongs to the default workspace. The
    mentions keep their rowids, so the side tables and the FTS table stay as they are."""
    data = ", ".join(MENTION_DATA_COLUMNS)
    return (
        *rebuild_table(
            "mentions",
            _mentions_table("mentions_new"),
            f"INSERT INTO mentions_new (rowid, workspace, id, {data}) "
            f"SELECT rowid, '{DEFAULT_WORKSPACE}', id, {data} FROM mentions",
            _MENTION_INDEXES,
        ),
        *rebuild_table(
            "cursors",
            _cursors_table("cursors_new"),
            f"INSERT INTO cursors_new SELECT '{DEFAULT_WORKSPACE}', source, doc FROM cursors",
        ),
        *rebuild_table(
            "saved_searches",
            _saved_searches_table("saved_searches_new"),
            f"INSERT INTO saved_searches_new SELECT '{DEFAULT_WORKSPACE}', owner, name, doc "
            "FROM saved_searches",
        ),
    )


# version -> the statements that turn that layout into the next version's. Version 1 -> 2 is additive;
# 2 -> 3 rewrites each table once (seconds per million mentions), in the transaction that opens the file.
# A step's statements must produce that step's layout: when a later version changes a table, freeze
# the text the older steps use instead of sharing the new one.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS saved_searches (owner TEXT NOT NULL, name TEXT NOT NULL, "
        "doc TEXT NOT NULL, PRIMARY KEY (owner, name)) WITHOUT ROWID",
    ),
    2: _v2_to_v3(),
}


def stored_version(conn: sqlite3.Connection) -> int | None:
    """The schema version recorded in the file; None for a file without Earful tables."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "earful_meta" not in tables:
        if "mentions" in tables:
            raise SchemaError(
                "the database has a 'mentions' table but no schema version: not an Earful store?"
            )
        return None
    row = conn.execute("SELECT value FROM earful_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    try:
        return int(row[0])
    except ValueError as exc:
        raise SchemaError(f"unreadable schema version {row[0]!r}", details={"version": row[0]}) from exc


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables of a new database, migrate one of a known older version (see `_MIGRATIONS`), or
    check that an existing one has this code's layout.

    Runs in one IMMEDIATE transaction so two processes opening a new file at once do not race."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn)
        if version is not None and version in _MIGRATIONS and version < SCHEMA_VERSION:
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version]:
                    conn.execute(statement)
                version += 1
            conn.execute(
                "UPDATE earful_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )
        elif version is not None and version != SCHEMA_VERSION:
            newer = version > SCHEMA_VERSION
            raise SchemaError(
                f"database schema version {version} is {'newer than' if newer else 'unknown to'} this Earful "
                f"(which reads version {SCHEMA_VERSION}); "
                + ("upgrade Earful" if newer else "export and re-import the mentions"),
                details={"found": version, "expected": SCHEMA_VERSION},
            )
        if version is None:
            # statement by statement: executescript() would COMMIT the open transaction first
            for statement in _DDL:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO earful_meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def ensure_table_set(
    conn: sqlite3.Connection,
    *,
    name: str,
    version: int,
    ddl: tuple[str, ...],
    migrations: dict[int, tuple[str, ...]],
) -> None:
    """Create, migrate or check a set of tables that keeps its own version in ``earful_meta`` (row
    ``<name>_schema_version``), independently of the mention tables and of the other sets in the file:
    e.g. the alerting stores' tables (``alerts.store.sqlite``). `migrations` maps a version to the
    statements that turn its layout into the next one's, like `_MIGRATIONS`; a version this code does
    not know, or a newer one, is a SchemaError. One IMMEDIATE transaction, as `ensure_schema`."""
    key = f"{name}_schema_version"
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS earful_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM earful_meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            for statement in ddl:
                conn.execute(statement)
            conn.execute("INSERT INTO earful_meta (key, value) VALUES (?, ?)", (key, str(version)))
        else:
            found = int(row[0]) if str(row[0]).isdigit() else -1
            if found > version or (found < version and found not in migrations):
                newer = found > version
                raise SchemaError(
                    f"the {name} tables have schema version {row[0]}, "
                    f"{'newer than' if newer else 'unknown to'} this Earful (which reads version {version})"
                    + ("; upgrade Earful" if newer else ""),
                    details={"tables": name, "found": row[0], "expected": version},
                )
            while found < version:
                for statement in migrations[found]:
                    conn.execute(statement)
                found += 1
            conn.execute("UPDATE earful_meta SET value = ? WHERE key = ?", (str(version), key))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
