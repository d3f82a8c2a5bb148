"""`earful crm` (alias `earful customers`): show a customer's 360 view, give link feedback. Imports,
interactions and the timeline: crm/cli/records.py.

The directory and the mention store are the configured ones (`store.backend`: the SQLite file, or the
Elasticsearch cluster and prefix). Nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
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
    from crm.interactions import Interaction
    from crm.orders import Order
    from crm.scores import CustomerScore
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


def view_json(view: Customer360) -> dict[str, Any]:
    """The view as `--json` prints it (the shape predates Customer360: order numbers sit in `customer`).
    The bank account is masked, as everywhere it is shown."""

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

    customer = view.masked().customer.model_dump(mode="json")
    orders = view.orders
    return {
        "customer": {**customer, "order_numbers": list(view.order_numbers)},
        "mentions": view.mentions,
        "sentiment": {label.value: share for label, share in view.sentiment.items()},
        "latest": [brief(m) for m in view.latest],
        "open_complaints": {
            "count": view.open_complaints,
            "latest": [brief(m) for m in view.latest_complaints],
        },
        "interactions": {
            "count": view.interactions,
            "latest": [i.model_dump(mode="json") for i in view.latest_interactions],
        },
        "orders": {
            "count": orders.count,
            "totals": {currency: str(total) for currency, total in orders.totals.items()},
            "first_order": orders.first_order.isoformat() if orders.first_order else None,
            "last_order": orders.last_order.isoformat() if orders.last_order else None,
            "latest": [o.model_dump(mode="json") for o in orders.latest],
        },
        "cases": [case.model_dump(mode="json") for case in view.cases],
        "score": view.score.model_dump(mode="json") if view.score else None,
        "sla": {case_id: sla.model_dump(mode="json") for case_id, sla in view.sla.items()},
        "reminders": [r.model_dump(mode="json") for r in view.reminders],
        "verdicts": [v.model_dump(mode="json") for v in view.verdicts],
    }


def interaction_line(i: Interaction) -> str:
    parts = [i.at.isoformat()[:16], f"{i.channel.value:<8}", i.staff or "-"]
    parts += [f"@ {i.where}"] if i.where else []
    parts += [f"-> {i.outcome}"] if i.outcome else []
    parts += [i.notes] if i.notes else []
    return "  ".join(parts) + f"  [{i.id}]"


def order_line(o: Order) -> str:
    products = f"  {', '.join(o.products)}" if o.products else ""
    channel = f"  {o.channel}" if o.channel else ""
    return f"{o.ordered_at.isoformat()[:10]}  {o.order_id}  {o.amount} {o.currency}{channel}{products}"


def _master_details(c: Customer) -> dict[str, str | None]:
    """The master file's fields beyond identity and contact, as `show` prints them."""
    from core.models import mask_account

    a = c.assessment
    people = "; ".join(
        " ".join(x for x in (p.name, p.role and f"({p.role})", p.phone, p.email) if x)
        for p in c.contact_persons
    )
    return {
        "address": " ".join(x for x in (c.address, c.postal_code) if x),
        "contacts": people,
        "bank": " ".join(x for x in (c.bank, mask_account(c.bank_account)) if x),
        "contracts": ", ".join(c.contract_numbers),
        "owner": c.owner,
        "dates": ", ".join(
            f"{label} {day.isoformat()}"
            for label, day in (
                ("anniversary", c.anniversary),
                ("renewal", c.contract_renewal),
                *((d.label, d.day) for d in c.dates),
            )
            if day
        ),
        "attitude": a.attitude,
        "evaluation": a.evaluation,
        "problems": a.problems,
        "credit": a.credit,
        "rivals": a.competitors,
        "potential": a.potential,
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
        **_master_details(c),
    }
    for key, value in details.items():
        if value:
            typer.echo(f"  {key:<9} {value}")
    shares = ", ".join(f"{label.value} {share:.0%}" for label, share in view.sentiment.items()) or "-"
    typer.echo(f"linked mentions: {view.mentions}  sentiment: {shares}")
    typer.echo(f"open cases: {len(view.cases)}  open complaints: {view.open_complaints}")
    for case in view.cases:
        typer.echo(
            f"  # {case.id}  {case.status.value:<9} {case.priority.value:<6} {case.assignee or '-':<12} "
            f"{len(case.mention_ids)} mentions, {len(case.notes)} notes  {case.title}"
        )
    for m in view.latest_complaints:
        typer.echo(f"  ! {m.published_at.isoformat()[:16]}  {m.platform:<9} {m.excerpt}  [{m.id}]")
    typer.echo("latest mentions:")
    for m in view.latest:
        when = m.published_at.isoformat()[:16]
        typer.echo(f"  {when}  {m.platform:<9} {m.sentiment.value:<8} {m.excerpt}  [{m.id}]")
    typer.echo(f"interactions: {view.interactions}")
    for i in view.latest_interactions:
        typer.echo(f"  {interaction_line(i)}")
    o = view.orders
    totals = ", ".join(f"{total} {currency}" for currency, total in o.totals.items()) or "-"
    span = (
        f"  first {o.first_order.date()}  last {o.last_order.date()}"
        if o.first_order and o.last_order
        else ""
    )
    typer.echo(f"orders: {o.count}  total {totals}{span}")
    for order in o.latest:
        typer.echo(f"  {order_line(order)}")
    for line in score_lines(view.score):
        typer.echo(line)
    if view.reminders:
        from crm.reminders import detail

        typer.echo("coming up:")
        for reminder in view.reminders:
            typer.echo(f"  {detail(reminder)}")


def score_lines(score: CustomerScore | None) -> list[str]:
    """The stored score in a few lines (nothing when the customer has never been scored)."""
    if score is None:
        return []
    if score.skipped:
        return [f"score: skipped ({score.skipped})"]
    rfm = f"RFM {score.rfm.code} {score.rfm.segment.value}" if score.rfm else "no orders"
    tier = f"value tier {score.tier.value}" if score.tier else "no value tier"
    clv = score.lifetime.clv if score.lifetime and score.lifetime.clv is not None else None
    lines = [
        f"score ({score.computed_at.date()}): {rfm}, {tier}, CLV {'-' if clv is None else f'{clv:,.2f}'}"
    ]
    if score.churn is not None:
        lines.append(f"churn risk: {score.churn.risk:.2f}")
        lines += [f"  - {reason.text}" for reason in score.churn.reasons]
    return lines


@crm_app.command("show")
def show_cmd(
    code: str = typer.Argument(..., help="Customer code (or customer id)"),
    as_json: bool = typer.Option(False, "--json", help="Print the view as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """A customer's 360 view: master data, linked mentions, sentiment, latest mentions, open cases and
    their complaints (`earful crm case show ID` tells a case's whole story), interactions and orders."""
    from core.settings import get_settings
    from crm.cases import build_case_store
    from crm.customer360 import build_customer360
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from crm.scores import build_score_store

    settings = get_settings()
    opened = _customer_stores(settings, workspace, code, wanted="customer with code")
    with (
        opened as (directory, customer, store),
        build_interaction_store(settings, workspace=workspace) as interactions,
        build_order_store(settings, workspace=workspace) as orders,
        build_case_store(settings, workspace=workspace) as cases,
        build_score_store(settings, workspace=workspace) as scores,
    ):
        view = build_customer360(
            customer,
            directory,
            store,
            interactions=interactions,
            orders=orders,
            cases=cases,
            scores=scores,
            feedback=directory,
        )
    if as_json:
        typer.echo(json.dumps(view_json(view), ensure_ascii=False, indent=2))
    else:
        _print_view(view)


@crm_app.command("link-feedback")
def link_feedback_cmd(
    mention_id: str = typer.Argument(..., help="The mention whose author is judged"),
    customer: str = typer.Argument(..., help="Customer id or code"),
    verdict: VerdictArg = typer.Argument(..., help="confirm: this author is this customer; reject: never"),
    by: str | None = typer.Option(None, "--by", help="Who gives the verdict (default: the login name)"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Confirm or reject that a mention's author is a customer; linking respects it from now on.

    The stored mention is updated too: a confirm links it (confidence 1.0, method 'manual'); a reject
    unlinks it if it was linked to that customer."""
    import getpass

    from core.errors import NotFound
    from core.settings import get_settings
    from crm.link_feedback import judge_link

    try:
        who = by or getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        who = None
    with _customer_stores(get_settings(), workspace, customer) as (directory, found, store):
        try:
            judged = judge_link(
                directory, store, mention_id=mention_id, customer=found, verdict=verdict.value, by=who
            )
        except NotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
    key = judged.author_key
    typer.echo(
        f"{verdict.value}ed: author {key} {'is' if verdict is VerdictArg.confirm else 'is not'} {found.code}"
    )


@contextmanager
def _customer_stores(
    settings: Settings, workspace: str, code_or_id: str, *, wanted: str = "customer"
) -> Iterator[tuple[CustomerStore, Customer, MentionStore]]:
    """The workspace's directory, the customer found in it and the mention store, closed afterwards; an
    unknown customer ends the command with exit status 2."""
    from core.errors import NotFound
    from crm.customers import find_customer

    directory = _directory(settings, workspace)
    try:
        try:
            customer = find_customer(directory, code_or_id)
        except NotFound:
            typer.echo(f"no {wanted} {code_or_id!r} in workspace {workspace!r}", err=True)
            raise typer.Exit(2) from None
        store = _store(settings, workspace)
        try:
            yield directory, customer, store
        finally:
            store.close()
    finally:
        directory.close()
