"""`earful users`: the accounts of the HTTP API (`earful serve`): users, their memberships, API keys.

    earful users add ana --role admin --workspace default     # asks for the password twice
    echo "$PASSWORD" | earful users add bo --role agent --password-stdin
    earful users keys create "BI export" --role viewer         # prints the secret, once

Light at import: the account store is opened inside each command. An unknown user or key, a name
taken or invalid end the command with the root's one JSON line and exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from api.accounts.models import Role
    from api.accounts.store import AccountStore

users_app = typer.Typer(
    name="users",
    help="Users, workspace memberships and API keys of the web UI and HTTP API.",
    no_args_is_help=True,
)
keys_app = typer.Typer(name="keys", help="API keys: create (the secret is shown once), list, revoke.")
users_app.add_typer(keys_app, name="keys")


@users_app.callback()
def _users_root() -> None:
    """Users, workspace memberships and API keys of the web UI and HTTP API."""


def _role(value: str) -> Role:
    from api.accounts.models import Role

    try:
        return Role(value)
    except ValueError:
        raise typer.BadParameter(f"one of {', '.join(r.value for r in Role)}") from None


RoleOption = Annotated[str, typer.Option("--role", "-r", help="admin, analyst, agent or viewer")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")
]


def _accounts(home: Path | None) -> AccountStore:
    from api.accounts.store import open_account_store

    return open_account_store(home_settings(home))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def add_cmd(
    username: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, '.', '_', '-'")],
    role: RoleOption,
    workspace: Workspace = DEFAULT_WORKSPACE,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the UI")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Where assignment notices go")] = None,
    language: Annotated[str, typer.Option("--language", help="UI language: en or zh")] = "en",
    password_stdin: PasswordStdin = False,
    home: Home = None,
) -> None:
    """Create a user with a role in a workspace (asks for the password unless --password-stdin)."""
    checked = _role(role)
    password = _password(password_stdin)
    with _accounts(home) as accounts:
        accounts.add_user(username, password, display_name=display_name, email=email, language=language)
        accounts.grant(username, workspace, checked)
    typer.echo(f"added {username}: {checked.value} in {workspace}")


@users_app.command("passwd")
def passwd_cmd(
    username: Annotated[str, typer.Argument(help="The user")],
    password_stdin: PasswordStdin = False,
    home: Home = None,
) -> None:
    """Set a user's password; every session of theirs ends."""
    password = _password(password_stdin)
    with _accounts(home) as accounts:
        accounts.set_password(username, password)
    typer.echo(f"password of {username} changed; their sessions ended")


@users_app.command("grant")
def grant_cmd(
    username: Annotated[str, typer.Argument(help="The user")],
    role: RoleOption,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Make a user a member of a workspace with a role (or change their role there)."""
    checked = _role(role)
    with _accounts(home) as accounts:
        accounts.grant(username, workspace, checked)
    typer.echo(f"{username}: {checked.value} in {workspace}")


@users_app.command("revoke")
def revoke_cmd(
    username: Annotated[str, typer.Argument(help="The user")],
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """End a user's membership of a workspace."""
    with _accounts(home) as accounts:
        accounts.revoke(username, workspace)
    typer.echo(f"{username} is no longer a member of {workspace}")


def _set_disabled(username: str, disabled: bool, home: Path | None) -> None:
    with _accounts(home) as accounts:
        accounts.set_disabled(username, disabled)
    typer.echo(f"{username} {'disabled: their sessions ended' if disabled else 'enabled'}")


@users_app.command("disable")
def disable_cmd(username: Annotated[str, typer.Argument(help="The user")], home: Home = None) -> None:
    """Disable a user: no login, every session ends; history keeps the name."""
    _set_disabled(username, True, home)


@users_app.command("enable")
def enable_cmd(username: Annotated[str, typer.Argument(help="The user")], home: Home = None) -> None:
    """Enable a disabled user again."""
    _set_disabled(username, False, home)


@users_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    home: Home = None,
) -> None:
    """Every user with their memberships."""
    with _accounts(home) as accounts:
        rows = [
            {
                **user.model_dump(mode="json"),
                "memberships": {m.workspace: m.role.value for m in accounts.memberships(user.username)},
            }
            for user in accounts.list_users()
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no users yet: earful users add NAME --role admin")
        return
    for row in rows:
        memberships = ", ".join(f"{ws}:{role}" for ws, role in row["memberships"].items()) or "-"
        state = " (disabled)" if row["disabled"] else ""
        typer.echo(f"{row['username']}{state}  {row['display_name']}  {memberships}")


@keys_app.command("create")
def keys_create_cmd(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'BI export'")],
    role: RoleOption,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Create an API key; its secret goes to stdout, once (nothing can show it again)."""
    import getpass

    checked = _role(role)
    with _accounts(home) as accounts:
        created = accounts.create_key(name, workspace, checked, created_by=f"cli:{getpass.getuser()}")
    typer.echo(
        f"API key {created.key.id} ({checked.value} in {workspace}); the secret below is shown only now:",
        err=True,
    )
    typer.echo(created.secret)


@keys_app.command("list")
def keys_list_cmd(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked keys")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    home: Home = None,
) -> None:
    """API keys of every workspace, newest first (never their secrets)."""
    with _accounts(home) as accounts:
        keys = accounts.list_keys(include_revoked=include_revoked)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in keys], indent=2, ensure_ascii=False))
        return
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        typer.echo(
            f"{key.id}  {key.prefix}…  {key.workspace}:{key.role.value}  {key.name!r}  used {used}  {state}"
        )


@keys_app.command("revoke")
def keys_revoke_cmd(key_id: Annotated[str, typer.Argument(help="The key's id")], home: Home = None) -> None:
    """Revoke an API key: the next request with it is refused."""
    with _accounts(home) as accounts:
        key = accounts.revoke_key(key_id)
    typer.echo(f"revoked {key.id} ({key.name!r})")
