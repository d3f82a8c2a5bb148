"""The SQLite store's tables, and the version guard that refuses a layout this code does not know.

Layout (version 2; version 1 lacked ``saved_searches`` and is migrated in place when opened):
- ``mentions``: the JSON document plus the scalar columns filters, sorts and facets read; ``rowid`` is
  an integer alias that the side tables and the FTS table share;
- ``mention_intents`` / ``mention_hashtags``: one row per distinct value of a multi-valued field;
- ``mention_fts``: FTS5 over the streams of :func:`index.analysis.analyze` (title and text kept in
  separate columns so a phrase never spans them). The streams are already normalised and space-joined,
  so the tokenizer only has to split on spaces: FTS5's ``ascii`` tokenizer does exactly that (every
  non-ASCII character is a token character), where ``unicode61`` would re-split some characters the
  analysis keeps (e.g. the katakana middle dot) and shift positions. It keeps its own copy of the
  streams (a regular, not contentless, table): SQLite < 3.43 has no ``contentless_delete``, and
  deleting from a contentless table would need the old streams re-analysed;
- ``cursors``: source cursors; ``saved_searches``: named queries per owner (the JSON of
  `core.models.SavedSearch`); ``earful_meta``: the schema version.
"""

from __future__ import annotations

import sqlite3

from core.errors import SchemaError

SCHEMA_VERSION = 2

# bm25 weights, in FTS column order: a word in the title counts twice as much as one in the text.
FTS_COLUMNS = ("title_terms", "title_stems", "text_terms", "text_stems", "bigrams")
BM25_WEIGHTS = (2.0, 2.0, 1.0, 1.0, 0.5)

_SAVED_SEARCHES = (
    "CREATE TABLE IF NOT EXISTS saved_searches (owner TEXT NOT NULL, name TEXT NOT NULL, "
    "doc TEXT NOT NULL, PRIMARY KEY (owner, name)) WITHOUT ROWID"
)
_DDL = f"""
CREATE TABLE IF NOT EXISTS earful_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
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
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_published ON mentions (published_us, id);
CREATE INDEX IF NOT EXISTS mentions_platform ON mentions (platform);
CREATE INDEX IF NOT EXISTS mentions_source ON mentions (source);
CREATE INDEX IF NOT EXISTS mentions_lang ON mentions (lang);
CREATE INDEX IF NOT EXISTS mentions_sentiment ON mentions (sentiment);
CREATE INDEX IF NOT EXISTS mentions_customer ON mentions (customer_id);
CREATE INDEX IF NOT EXISTS mentions_site ON mentions (site);
CREATE INDEX IF NOT EXISTS mentions_author ON mentions (author);
CREATE INDEX IF NOT EXISTS mentions_country ON mentions (country);
CREATE TABLE IF NOT EXISTS mention_intents (
    mention INTEGER NOT NULL, intent TEXT NOT NULL, PRIMARY KEY (mention, intent)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_intents_value ON mention_intents (intent, mention);
CREATE TABLE IF NOT EXISTS mention_hashtags (
    mention INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (mention, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_hashtags_value ON mention_hashtags (tag, mention);
CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5({", ".join(FTS_COLUMNS)}, tokenize='ascii');
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, doc TEXT NOT NULL);
{_SAVED_SEARCHES};
"""
# version -> the statements that turn that layout into the next version's. Additive only: a migration
# never rewrites mentions, so opening an old file is instant.
_MIGRATIONS: dict[int, tuple[str, ...]] = {1: (_SAVED_SEARCHES,)}


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
            for statement in filter(None, (part.strip() for part in _DDL.split(";"))):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO earful_meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
