"""demo/ui.py: the demo's login to the web UI (made only in a home without users, the same on every run)
and what the demo prints about the web UI when it does not serve it."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

from rich.console import Console

from api.accounts.models import Role
from api.accounts.store import open_account_store
from api.testing import add_user, api_settings
from core.settings import Settings
from demo.ui import DEMO_USER, ensure_demo_login, login_path, show_how_to_serve


def _printed(settings: Settings, *, default_home: bool = False) -> str:
    out = io.StringIO()
    login = ensure_demo_login(settings)
    show_how_to_serve(Console(file=out, width=200), settings, login, default_home=default_home)
    return out.getvalue()


def test_a_home_without_users_gets_the_demo_admin_and_keeps_its_login(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    first = ensure_demo_login(settings)
    assert first.created
    assert first.username == DEMO_USER
    assert first.password is not None
    assert len(first.password) >= 16
    with open_account_store(settings) as accounts:
        assert accounts.verify_password(DEMO_USER, first.password) is not None
        assert [(m.workspace, m.role) for m in accounts.memberships(DEMO_USER)] == [("default", Role.ADMIN)]
    path = login_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the owner's only
    assert json.loads(path.read_text()) == {"username": DEMO_USER, "password": first.password}

    # A later run prints the same login; a run in another workspace makes the demo user its admin too.
    again = ensure_demo_login(settings, "acme")
    assert (again.username, again.password, again.created) == (DEMO_USER, first.password, False)
    with open_account_store(settings) as accounts:
        assert [(m.workspace, m.role) for m in accounts.memberships(DEMO_USER)] == [
            ("acme", Role.ADMIN),
            ("default", Role.ADMIN),
        ]
        assert len(accounts.list_users()) == 1


def test_a_home_with_users_of_its_own_gets_no_demo_admin(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    add_user(settings, "ana", role=Role.ANALYST)
    login = ensure_demo_login(settings)
    assert not login.usable
    assert login.users == 1
    with open_account_store(settings) as accounts:
        assert [u.username for u in accounts.list_users()] == ["ana"]
    assert not login_path(settings).exists()
    out = _printed(settings)
    assert "log in as one of this home's 1 users" in out
    assert "the demo adds no login to a home that has users of its own" in out
    assert f".venv/bin/earful users add NAME --role admin --home {tmp_path}" in out


def test_a_demo_login_whose_password_was_changed_is_not_reused(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    first = ensure_demo_login(settings)
    with open_account_store(settings) as accounts:
        accounts.set_password(DEMO_USER, "a passphrase of the owner's")
    second = ensure_demo_login(settings)
    assert not second.usable  # the home has a user (demo, now someone's): nothing is reset or added
    assert second.password != first.password


def test_without_serve_the_demo_prints_the_command_the_url_and_the_login(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    out = _printed(settings)
    password = json.loads(login_path(settings).read_text())["password"]
    assert f".venv/bin/earful serve --home {tmp_path}\n" in out
    assert f"then open http://127.0.0.1:8000/ — log in as demo / {password}\n" in out
    assert "earful demo --serve" in out
    # The default home needs no --home; port 0 means the port `earful serve` prints.
    free = api_settings(tmp_path, api={"port": 0})
    out = _printed(free, default_home=True)
    assert ".venv/bin/earful serve\n" in out
    assert f"then open http://127.0.0.1:<the port it prints>/ — log in as demo / {password}" in out
