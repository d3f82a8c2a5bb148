"""`earful crm cases`, `earful crm case show|open|assign|status|note` and `earful crm transfer`.

A case is named by its id or a unique prefix of it. Who makes a change is `--by` (default: the login
name); every change lands in the case's history. A refused move (a closed case reopened, an unknown
status) or an unknown case or customer ends the command with exit status 2 and one line saying why.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

if TYPE_CHECKING:
    from crm.cases import Case, CaseStore
    from crm.customers import CustomerStore

case_app = typer.Typer(name="case", help="One case: show, open, assign, change status, add a note.")
crm_app.add_typer(case_app, name="case")


class StatusArg(StrEnum):
    new = "new"
    open = "open"
    pending = "pending"
    escalated = "escalated"
    resolved = "resolved"
    closed = "closed"


class PriorityArg(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


By = typer.Option(None, "--by", help="Who makes the change (default: your login name)")


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@contextmanager
def _stores(workspace: str) -> Iterator[tuple[CaseStore, CustomerStore]]:
    """The workspace's case store and customer directory; an EarfulError (a refused move, an unknown
    case) ends the command with status 2 and its message."""
    from core.errors import EarfulError
    from core.settings import get_settings
    from crm.cases import build_case_store
    from crm.customers import build_customer_directory

    settings = get_settings()
    cases = build_case_store(settings, workspace=workspace)
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        yield cases, directory
    except EarfulError as exc:
        raise _fail(exc.message) from exc
    finally:
        cases.close()
        directory.close()


def find_case(cases: CaseStore, ref: str) -> Case:
    """The case with id `ref`, or the one case whose id starts with it."""
    from core.errors import InvalidInput, NotFound

    found = cases.get(ref)
    if found is not None:
        return found
    matches = [c for c in cases.list() if c.id.startswith(ref)] if len(ref) >= 4 else []
    if len(matches) > 1:
        raise InvalidInput(f"case id prefix {ref!r} matches {len(matches)} cases", details={"case": ref})
    if not matches:
        raise NotFound(f"no case {ref!r} in workspace {cases.workspace!r}", details={"case": ref})
    return matches[0]


def _customer_id(directory: CustomerStore, code_or_id: str) -> str:
    from core.errors import NotFound

    customer = directory.by_code(code_or_id) or directory.get(code_or_id)
    if customer is None:
        raise NotFound(f"no customer {code_or_id!r} in workspace {directory.workspace!r}")
    return customer.id


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "-"


def _left(seconds: float | None) -> str:
    if seconds is None:
        return "met"
    sign, seconds = ("late ", -seconds) if seconds < 0 else ("", seconds)
    hours = seconds / 3600
    return f"{sign}{hours / 24:.1f}d" if hours >= 48 else f"{sign}{hours:.1f}h"


def case_json(case: Case, now: datetime, codes: dict[str, str] | None = None) -> dict[str, Any]:
    """A case as `--json` prints it: the case itself, its customer's code and its SLA timers now."""
    return {
        **case.model_dump(mode="json"),
        "customer_code": (codes or {}).get(case.customer_id),
        "sla": case.sla(now).model_dump(mode="json") | {"breached": case.sla(now).breached},
    }


@crm_app.command("cases")
def cases_cmd(
    status: list[StatusArg] | None = typer.Option(
        None, "--status", "-s", help="Only these statuses (repeat)"
    ),
    open_only: bool = typer.Option(False, "--open", help="Only open cases (new, open, pending, escalated)"),
    assignee: str | None = typer.Option(None, "--assignee", help="Only cases assigned to this staff member"),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's cases (code or id)"),
    breached: bool = typer.Option(False, "--breached", help="Only cases past an SLA target now"),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many cases"),
    as_json: bool = typer.Option(False, "--json", help="Print the cases as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """List cases, most recently changed first, with their SLA timers."""
    from core.models import utcnow
    from crm.cases import CaseFilter, CaseStatus

    now = utcnow()
    with _stores(workspace) as (cases, directory):
        filters = CaseFilter(
            statuses=tuple(CaseStatus(s.value) for s in status or ()),
            open_only=open_only,
            assignee=assignee,
            customer_id=_customer_id(directory, customer) if customer else None,
        )
        # breaches are computed from the clock, not stored: filtered here, over the matching cases
        found = cases.list(filters, limit=None if breached else limit)
        if breached:
            found = [c for c in found if c.sla(now).breached][:limit]
        codes = {cid: who.code for cid in {c.customer_id for c in found} if (who := directory.get(cid))}
    if as_json:
        typer.echo(json.dumps([case_json(c, now, codes) for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no cases")
        return
    for case in found:
        sla = case.sla(now)
        flag = "!" if sla.breached else " "
        typer.echo(
            f"{flag} {case.id}  {case.status.value:<9} {case.priority.value:<6} "
            f"{codes.get(case.customer_id, case.customer_id[:8]):<8} {case.assignee or '-':<12} "
            f"respond {_left(sla.first_response_left):<10} resolve {_left(sla.resolution_left):<10} "
            f"{case.title}"
        )


@case_app.command("show")
def show_cmd(
    case_ref: str = typer.Argument(..., metavar="ID", help="Case id (or a unique prefix)"),
    as_json: bool = typer.Option(False, "--json", help="Print the case as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """A case's whole story: customer, status, SLA, its mentions, notes (private ones marked) and the
    history of every change."""
    from core.models import utcnow
    from core.settings import get_settings
    from index.backends import build_mention_store

    now = utcnow()
    with _stores(workspace) as (cases, directory):
        case = find_case(cases, case_ref)
        customer = directory.get(case.customer_id)
        mention_store = build_mention_store(get_settings(), workspace=workspace)
        try:
            mentions = [m for mid in case.mention_ids if (m := mention_store.get(mid)) is not None]
        finally:
            mention_store.close()
    if as_json:
        body = case_json(case, now, {customer.id: customer.code} if customer else None)
        body["mentions"] = [
            m.model_dump(mode="json", include={"id", "platform", "url", "text", "published_at"})
            for m in mentions
        ]
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    sla = case.sla(now)
    who = (
        f"{customer.name} ({customer.code}), account owner {customer.owner or '-'}"
        if customer
        else case.customer_id
    )
    typer.echo(f"case {case.id}: {case.title}")
    typer.echo(f"  customer  {who}")
    typer.echo(
        f"  status    {case.status.value}   priority {case.priority.value}   assignee {case.assignee or '-'}"
    )
    typer.echo(f"  opened    {_when(case.opened_at)}   updated {_when(case.updated_at)}")
    typer.echo(
        f"  respond   by {_when(sla.first_response_due)} ({_left(sla.first_response_left)}"
        f"{', breached' if sla.first_response_breached else ''}); responded {_when(case.first_response_at)}"
    )
    typer.echo(
        f"  resolve   by {_when(sla.resolution_due)} ({_left(sla.resolution_left)}"
        f"{', breached' if sla.resolution_breached else ''}); resolved {_when(case.resolved_at)}"
    )
    typer.echo(f"mentions ({len(case.mention_ids)}):")
    for m in mentions:
        typer.echo(f"  {_when(m.published_at)}  {m.platform:<9} {' '.join(m.text.split())[:160]}  [{m.id}]")
    for missing in set(case.mention_ids) - {m.id for m in mentions}:
        typer.echo(f"  (mention {missing} is no longer stored)")
    if case.interaction_ids:
        typer.echo(f"interactions: {', '.join(case.interaction_ids)}")
    typer.echo(f"notes ({len(case.notes)}):")
    for note in case.notes:
        typer.echo(f"  {_when(note.at)}  {note.author}{' (private)' if note.private else ''}: {note.text}")
    typer.echo("history:")
    for change in case.history:
        what = f"{change.before} -> {change.after}" if change.before is not None else (change.after or "")
        typer.echo(f"  {_when(change.at)}  {change.by:<12} {change.field}: {what}")


@case_app.command("open")
def open_cmd(
    customer: str = typer.Argument(..., help="Customer code (or id)"),
    title: str = typer.Option(..., "--title", "-t", help="What the problem is"),
    priority: PriorityArg = typer.Option(PriorityArg.normal, "--priority", "-p", help="SLA priority"),
    assignee: str | None = typer.Option(None, "--assignee", help="Default: the customer's account owner"),
    note: str | None = typer.Option(None, "--note", help="A first private note"),
    by: str | None = By,
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Open a case by hand (a phone call, a visit: what no mention told us)."""
    from core.models import utcnow
    from core.settings import get_settings
    from crm.cases import Case, CasePriority

    now, actor = utcnow(), _actor(by)
    with _stores(workspace) as (cases, directory):
        found = directory.get(_customer_id(directory, customer))
        assert found is not None
        case = Case.open(
            customer_id=found.id,
            title=title,
            by=actor,
            opened_at=now,
            now=now,
            policy=get_settings().crm.cases,
            priority=CasePriority(priority.value),
            assignee=assignee or found.owner,
        )
        if note:
            case = case.add_note(note, by=actor, now=now, private=True)
        cases.create(case)
    typer.echo(f"opened case {case.id} for {found.code}, assigned to {case.assignee or 'nobody'}")


@case_app.command("assign")
def assign_cmd(
    case_ref: str = typer.Argument(..., metavar="ID", help="Case id (or a unique prefix)"),
    name: str = typer.Argument(..., help="The staff member who takes it over"),
    by: str | None = By,
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Assign a case to a staff member."""
    from core.models import utcnow

    now, actor = utcnow(), _actor(by)
    with _stores(workspace) as (cases, _):
        case = find_case(cases, case_ref)
        case = cases.update(case.id, lambda c: c.assign(name, by=actor, now=now))
    typer.echo(f"case {case.id} assigned to {case.assignee}")


@case_app.command("status")
def status_cmd(
    case_ref: str = typer.Argument(..., metavar="ID", help="Case id (or a unique prefix)"),
    status: StatusArg = typer.Argument(..., help="The new status"),
    note: str | None = typer.Option(None, "--note", help="Why (kept as a private note)"),
    by: str | None = By,
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Move a case to another status; a move the workflow does not allow is refused, saying which are."""
    from core.models import utcnow

    now, actor = utcnow(), _actor(by)
    with _stores(workspace) as (cases, _):
        case = find_case(cases, case_ref)
        before = case.status.value
        case = cases.update(case.id, lambda c: c.move_to(status.value, by=actor, now=now, note=note))
    typer.echo(f"case {case.id}: {before} -> {case.status.value}")


@case_app.command("note")
def note_cmd(
    case_ref: str = typer.Argument(..., metavar="ID", help="Case id (or a unique prefix)"),
    text: str = typer.Argument(..., help="The note"),
    private: bool = typer.Option(False, "--private", help="Internal only (does not count as a response)"),
    by: str | None = By,
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Add a note to a case; a note that is not private is a response to the customer."""
    from core.models import utcnow

    now, actor = utcnow(), _actor(by)
    with _stores(workspace) as (cases, _):
        case = find_case(cases, case_ref)
        case = cases.update(case.id, lambda c: c.add_note(text, by=actor, now=now, private=private))
    typer.echo(f"case {case.id}: {len(case.notes)} notes")


@crm_app.command("transfer")
def transfer_cmd(
    from_: str = typer.Option(..., "--from", help="The staff member who leaves"),
    to: str = typer.Option(..., "--to", help="The staff member who takes over"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only print what would move"),
    by: str | None = By,
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Hand a staff member's customers (account owner) and open cases (assignee) over to another. Each
    moved case records the move in its history; resolved and closed cases keep their assignee."""
    from core.models import utcnow
    from crm.handover import transfer

    with _stores(workspace) as (cases, directory):
        report = transfer(
            from_, to, customers=directory, cases=cases, by=_actor(by), now=utcnow(), dry_run=dry_run
        )
    verb = "would move" if dry_run else "moved"
    typer.echo(
        f"{verb} {len(report.customers)} customers and {len(report.cases)} open cases "
        f"from {report.from_} to {report.to}"
    )
    for code in report.customers:
        typer.echo(f"  customer {code}")
    for case_id in report.cases:
        typer.echo(f"  case {case_id}")
