"""`earful es` (the local Elasticsearch) and `earful index` (the schema) command groups.

Nothing heavy is imported here: the commands import what they need when they run.
"""

from __future__ import annotations

from pathlib import Path

import typer

es_app = typer.Typer(
    name="es",
    help="Run a local Elasticsearch for development and tests (index/esnode.py).",
    no_args_is_help=True,
)

index_app = typer.Typer(
    name="index",
    help="Manage Earful's Elasticsearch indices: templates, versioned indices, migration.",
    no_args_is_help=True,
)


def esnode_args(nodes: int | None = None) -> list[str]:
    """Arguments for esnode.py from the `es_node` settings (EARFUL_ES_NODE__*)."""
    from core.settings import get_settings

    settings = get_settings()
    node = settings.es_node
    args = [
        "--version", node.version,
        "--port", str(node.port),
        "--transport-port", str(node.transport_port),
        "--nodes", str(nodes or node.nodes),
        "--heap", node.heap,
        "--user", node.user,
        "--startup-timeout", str(node.startup_timeout),
    ]  # fmt: skip
    # Directories left at their defaults are the script's own defaults, which move under /var for root:
    # the unprivileged user that runs Elasticsearch cannot enter /root.
    if node.cache_dir is not None:
        args += ["--cache-dir", str(node.cache_dir)]
    if node.data_dir is not None:
        args += ["--data-dir", str(node.data_dir)]
    elif "home" in settings.model_fields_set:
        args += ["--data-dir", str(settings.home / "elasticsearch")]
    return args


def _esnode(action: str, *extra: str, nodes: int | None = None) -> None:
    # index/esnode.py ships in the package (standard library only), so an installed `earful es` has it;
    # infra/elasticsearch/esnode.py runs the same file from a checkout.
    from index import esnode

    code = esnode.main([action, *esnode_args(nodes), *extra])
    if code != 0:
        raise typer.Exit(code)


@es_app.command("start")
def es_start(
    nodes: int | None = typer.Option(
        None, "--nodes", min=1, max=9, help="Nodes in the cluster (default: settings)"
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Delete the local cluster's data first"),
) -> None:
    """Start the local cluster (fetching Elasticsearch on first use), wait until healthy, print its URL."""
    _esnode("start", *(["--fresh"] if fresh else []), nodes=nodes)


@es_app.command("stop")
def es_stop() -> None:
    """Stop every node of the local cluster (SIGTERM, then SIGKILL after 30 s)."""
    _esnode("stop")


@es_app.command("status")
def es_status(as_json: bool = typer.Option(False, "--json", help="Print the status as JSON")) -> None:
    """Pid and health of each node; exits with 3 when the cluster is not running."""
    _esnode("status", *(["--json"] if as_json else []))


# --- `earful index` ------------------------------------------------------------------------------
@index_app.command("migrate")
def index_migrate(
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would happen; change nothing"),
    delete_old: bool = typer.Option(False, "--delete-old", help="Delete the old index after the move"),
) -> None:
    """Bring the mentions index to this code's schema: copy into a new versioned index, move the alias."""
    from core.settings import get_settings
    from index.es_client import build_client
    from index.migrate import migrate

    settings = get_settings().elasticsearch
    with build_client(settings) as client:
        report = migrate(client, settings.index_prefix, settings, dry_run=dry_run, delete_old=delete_old)
    for line in report.lines():
        typer.echo(line)


@index_app.command("status")
def index_status(as_json: bool = typer.Option(False, "--json", help="Print the status as JSON")) -> None:
    """The alias, the concrete index behind it, its schema version and document count (exit 3 if not ok)."""
    import json

    from core.settings import get_settings
    from index.es_client import build_client
    from index.migrate import status

    settings = get_settings().elasticsearch
    with build_client(settings) as client:
        info = status(client, settings.index_prefix)
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
    else:
        documents = info["documents"] if info["documents"] is not None else "-"
        typer.echo(f"alias:          {info['alias']} -> {info['index'] or '(missing)'}")
        typer.echo(f"schema version: index {info['index_version']}, code {info['code_version']}")
        typer.echo(f"state:          {info['state']}")
        typer.echo(f"documents:      {documents}")
        typer.echo(f"template:       version {info['template_version']}")
        if info["other_indices"]:
            typer.echo(f"other indices:  {', '.join(info['other_indices'])}")
        if info["state"] == "needs_migration":
            typer.echo("run `earful index migrate`")
    if info["state"] != "ok":
        raise typer.Exit(3)


@index_app.command("render-templates")
def index_render_templates(
    directory: str | None = typer.Option(
        None, "--dir", help="Where to write (default: infra/elasticsearch/templates)"
    ),
) -> None:
    """Write the index templates generated from index/schema.py (checked in, and checked by a test)."""
    from index.schema import TEMPLATES_DIR, render_templates

    for path in render_templates(Path(directory) if directory else TEMPLATES_DIR):
        typer.echo(str(path))
