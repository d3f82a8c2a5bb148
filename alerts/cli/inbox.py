"""`earful alerts list | show | ack | snooze | resolve`: the alert inbox. An alert is named by its id or
an unambiguous prefix of it (at least 4 characters), as `list` shows them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from alerts.cli.common import alert_stores, snippet_text, who
from alerts.inbox import AlertStatus
from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from rich.text import Text

    from alerts.inbox import Alert
    from alerts.outbox import OutboxRecord

ID_WIDTH = 12  # characters of an id that `list` shows: plenty to be unambiguous, and accepted back

AlertId = typer.Argument(..., help="The alert's id, or the start of it (as `earful alerts list` shows it)")
By = typer.Option(None, "--by", help="Who does it (default: the user running the command)")
Note = typer.Option("", "--note", help="A note kept in the alert's history")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def alert_json(alert: Alert) -> dict[str, Any]:
    from alerts.manage import headline

    return {**alert.model_dump(mode="json"), "headline": headline(alert)}


def delivery_json(record: OutboxRecord) -> dict[str, Any]:
    """A delivery as `show --json` prints it: its state, not the message (the alert is beside it)."""
    return record.model_dump(mode="json", exclude={"message", "revision"})


def list_cmd(
    status: AlertStatus | None = typer.Option(None, "--status", help="Only alerts in this status"),
    rule: str | None = typer.Option(None, "--rule", help="Only this rule's alerts (id or name)"),
    key: str | None = typer.Option(None, "--key", help="Only this key (author=sam, as the alert shows it)"),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many alerts, newest first"),
    as_json: bool = typer.Option(False, "--json", help="Print the alerts as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """The inbox, newest first: when, severity, rule, key, decision, status, headline, id."""
    from rich.console import Console
    from rich.table import Table

    from alerts.manage import headline, list_inbox

    with alert_stores(home_settings(home), workspace) as stores:
        alerts = list_inbox(stores, status=status, rule=rule, key=key, limit=limit).alerts
    if as_json:
        typer.echo(json.dumps([alert_json(a) for a in alerts], ensure_ascii=False, indent=2))
        return
    console = Console(markup=False, highlight=False)
    if not alerts:
        console.print("No alerts.")
        return
    table = Table(title=f"Alerts of workspace {workspace}", title_justify="left")
    for column in ("when", "severity", "rule", "key", "decision", "status", "headline", "id"):
        table.add_column(column, overflow="fold", no_wrap=column in ("when", "id"))
    for a in alerts:
        state = a.status.value
        if a.status is AlertStatus.snoozed and a.snoozed_until is not None:
            state = f"snoozed until {_when(a.snoozed_until)}"
        table.add_row(
            _when(a.fired_at),
            a.severity.value,
            a.rule_name,
            a.key or "-",
            a.decision,
            state,
            headline(a),
            a.id[:ID_WIDTH],
        )
    console.print(table)


def _ranked(items: Any) -> str:
    return ", ".join(f"{r.key} ({r.count})" for r in items)


def _show_lines(alert: Alert, deliveries: list[OutboxRecord]) -> list[str | Text]:
    from alerts.manage import headline

    e = alert.explanation
    status = alert.status.value
    if alert.snoozed_until is not None:
        status += f" until {alert.snoozed_until.isoformat()}"
    lines: list[str | Text] = [
        f"Alert {alert.id}",
        f"  {headline(alert, width=200)}",
        f"  rule      {alert.rule_name}  ({alert.rule_id}, {alert.kind})",
        f"  decision  {alert.decision}    severity {alert.severity.value}    status {status}",
        f"  key       {alert.key or '- (the rule has no group_by)'}",
        f"  fired     {alert.fired_at.isoformat()}",
    ]
    if alert.window_start is not None:
        lines.append(f"  window    from {alert.window_start.isoformat()}")
    if alert.mention_ids:
        lines.append(f"  mentions  {', '.join(alert.mention_ids)}")
    lines += ["Why", f"  query     {e.query or '-'}"]
    lines += [f"  {name:<9} {value}" for name, value in e.numbers.items()]
    for label, items in (
        ("terms", e.top_terms),
        ("authors", e.top_authors),
        ("sites", e.top_sites),
        ("aspects", e.top_aspects),
    ):
        if items:
            lines.append(f"  top {label:<5} {_ranked(items)}")
    if e.customer is not None:
        c = e.customer
        lines += [
            "Customer",
            f"  {c.name or c.customer_id}  ({c.customer_id})  tier {c.tier or '-'}  "
            f"open complaints {c.open_complaints}",
        ]
        if c.last_mentions:
            lines.append(f"  last mentions  {', '.join(c.last_mentions)}")
    if e.snippet:
        from rich.text import Text

        lines += ["Snippet", Text("  ") + snippet_text(e.snippet)]
    for section in e.sections:
        lines.append(section.title or "More")
        lines += [f"  {f.label}: {f.value}" for f in section.fields]
    if e.links:
        lines.append("Links")
        lines += [f"  {link.label}: {link.url}" for link in e.links]
    lines.append("History")
    lines += [
        f"  {change.at.isoformat()}  {change.status.value:<12} by {change.by}"
        + (f" until {change.until.isoformat()}" if change.until else "")
        + (f"  ({change.note})" if change.note else "")
        for change in alert.history
    ] or ["  - (no change since it fired)"]
    lines.append("Deliveries")
    for d in deliveries:
        line = f"  {d.channel:<16} {d.state.value:<8} attempts {d.attempts}"
        if d.last_status is not None:
            line += f"  status {d.last_status}"
        if d.sent_at is not None:
            line += f"  sent {d.sent_at.isoformat()}"
        elif d.state.value == "pending":
            line += f"  next attempt {d.next_attempt_at.isoformat()}"
        if d.last_reason:
            line += f"  last reason: {d.last_reason}"
        lines.append(line)
    if not deliveries:
        lines.append("  - (no channel: the alert is in the inbox only)")
    return lines


def show_cmd(
    alert_id: str = AlertId,
    as_json: bool = typer.Option(False, "--json", help="Print the alert and its deliveries as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """An alert in full: the explanation (query, numbers, top terms, authors, sites and aspects,
    customer, snippet, links), its history, and each channel's delivery with attempts and last reason."""
    from rich.console import Console

    from alerts.manage import find_alert

    with alert_stores(home_settings(home), workspace) as stores:
        alert = find_alert(stores.alerts, alert_id)
        deliveries = stores.outbox.list(alert_id=alert.id, limit=1000)
    if as_json:
        payload = {"alert": alert_json(alert), "deliveries": [delivery_json(d) for d in deliveries]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console = Console(markup=False, highlight=False)
    for line in _show_lines(alert, deliveries):
        console.print(line, soft_wrap=True)


def _moved(verb: str, alert: Alert) -> None:
    typer.echo(f"{verb} {alert.id}  ({alert.rule_name}, key {alert.key or '-'})")


def _move(
    alert_id: str, status: AlertStatus, by: str | None, note: str, workspace: str, home: Path | None
) -> None:
    from alerts.manage import move_alert

    with alert_stores(home_settings(home), workspace) as stores:
        alert = move_alert(stores.alerts, alert_id, status, by=who(by), note=note)
    _moved(f"{status.value} by {who(by)}:", alert)


def ack_cmd(
    alert_id: str = AlertId,
    by: str | None = By,
    note: str = Note,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Acknowledge an alert: someone is on it (a snooze of its key is lifted)."""
    _move(alert_id, AlertStatus.acknowledged, by, note, workspace, home)


def snooze_cmd(
    alert_id: str = AlertId,
    for_: str | None = typer.Option(None, "--for", help="How long: 30m, 2h, 1d"),
    until: str | None = typer.Option(None, "--until", help="Until when: an ISO time (UTC without offset)"),
    by: str | None = By,
    note: str = Note,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Mute the alert's rule for the alert's key only, until the snooze ends; the rule's other keys
    keep alerting."""
    from alerts.manage import snooze_alert, snooze_expiry
    from core.models import utcnow

    now = utcnow()
    snooze_expiry(now, for_=for_, until=until)  # a bad expiry is refused before the store is opened
    with alert_stores(home_settings(home), workspace) as stores:
        alert = snooze_alert(stores.alerts, alert_id, by=who(by), for_=for_, until=until, note=note, now=now)
    assert alert.snoozed_until is not None
    _moved(f"snoozed until {alert.snoozed_until.isoformat()}:", alert)
    if alert.key:
        typer.echo(
            f"muted: rule {alert.rule_name!r} for key {alert.key!r} only; its other keys keep alerting"
        )
    else:
        typer.echo(f"muted: rule {alert.rule_name!r} has no group_by, so its one key is the whole rule")


def resolve_cmd(
    alert_id: str = AlertId,
    by: str | None = By,
    note: str = Note,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Resolve an alert: dealt with (a snooze of its key is lifted)."""
    _move(alert_id, AlertStatus.resolved, by, note, workspace, home)
