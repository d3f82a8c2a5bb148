"""Looking up a workspace's brands and report definitions, for the CLI, the API and the report flow
alike: one error (NotFound naming what the workspace has) wherever a name is wrong."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import Conflict, NotFound
from reports.brands import Brand, brand_key
from reports.definitions import ReportDefinition
from reports.store import ReportStore


def find_brand(store: ReportStore, name: str) -> Brand:
    """The brand of that name; NotFound naming the workspace's brands."""
    found = store.get_brand(name)
    if found is None:
        known = ", ".join(repr(b.name) for b in store.list_brands()) or "none yet"
        raise NotFound(
            f"no brand {name!r} in workspace {store.workspace!r} (its brands: {known})",
            details={"brand": name, "workspace": store.workspace},
        )
    return found


def users_of(store: ReportStore, brand: Brand) -> list[str]:
    """The report definitions that name `brand`."""
    return [d.name for d in store.list_reports() if any(brand_key(b) == brand.key for b in d.brands)]


def find_report(store: ReportStore, name: str) -> ReportDefinition:
    """The definition of that name; NotFound naming the workspace's reports."""
    found = store.get_report(name)
    if found is None:
        known = ", ".join(d.name for d in store.list_reports()) or "none yet"
        raise NotFound(
            f"no report {name!r} in workspace {store.workspace!r} (its reports: {known})",
            details={"report": name, "workspace": store.workspace},
        )
    return found


def missing_brands(definition: ReportDefinition, known: Sequence[Brand]) -> list[str]:
    """The brands a definition names that are not among `known`."""
    keys = {b.key for b in known}
    return [name for name in definition.brands if brand_key(name) not in keys]


def with_brand_names(definition: ReportDefinition, known: Sequence[Brand]) -> ReportDefinition:
    """`definition` naming its brands as they are stored ("acme" -> "Acme")."""
    names = {b.key: b.name for b in known}
    brands = tuple(names.get(brand_key(n), n) for n in definition.brands)
    return definition.model_copy(update={"brands": brands})


def definition_brands(store: ReportStore, definition: ReportDefinition) -> list[Brand]:
    """The brands `definition` reports on, in its order; every brand of the workspace when it names
    none. NotFound naming every brand it names that does not exist, or when the workspace has none."""
    if not definition.brands:
        brands = store.list_brands()
        if not brands:
            raise NotFound(
                f"report {definition.name!r} covers every brand, and workspace {store.workspace!r} has none: "
                "add a brand first",
                details={"report": definition.name},
            )
        return brands
    found = [store.get_brand(name) for name in definition.brands]
    missing = [name for name, brand in zip(definition.brands, found, strict=True) if brand is None]
    if missing:
        raise NotFound(
            f"report {definition.name!r} names brands that do not exist: {', '.join(missing)}",
            details={"report": definition.name, "brands": missing},
        )
    return [brand for brand in found if brand is not None]


def remove_brand(store: ReportStore, name: str) -> Brand:
    """Delete a brand and return it; NotFound when there is none, Conflict naming the report definitions
    that still name it (a report naming a missing brand could not run: change them first)."""
    brand = find_brand(store, name)
    reports = users_of(store, brand)
    if reports:
        raise Conflict(
            f"brand {brand.name!r} is named by the report(s) {', '.join(reports)}: remove it from them first",
            details={"brand": brand.name, "reports": reports},
        )
    store.delete_brand(brand.name)
    return brand


__all__ = [
    "definition_brands",
    "find_brand",
    "find_report",
    "missing_brands",
    "remove_brand",
    "users_of",
    "with_brand_names",
]
