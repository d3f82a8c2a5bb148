"""The HTTP API and web UI (`earful serve`): where it listens, its sessions and passwords, what it accepts.

Nothing is signed: a session id is random and kept server-side (hashed), its CSRF token too, so there
is no secret key to configure."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from core.settings.base import Seconds, Section


class ApiSettings(Section):
    host: str = Field("127.0.0.1", description="Address `earful serve` binds; 0.0.0.0 serves the network")
    port: int = Field(8000, ge=0, le=65535, description="Port of `earful serve`; 0 picks a free one")
    accounts_path: Path | None = Field(
        None, description="Users, memberships and API keys (SQLite); default 'accounts.db' under home"
    )
    session_max_age: Seconds = Field(
        43200.0, gt=0, description="A browser session ends this long after login (e.g. '12h', '7d')"
    )
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure (HTTPS only); turn on behind a TLS-terminating proxy"
    )
    max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="Largest request body accepted; larger is refused with 413"
    )
    max_url_chars: int = Field(
        8192, ge=256, description="Longest request path and query string accepted; longer is refused with 400"
    )
    max_query_chars: int = Field(4000, gt=0, description="Longest search query accepted, in characters")
    max_page_size: int = Field(200, ge=1, description="Most hits one search page may ask for")
    login_attempts: int = Field(
        5, ge=1, description="Failed logins for one user name, or from one address, before a pause"
    )
    login_window: Seconds = Field(
        900.0, gt=0, description="Window in which failed logins are counted, and the pause that follows"
    )
    password_time_cost: int = Field(
        3,
        ge=1,
        le=20,
        description="argon2id passes per password hash; hashes made otherwise are redone at login",
    )
    password_memory_kib: int = Field(
        65536,
        ge=1024,
        le=4194304,
        description="argon2id memory per password hash, in KiB (64 MiB by default)",
    )
    workers: int = Field(1, ge=1, description="Uvicorn worker processes of `earful serve`")
