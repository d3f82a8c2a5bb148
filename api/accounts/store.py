"""The account store of the HTTP API: users, memberships, API keys, browser sessions and failed logins,
in one SQLite file (`Settings.accounts_path`) whatever the mention store is.

- Passwords: argon2id (cost: `settings.api.password_time_cost`, `password_memory_kib`). A login for an
  unknown name is checked against a dummy hash so that its time does not tell which names exist; a
  hash made with other parameters is replaced on the next successful login.
- API keys: the secret (``ek_`` + 32 random bytes, url-safe) is returned once by `create_key`; the store
  keeps its SHA-256 and its first characters (`prefix`) to recognise it in lists. A key is found by the
  hash of what the client sent, so no stored secret is ever compared character by character.
- Sessions: the id (the cookie's value) is random and stored as its SHA-256, so a copy of the file
  does not hold usable cookies; each session has its CSRF token. Expired sessions, sessions of a
  disabled user and sessions ended by logout or a password change are gone.
- Failed logins: one row each (user name, address, time), counted over a window by the login
  throttle; rows older than the retention are pruned as new ones come.

Concurrency as every SQLite store of Earful (`index.backends.sqlite_db.SQLiteDatabase`): a connection
per thread, WAL, writers queued on one lock.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Self

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.accounts.models import ApiKey, Membership, NewApiKey, Role, User
from core.errors import Conflict, InvalidInput, NotFound, SchemaError
from core.models import check_workspace, utcnow
from core.settings import Settings, get_settings
from index.backends.sqlite_db import SQLiteDatabase

SCHEMA_VERSION: Final = 1
USERNAME_PATTERN: Final = r"^[a-z0-9._-]{1,64}$"
_USERNAME = re.compile(USERNAME_PATTERN)
MIN_PASSWORD_CHARS: Final = 8
MAX_PASSWORD_CHARS: Final = 1024  # argon2 hashes anything, but a megabyte password is an attack
LANGUAGES: Final = ("en", "zh")
KEY_PREFIX: Final = "ek_"
KEY_PREFIX_CHARS: Final = 10  # what lists show of a secret: "ek_" and 7 random characters
LAST_USED_EVERY: Final = 60.0  # seconds: a busy key does not write on every request
FAILURE_RETENTION: Final = 86400.0  # seconds a failed login is kept at least

_Row = dict[str, Any]

_TABLES = (
    """CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email TEXT,
    language TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created_at REAL NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS memberships (
    username TEXT NOT NULL,
    workspace TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (username, workspace)
)""",
    "CREATE INDEX IF NOT EXISTS memberships_workspace ON memberships (workspace)",
    """CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    workspace TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT,
    created_at REAL NOT NULL,
    last_used_at REAL,
    revoked_at REAL
)""",
    """CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username)",
    """CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT,
    address TEXT,
    at REAL NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS login_failures_username ON login_failures (username, at)",
    "CREATE INDEX IF NOT EXISTS login_failures_address ON login_failures (address, at)",
)


class SessionRow(BaseModel):
    """A live browser session as stored (never its id: only its hash is kept)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    csrf_token: str
    created_at: AwareDatetime
    expires_at: AwareDatetime


def check_username(username: str) -> str:
    """The user name itself, or InvalidInput: 1-64 of lower-case letters, digits, '.', '_' and '-'."""
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise InvalidInput(
            f"invalid user name {username!r}: 1-64 of lower-case letters, digits, '.', '_' and '-'",
            details={"username": repr(username)},
        )
    return username


def check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
            details={"min": MIN_PASSWORD_CHARS, "max": MAX_PASSWORD_CHARS},
        )
    return password


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    return language


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _epoch(at: datetime) -> float:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("datetime must be timezone-aware")
    return at.timestamp()


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class AccountStore:
    """Users, memberships, API keys, sessions and failed logins of the HTTP API (one SQLite file)."""

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = 5000,
        failure_retention: float = FAILURE_RETENTION,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._db = SQLiteDatabase(Path(path), busy_timeout_ms=busy_timeout_ms, prepare=self._prepare)
        self._hasher = hasher or PasswordHasher()
        self._failure_retention = failure_retention
        self._dummy_hash: str | None = None

    @property
    def path(self) -> Path:
        return self._db.path

    # --- schema ----------------------------------------------------------------------------------
    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"the account store {SCHEMA_VERSION} is older than its file (version {version}): "
                "upgrade Earful",
                details={"version": version, "expected": SCHEMA_VERSION},
            )
        with SQLiteDatabase.transaction(conn, "IMMEDIATE"):
            for statement in _TABLES:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _read(self, operation: str, sql: str, params: tuple[Any, ...] = ()) -> list[_Row]:
        """Rows as dicts by column name (the shared connection keeps SQLite's default tuples)."""
        with self._db.session(operation) as conn:
            cursor = conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def ensure_ready(self) -> None:
        with self._db.session("ensure_ready"):
            pass

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- users -----------------------------------------------------------------------------------
    def _hash(self, password: str) -> str:
        return self._hasher.hash(check_password(password))

    def add_user(
        self,
        username: str,
        password: str,
        *,
        display_name: str | None = None,
        email: str | None = None,
        language: str = "en",
    ) -> User:
        """A new user (no membership yet: `grant` one). Conflict when the name is taken."""
        check_username(username)
        password_hash = self._hash(password)
        now = utcnow()
        user = User(
            username=username,
            display_name=(display_name or "").strip() or username,
            email=email or None,
            language=_check_language(language),
            created_at=now,
        )
        with self._db.writing("add_user") as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise Conflict(f"user {username!r} exists already", details={"username": username})
            conn.execute(
                "INSERT INTO users (username, display_name, email, language, disabled, password_hash, "
                "created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                (username, user.display_name, user.email, user.language, password_hash, now.timestamp()),
            )
        return user

    @staticmethod
    def _user(row: _Row) -> User:
        return User(
            username=row["username"],
            display_name=row["display_name"],
            email=row["email"],
            language=row["language"],
            disabled=bool(row["disabled"]),
            created_at=_at(row["created_at"]),
        )

    def get_user(self, username: str) -> User | None:
        rows = self._read("get_user", "SELECT * FROM users WHERE username = ?", (username,))
        return self._user(rows[0]) if rows else None

    def _require_user(self, conn: sqlite3.Connection, username: str) -> None:
        if not conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise NotFound(f"no user {username!r}", details={"username": username})

    def list_users(self, workspace: str | None = None) -> list[User]:
        """Every user by name, or the members of `workspace`."""
        if workspace is None:
            rows = self._read("list_users", "SELECT * FROM users ORDER BY username")
        else:
            rows = self._read(
                "list_users",
                "SELECT u.* FROM users u JOIN memberships m ON m.username = u.username "
                "WHERE m.workspace = ? ORDER BY u.username",
                (check_workspace(workspace),),
            )
        return [self._user(row) for row in rows]

    def update_user(
        self,
        username: str,
        *,
        display_name: str | None = None,
        email: str | None = None,
        language: str | None = None,
    ) -> User:
        """Change what is given of a user's profile; NotFound when there is no such user."""
        with self._db.writing("update_user") as conn:
            self._require_user(conn, username)
            if display_name is not None and display_name.strip():
                conn.execute(
                    "UPDATE users SET display_name = ? WHERE username = ?", (display_name.strip(), username)
                )
            if email is not None:
                conn.execute("UPDATE users SET email = ? WHERE username = ?", (email or None, username))
            if language is not None:
                conn.execute(
                    "UPDATE users SET language = ? WHERE username = ?", (_check_language(language), username)
                )
        user = self.get_user(username)
        assert user is not None
        return user

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the user ends (whoever knew the old one is logged out)."""
        password_hash = self._hash(password)
        with self._db.writing("set_password") as conn:
            self._require_user(conn, username)
            conn.execute("UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username))
            conn.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (every session ends, no login) or enable a user; history keeps the name."""
        with self._db.writing("set_disabled") as conn:
            self._require_user(conn, username)
            conn.execute("UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username))
            if disabled:
                conn.execute("DELETE FROM sessions WHERE username = ?", (username,))
        user = self.get_user(username)
        assert user is not None
        return user

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def verify_password(self, username: str, password: str) -> User | None:
        """The user when the password is theirs and they are enabled, else None. An unknown name costs
        the same argon2 check as a known one."""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return None  # whatever the name: says nothing about which names exist
        rows: list[_Row] = []
        if isinstance(username, str) and _USERNAME.fullmatch(username):
            rows = self._read("verify_password", "SELECT * FROM users WHERE username = ?", (username,))
        stored = rows[0]["password_hash"] if rows else self._dummy()
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if not rows:
            return None  # the dummy's password is random: this is never reached in practice
        user = self._user(rows[0])
        if user.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            with self._db.writing("rehash") as conn:
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                    (self._hasher.hash(password), username, stored),
                )
        return user

    # --- memberships -----------------------------------------------------------------------------
    def grant(self, username: str, workspace: str, role: Role | str) -> Membership:
        """Make the user a member of the workspace with the role (or change their role there)."""
        membership = Membership(username=username, workspace=check_workspace(workspace), role=Role(role))
        with self._db.writing("grant") as conn:
            self._require_user(conn, username)
            conn.execute(
                "INSERT INTO memberships (username, workspace, role) VALUES (?, ?, ?) "
                "ON CONFLICT (username, workspace) DO UPDATE SET role = excluded.role",
                (username, workspace, membership.role.value),
            )
        return membership

    def revoke(self, username: str, workspace: str) -> None:
        """End the user's membership of the workspace; NotFound when they were not a member."""
        with self._db.writing("revoke") as conn:
            deleted = conn.execute(
                "DELETE FROM memberships WHERE username = ? AND workspace = ?", (username, workspace)
            ).rowcount
        if not deleted:
            raise NotFound(
                f"{username!r} is not a member of workspace {workspace!r}",
                details={"username": username, "workspace": workspace},
            )

    @staticmethod
    def _membership(row: _Row) -> Membership:
        return Membership(username=row["username"], workspace=row["workspace"], role=Role(row["role"]))

    def memberships(self, username: str) -> list[Membership]:
        """The user's workspaces with their role there, by workspace name."""
        rows = self._read(
            "memberships", "SELECT * FROM memberships WHERE username = ? ORDER BY workspace", (username,)
        )
        return [self._membership(row) for row in rows]

    def members(self, workspace: str) -> list[Membership]:
        rows = self._read(
            "members", "SELECT * FROM memberships WHERE workspace = ? ORDER BY username", (workspace,)
        )
        return [self._membership(row) for row in rows]

    # --- API keys --------------------------------------------------------------------------------
    def create_key(
        self, name: str, workspace: str, role: Role | str, created_by: str | None = None
    ) -> NewApiKey:
        """A new key acting in `workspace` with `role`; its secret is in the answer and nowhere else."""
        if not name.strip() or len(name) > 200:
            raise InvalidInput("an API key's name has 1 to 200 characters")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        key = ApiKey(
            id=secrets.token_hex(8),
            name=name.strip(),
            prefix=secret[:KEY_PREFIX_CHARS],
            workspace=check_workspace(workspace),
            role=Role(role),
            created_by=created_by,
            created_at=now,
        )
        with self._db.writing("create_key") as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, prefix, secret_sha256, workspace, role, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    key.prefix,
                    _sha256(secret),
                    key.workspace,
                    key.role.value,
                    created_by,
                    now.timestamp(),
                ),
            )
        return NewApiKey(key=key, secret=secret)

    @staticmethod
    def _key(row: _Row) -> ApiKey:
        return ApiKey(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            workspace=row["workspace"],
            role=Role(row["role"]),
            created_by=row["created_by"],
            created_at=_at(row["created_at"]),
            last_used_at=_time(row["last_used_at"]),
            revoked_at=_time(row["revoked_at"]),
        )

    def verify_key(self, secret: str) -> ApiKey | None:
        """The active key whose secret this is, else None; notes when it was used (once a minute)."""
        if not isinstance(secret, str) or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        rows = self._read(
            "verify_key",
            "SELECT * FROM api_keys WHERE secret_sha256 = ? AND revoked_at IS NULL",
            (_sha256(secret),),
        )
        if not rows:
            return None
        key = self._key(rows[0])
        now = utcnow()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= LAST_USED_EVERY:
            with self._db.writing("verify_key") as conn:
                conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now.timestamp(), key.id))
            key = key.model_copy(update={"last_used_at": now})
        return key

    def get_key(self, key_id: str) -> ApiKey | None:
        rows = self._read("get_key", "SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return self._key(rows[0]) if rows else None

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke the key (at once: the next request with it is refused). Revoking twice keeps the first
        time; NotFound when there is no such key."""
        with self._db.writing("revoke_key") as conn:
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (utcnow().timestamp(), key_id),
            )
        key = self.get_key(key_id)
        if key is None:
            raise NotFound(f"no API key {key_id!r}", details={"key_id": key_id})
        return key

    def list_keys(self, workspace: str | None = None, *, include_revoked: bool = False) -> list[ApiKey]:
        """Keys, newest first: all, or those of `workspace`; revoked ones only when asked."""
        clauses, params = [], []
        if workspace is not None:
            clauses.append("workspace = ?")
            params.append(workspace)
        if not include_revoked:
            clauses.append("revoked_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(
            "list_keys", f"SELECT * FROM api_keys {where} ORDER BY created_at DESC, id", tuple(params)
        )
        return [self._key(row) for row in rows]

    # --- sessions --------------------------------------------------------------------------------
    def create_session(self, username: str, max_age: float) -> tuple[str, str]:
        """A new session for the user, ending after `max_age` seconds: ``(session id, CSRF token)``.
        The id goes in the cookie and is stored only as its hash. Expired sessions are pruned here."""
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        now = utcnow().timestamp()
        with self._db.writing("create_session") as conn:
            self._require_user(conn, username)
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (id_sha256, username, csrf_token, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (_sha256(session_id), username, csrf_token, now, now + max_age),
            )
        return session_id, csrf_token

    def get_session(self, session_id: str) -> SessionRow | None:
        """The live session of this id; None when unknown, ended, expired or its user is disabled."""
        if not isinstance(session_id, str) or not session_id or len(session_id) > 200:
            return None
        rows = self._read(
            "get_session",
            "SELECT s.* FROM sessions s JOIN users u ON u.username = s.username "
            "WHERE s.id_sha256 = ? AND s.expires_at > ? AND u.disabled = 0",
            (_sha256(session_id), utcnow().timestamp()),
        )
        if not rows:
            return None
        row = rows[0]
        return SessionRow(
            username=row["username"],
            csrf_token=row["csrf_token"],
            created_at=_at(row["created_at"]),
            expires_at=_at(row["expires_at"]),
        )

    def end_session(self, session_id: str) -> None:
        with self._db.writing("end_session") as conn:
            conn.execute("DELETE FROM sessions WHERE id_sha256 = ?", (_sha256(session_id),))

    def end_sessions(self, username: str) -> int:
        """End every session of the user; how many there were."""
        with self._db.writing("end_sessions") as conn:
            return int(conn.execute("DELETE FROM sessions WHERE username = ?", (username,)).rowcount)

    # --- failed logins ---------------------------------------------------------------------------
    def record_failure(self, username: str | None, address: str | None, at: datetime) -> None:
        """Note a failed login (for the throttle); failures older than the retention are pruned."""
        moment = _epoch(at)
        with self._db.writing("record_failure") as conn:
            conn.execute("DELETE FROM login_failures WHERE at < ?", (moment - self._failure_retention,))
            conn.execute(
                "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)",
                (username, address, moment),
            )

    def failures(self, *, username: str | None = None, address: str | None = None, since: datetime) -> int:
        """Failed logins since `since` for the user name, or from the address (either, not both)."""
        if (username is None) == (address is None):
            raise InvalidInput("count failures by username or by address")
        column, value = ("username", username) if username is not None else ("address", address)
        rows = self._read(
            "failures",
            f"SELECT COUNT(*) AS n FROM login_failures WHERE {column} = ? AND at >= ?",
            (value, _epoch(since)),
        )
        return int(rows[0]["n"])

    def oldest_failure(
        self, *, username: str | None = None, address: str | None = None, since: datetime
    ) -> datetime | None:
        """The first failed login since `since` for the user name or from the address: the throttle's
        pause ends a window after it."""
        if (username is None) == (address is None):
            raise InvalidInput("look failures up by username or by address")
        column, value = ("username", username) if username is not None else ("address", address)
        rows = self._read(
            "oldest_failure",
            f"SELECT MIN(at) AS at FROM login_failures WHERE {column} = ? AND at >= ?",
            (value, _epoch(since)),
        )
        return _time(rows[0]["at"])

    def clear_failures(self, username: str) -> None:
        """Forget the user name's failed logins (after a successful one)."""
        with self._db.writing("clear_failures") as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))

    def has_admin(self) -> bool:
        """Whether an enabled user is an admin of some workspace (`earful serve` checks it before
        listening on the network)."""
        rows = self._read(
            "has_admin",
            "SELECT 1 FROM memberships m JOIN users u ON u.username = m.username "
            "WHERE m.role = ? AND u.disabled = 0 LIMIT 1",
            (Role.ADMIN.value,),
        )
        return bool(rows)


def open_account_store(settings: Settings | None = None) -> AccountStore:
    """The account store at `settings.accounts_path` (created on first use)."""
    settings = settings or get_settings()
    return AccountStore(
        settings.accounts_path,
        busy_timeout_ms=settings.sqlite.busy_timeout_ms,
        failure_retention=max(FAILURE_RETENTION, settings.api.login_window),
        hasher=PasswordHasher(
            time_cost=settings.api.password_time_cost, memory_cost=settings.api.password_memory_kib
        ),
    )
