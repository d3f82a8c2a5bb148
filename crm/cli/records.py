"""`earful crm import|interaction add|timeline`: the master file, orders and interactions, from files or
the command line, and a customer's merged timeline.

`import` prints the counts, then every rejected row as ``file:line: reason``, and exits with status 1
when any row was rejected (the valid rows are imported all the same: a script notices, a person reads
the list), 2 when the file itself is unusable.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app
from crm.cli.customers import _customer_stores, interaction_line

if TYPE_CHECKING:
    from datetime import tzinfo

    from core.settings import Settings
    from crm.tabular import ImportReport

interaction_app = typer.Typer(name="interaction", help="The company's contacts with customers.")
crm_app.add_typer(interaction_app, name="interaction")


class KindArg(StrEnum):
    customers = "customers"
    orders = "orders"
    interactions = "interactions"


def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        typer.echo(f"error: unknown time zone {name!r} (e.g. UTC, Asia/Shanghai)", err=True)
        raise typer.Exit(2) from None


def _import(
    settings: Settings, workspace: str, file: Path, kind: str, tz: tzinfo, currency: str
) -> ImportReport:
    from crm.customers import build_customer_directory
    from crm.imports import import_interactions, import_orders
    from crm.interactions import build_interaction_store
    from crm.master_file import import_master_file
    from crm.orders import build_order_store

    with (
        build_customer_directory(settings, workspace=workspace) as directory,
        build_order_store(settings, workspace=workspace) as orders,
    ):
        if kind == "customers":
            # the order ids that order imports taught linking survive a master-file re-import
            return import_master_file(
                file, directory, orders=orders, refused=absorbed_customers(settings, workspace)
            )
        if kind == "orders":
            return import_orders(file, orders, directory, tz=tz, default_currency=currency)
        with build_interaction_store(settings, workspace=workspace) as interactions:
            return import_interactions(file, interactions, directory, tz=tz)


def absorbed_customers(settings: Settings, workspace: str) -> dict[str, str]:
    """customer id -> why a master-file row of theirs is refused: they were absorbed by an active merge
    (importing them would recreate the merged customer and block the merge's unmerge)."""
    from crm.identity.audit import build_merge_audit_store

    with build_merge_audit_store(settings, workspace=workspace) as audit:
        return {
            m.absorbed_id: f"{m.absorbed_code} was absorbed into {m.survivor_code} by merge {m.id}; "
            "unmerge first or import under the survivor's code"
            for m in audit.list(active_only=True)
        }


@crm_app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="A CSV or XLSX file with a header row"
    ),
    kind: KindArg | None = typer.Option(
        None, "--kind", help="What the file holds; guessed from its header when left out"
    ),
    timezone: str = typer.Option("UTC", "--timezone", help="Zone of dates and times without an offset"),
    currency: str = typer.Option("CNY", "--currency", help="Currency of order rows that name none"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Import (or re-import) customers, orders or interactions into a workspace, idempotent by customer
    code, order id and interaction id. Columns, in English or Chinese: docs/customers.md."""
    from core.errors import InvalidInput
    from core.settings import get_settings
    from crm.imports import guess_kind

    tz = _zone(timezone)
    try:
        what = kind.value if kind is not None else guess_kind(file)
        report = _import(get_settings(), workspace, file, what, tz, currency)
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"imported {report.imported} {what}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {len(report.rejected)} rows rejected"
    )
    for rejected in report.rejected:
        typer.echo(f"  {rejected.locator}: {rejected.reason}")
    if what == "orders" and report.imported:
        _recompute(workspace)
    if report.rejected:
        raise typer.Exit(1)  # scripts notice; the valid rows are imported all the same


def _recompute(workspace: str) -> None:
    """Scores move with every order: recompute the workspace's (open cases from its case store) so
    they are fresh when the import returns; the nightly flow does the same for the calendar."""
    from time import perf_counter

    from core.settings import get_settings
    from crm.scores import recompute_scores

    started = perf_counter()
    scored = recompute_scores(get_settings(), workspace=workspace)
    typer.echo(
        f"scores recomputed in {perf_counter() - started:.2f}s: {scored.scored} customers scored, "
        f"{scored.skipped} skipped"
    )


@interaction_app.command("add")
def interaction_add_cmd(
    customer: str = typer.Argument(..., help="Customer code (or customer id)"),
    channel: str = typer.Option(
        ...,
        "--channel",
        help="visit, phone, email, wechat, qq, in_store, other (or 拜访, 电话, 邮件, 微信, QQ, 门店)",
    ),
    at: str | None = typer.Option(None, "--at", help="When (ISO date or date and time); default: now"),
    staff: str | None = typer.Option(None, "--staff", help="Who made the contact"),
    where: str | None = typer.Option(None, "--where", help="Where"),
    cost: str | None = typer.Option(None, "--cost", help="What it cost the company"),
    discount: str | None = typer.Option(None, "--discount", help="Discount given, as an amount"),
    currency: str | None = typer.Option(None, "--currency", help="Currency of cost and discount"),
    service: str | None = typer.Option(None, "--service", help="Service or support provided"),
    outcome: str | None = typer.Option(None, "--outcome", help="How it ended"),
    notes: str | None = typer.Option(None, "--notes", help="Free text"),
    timezone: str = typer.Option("UTC", "--timezone", help="Zone of --at without an offset"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Record a contact with a customer. The same customer, time, channel and staff again is the same
    interaction (updated, not duplicated)."""
    from pydantic import ValidationError

    from core.errors import validation_reason
    from core.models import utcnow
    from core.settings import get_settings
    from crm.interactions import Interaction, build_interaction_store, parse_channel
    from crm.tabular import parse_decimal, parse_when

    settings = get_settings()
    with _customer_stores(settings, workspace, customer) as (_, found, _store):
        try:
            when = parse_when("--at", at, _zone(timezone)) if at else utcnow()
            interaction = Interaction.new(
                customer_id=found.id,
                at=when,
                channel=parse_channel(channel),
                staff=staff,
                where=where,
                cost=parse_decimal("--cost", cost),
                discount=parse_decimal("--discount", discount),
                currency=currency,
                service=service,
                outcome=outcome,
                notes=notes,
            )
        except (ValueError, ValidationError) as exc:
            reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
            typer.echo(f"error: {reason}", err=True)
            raise typer.Exit(2) from None
        with build_interaction_store(settings, workspace=workspace) as store:
            counts = store.upsert([interaction])
    state = "recorded" if counts.created else "updated" if counts.updated else "unchanged"
    typer.echo(f"{state} for {found.code}: {interaction_line(interaction)}")


@crm_app.command("timeline")
def timeline_cmd(
    customer: str = typer.Argument(..., help="Customer code (or customer id)"),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="Entries per page"),
    offset: int = typer.Option(0, "--offset", min=0, help="Entries to skip (the page's start)"),
    as_json: bool = typer.Option(False, "--json", help="Print the page as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """A customer's history, newest first: linked mentions, interactions, orders, and their cases
    (changes and notes)."""
    from core.settings import get_settings
    from crm.cases import build_case_store
    from crm.cases.timeline import case_entries
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from crm.timeline import timeline

    settings = get_settings()
    with (
        _customer_stores(settings, workspace, customer) as (_, found, mentions),
        build_interaction_store(settings, workspace=workspace) as interactions,
        build_order_store(settings, workspace=workspace) as orders,
        build_case_store(settings, workspace=workspace) as cases,
    ):
        page = timeline(
            found.id,
            mentions=mentions,
            interactions=interactions,
            orders=orders,
            sources=(case_entries(cases),),
            limit=limit,
            offset=offset,
        )
    if as_json:
        typer.echo(json.dumps(page.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{found.name} ({found.code}): timeline, newest first")
    for entry in page.entries:
        typer.echo(f"  {_when(entry.at)}  {entry.kind:<11} {entry.title}  [{entry.ref}]")
        if entry.detail:
            typer.echo(f"  {'':16}  {'':11} {entry.detail}")
    if not page.entries:
        typer.echo("  (nothing yet)")
    if page.next_offset is not None:
        typer.echo(f"more: --offset {page.next_offset}")


def _when(at: datetime) -> str:
    return at.isoformat(sep=" ")[:16]
