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
) -> None:
    """Serve a demo site of reviews and posts on localhost, listen to it into a workspace, and show what
    was indexed and the alerts delivered to a local webhook."""
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
    report = run_demo(settings, store=store, tagger=tagger, default_home=home is None, workspace=workspace)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    raise typer.Exit(0 if report.ok else 1)
