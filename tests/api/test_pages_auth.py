"""The sign-in pages through the real app: the login form (CSRF of its own, wrong password, throttling,
`next` kept on this site), logout, the language and workspace switches, and `/`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.testing import PASSWORD, add_user, api_settings
from api.web.pages.auth import LOGIN_CSRF_COOKIE
from core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = api_settings(tmp_path, api={"login_attempts": 3})
    add_user(settings, "ann", role="analyst", workspaces=("acme",), display_name="Ann <Analyst>")
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def form_token(page: str) -> str:
    (token,) = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    return str(token)


def log_in(
    client: TestClient, username: str = "ann", password: str = PASSWORD, next: str = "/explore"
) -> Any:  # TestClient's response type: httpx's or httpx2's, by Starlette version
    page = client.get("/login", params={"next": next})
    assert page.status_code == 200
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": next, "csrf_token": form_token(page.text)},
    )


def session_token(client: TestClient) -> str:
    """The session's CSRF token, from the logout form of a page's frame (here the 403 page)."""
    page = client.get("/workspace/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 403
    return form_token(page.text)


def test_root_redirects_to_explore(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/explore"


def test_login_form_then_redirect_to_a_local_next(client: TestClient) -> None:
    page = client.get("/login", params={"next": "/alerts?x=1"})
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/alerts?x=1">' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert client.cookies.get(LOGIN_CSRF_COOKIE) == form_token(page.text)
    response = log_in(client, next="/alerts?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts?x=1"
    assert client.cookies.get("earful_session")
    # Signed in, the login page sends the user on.
    again = client.get("/login", params={"next": "/customers"})
    assert again.status_code == 303
    assert again.headers["location"] == "/customers"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_the_site(client: TestClient, target: str) -> None:
    response = log_in(client, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/explore"


def test_a_wrong_password_shows_the_form_again_with_an_error(client: TestClient) -> None:
    response = log_in(client, password="wrong")
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert 'value="ann"' in response.text
    assert "earful_session" not in client.cookies


def test_the_login_form_needs_its_own_csrf_token(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "The login form expired." in response.text
    assert "earful_session" not in client.cookies


def test_too_many_failures_throttle_the_login_in_the_page_language(client: TestClient) -> None:
    client.cookies.set("lang", "zh")
    for _ in range(3):
        assert log_in(client, password="wrong").status_code == 401
    response = log_in(client)  # even the right password, while throttled
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "登录失败次数过多，请 15 分钟后再试。" in response.text
    assert "earful_session" not in client.cookies


def test_logout_needs_the_csrf_token_and_ends_the_session(client: TestClient) -> None:
    assert log_in(client).status_code == 303
    refused = client.post("/logout", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    token = session_token(client)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?logged_out=1"
    assert "earful_session" not in client.cookies
    assert "You have logged out." in client.get("/login?logged_out=1").text
    # The session is gone server-side too: the old cookie no longer works.
    assert client.get("/workspace/acme", headers={"Accept": "text/html"}).status_code == 303


def test_the_language_switch_sets_the_cookie_and_returns_to_a_local_page(client: TestClient) -> None:
    response = client.get("/lang/zh", params={"next": "/alerts?page=2"})
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts?page=2"
    assert client.cookies.get("lang") == "zh"
    assert '<html lang="zh-CN">' in client.get("/login").text
    assert client.get("/lang/en", params={"next": "https://evil.example"}).headers["location"] == "/"
    assert client.get("/lang/fr", headers={"Accept": "text/html"}).status_code == 404


def test_the_workspace_switch_checks_membership(client: TestClient) -> None:
    anonymous = client.get("/workspace/acme")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=/workspace/acme")
    assert log_in(client).status_code == 303
    response = client.get("/workspace/acme", params={"next": "/customers"})
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"
    assert client.cookies.get("workspace") == "acme"
    refused = client.get("/workspace/other", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert "You are not allowed to do this." in refused.text
    # The frame shows the user (escaped) and both workspaces to switch between.
    assert "Ann &lt;Analyst&gt;" in refused.text
    assert "/workspace/default?next=" in refused.text
