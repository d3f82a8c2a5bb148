"""Brand managers' reports (JSON): brands, report definitions, report data built live, runs and the archive.
The same library calls as ``earful reports`` (`reports.store`, `reports.build`, `reports.produce`,
`reports.archive`); the report pages (`api.web.pages.reports`) call the functions of this module too.

- Brands (``/brands``) and report definitions (``/reports``): list and read (READ); create or replace by
  name with PUT, and delete (REPORTS_WRITE). A brand's query is checked by the query parser, a
  definition's brands must exist: both are 422s locating the field (``details.errors[].loc``). A brand a
  definition names cannot be deleted (409) until the definition stops naming it.
- ``GET /reports/{name}/data``: the report's numbers (`reports.data.ReportData`) for a period, built
  live from the stores: what a BI tool pulls.
- ``POST /reports/{name}/runs`` (REPORTS_WRITE): build, render and archive the report now; with
  ``deliver=true`` its delivery to the definition's channels is queued in the alert outbox.
- The archive (``/report-archive``): list (newest first), read one run, download one of its files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from alerts.inbox import Alert
from alerts.store.base import AlertFilter, AlertStore, ListMark
from api.accounts.models import Permission
from api.deps import Principal, Stores, require
from api.errors import error_responses
from api.services import Services
from core.errors import Conflict, NotFound
from core.settings import ReportLanguage, ZoneName
from reports.archive import ArchivedReport
from reports.brands import Brand, BrandRole, brand_key
from reports.build import build_report
from reports.data import ReportData
from reports.definitions import PeriodName, ReportDefinition, ReportFormat
from reports.period import ReportPeriod, check_period_name, resolve_period
from reports.render import MEDIA_TYPES
from reports.schedule import ReportSchedule

router = APIRouter(prefix="/api/v1", tags=["reports"])

Reader = Annotated[Principal, Depends(require(Permission.READ))]
Writer = Annotated[Principal, Depends(require(Permission.REPORTS_WRITE))]

BrandName = Annotated[str, Path(min_length=1, max_length=100, description="The brand's name (any case)")]
ReportName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="The report definition's name",
    ),
]
PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="yesterday, today, last-week, this-week, last-month, this-month, last-N-days or "
        "YYYY-MM-DD..YYYY-MM-DD; default the definition's period",
    ),
    AfterValidator(lambda name: None if name is None else check_period_name(name)),
]
MAX_ARCHIVE_LIST: Final = 500
ALERTS_PAGE: Final = 500

BRAND_EXAMPLE: Final[dict[str, Any]] = {
    "query": '"acme" OR #acme OR @acme_support',
    "role": "own",
    "description": "Our brand, every product line",
}
REPORT_EXAMPLE: Final[dict[str, Any]] = {
    "title": "Weekly brand report",
    "brands": [],
    "period": "last-week",
    "timezone": "Asia/Shanghai",
    "language": "zh",
    "formats": ["html", "pdf", "csv"],
    "schedule": {"cron": "0 9 * * 1"},
    "channels": ["brand-team-mail"],
}


# --- models --------------------------------------------------------------------------------------
class BrandBody(BaseModel):
    """A brand, named by the URL: what its query matches is what reports count for it."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [BRAND_EXAMPLE]})

    query: str = Field(min_length=1, max_length=10_000, description="Query language text (checked)")
    role: BrandRole = Field(BrandRole.own, description="own, competitor or product_line")
    description: str = Field("", max_length=1000)


class BrandList(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"workspace": "default", "brands": []}]}
    )

    workspace: str
    brands: list[Brand] = Field(description="Own brand first, then product lines, then competitors")


class ReportBody(BaseModel):
    """A report definition, named by the URL. Time zone and language default to the settings'
    (``EARFUL_REPORTS__TIMEZONE``, ``EARFUL_REPORTS__LANGUAGE``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [REPORT_EXAMPLE]})

    title: str = Field("", max_length=200, description="Shown on the report; defaults to the name")
    brands: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Brand names, in the order shown; empty: every brand"
    )
    period: PeriodName = Field("last-week", description="The period a run covers by default")
    timezone: ZoneName | None = Field(None, description="IANA zone of the period, schedule and dates")
    language: ReportLanguage | None = Field(None, description="en or zh")
    formats: list[ReportFormat] = Field(
        default_factory=lambda: ["html", "pdf", "csv"], min_length=1, max_length=4
    )
    schedule: ReportSchedule | None = Field(None, description="A cron or an interval; none: run on demand")
    channels: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Alert channels (by name) it is delivered through"
    )


class ReportList(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"workspace": "default", "reports": []}]}
    )

    workspace: str
    reports: list[ReportDefinition] = Field(description="By name")


class ArchiveList(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"workspace": "default", "runs": []}]}
    )

    workspace: str
    runs: list[ArchivedReport] = Field(description="Newest first")


# --- what the routes and the pages share ---------------------------------------------------------
def validated(model: type[Any], data: Mapping[str, Any], *, path: Sequence[str] = ("name",)) -> Any:
    """`model` built from `data`; its validation errors as a 422 located like FastAPI's own (fields
    in `path` came from the URL, the others from the body)."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("path" if error["loc"][:1] and error["loc"][0] in path else "body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise RequestValidationError(errors) from exc


def find_brand(services: Services, name: str) -> Brand:
    brand = services.reports.get_brand(name)
    if brand is None:
        raise NotFound(f"no brand named {name!r} in this workspace", details={"brand": name})
    return brand


def save_brand(services: Services, name: str, body: BrandBody) -> tuple[Brand, bool]:
    """The brand as stored, and whether it is new."""
    store = services.reports
    existed = store.get_brand(name) is not None
    brand: Brand = validated(Brand, {"name": name, **body.model_dump()})
    return store.save_brand(brand), not existed


def reports_naming(services: Services, name: str) -> list[str]:
    """The definitions that name the brand `name`."""
    key = brand_key(name)
    return [d.name for d in services.reports.list_reports() if key in {brand_key(b) for b in d.brands}]


def remove_brand(services: Services, name: str) -> Brand:
    """Delete a brand; 404 when there is none, 409 while a report definition names it."""
    brand = find_brand(services, name)
    users = reports_naming(services, brand.name)
    if users:
        raise Conflict(
            f"brand {brand.name!r} is named by the report(s) {', '.join(users)}: remove it from them first",
            details={"brand": brand.name, "reports": users},
        )
    services.reports.delete_brand(brand.name)
    return brand


def find_definition(services: Services, name: str) -> ReportDefinition:
    definition = services.reports.get_report(name)
    if definition is None:
        raise NotFound(f"no report named {name!r} in this workspace", details={"report": name})
    return definition


def save_definition(services: Services, name: str, body: ReportBody) -> tuple[ReportDefinition, bool]:
    """The definition as stored, and whether it is new. Each brand it names must exist (422 locating
    the unknown ones); a brand is stored under the name it was given (its case as the brand has it)."""
    store = services.reports
    brands: list[str] = []
    errors: list[dict[str, Any]] = []
    for index, given in enumerate(body.brands):
        brand = store.get_brand(given)
        if brand is None:
            errors.append(
                {
                    "loc": ("body", "brands", index),
                    "msg": f"unknown brand {given!r}: add it first (PUT /api/v1/brands/{{name}})",
                    "type": "unknown_brand",
                }
            )
        else:
            brands.append(brand.name)
    if errors:
        raise RequestValidationError(errors)
    settings = services.settings.reports
    data = {
        **body.model_dump(exclude={"brands", "timezone", "language"}),
        "name": name,
        "brands": brands,
        "timezone": body.timezone or settings.timezone,
        "language": body.language or settings.language,
    }
    definition: ReportDefinition = validated(ReportDefinition, data)
    existed = store.get_report(name) is not None
    return store.save_report(definition), not existed


def definition_brands(services: Services, definition: ReportDefinition) -> list[Brand]:
    """The brands a definition reports on, in its order (every brand when it names none)."""
    store = services.reports
    if not definition.brands:
        return store.list_brands()
    found = [store.get_brand(name) for name in definition.brands]
    missing = [name for name, brand in zip(definition.brands, found, strict=True) if brand is None]
    if missing:
        raise NotFound(
            f"report {definition.name!r} names brands that no longer exist: {', '.join(missing)}",
            details={"report": definition.name, "brands": missing},
        )
    return [brand for brand in found if brand is not None]


def period_alerts(store: AlertStore, period: ReportPeriod) -> list[Alert]:
    """The alerts fired in [start, end) of the period, newest first."""
    found: list[Alert] = []
    after: ListMark | None = None
    while True:
        page = store.list(AlertFilter(since=period.start), limit=ALERTS_PAGE, after=after)
        found += [alert for alert in page if alert.fired_at < period.end]
        if len(page) < ALERTS_PAGE:
            return found
        after = ListMark(fired_at=page[-1].fired_at, id=page[-1].id)


def report_period(definition: ReportDefinition, period: str | None, now: datetime | None = None) -> ReportPeriod:
    return resolve_period(period or definition.period, tz=definition.timezone, now=now)


def report_data(services: Services, definition: ReportDefinition, period: str | None = None) -> ReportData:
    """The report's numbers for `period` (default: the definition's), built now from the stores."""
    resolved = report_period(definition, period)
    settings = services.settings.reports
    return build_report(
        services.mentions,
        definition_brands(services, definition),
        resolved,
        name=definition.name,
        title=definition.display_title,
        language=definition.language,
        customers=services.customers,
        scores=services.scores,
        alerts=period_alerts(services.alerts.alerts, resolved),
        top=settings.top,
        samples=settings.samples,
    )


def run_report(
    services: Services, definition: ReportDefinition, period: str | None = None, *, deliver: bool = False
) -> ArchivedReport:
    """Build, render and archive the report for `period` (default: the definition's); with `deliver`,
    queue its delivery to the definition's channels through the outbox."""
    now = datetime.now(UTC)
    resolved = report_period(definition, period, now)
    archived = produce_report(
        services.mentions,
        services.reports,
        services.report_archive,
        definition,
        period_name=period,
        now=now,
        customers=services.customers,
        scores=services.scores,
        alerts=period_alerts(services.alerts.alerts, resolved),
    )
    if deliver:
        deliver_report(services, definition, archived)
    return archived


def find_run(services: Services, run_id: str) -> ArchivedReport:
    run = services.report_archive.get(run_id)
    if run is None:
        raise NotFound(f"no archived report {run_id!r} in this workspace", details={"run": run_id})
    return run


def content_disposition(filename: str) -> str:
    """An attachment named `filename` (RFC 6266 / 5987: an ASCII fallback and the UTF-8 name)."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def run_file(services: Services, run_id: str, fmt: str) -> FileResponse:
    """One file of an archived run, as an attachment with its media type; 404 for an unknown run or a
    format it was not built in."""
    run = find_run(services, run_id)
    files = {f.format.value: f for f in run.files}
    if fmt not in files:
        raise NotFound(
            f"archived report {run_id!r} has no {fmt!r} file (it has: {', '.join(files) or 'none'})",
            details={"run": run_id, "format": fmt, "formats": list(files)},
        )
    archived = files[fmt]
    path = services.report_archive.file_path(run_id, archived.format)
    return FileResponse(
        path,
        media_type=archived.media_type,
        headers={"Content-Disposition": content_disposition(archived.filename), "Cache-Control": "private"},
    )


# --- brands --------------------------------------------------------------------------------------
@router.get(
    "/brands",
    response_model=BrandList,
    summary="The workspace's brands and competitors",
    responses=error_responses(401, 403),
)
def list_brands(principal: Reader, services: Stores) -> BrandList:
    return BrandList(workspace=principal.workspace, brands=services.reports.list_brands())


@router.get(
    "/brands/{name}",
    response_model=Brand,
    summary="One brand, by name (any case)",
    responses=error_responses(401, 403, 404, 422),
)
def get_brand(name: BrandName, principal: Reader, services: Stores) -> Brand:
    return find_brand(services, name)


@router.put(
    "/brands/{name}",
    response_model=Brand,
    summary="Create or replace a brand (a replaced brand keeps its creation time)",
    responses={201: {"model": Brand, "description": "Created"}, **error_responses(401, 403, 422)},
)
def put_brand(
    name: BrandName, body: BrandBody, response: Response, principal: Writer, services: Stores
) -> Brand:
    brand, created = save_brand(services, name, body)
    response.status_code = 201 if created else 200
    return brand


@router.delete(
    "/brands/{name}",
    response_model=Brand,
    summary="Delete a brand (refused while a report definition names it); the brand deleted",
    responses=error_responses(401, 403, 404, 409, 422),
)
def delete_brand(name: BrandName, principal: Writer, services: Stores) -> Brand:
    return remove_brand(services, name)


# --- report definitions --------------------------------------------------------------------------
@router.get(
    "/reports",
    response_model=ReportList,
    summary="The workspace's report definitions",
    responses=error_responses(401, 403),
)
def list_reports(principal: Reader, services: Stores) -> ReportList:
    return ReportList(workspace=principal.workspace, reports=services.reports.list_reports())


@router.get(
    "/reports/{name}",
    response_model=ReportDefinition,
    summary="One report definition",
    responses=error_responses(401, 403, 404, 422),
)
def get_report(name: ReportName, principal: Reader, services: Stores) -> ReportDefinition:
    return find_definition(services, name)


@router.put(
    "/reports/{name}",
    response_model=ReportDefinition,
    summary="Create or replace a report definition (every brand it names must exist)",
    responses={201: {"model": ReportDefinition, "description": "Created"}, **error_responses(401, 403, 422)},
)
def put_report(
    name: ReportName, body: ReportBody, response: Response, principal: Writer, services: Stores
) -> ReportDefinition:
    definition, created = save_definition(services, name, body)
    response.status_code = 201 if created else 200
    return definition


@router.delete(
    "/reports/{name}",
    response_model=ReportDefinition,
    summary="Delete a report definition (its archived runs stay); the definition deleted",
    responses=error_responses(401, 403, 404, 422),
)
def delete_report(name: ReportName, principal: Writer, services: Stores) -> ReportDefinition:
    definition = find_definition(services, name)
    services.reports.delete_report(definition.name)
    return definition


@router.get(
    "/reports/{name}/data",
    response_model=ReportData,
    summary="A report's numbers for a period, built now from the stores (for BI tools)",
    description="Every section of the report (volume, sentiment, share of voice, intents, complaint "
    "reasons, authors, sites, customers, alerts, samples) as JSON; nothing is archived.",
    responses=error_responses(400, 401, 403, 404, 422, 502, 503),
)
def get_report_data(
    name: ReportName, principal: Reader, services: Stores, period: PeriodQuery = None
) -> ReportData:
    return report_data(services, find_definition(services, name), period)


# --- runs and the archive ------------------------------------------------------------------------
RunId = Annotated[str, Path(min_length=1, max_length=100, description="The run's id")]
FormatName = Annotated[str, Path(min_length=1, max_length=20, description="html, pdf, csv or xlsx")]


@router.post(
    "/reports/{name}/runs",
    response_model=ArchivedReport,
    status_code=201,
    summary="Build, render and archive a report now (the same period again replaces its files)",
    description="With `deliver=true` the report is also queued for delivery to the definition's "
    "channels through the alert outbox (sent by the delivery flow, retried on failure).",
    responses=error_responses(400, 401, 403, 404, 422, 502, 503),
)
def post_run(
    name: ReportName,
    principal: Writer,
    services: Stores,
    period: PeriodQuery = None,
    deliver: Annotated[bool, Query(description="Queue its delivery to the definition's channels")] = False,
) -> ArchivedReport:
    return run_report(services, find_definition(services, name), period, deliver=deliver)


@router.get(
    "/report-archive",
    response_model=ArchiveList,
    summary="Archived report runs, newest first",
    responses=error_responses(401, 403, 422),
)
def list_archive(
    principal: Reader,
    services: Stores,
    report: Annotated[str | None, Query(max_length=100, description="Only this report's runs")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ARCHIVE_LIST, description="At most this many runs")] = 100,
) -> ArchiveList:
    runs = services.report_archive.list(report=report or None, limit=limit)
    return ArchiveList(workspace=principal.workspace, runs=runs)


@router.get(
    "/report-archive/{run_id}",
    response_model=ArchivedReport,
    summary="One archived run: its period, language, files",
    responses=error_responses(401, 403, 404, 422),
)
def get_run(run_id: RunId, principal: Reader, services: Stores) -> ArchivedReport:
    return find_run(services, run_id)


@router.get(
    "/report-archive/{run_id}/files/{fmt}",
    response_class=FileResponse,
    summary="Download one file of an archived run (html, pdf, csv: a zip of CSVs, xlsx)",
    responses={
        200: {
            "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
            "description": "The file, as an attachment named <report>-<first day>[-<last day>].<ext>",
        },
        **error_responses(401, 403, 404, 422),
    },
)
def download_run_file(run_id: RunId, fmt: FormatName, principal: Reader, services: Stores) -> FileResponse:
    return run_file(services, run_id, fmt)


__all__ = [
    "ArchiveList",
    "BrandBody",
    "BrandList",
    "ReportBody",
    "ReportList",
    "content_disposition",
    "definition_brands",
    "find_brand",
    "find_definition",
    "find_run",
    "period_alerts",
    "remove_brand",
    "report_data",
    "router",
    "run_report",
    "run_file",
    "save_brand",
    "save_definition",
]
