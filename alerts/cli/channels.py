"""`earful alerts channels | test-channel`: the workspace's channels (channels.yaml), and one test
message sent through one of them now, bypassing the outbox."""

from __future__ import annotations

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE


def channels_cmd(workspace: Workspace = DEFAULT_WORKSPACE, home: Home = None) -> None:
    """The channels rules can deliver to, from the workspace's channels.yaml; secrets masked."""
    from rich.console import Console
    from rich.table import Table

    from alerts.channels.catalog import channels_file, dump_channel, workspace_channels

    settings = home_settings(home)
    where = channels_file(settings, workspace=workspace)
    configs = workspace_channels(settings, workspace=workspace)
    console = Console(markup=False, highlight=False)
    if not configs:
        console.print(f"No channels: define them in {where} (docs/alerts.md, Channels).")
        return
    table = Table(title=f"Channels of workspace {workspace} ({where})", title_justify="left")
    for column in ("name", "kind", "settings"):
        table.add_column(column, overflow="fold")
    for name, config in configs.items():
        shown = {k: v for k, v in dump_channel(config).items() if k not in ("name", "kind")}
        table.add_row(name, config.kind, "\n".join(f"{k}: {v}" for k, v in shown.items()))
    console.print(table)


def probe_channel_cmd(
    name: str = typer.Argument(..., help="The channel's name in channels.yaml"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Send one test message through a channel now (not through the outbox) and print what the
    endpoint answered: sent, retry or failed, with the status and reason. Exit 1 unless sent."""
    from alerts.channels.catalog import send_probe

    delivery = send_probe(home_settings(home), workspace=workspace, name=name)
    line = delivery.outcome.value
    if delivery.status is not None:
        line += f" (status {delivery.status})"
    if delivery.retry_after is not None:
        line += f", retry after {delivery.retry_after:g}s"
    if delivery.reason:
        line += f": {delivery.reason}"
    typer.echo(f"{name}: {line}", err=not delivery.ok)
    if not delivery.ok:
        raise typer.Exit(1)
