"""The connection plumbing every SQLite store shares (mentions, alerting): a database file in WAL mode,
a connection per thread, a prepare step (the store's schema) run once, SQLite errors translated into the
error tree, and the transaction and write-lock helpers.

Concurrency: each thread gets its own connection (WAL readers never wait for the writer); writers in
this process queue on `write_lock`, writers in other processes wait up to ``busy_timeout`` and then get
StoreUnavailable (retryable).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from core.errors import StoreError, StoreUnavailable
from core.models import check_workspace
from core.settings import Settings, get_settings

Prepare = Callable[[sqlite3.Connection], None]


def translate(exc: sqlite3.Error, operation: str, path: Path) -> StoreError:
    """The Earful error for a SQLite error: busy or locked -> StoreUnavailable, anything else StoreError."""
    message = str(exc)
    details = {
        "operation": operation,
        "path": str(path),
        "sqlite_error": message,
        "sqlite_code": getattr(exc, "sqlite_errorname", None),
    }
    lowered = message.lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in lowered or "busy" in lowered):
        return StoreUnavailable(
            f"SQLite store is busy ({message}) during {operation}; retry", details=details
        )
    return StoreError(f"SQLite store failed during {operation}: {message}", details=details)


class SQLiteDatabase:
    """One database file seen by one store: connections per thread, opened on first use (then the
    file, its directory and, through `prepare`, the store's tables are created)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int, prepare: Prepare) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._prepare = prepare
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()  # protects _connections and _ready
        # in-process writers queue here instead of spinning on SQLITE_BUSY
        self.write_lock = threading.Lock()
        self._ready = False

    @classmethod
    def configured(cls, settings: Settings, prepare: Prepare, path: Path | None = None) -> SQLiteDatabase:
        """The configured database file (`Settings.sqlite_path`), or `path`, with its busy timeout."""
        return cls(
            Path(path) if path is not None else settings.sqlite_path,
            busy_timeout_ms=settings.sqlite.busy_timeout_ms,
            prepare=prepare,
        )

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(
                f"could not switch {self.path} to WAL mode (got {mode!r})", details={"path": str(self.path)}
            )
        # with WAL: durable except for the last commits on power loss
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, the tables prepared."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            with self._guard:
                self._connections.append(conn)
            self._local.conn = conn
        if not self._ready:
            with self._guard:
                if not self._ready:
                    self._prepare(conn)
                    self._ready = True
        return conn

    @contextmanager
    def session(self, operation: str) -> Iterator[sqlite3.Connection]:
        """A connection for this thread; SQLite errors come out as StoreError/StoreUnavailable."""
        try:
            yield self.connection()
        except sqlite3.Error as exc:
            raise translate(exc, operation, self.path) from exc

    @staticmethod
    @contextmanager
    def transaction(conn: sqlite3.Connection, mode: str = "DEFERRED") -> Iterator[None]:
        conn.execute(f"BEGIN {mode}")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def writing(self, operation: str) -> Iterator[sqlite3.Connection]:
        """A session holding the write lock, in an IMMEDIATE transaction: a read-modify-write."""
        with self.session(operation) as conn, self.write_lock, self.transaction(conn, "IMMEDIATE"):
            yield conn

    def close(self) -> None:
        with self._guard:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for conn in connections:
            conn.close()


class ScopedSQLite:
    """Base of the workspace-scoped SQLite stores (mentions, alerting): ``(settings, workspace=)`` or
    ``(settings, workspace=, path=)``; the workspace is checked once, the database (`_db`) is the
    configured file or `path`, and nothing is opened before first use. A subclass implements
    `_prepare`: create, migrate or check its tables on a fresh connection."""

    def __init__(self, settings: Settings | None = None, *, workspace: str, path: Path | None = None) -> None:
        self._workspace = check_workspace(workspace)
        self._db = SQLiteDatabase.configured(settings or get_settings(), self._prepare, path)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        raise NotImplementedError

    @property
    def workspace(self) -> str:
        """The workspace this store reads and writes; fixed when it was built."""
        return self._workspace

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def busy_timeout_ms(self) -> int:
        return self._db.busy_timeout_ms

    def ensure_ready(self) -> None:
        with self._db.session("ensure_ready"):
            pass

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
