"""`earful alerts add | rules | remove | enable | disable`: the workspace's saved rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alerts.cli.common import alert_stores
from core.cli_errors import warn
from core.cli_options import Home, Workspace, home_settings
from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from alerts.rules import Rule
    from core.settings import Settings

PRESET_NAMES = "vip_complaint, negative_spike, sentiment_dip, source_silent"


def _params(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--param: expected key=value, got {value!r}", details={"param": value})
        out[key.strip()] = text
    return out


def _check_channels(settings: Settings, workspace: str, rules: list[Rule]) -> None:
    """Warn about each channel a rule names that the workspace's channels file lacks."""
    from alerts.channels.catalog import channels_file, workspace_channels
    from alerts.manage import missing_channels
    from core.errors import ConfigError

    where = channels_file(settings, workspace=workspace)
    try:
        known = workspace_channels(settings, workspace=workspace)
    except ConfigError as exc:
        warn(f"the channels of the rules were not checked: {exc}")
        return
    for rule, name in missing_channels(rules, known):
        warn(
            f"rule {rule.name!r} delivers to channel {name!r}, which {where} does not define: its "
            "deliveries fail until it does (the alerts still reach the inbox)"
        )


def add_cmd(
    rule_file: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, readable=True, help="Rules (YAML or JSON); or use --preset"
    ),
    preset: str | None = typer.Option(None, "--preset", help=f"A shipped template: {PRESET_NAMES}"),
    owner: str | None = typer.Option(None, "--owner", help="Who owns the preset's rule"),
    params: list[str] | None = typer.Option(
        None,
        "--param",
        help="key=value: the preset's query= or platform=, or any rule field (name, severity, cooldown, "
        "timezone...); repeatable",
    ),
    channels: list[str] | None = typer.Option(
        None, "--channel", help="A channel of the preset's rule (channels.yaml); repeatable"
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Save every rule of a file (all or none: a bad rule refuses the file, each problem located), or
    one preset rule; a rule of the same id is replaced. Warns about channels that channels.yaml lacks."""
    from alerts.manage import save_rules
    from alerts.presets import preset_from_params
    from alerts.rules import load_rules

    if (rule_file is None) == (preset is None):
        raise InvalidInput("give a rule file or --preset NAME (not both)")
    if preset is None:
        if owner or params or channels:
            raise InvalidInput("--owner, --param and --channel go with --preset; a rule file says it all")
        assert rule_file is not None
        rules = load_rules(rule_file)
    else:
        if not owner:
            raise InvalidInput("--preset needs --owner NAME")
        rules = [
            preset_from_params(preset, owner=owner, params=_params(params or []), channels=channels or ())
        ]
    settings = home_settings(home)
    with alert_stores(settings, workspace) as stores:
        saved = save_rules(stores.rules, rules)
    for item in saved:
        verb = "added" if item.created else "updated"
        typer.echo(f"{verb:<8} {item.rule.id}  {item.rule.kind:<13}  {item.rule.name}")
    _check_channels(settings, workspace, rules)


def rules_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the rules as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """The workspace's rules: id, name, kind, enabled, channels, group_by, last update."""
    from rich.console import Console
    from rich.table import Table

    with alert_stores(home_settings(home), workspace) as stores:
        rules = stores.rules.list()
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rules], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Rules of workspace {workspace}", title_justify="left")
    for column in ("id", "name", "kind", "enabled", "channels", "group_by", "updated"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(
            r.id,
            r.name,
            r.kind,
            "yes" if r.enabled else "no",
            ", ".join(r.channels) or "-",
            ", ".join(r.group_by) or "-",
            r.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console = Console(markup=False, highlight=False)  # names and queries print as typed
    if rules:
        console.print(table)
    else:
        console.print("No rules: add some with `earful alerts add RULES.yaml` or --preset.")


def remove_cmd(
    rule: str = typer.Argument(..., help="The rule's id or name"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Delete a rule and its engine state; its alerts stay in the inbox."""
    from alerts.manage import remove_rule

    with alert_stores(home_settings(home), workspace) as stores:
        removed = remove_rule(stores, rule)
    typer.echo(f"removed {removed.id}  {removed.name} (its alerts stay in the inbox)")


def _switch(rule: str, enabled: bool, workspace: str, home: Path | None) -> None:
    from alerts.manage import set_enabled

    with alert_stores(home_settings(home), workspace) as stores:
        found = set_enabled(stores.rules, rule, enabled)
    typer.echo(f"{'enabled' if enabled else 'disabled'} {found.id}  {found.name}")


def enable_cmd(
    rule: str = typer.Argument(..., help="The rule's id or name"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Switch a rule on."""
    _switch(rule, True, workspace, home)


def disable_cmd(
    rule: str = typer.Argument(..., help="The rule's id or name"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Switch a rule off: it matches nothing until enabled again (its state and alerts stay)."""
    _switch(rule, False, workspace, home)
