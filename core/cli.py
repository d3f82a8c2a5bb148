"""The `earful` command. Sub-commands come from the `earful.commands` entry points, each a Typer app
whose module imports nothing heavy at module level: `earful --help` must stay fast (no torch)."""

from __future__ import annotations

import json
import logging
import sys
from importlib.metadata import entry_points

import typer

from core.errors import EarfulError

app = typer.Typer(
    name="earful",
    help="Earful: social listening and social CRM. Collect, enrich and index what customers say.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages")) -> None:
    from core.settings import get_settings

    level = "DEBUG" if verbose else get_settings().log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:  # libraries that log every request (Elasticsearch's transport, Prefect's client
        # through httpx) or every step (WeasyPrint's progress) at INFO
        for name in ("elastic_transport", "httpx", "weasyprint"):
            logging.getLogger(name).setLevel(logging.WARNING)


@app.command("config")
def config_cmd(
    markdown: bool = typer.Option(False, "--markdown", help="Print the reference as a Markdown table"),
) -> None:
    """Show every setting with its environment variable, default and description."""
    from core.settings import get_settings, iter_documented_fields

    if markdown:
        typer.echo(settings_markdown())
        return
    typer.echo(get_settings().model_dump_json(indent=2))
    for env, type_name, default, description in iter_documented_fields():
        typer.echo(f"{env}  ({type_name}, default {default}): {description}", err=True)


def settings_markdown() -> str:
    from core.settings import iter_documented_fields

    lines = ["| Variable | Type | Default | Description |", "|---|---|---|---|"]

    def cell(text: str) -> str:  # a pipe inside a cell would end it
        return text.replace("|", "\\|")

    for env, type_name, default, description in iter_documented_fields():
        lines.append(f"| `{env}` | {cell(type_name)} | `{cell(default)}` | {cell(description)} |")
    return "\n".join(lines)


def _register_commands() -> None:
    for ep in sorted(entry_points(group="earful.commands"), key=lambda e: e.name):
        sub = ep.load()
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=ep.name)
        else:
            app.command(ep.name)(sub)


def main() -> None:
    _register_commands()
    try:
        app()
    except EarfulError as exc:
        typer.echo(json.dumps(exc.to_dict(), ensure_ascii=False), err=True)
        sys.exit(2)
