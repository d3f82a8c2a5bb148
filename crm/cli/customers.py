"""`earful crm` (alias `earful customers`): import the master file, show a customer's 360 view, give
link feedback.

The directory and the mention store are the configured ones (`store.backend`: the SQLite file, or the
Elasticsearch cluster and prefix). Nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

if TYPE_CHECKING:
    from core.models import Customer
    from core.settings import Settings
    from crm.customer360 import Customer360, MentionSummary
    from crm.customers import CustomerStore
    from index.base import MentionStore


class VerdictArg(StrEnum):
    confirm = "confirm"
    reject = "reject"


def _directory(settings: Settings, workspace: str) -> CustomerStore:
    from crm.customers import build_customer_directory

    return build_customer_directory(settings, workspace=workspace)


def _store(settings: Settings, workspace: str) -> MentionStore:
    from index.backends import build_mention_store

    return build_mention_store(settings, workspace=workspace)


@crm_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Master file (CSV)"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Import (or re-import) a customer master file into a workspace, idempotent by code. Columns:
    docs/customers.md."""
    from core.errors import InvalidInput
    from core.settings import get_settings
    from crm.master_file import import_master_file

    directory = _directory(get_settings(), workspace)
    try:
        report = import_master_file(file, directory)
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        directory.close()
    typer.echo(
        f"imported {report.imported} customers: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {len(report.rejected)} rows rejected"
    )
    for rejected in report.rejected:
        typer.echo(f"  {rejected.locator}: {rejected.reason}")
    if report.rejected:
        raise typer.Exit(1)  # scripts notice; the valid rows are imported all the same


def view_json(view: Customer360) -> dict[str, Any]:
    """The view as `--json` prints it (the shape predates Customer360: order numbers sit in `customer`)."""

    def brief(m: MentionSummary) -> dict[str, Any]:
        return {
            "id": m.id,
            "published_at": m.published_at.isoformat(),
            "platform": m.platform,
            "sentiment": m.sentiment.value,
            "intents": [label.value for label in m.intents],
            "text": m.excerpt,
            "link": {"method": m.link.method, "confidence": m.link.confidence} if m.link else None,
        }

    return {
        "customer": {**view.customer.model_dump(mode="json"), "order_numbers": list(view.order_numbers)},
        "mentions": view.mentions,
        "sentiment": {label.value: share for label, share in view.sentiment.items()},
        "latest": [brief(m) for m in view.latest],
        "open_complaints": {
            "count": view.open_complaints,
            "latest": [brief(m) for m in view.latest_complaints],
        },
    }


def _print_view(view: Customer360) -> None:
    c = view.customer
    typer.echo(f"{c.name} ({c.code})  tier {c.tier.value}  id {c.id}")
    details = {
        "category": c.category,
        "industry": c.industry,
        "city": c.city,
        "country": c.country,
        "birthday": c.birthday.isoformat() if c.birthday else None,
        "emails": ", ".join(x.value for x in c.contacts if x.kind == "email"),
        "phones": ", ".join(x.value for x in c.contacts if x.kind == "phone"),
        "handles": ", ".join(
            f"{h.platform}:{h.handle or ''}{'#' + h.user_id if h.user_id else ''}" for h in c.handles
        ),
        "orders": ", ".join(view.order_numbers),
        "consent": f"marketing {'yes' if c.consent.marketing else 'no'}, "
        f"profiling {'yes' if c.consent.profiling else 'no'}",
    }
    for key, value in details.items():
        if value:
            typer.echo(f"  {key:<9} {value}")
    shares = ", ".join(f"{label.value} {share:.0%}" for label, share in view.sentiment.items()) or "-"
    typer.echo(f"linked mentions: {view.mentions}  sentiment: {shares}")
    typer.echo(f"open complaints: {view.open_complaints}")
    for m in view.latest_complaints:
        typer.echo(f"  ! {m.published_at.isoformat()[:16]}  {m.platform:<9} {m.excerpt}  [{m.id}]")
    typer.echo("latest mentions:")
    for m in view.latest:
        when = m.published_at.isoformat()[:16]
        typer.echo(f"  {when}  {m.platform:<9} {m.sentiment.value:<8} {m.excerpt}  [{m.id}]")


@crm_app.command("show")
def show_cmd(
    code: str = typer.Argument(..., help="Customer code (or customer id)"),
    as_json: bool = typer.Option(False, "--json", help="Print the view as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """A customer's 360 view: master data, linked mentions, sentiment, latest mentions, open complaints."""
    from core.settings import get_settings
    from crm.customer360 import build_customer360

    opened = _customer_stores(get_settings(), workspace, code, wanted="customer with code")
    with opened as (directory, customer, store):
        view = build_customer360(customer, directory, store)
    if as_json:
        typer.echo(json.dumps(view_json(view), ensure_ascii=False, indent=2))
    else:
        _print_view(view)


@crm_app.command("link-feedback")
def link_feedback_cmd(
    mention_id: str = typer.Argument(..., help="The mention whose author is judged"),
    customer: str = typer.Argument(..., help="Customer id or code"),
    verdict: VerdictArg = typer.Argument(..., help="confirm: this author is this customer; reject: never"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Confirm or reject that a mention's author is a customer; linking respects it from now on.

    The stored mention is updated too: a confirm links it (confidence 1.0, method 'manual'); a reject
    unlinks it if it was linked to that customer."""
    from core.customer_keys import author_keys
    from core.models import CustomerLink, EnrichedMention
    from core.settings import get_settings

    with _customer_stores(get_settings(), workspace, customer) as (directory, found, store):
        mention = store.get(mention_id)
        if mention is None:
            typer.echo(f"no mention {mention_id!r} in workspace {workspace!r}", err=True)
            raise typer.Exit(2)
        key = author_keys(mention)[0]
        directory.record_feedback(key, found.id, verdict.value, mention.id)
        link: CustomerLink | None = mention.customer
        if verdict is VerdictArg.confirm:
            link = CustomerLink(
                customer_id=found.id, confidence=1.0, method="manual", evidence=(f"confirmed for {key}",)
            )
        elif link is not None and link.customer_id == found.id:
            link = None
        if link != mention.customer:
            data = mention.model_dump()
            data["customer"] = link.model_dump() if link else None
            store.upsert([EnrichedMention.model_validate(data)])
    typer.echo(
        f"{verdict.value}ed: author {key} {'is' if verdict is VerdictArg.confirm else 'is not'} {found.code}"
    )


def _find(directory: CustomerStore, code_or_id: str) -> Customer | None:
    return directory.by_code(code_or_id) or directory.get(code_or_id)


@contextmanager
def _customer_stores(
    settings: Settings, workspace: str, code_or_id: str, *, wanted: str = "customer"
) -> Iterator[tuple[CustomerStore, Customer, MentionStore]]:
    """The workspace's directory, the customer found in it and the mention store, closed afterwards; an
    unknown customer ends the command with exit status 2."""
    directory = _directory(settings, workspace)
    try:
        customer = _find(directory, code_or_id)
        if customer is None:
            typer.echo(f"no {wanted} {code_or_id!r} in workspace {workspace!r}", err=True)
            raise typer.Exit(2)
        store = _store(settings, workspace)
        try:
            yield directory, customer, store
        finally:
            store.close()
    finally:
        directory.close()
