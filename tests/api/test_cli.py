"""`earful users` and `earful serve`: the commands over a real account store in a tmp home, and one
real server process on a free port."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from api.accounts.models import Role
from api.accounts.store import open_account_store
from api.cli.serve import is_loopback, serve_cmd
from api.cli.users import users_app
from api.testing import PASSWORD, add_user, api_settings
from core.errors import ConfigError, Conflict, InvalidInput, NotFound
from core.settings import Settings

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # the cheap argon2 cost of api_settings, for the commands' own Settings(home=...)
    monkeypatch.setenv("EARFUL_API__PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("EARFUL_API__PASSWORD_MEMORY_KIB", "1024")
    monkeypatch.delenv("EARFUL_WORKSPACE", raising=False)
    return tmp_path


@pytest.fixture
def settings(home: Path) -> Settings:
    return api_settings(home)


def users(home: Path, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(users_app, [*args, "--home", str(home)], input=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def users_failing(home: Path, *args: str) -> BaseException | None:
    result = runner.invoke(users_app, [*args, "--home", str(home)], input=f"{PASSWORD}\n")
    assert result.exit_code != 0
    return result.exception


def test_add_a_user_with_the_password_from_stdin(home: Path, settings: Settings) -> None:
    out = users(
        home,
        "add",
        "ana",
        "--role",
        "admin",
        "--workspace",
        "acme",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert out.strip() == "added ana: admin in acme"
    with open_account_store(settings) as accounts:
        assert accounts.verify_password("ana", PASSWORD) is not None
        assert [(m.workspace, m.role) for m in accounts.memberships("ana")] == [("acme", Role.ADMIN)]


def test_add_prompts_for_the_password_twice(home: Path, settings: Settings) -> None:
    result = runner.invoke(
        users_app, ["add", "bo", "--role", "viewer", "--home", str(home)], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    with open_account_store(settings) as accounts:
        assert accounts.verify_password("bo", PASSWORD) is not None
        assert accounts.memberships("bo")[0].workspace == "default"


def test_refusals(home: Path, settings: Settings) -> None:
    add_user(settings, "ana", role=Role.ADMIN)
    assert isinstance(users_failing(home, "add", "ana", "--role", "admin", "--password-stdin"), Conflict)
    assert isinstance(
        users_failing(home, "add", "Bad Name", "--role", "admin", "--password-stdin"), InvalidInput
    )
    assert isinstance(users_failing(home, "grant", "nobody", "--role", "viewer"), NotFound)
    result = runner.invoke(users_app, ["grant", "ana", "--role", "owner", "--home", str(home)])
    assert result.exit_code == 2
    assert "admin, analyst, agent, viewer" in result.output


def test_passwd_grant_revoke_disable_enable_list(home: Path, settings: Settings) -> None:
    add_user(settings, "ana", role=Role.VIEWER)
    users(home, "passwd", "ana", "--password-stdin", stdin="a new passphrase\n")
    users(home, "grant", "ana", "--role", "analyst", "--workspace", "acme")
    users(home, "revoke", "ana", "--workspace", "default")
    users(home, "disable", "ana")
    listed = json.loads(users(home, "list", "--json"))
    assert [(u["username"], u["disabled"], u["memberships"]) for u in listed] == [
        ("ana", True, {"acme": "analyst"})
    ]
    assert "(disabled)" in users(home, "list")
    users(home, "enable", "ana")
    with open_account_store(settings) as accounts:
        assert accounts.verify_password("ana", PASSWORD) is None
        assert accounts.verify_password("ana", "a new passphrase") is not None


def test_keys_create_prints_the_secret_once_then_list_and_revoke(home: Path, settings: Settings) -> None:
    result = runner.invoke(
        users_app, ["keys", "create", "BI export", "--role", "viewer", "-w", "acme", "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("ek_")
    assert "shown only now" in result.stderr
    with open_account_store(settings) as accounts:
        key = accounts.verify_key(secret)
    assert key is not None
    assert (key.workspace, key.role, key.name) == ("acme", Role.VIEWER, "BI export")
    listed = users(home, "keys", "list")
    assert key.id in listed
    assert secret not in listed
    assert secret[:10] in listed
    users(home, "keys", "revoke", key.id)
    assert json.loads(users(home, "keys", "list", "--json")) == []
    assert [k["id"] for k in json.loads(users(home, "keys", "list", "--all", "--json"))] == [key.id]
    assert isinstance(users_failing(home, "keys", "revoke", "nope"), NotFound)


# --- serve ---------------------------------------------------------------------------------------
def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.1.2.3"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.5", "example.com"))


def test_serve_refuses_the_network_while_no_admin_exists(home: Path, settings: Settings) -> None:
    app = typer.Typer()
    app.command()(serve_cmd)
    add_user(settings, "ana", role=Role.ANALYST)
    result = runner.invoke(app, ["--host", "0.0.0.0", "--port", "0", "--home", str(home)])
    assert isinstance(result.exception, ConfigError)
    assert "no admin user exists" in str(result.exception)
    assert "earful users add NAME --role admin" in str(result.exception)


def test_earful_serve_answers_on_a_free_port(home: Path, settings: Settings) -> None:
    earful = Path(sys.executable).parent / "earful"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [str(earful), "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=120), "earful serve printed nothing"
        line = proc.stdout.readline()
        assert line.startswith("Earful is serving at http://127.0.0.1:"), line
        url = line.split()[4]
        assert not url.endswith(":0/")
        response = httpx.get(f"{url}healthz", timeout=60)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.headers["X-Request-ID"]
        assert httpx.get(f"{url}api/v1/me", timeout=30).status_code == 401
    finally:
        proc.terminate()  # by pid: this process only
        _, err = proc.communicate(timeout=60)
    # uvicorn shuts down gracefully (the lifespan closes the stores), then re-raises the SIGTERM it caught
    assert proc.returncode == -signal.SIGTERM
    assert "Application shutdown complete" in err
