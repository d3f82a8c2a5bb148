"""The demo's web UI: a login to it, and the HTTP API served over the demo's home (`earful demo --serve`).

The login: a newcomer needs one, and a real installation must not get an admin it did not ask for. So
the demo adds its user ``demo`` (admin of the demo's workspace, a generated password) only to a home
whose account store has no user yet, and keeps that login in ``<home>/demo-login.json`` (readable by
its owner only) so that every later run prints the same one, and grants it each workspace the demo
fills. A home with users of its own gets nothing added: the demo says how to log in or add an admin.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.markup import escape

from api.accounts.models import Role
from api.accounts.store import open_account_store
from api.cli.serve import bind_socket, guard_network, serve_until_stopped, socket_url
from core.errors import ConfigError
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings

if TYPE_CHECKING:
    import socket

DEMO_USER: Final = "demo"
LOGIN_FILE: Final = "demo-login.json"
_ALPHABET: Final = string.ascii_letters + string.digits  # a password a double click selects whole


@dataclass(frozen=True)
class DemoLogin:
    """How to log in to the demo's web UI: the demo user and password, or, in a home that has users of
    its own (``password`` None), the reason the demo added none."""

    username: str | None
    password: str | None
    created: bool = False
    users: int = 0  # the home's users, when the demo added none

    @property
    def usable(self) -> bool:
        return self.username is not None and self.password is not None


def login_path(settings: Settings) -> Path:
    return settings.home / LOGIN_FILE


def _saved_password(path: Path) -> str | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    password = (
        saved.get("password") if isinstance(saved, dict) and saved.get("username") == DEMO_USER else None
    )
    return password if isinstance(password, str) else None


def _save(path: Path, password: str) -> None:
    """Write the login readable by its owner only (created with that mode: never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"username": DEMO_USER, "password": password}, f)


def ensure_demo_login(settings: Settings, workspace: str = DEFAULT_WORKSPACE) -> DemoLogin:
    """The demo's login to `settings`' home, made on the first run of an empty account store, with the
    admin role in `workspace`; see the module's docstring for a home with users of its own."""
    path = login_path(settings)
    with open_account_store(settings) as accounts:
        saved = _saved_password(path)
        if saved is not None and accounts.verify_password(DEMO_USER, saved) is not None:
            if all(m.workspace != workspace for m in accounts.memberships(DEMO_USER)):
                accounts.grant(DEMO_USER, workspace, Role.ADMIN)
            return DemoLogin(DEMO_USER, saved)
        users = len(accounts.list_users())
        if users:
            return DemoLogin(None, None, users=users)
        password = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        accounts.add_user(DEMO_USER, password, display_name="Demo")
        accounts.grant(DEMO_USER, workspace, Role.ADMIN)
    _save(path, password)
    return DemoLogin(DEMO_USER, password, created=True)


def _home_option(settings: Settings, default_home: bool) -> str:
    return "" if default_home else f" --home {settings.home}"


def login_line(login: DemoLogin, settings: Settings, default_home: bool) -> str:
    """What follows the URL: the demo login, or why there is none and what to do."""
    if login.usable:
        return f"log in as {login.username} / {login.password}"
    home = _home_option(settings, default_home)
    return (
        f"log in as one of this home's {login.users} users (.venv/bin/earful users list{home}); the demo "
        f"adds no login to a home that has users of its own. To add an admin: "
        f".venv/bin/earful users add NAME --role admin{home}"
    )


def show_how_to_serve(
    console: Console, settings: Settings, login: DemoLogin, *, default_home: bool, env: str = ""
) -> None:
    """Without --serve: the command that serves the web UI and what to open then."""
    port = settings.api.port or "<the port it prints>"
    console.print(
        "[bold]The web UI[/] (search, alerts, customers, the brand reports under /reports, in a browser):",
        highlight=False,
    )
    console.print(
        f"  {env}.venv/bin/earful serve{_home_option(settings, default_home)}",
        soft_wrap=True,
        highlight=False,
    )
    login_text = escape(login_line(login, settings, default_home))
    console.print(
        f"  then open http://{settings.api.host}:{port}/ — {login_text}",
        soft_wrap=True,
        highlight=False,
    )
    _show_kept(console, settings, login)
    console.print("  (`earful demo --serve`, which `make demo` runs, serves it right after the demo)")


def _show_kept(console: Console, settings: Settings, login: DemoLogin) -> None:
    if login.usable:
        console.print(
            f"  [dim]The demo's login is kept in {login_path(settings)} (yours only); "
            f"to change it: earful users passwd {DEMO_USER}[/]",
            soft_wrap=True,
            highlight=False,
        )


def demo_socket(settings: Settings, console: Console) -> socket.socket:
    """A listening socket on the configured address; when the configured port is taken, a free one (a
    newcomer's machine may well run something on 8000)."""
    host = settings.api.host
    guard_network(settings, host)
    try:
        return bind_socket(host, settings.api.port)
    except ConfigError:
        if settings.api.port == 0:
            raise
        console.print(f"Port {settings.api.port} is taken: serving on a free port instead", highlight=False)
        return bind_socket(host, 0)


def serve_demo(console: Console, settings: Settings, login: DemoLogin, *, default_home: bool) -> None:
    """Serve the web UI over the demo's home until Ctrl-C or SIGTERM; returns once it has shut down (the
    stores closed)."""
    sock = demo_socket(settings, console)
    try:
        console.print()
        console.print(
            f"[bold]Open {socket_url(sock)}[/] — {escape(login_line(login, settings, default_home))}",
            soft_wrap=True,
            highlight=False,
        )
        _show_kept(console, settings, login)
        console.print("Serving the web UI until Ctrl-C", highlight=False)
        console.file.flush()  # whoever waits for the URL reads it now, not when a pipe's buffer fills
        serve_until_stopped(settings, sock)
    finally:
        sock.close()
    console.print("Stopped the web UI", highlight=False)
