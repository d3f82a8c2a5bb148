"""`earful reports brands add | list | show | remove`: the workspace's brands and competitors, each a named
query with a role. A brand is named whatever its case and spacing ("Acme" is "ACME")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE
from reports.brands import BrandRole
from reports.cli.common import console, report_store, reported, validated
from reports.manage import find_brand, remove_brand, users_of

if TYPE_CHECKING:
    from reports.brands import Brand

brands_app = typer.Typer(
    name="brands",
    help="Brands and competitors: named queries the reports count and compare (share of voice).",
    no_args_is_help=True,
)

Name = typer.Argument(..., help="The brand's name (any case and spacing finds it)")


def brand_json(brand: Brand) -> dict[str, object]:
    return brand.model_dump(mode="json")


@brands_app.command("add")
@reported
def add_cmd(
    name: str = Name,
    query: str = typer.Option(..., "--query", "-q", help="What the brand's mentions match (query language)"),
    role: BrandRole = typer.Option(BrandRole.own, "--role", help="own, competitor or product_line"),
    description: str = typer.Option("", "--description", help="A note for people reading the reports"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Add a brand, or replace the one of that name (its first creation time is kept). The query is
    checked: a bad one is refused with where and why."""
    from reports.brands import Brand

    brand = validated(Brand, f"brand {name!r}", name=name, query=query, role=role, description=description)
    with report_store(home_settings(home), workspace) as store:
        existed = store.get_brand(brand.name) is not None
        saved = store.save_brand(brand)
    typer.echo(f"{'updated' if existed else 'added':<8} {saved.name}  ({saved.role.value})  {saved.query}")


@brands_app.command("list")
@reported
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the brands as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """The workspace's brands: own brand first, then product lines, then competitors."""
    from rich.table import Table

    with report_store(home_settings(home), workspace) as store:
        brands = store.list_brands()
    if as_json:
        typer.echo(json.dumps([brand_json(b) for b in brands], ensure_ascii=False, indent=2))
        return
    out = console()
    if not brands:
        out.print("No brands: add one with `earful reports brands add NAME --query QUERY`.")
        return
    table = Table(title=f"Brands of workspace {workspace}", title_justify="left")
    for column in ("name", "role", "query", "description", "updated"):
        table.add_column(column, overflow="fold")
    for b in brands:
        table.add_row(
            b.name, b.role.value, b.query, b.description or "-", b.updated_at.strftime("%Y-%m-%d %H:%M")
        )
    out.print(table)


@brands_app.command("show")
@reported
def show_cmd(
    name: str = Name,
    as_json: bool = typer.Option(False, "--json", help="Print the brand as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """One brand, and the report definitions that name it."""
    from rich.table import Table

    with report_store(home_settings(home), workspace) as store:
        brand = find_brand(store, name)
        reports = users_of(store, brand)
    if as_json:
        typer.echo(json.dumps({**brand_json(brand), "reports": reports}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Brand {brand.name}", title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for field, value in (
        ("name", brand.name),
        ("role", brand.role.value),
        ("query", brand.query),
        ("description", brand.description or "-"),
        ("reports", ", ".join(reports) or "- (every report without a brand list counts it)"),
        ("created", brand.created_at.isoformat(timespec="seconds")),
        ("updated", brand.updated_at.isoformat(timespec="seconds")),
    ):
        table.add_row(field, value)
    console().print(table)


@brands_app.command("remove")
@reported
def remove_cmd(
    name: str = Name,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Delete a brand; refused while a report definition names it (change the report first)."""
    with report_store(home_settings(home), workspace) as store:
        brand = remove_brand(store, name)
    typer.echo(f"removed {brand.name}")


__all__ = ["brand_json", "brands_app"]
