"""`earful demo`. Nothing heavy at import: Prefect loads inside the command, after its environment is set
(Prefect reads its settings when it is imported)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE


def demo_cmd(
    home: Annotated[
        Path | None, typer.Option("--home", help="Earful's home: database, spool, state", file_okay=False)
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Mention store: sqlite or elasticsearch")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the listen report as JSON at the end")
    ] = False,
    tagger: Annotated[
        str | None,
        typer.Option(
            "--tagger",
            help="lexicon | transformer (default: EARFUL_NLP__TAGGER, transformer); lexicon: quick",
        ),
    ] = None,
    workspace: Workspace = DEFAULT_WORKSPACE,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then serve the web UI over what it indexed, until Ctrl-C (api.host/port)"
        ),
    ] = False,
) -> None:
    """Serve a demo site of reviews and posts on localhost, listen to it into a workspace, and show what
    was indexed, the alerts delivered to a local webhook and the week's brand reports (HTML and PDF);
    then the web UI's address and login (with --serve: serve it)."""
    from core.settings import Settings, get_settings
    from flows.cli.run import configure_prefect

    settings = Settings(home=home.expanduser().resolve()) if home is not None else get_settings()
    configure_prefect(settings.home / "prefect", quiet=True)
    root = logging.getLogger()
    if root.level > logging.DEBUG:  # the progress bars tell the story; warnings and errors still print
        root.setLevel(logging.WARNING)
    from demo.run import run_demo

    if tagger is not None and tagger not in ("lexicon", "transformer"):
        raise typer.BadParameter("lexicon or transformer", param_hint="--tagger")
    from rich.console import Console

    from demo.ui import ensure_demo_login, serve_demo, show_how_to_serve

    console = Console()
    default_home = home is None
    report = run_demo(
        settings, store=store, tagger=tagger, console=console, default_home=default_home, workspace=workspace
    )
    if store is not None and store != settings.store.backend:  # the UI reads the store the demo filled
        settings = settings.model_copy(update={"store": settings.store.model_copy(update={"backend": store})})
    login = ensure_demo_login(settings, workspace)
    if not serve:
        env = f"EARFUL_STORE__BACKEND={store} " if store is not None else ""
        show_how_to_serve(console, settings, login, default_home=default_home, env=env)
    if as_json:  # last of what the demo prints (before serving), for whoever reads it
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    if serve:
        serve_demo(console, settings, login, default_home=default_home)
    raise typer.Exit(0 if report.ok else 1)
