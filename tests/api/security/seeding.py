"""Data of one workspace, written through the libraries (the workspace's `api.services.Services`), each
piece carrying a marker token in its content (never in an id, which an error message may echo).

`SEEDERS` names one seeder per `Services` store; `seed` runs those whose store `Services` has (so the
mention workflow is seeded once the workflow store is merged, brands and reports once `Services` has
``reports`` and ``report_archive``). `NOT_SEEDED` lists the stores left out
and why; a store in neither fails `test_every_store_is_seeded_or_excused`: extend `SEEDERS` when a
store is added."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Final

from alerts.store_testing import make_alert, make_rule
from api.services import Services
from core.models import Author, Customer, Rejected, SavedSearch
from core.settings import CaseSettings
from crm.cases.model import Case
from index.testing.corpus import enriched_mention
from reports.brands import Brand
from reports.data import ReportData
from reports.definitions import ReportDefinition, ReportFormat
from reports.period import resolve_period

T0: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Seeded:
    """What was written in a workspace: ids by kind, and how to read each piece back (to prove a
    request of another workspace changed nothing)."""

    workspace: str
    marker: str
    ids: dict[str, str] = field(default_factory=dict)
    readers: dict[str, Callable[[], Any]] = field(default_factory=dict)

    @property
    def areas(self) -> list[str]:
        return sorted(self.readers)

    def snapshot(self) -> dict[str, Any]:
        """Each piece as the stores hold it now."""
        return {area: read() for area, read in self.readers.items()}


def _mentions(services: Services, seeded: Seeded) -> None:
    marker = seeded.marker
    mention = enriched_mention(
        f"{seeded.workspace}-post-1",
        f"{marker} the strap broke after a week",
        author=Author(platform="web", handle=f"{marker}fan", display_name=f"{marker} fan"),
    )
    services.mentions.upsert([mention])
    services.mentions.refresh()
    seeded.ids["mention"] = mention.id
    seeded.readers["mentions"] = lambda: services.mentions.get(mention.id)


def _saved_searches(services: Services, seeded: Seeded) -> None:
    search = SavedSearch(
        name=f"{seeded.workspace}-search", owner=seeded.ids["user"], query=seeded.marker, created_at=T0
    )
    services.saved_searches.save_search(search)
    seeded.ids["saved_search"] = search.name
    seeded.ids["saved_search_id"] = search.id
    seeded.readers["saved_searches"] = lambda: services.saved_searches.get_search(search.owner, search.name)


def _alerts(services: Services, seeded: Seeded) -> None:
    rule = services.alerts.rules.save(make_rule(f"{seeded.marker} rule", query=seeded.marker))
    alert = make_alert(seeded.ids.get("mention", "m1"), key=f"{seeded.workspace}-key", rule=rule)
    services.alerts.alerts.add(alert)
    seeded.ids["rule"] = rule.id
    seeded.ids["alert"] = alert.id
    seeded.readers["alerts"] = lambda: (
        services.alerts.rules.get(rule.id),
        services.alerts.alerts.get(alert.id),
    )


def _customers(services: Services, seeded: Seeded) -> None:
    customer = Customer(code=f"{seeded.workspace.upper()}-C1", name=f"{seeded.marker} Trading Ltd")
    services.customers.upsert([customer])
    seeded.ids["customer"] = customer.id
    seeded.readers["customers"] = lambda: services.customers.get(customer.id)


def _cases(services: Services, seeded: Seeded) -> None:
    case = Case.open(
        customer_id=seeded.ids.get("customer", "c-1"),
        title=f"{seeded.marker} broken strap",
        by="mei",
        opened_at=T0,
        now=T0,
        policy=CaseSettings(),
    )
    services.cases.create(case)
    seeded.ids["case"] = case.id
    seeded.readers["cases"] = lambda: services.cases.get(case.id)


def _workflow(services: Services, seeded: Seeded) -> None:
    store = attrgetter("workflow")(services)  # not an attribute check: Services gains it on merging
    mention_id = seeded.ids["mention"]
    store.add_note(mention_id, "mei", f"{seeded.marker} called the customer back", T0)
    seeded.readers["workflow"] = lambda: (store.get(mention_id), store.notes(mention_id))


def _rejected(services: Services, seeded: Seeded) -> None:
    log = attrgetter("rejected")(services)  # the sources page's rejected items (api-dashboard's store)
    item = Rejected(
        source=f"{seeded.workspace}-feed", locator="feed.csv:7", reason="no date", raw=f"{seeded.marker},,"
    )
    log.append(item.source, [item])
    seeded.readers["rejected"] = lambda: log.read(item.source)


def _reports(services: Services, seeded: Seeded) -> None:
    store = attrgetter("reports")(services)  # the brands and report definitions (reports.store)
    brand = store.save_brand(
        Brand(name=f"{seeded.workspace}-brand", query=seeded.marker, description=f"{seeded.marker} brand")
    )
    report = store.save_report(
        ReportDefinition(
            name=f"{seeded.workspace}-weekly", title=f"{seeded.marker} weekly", brands=(brand.name,)
        )
    )
    seeded.ids["brand"] = brand.name
    seeded.ids["report"] = report.name
    seeded.readers["reports"] = lambda: (store.get_brand(brand.name), store.get_report(report.name))


def _report_archive(services: Services, seeded: Seeded) -> None:
    archive = attrgetter("report_archive")(services)  # built reports on disk (reports.archive)
    data = ReportData(
        workspace=seeded.workspace,
        name=f"{seeded.workspace}-weekly",
        title=f"{seeded.marker} weekly",
        period=resolve_period("2026-02-23..2026-03-01"),
        interval="day",
        generated_at=T0,
    )
    run = archive.save(data, {ReportFormat.html: f"<p>{seeded.marker} report</p>".encode()})
    seeded.ids["report_run"] = run.id
    seeded.readers["report_archive"] = lambda: archive.get(run.id)


SEEDERS: Final[dict[str, Callable[[Services, Seeded], None]]] = {
    # in this order: later ones refer to earlier ids (an alert to its mention, a case to its customer)
    "mentions": _mentions,
    "saved_searches": _saved_searches,
    "alerts": _alerts,
    "customers": _customers,
    "cases": _cases,
    "workflow": _workflow,
    "rejected": _rejected,
    "reports": _reports,
    "report_archive": _report_archive,
}
"""`Services` property -> its seeder."""

NOT_SEEDED: Final = {
    "scores": "derived from orders by a batch fit; read only through a customer's 360 view",
    "orders": "read only through a customer's 360 view (the customer is seeded)",
    "interactions": "read only through a customer's 360 view (the customer is seeded)",
    "health": "source health files: the sources page reads them; no user content",
}
"""`Services` properties not seeded, with the reason."""


def store_names() -> list[str]:
    """The stores `Services` has (its properties), whoever added them."""
    return sorted(name for name, value in vars(Services).items() if isinstance(value, property))


def seed(services: Services, marker: str, username: str) -> Seeded:
    """A mention, a saved search of `username`, an alert rule and an alert, a customer, a case and a
    workflow note in `services`' workspace, as far as `Services` has those stores."""
    seeded = Seeded(services.workspace, marker, ids={"user": username})
    present = set(store_names())
    for area, seeder in SEEDERS.items():
        if area in present:
            seeder(services, seeded)
    return seeded
