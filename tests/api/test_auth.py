"""Sessions, API keys, CSRF, workspaces and login throttling over the real app and account store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.accounts.store import open_account_store
from api.app import create_app
from api.auth import safe_next
from api.testing import PASSWORD, add_user, api_key, api_settings, signed_in
from core.models import utcnow
from core.settings import Settings


def _login(client: TestClient, username: str, password: str = PASSWORD, **extra: object) -> int:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, **extra}
    ).status_code


# --- sessions ------------------------------------------------------------------------------------
def test_login_sets_an_http_only_session_cookie_and_returns_me(
    settings: Settings, client: TestClient
) -> None:
    add_user(settings, "ana", role=Role.ANALYST, display_name="Ana Li", language="zh")
    response = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["csrf_token"]
    assert body["me"] == {
        "username": "ana",
        "display_name": "Ana Li",
        "key_id": None,
        "language": "zh",
        "workspace": "default",
        "role": "analyst",
        "permissions": ["read", "export", "searches.write", "rules.write", "reports.write"],
        "workspaces": [{"workspace": "default", "role": "analyst", "current": True}],
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("earful_session=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=43200"):
        assert attribute in cookie
    assert "Secure" not in cookie
    assert client.get("/api/v1/me").json()["username"] == "ana"


def test_secure_cookies_when_configured(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"secure_cookies": True, "session_max_age": "2h"})
    add_user(settings, "ana", role=Role.VIEWER)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        cookie = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).headers[
            "set-cookie"
        ]
    assert "Secure" in cookie
    assert "Max-Age=7200" in cookie


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    settings: Settings, client: TestClient
) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    wrong = client.post("/api/v1/auth/login", json={"username": "ana", "password": "not it at all"})
    unknown = client.post("/api/v1/auth/login", json={"username": "zed", "password": "not it at all"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "set-cookie" not in wrong.headers
    assert client.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session_server_side(
    settings: Settings, client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    signed_in(client, "ana")
    stolen = client.cookies["earful_session"]
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 200
    assert response.json() == {"logged_out": True}
    assert 'earful_session=""' in response.headers["set-cookie"]
    assert client.get("/api/v1/me").status_code == 401
    # a copy of the cookie taken before logout is worth nothing either
    other = make_client(cookies={"earful_session": stolen})
    assert other.get("/api/v1/me").status_code == 401


def test_logout_without_a_session_is_harmless(client: TestClient) -> None:
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 200
    assert response.json() == {"logged_out": False}


def test_logout_needs_the_csrf_token_of_a_live_session(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    token = signed_in(client, "ana")
    del client.headers["X-CSRF-Token"]
    assert client.post("/api/v1/auth/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # a forged logout ended nothing
    # a plain HTML form sends the token as a field
    response = client.post("/api/v1/auth/logout", data={"csrf_token": token})
    assert response.status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_an_expired_session_is_refused(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    signed_in(client, "ana")
    assert client.get("/api/v1/me").status_code == 200
    with sqlite3.connect(settings.accounts_path) as conn:  # the session's time runs out
        conn.execute("UPDATE sessions SET expires_at = ?", (utcnow().timestamp() - 1,))
    assert client.get("/api/v1/me").status_code == 401


def test_disabling_a_user_ends_their_sessions_and_logins(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    signed_in(client, "ana")
    with open_account_store(settings) as accounts:
        accounts.set_disabled("ana", True)
    assert client.get("/api/v1/me").status_code == 401
    assert _login(client, "ana") == 401
    with open_account_store(settings) as accounts:
        accounts.set_disabled("ana", False)
    assert _login(client, "ana") == 200


def test_a_user_without_any_workspace_cannot_log_in(settings: Settings, client: TestClient) -> None:
    with open_account_store(settings) as accounts:
        accounts.add_user("lone", PASSWORD)
    response = client.post("/api/v1/auth/login", json={"username": "lone", "password": PASSWORD})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


# --- API keys ------------------------------------------------------------------------------------
def test_an_api_key_acts_in_its_workspace_with_its_role(settings: Settings, client: TestClient) -> None:
    key = api_key(settings, role=Role.AGENT, workspace="acme")
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        me = client.get("/api/v1/me", headers=headers).json()
        assert (me["username"], me["workspace"], me["role"]) == (None, "acme", "agent")
        assert me["key_id"]
        assert me["display_name"] == "API key test key"
        assert me["workspaces"] == [{"workspace": "acme", "role": "agent", "current": True}]


def test_a_revoked_key_is_refused_at_once(settings: Settings, client: TestClient) -> None:
    key = api_key(settings, role=Role.VIEWER)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with open_account_store(settings) as accounts:
        (stored,) = accounts.list_keys()
        accounts.revoke_key(stored.id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_bad_key_is_refused_even_with_a_good_session(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.ADMIN)
    signed_in(client, "ana")
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ek_forged"}).status_code == 401


def test_api_key_requests_need_no_csrf_token(settings: Settings, client: TestClient) -> None:
    key = api_key(settings, role=Role.ADMIN)
    response = client.post(
        "/api/v1/keys", json={"name": "another", "role": "viewer"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201
    assert response.json()["key"]["created_by"].startswith("key:")


def test_session_requests_need_the_csrf_token(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.ADMIN)
    token = signed_in(client, "ana")
    assert client.post("/api/v1/keys", json={"name": "bot", "role": "viewer"}).status_code == 201
    del client.headers["X-CSRF-Token"]
    assert client.post("/api/v1/keys", json={"name": "bot", "role": "viewer"}).status_code == 403
    assert client.get("/api/v1/keys").status_code == 200  # reading needs no token
    assert (
        client.post(
            "/api/v1/keys", json={"name": "bot", "role": "viewer"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 201
    )


# --- workspaces ----------------------------------------------------------------------------------
def test_workspace_selection(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.VIEWER, workspace="default")
    with open_account_store(settings) as accounts:
        accounts.grant("ana", "acme", Role.ADMIN)
    signed_in(client, "ana")
    # no header, no cookie: the first membership (by name)
    assert client.get("/api/v1/me").json()["workspace"] == "acme"
    # the header chooses, for this request
    me = client.get("/api/v1/me", headers={"X-Earful-Workspace": "default"}).json()
    assert (me["workspace"], me["role"]) == ("default", "viewer")
    # the cookie remembers a choice
    client.cookies.set("workspace", "default")
    assert client.get("/api/v1/me").json()["workspace"] == "default"
    listed = client.get("/api/v1/workspaces").json()
    assert listed == {
        "current": "default",
        "workspaces": [
            {"workspace": "acme", "role": "admin", "current": False},
            {"workspace": "default", "role": "viewer", "current": True},
        ],
    }
    # the role follows the workspace: admin in acme, not in default
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/api/v1/users", headers={"X-Earful-Workspace": "acme"}).status_code == 200


def test_a_workspace_the_user_is_not_a_member_of_is_refused(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.ADMIN, workspace="default")
    signed_in(client, "ana")
    response = client.get("/api/v1/me", headers={"X-Earful-Workspace": "secret-ws"})
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"workspace": "secret-ws"}
    # a stale cookie (membership revoked since) falls back to a workspace the user is in
    client.cookies.set("workspace", "secret-ws")
    assert client.get("/api/v1/me").json()["workspace"] == "default"
    # and at login
    assert _login(client, "ana", workspace="secret-ws") == 403


def test_login_into_a_workspace_remembers_it(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.VIEWER, workspaces=["acme", "zeta"])
    response = client.post(
        "/api/v1/auth/login", json={"username": "ana", "password": PASSWORD, "workspace": "zeta"}
    )
    assert response.json()["me"]["workspace"] == "zeta"
    assert client.cookies["workspace"] == "zeta"
    assert client.get("/api/v1/me").json()["workspace"] == "zeta"


def test_a_key_cannot_switch_workspace(settings: Settings, client: TestClient) -> None:
    key = api_key(settings, role=Role.ADMIN, workspace="acme")
    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {key}", "X-Earful-Workspace": "default"}
    )
    assert response.status_code == 403


# --- throttling ----------------------------------------------------------------------------------
def test_throttling_by_user_name_refuses_even_the_right_password(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"login_attempts": 3})
    add_user(settings, "ana", role=Role.VIEWER)
    add_user(settings, "bo", role=Role.VIEWER)
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.1", 1000)) as first:
        second = TestClient(app, client=("10.0.0.2", 1000))
        third = TestClient(app, client=("10.0.0.3", 1000))
        assert [_login(first, "ana", "bad password 1"), _login(second, "ana", "bad password 2")] == [401, 401]
        assert _login(third, "ana", "bad password 3") == 401
        assert _login(third, "ana") == 429  # the name is paused, whatever the address
        assert _login(third, "bo") == 200  # another name from the same address is not


def test_throttling_by_address(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"login_attempts": 3})
    add_user(settings, "ana", role=Role.VIEWER)
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.9", 1000)) as guesser:
        for name in ("x1", "x2", "x3"):
            assert _login(guesser, name, "some guess here") == 401
        assert _login(guesser, "ana") == 429  # the address is paused
        other = TestClient(app, client=("10.0.0.10", 1000))
        assert _login(other, "ana") == 200


def test_a_successful_login_forgets_the_failures(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"login_attempts": 3})
    add_user(settings, "ana", role=Role.VIEWER)
    with TestClient(create_app(settings)) as client:
        assert _login(client, "ana", "bad password 1") == 401
        assert _login(client, "ana", "bad password 2") == 401
        assert _login(client, "ana") == 200
        assert _login(client, "ana", "bad password 3") == 401
        assert _login(client, "ana") == 200  # two failures since the success: not paused


def test_the_pause_ends_when_the_failures_leave_the_window(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"login_attempts": 2, "login_window": 600})
    add_user(settings, "ana", role=Role.VIEWER)
    with TestClient(create_app(settings)) as client:
        assert [_login(client, "ana", "bad password 1"), _login(client, "ana", "bad password 2")] == [
            401,
            401,
        ]
        assert _login(client, "ana") == 429
        with sqlite3.connect(settings.accounts_path) as conn:  # eleven minutes later
            conn.execute("UPDATE login_failures SET at = at - 660")
        assert _login(client, "ana") == 200


def test_safe_next_keeps_only_local_paths() -> None:
    assert safe_next("/explore?q=a") == "/explore?q=a"
    for unsafe in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
    ):
        assert safe_next(unsafe) == "/"
