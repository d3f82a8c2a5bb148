"""Options that several commands share, defined once: one flag, one environment variable, one check.

`Workspace` is the option of every command that reads or writes stored things (``--workspace``/``-w``,
``EARFUL_WORKSPACE``, default ``default``); `SourcesWorkspace` is the same option for commands that read
a sources file, whose own ``workspace:`` key applies when the option is not given. A bad name raises
InvalidInput while the command line is parsed, before anything is opened: the root (`core.cli.main`)
prints it as one JSON line and exits with status 2. `Home` (``--home``) and `home_settings` give a
command the settings of another home (tests, a second installation).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE, check_workspace

if TYPE_CHECKING:
    from core.settings import Settings

WORKSPACE_ENV: Final = "EARFUL_WORKSPACE"


def checked_workspace(value: str | None) -> str | None:
    """The option's value, checked (`core.models.check_workspace`); None stays None (not given)."""
    if value is None:
        return None
    try:
        return check_workspace(value)
    except InvalidInput as exc:  # say which option (it may have come from EARFUL_WORKSPACE)
        raise InvalidInput(f"--workspace ({WORKSPACE_ENV}): {exc.message}", details=exc.details) from None


def _workspace_option(help: str) -> Any:  # typer.Option is typed Any
    return typer.Option("--workspace", "-w", envvar=WORKSPACE_ENV, callback=checked_workspace, help=help)


Workspace = Annotated[str, _workspace_option("The workspace (tenant) to read and write")]
SourcesWorkspace = Annotated[
    str | None,
    _workspace_option(
        "The workspace to listen for; default: the sources file's `workspace:`, else "
        f"{DEFAULT_WORKSPACE!r}. A file naming another workspace is an error"
    ),
]

Home = Annotated[
    Path | None, typer.Option("--home", help="Earful's home: database, spool, state", file_okay=False)
]


def home_settings(home: Path | None) -> Settings:
    """The settings of a command given ``--home``: the environment's, with that home when given."""
    from core.settings import Settings, get_settings

    return Settings(home=home.expanduser().resolve()) if home is not None else get_settings()
