"""Test support for the HTTP API, imported by tests: settings of a throwaway home, users, API keys, and a
`TestClient` logged in through the real login route.

Passwords are hashed with the cheapest argon2id parameters in `api_settings` (the real algorithm, a
smaller cost) so that suites that log in hundreds of times stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from api.accounts.models import Role, User
from api.accounts.store import open_account_store
from core.models import DEFAULT_WORKSPACE
from core.settings import ApiSettings, Settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PASSWORD: Final = "correct horse battery staple"
"""The password `add_user` gives when none is named."""

_CHEAP_HASHING: Final = {"password_time_cost": 1, "password_memory_kib": 1024}


def api_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a home under `tmp_path` (the embedded SQLite store). `overrides` are Settings fields;
    `api=` may be a dict (or ApiSettings) whose fields replace the test defaults one by one."""
    api = overrides.pop("api", {})
    if isinstance(api, ApiSettings):
        api = api.model_dump(exclude_unset=True)
    overrides.setdefault("home", tmp_path)
    return Settings(api=ApiSettings(**{**_CHEAP_HASHING, **api}), **overrides)


def add_user(
    settings: Settings,
    username: str,
    *,
    role: Role | str,
    workspace: str = DEFAULT_WORKSPACE,
    password: str = PASSWORD,
    workspaces: tuple[str, ...] | list[str] | None = None,
    display_name: str | None = None,
    language: str = "en",
) -> User:
    """A user with `role` in `workspace` and in each of `workspaces` (when given)."""
    with open_account_store(settings) as store:
        user = store.add_user(username, password, display_name=display_name, language=language)
        for name in dict.fromkeys([workspace, *(workspaces or ())]):
            store.grant(username, name, role)
    return user


def api_key(
    settings: Settings, *, role: Role | str, workspace: str = DEFAULT_WORKSPACE, name: str = "test key"
) -> str:
    """The secret of a new API key with `role` in `workspace` (send it as ``Authorization: Bearer``)."""
    with open_account_store(settings) as store:
        return store.create_key(name, workspace, role, created_by=None).secret


def signed_in(
    client: TestClient, username: str, password: str = PASSWORD, *, workspace: str | None = None
) -> str:
    """Log `client` in through ``POST /api/v1/auth/login`` (the session cookie stays in the client) and
    return the session's CSRF token, also set as the client's default ``X-CSRF-Token`` header."""
    body: dict[str, Any] = {"username": username, "password": password}
    if workspace is not None:
        body["workspace"] = workspace
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    token = str(response.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = token
    return token


class Response(Protocol):
    """What the tests read of a TestClient response (httpx's or httpx2's, whichever Starlette uses)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


ERROR_FIELDS: Final = {"code", "status", "message", "retryable", "details", "request_id"}


def error_of(response: Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` object of an error response, after checking the one shape: the status and code,
    every field, a message, and the request id equal to the ``X-Request-ID`` header."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"], body
    error: dict[str, Any] = body["error"]
    assert set(error) == ERROR_FIELDS, error
    assert (error["status"], error["code"]) == (status, code), error
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(error["message"], str)
    assert error["message"]
    return error
