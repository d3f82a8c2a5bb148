"""`earful customers`: import the master file, show a customer's 360 view, give link feedback.

The directory and the mention store are the configured ones (`store.backend`: the SQLite file, or the
Elasticsearch cluster and prefix). Nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from core.models import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from core.models import Customer
    from core.settings import Settings
    from index.base import MentionStore
    from index.customers import CustomerStore

customers_app = typer.Typer(
    name="customers",
    help="The customer master file: import it, look a customer up, confirm or reject links.",
    no_args_is_help=True,
)
LATEST = 5


class VerdictArg(StrEnum):
    confirm = "confirm"
    reject = "reject"


def _directory(settings: Settings) -> CustomerStore:
    from index.customers import build_customer_directory

    return build_customer_directory(settings, workspace=DEFAULT_WORKSPACE)


def _store(settings: Settings) -> MentionStore:
    from core.registry import STORES
    from index.base import MentionStore

    store = STORES.create(settings.store.backend, settings, workspace=DEFAULT_WORKSPACE)
    if not isinstance(store, MentionStore):
        raise typer.BadParameter(f"store {settings.store.backend!r} is not a MentionStore")
    return store


@customers_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Master file (CSV)"),
) -> None:
    """Import (or re-import) a customer master file, idempotent by code. Columns: docs/customers.md."""
    from core.errors import InvalidInput
    from core.settings import get_settings
    from index.customers_import import import_master_file

    directory = _directory(get_settings())
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


def customer_view(
    customer: Customer, store: MentionStore, order_numbers: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The 360 view: master data, linked mentions (count, latest, sentiment share), open complaints.

    There is no case workflow yet, so every linked complaint counts as open."""
    from core.models import IntentLabel, SentimentLabel
    from index.base import MentionFilter, SearchRequest

    linked = MentionFilter(customer_ids=(customer.id,))
    complaints = MentionFilter(customer_ids=(customer.id,), intents=(IntentLabel.complaint,))
    share = store.sentiment_share(linked)
    latest = store.search(SearchRequest(filters=linked, sort="newest", limit=LATEST)).hits
    complaint_page = store.search(SearchRequest(filters=complaints, sort="newest", limit=LATEST))

    def brief(mention: Any) -> dict[str, Any]:
        link = mention.customer
        return {
            "id": mention.id,
            "published_at": mention.published_at.isoformat(),
            "platform": mention.platform,
            "sentiment": mention.sentiment.label.value,
            "intents": [i.label.value for i in mention.intents],
            "text": mention.text if len(mention.text) <= 160 else mention.text[:159] + "…",
            "link": {"method": link.method, "confidence": link.confidence} if link else None,
        }

    return {
        "customer": {**customer.model_dump(mode="json"), "order_numbers": list(order_numbers)},
        "mentions": share.total,
        "sentiment": {
            label.value: round(share.share(label), 4) for label in SentimentLabel if share.counts.get(label)
        },
        "latest": [brief(m) for m in latest],
        "open_complaints": {"count": complaint_page.total, "latest": [brief(m) for m in complaint_page.hits]},
    }


def _print_view(view: dict[str, Any]) -> None:
    c = view["customer"]
    typer.echo(f"{c['name']} ({c['code']})  tier {c['tier']}  id {c['id']}")
    details = {
        "category": c["category"],
        "industry": c["industry"],
        "city": c["city"],
        "country": c["country"],
        "birthday": c["birthday"],
        "emails": ", ".join(x["value"] for x in c["contacts"] if x["kind"] == "email"),
        "phones": ", ".join(x["value"] for x in c["contacts"] if x["kind"] == "phone"),
        "handles": ", ".join(
            f"{h['platform']}:{h['handle'] or ''}{'#' + h['user_id'] if h['user_id'] else ''}"
            for h in c["handles"]
        ),
        "orders": ", ".join(c["order_numbers"]),
        "consent": f"marketing {'yes' if c['consent']['marketing'] else 'no'}, "
        f"profiling {'yes' if c['consent']['profiling'] else 'no'}",
    }
    for key, value in details.items():
        if value:
            typer.echo(f"  {key:<9} {value}")
    shares = ", ".join(f"{label} {share:.0%}" for label, share in view["sentiment"].items()) or "-"
    typer.echo(f"linked mentions: {view['mentions']}  sentiment: {shares}")
    typer.echo(f"open complaints: {view['open_complaints']['count']}")
    for m in view["open_complaints"]["latest"]:
        typer.echo(f"  ! {m['published_at'][:16]}  {m['platform']:<9} {m['text']}  [{m['id']}]")
    typer.echo("latest mentions:")
    for m in view["latest"]:
        typer.echo(
            f"  {m['published_at'][:16]}  {m['platform']:<9} {m['sentiment']:<8} {m['text']}  [{m['id']}]"
        )


@customers_app.command("show")
def show_cmd(
    code: str = typer.Argument(..., help="Customer code (or customer id)"),
    as_json: bool = typer.Option(False, "--json", help="Print the view as JSON"),
) -> None:
    """A customer's 360 view: master data, linked mentions, sentiment, latest mentions, open complaints."""
    from core.settings import get_settings

    settings = get_settings()
    directory = _directory(settings)
    try:
        customer = _find(directory, code)
        if customer is None:
            typer.echo(f"no customer with code {code!r}", err=True)
            raise typer.Exit(2)
        store = _store(settings)
        try:
            view = customer_view(customer, store, directory.order_numbers(customer.id))
        finally:
            store.close()
    finally:
        directory.close()
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        _print_view(view)


@customers_app.command("link-feedback")
def link_feedback_cmd(
    mention_id: str = typer.Argument(..., help="The mention whose author is judged"),
    customer: str = typer.Argument(..., help="Customer id or code"),
    verdict: VerdictArg = typer.Argument(..., help="confirm: this author is this customer; reject: never"),
) -> None:
    """Confirm or reject that a mention's author is a customer; linking respects it from now on.

    The stored mention is updated too: a confirm links it (confidence 1.0, method 'manual'); a reject
    unlinks it if it was linked to that customer."""
    from core.customer_keys import author_keys
    from core.models import CustomerLink, EnrichedMention
    from core.settings import get_settings

    settings = get_settings()
    directory = _directory(settings)
    try:
        found = _find(directory, customer)
        if found is None:
            typer.echo(f"no customer {customer!r}", err=True)
            raise typer.Exit(2)
        store = _store(settings)
        try:
            mention = store.get(mention_id)
            if mention is None:
                typer.echo(f"no mention {mention_id!r}", err=True)
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
        finally:
            store.close()
    finally:
        directory.close()
    typer.echo(
        f"{verdict.value}ed: author {key} {'is' if verdict is VerdictArg.confirm else 'is not'} {found.code}"
    )


def _find(directory: CustomerStore, code_or_id: str) -> Customer | None:
    return directory.by_code(code_or_id) or directory.get(code_or_id)
