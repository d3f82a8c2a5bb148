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
from typing import Annotated, Any, Final, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from alerts.channels.base import Attachment
from alerts.report_delivery import enqueue_report, fired_between, report_channels, report_message
from api.accounts.models import Permission
from api.deps import Principal, Stores, require
from api.errors import error_responses
from api.services import Services
from core.errors import InvalidInput, NotFound
from core.models import utcnow
from core.settings import ReportLanguage, ZoneName
from reports.archive import ArchivedReport
from reports.brands import Brand, BrandRole
from reports.build import build_report
from reports.data import ReportData
from reports.definitions import DEFAULT_FORMATS, MEDIA_TYPES, PeriodName, ReportDefinition, ReportFormat
from reports.manage import (
    definition_brands,
    find_brand,
    find_report,
    missing_brands,
    remove_brand,
    with_brand_names,
)
from reports.period import check_period_name
from reports.produce import definition_period, produce, report_delivery
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
M = TypeVar("M", bound=BaseModel)

BRAND_EXAMPLE: Final[dict[str, Any]] = {
    "query": '"acme" OR #acme OR @acme_support',
    "role": "own",
    "description": "Our brand, every product line",
}
REPORT_EXAMPLE: Final[dict[str, Any]] = {
    "title": "Weekly brand report",
    "brands": ["Acme", "Globex"],
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
        default_factory=lambda: list(DEFAULT_FORMATS), min_length=1, max_length=4
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
def validated(model: type[M], data: Mapping[str, Any], *, path: Sequence[str] = ("name",)) -> M:
    """`model` built from `data`; its validation errors as a 422 located like FastAPI's own (fields
    in `path` came from the URL, the others from the body)."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors = [
            {
                **error,
                "loc": ("path" if error["loc"][:1] and error["loc"][0] in path else "body", *error["loc"]),
            }
            for error in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise RequestValidationError(errors) from exc


def save_brand(services: Services, name: str, body: BrandBody) -> tuple[Brand, bool]:
    """The brand as stored, and whether it is new."""
    store = services.reports
    existed = store.get_brand(name) is not None
    brand = validated(Brand, {"name": name, **body.model_dump()})
    return store.save_brand(brand), not existed


def save_definition(services: Services, name: str, body: ReportBody) -> tuple[ReportDefinition, bool]:
    """The definition as stored, and whether it is new. Each brand it names must exist (a 422 locating
    each unknown one); brands are stored as the brands spell their names."""
    store = services.reports
    settings = services.settings.reports
    data = {
        **body.model_dump(exclude={"timezone", "language"}),
        "name": name,
        "timezone": body.timezone or settings.timezone,
        "language": body.language or settings.language,
    }
    definition = validated(ReportDefinition, data)
    known = store.list_brands()
    missing = set(missing_brands(definition, known))
    if missing:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "brands", index),
                    "msg": f"unknown brand {given!r}: add it first (PUT /api/v1/brands/{{name}})",
                    "type": "unknown_brand",
                }
                for index, given in enumerate(definition.brands)
                if given in missing
            ]
        )
    existed = store.get_report(name) is not None
    return store.save_report(with_brand_names(definition, known)), not existed


def report_data(services: Services, definition: ReportDefinition, period: str | None = None) -> ReportData:
    """The report's numbers for `period` (default: the definition's), built now from the stores."""
    now = utcnow()
    resolved = definition_period(definition, period, now)
    settings = services.settings.reports
    return build_report(
        services.mentions,
        definition_brands(services.reports, definition),
        resolved,
        name=definition.name,
        title=definition.display_title,
        language=definition.language,
        customers=services.customers,
        scores=services.scores,
        alerts=fired_between(services.alerts.alerts, resolved.start, resolved.end),
        top=settings.top,
        samples=settings.samples,
        now=now,
    )


def check_delivery(services: Services, definition: ReportDefinition) -> None:
    """A report is delivered only to channels the workspace's channels file defines (400 naming the
    others), and only when it names some."""
    if not definition.channels:
        raise InvalidInput(
            f"report {definition.name!r} names no channel to deliver it to",
            details={"report": definition.name, "field": "deliver"},
        )
    report_channels(
        services.settings, workspace=services.workspace, report=definition.name, channels=definition.channels
    )


def run_report(
    services: Services, definition: ReportDefinition, period: str | None = None, *, deliver: bool = False
) -> ArchivedReport:
    """Build, render and archive the report for `period` (default: the definition's); with `deliver`,
    queue one delivery per channel in the outbox (the dispatcher sends it: `earful listen --follow`,
    the next report flow). The same period again replaces the run, and its deliveries are not queued
    twice."""
    now = utcnow()
    resolved = definition_period(definition, period, now)  # a bad period: before anything is built
    if deliver:
        check_delivery(services, definition)
    settings = services.settings.reports
    archive = services.report_archive
    produced = produce(
        services.mentions,
        services.reports,
        archive,
        definition,
        period_name=resolved.name,
        now=now,
        customers=services.customers,
        scores=services.scores,
        alerts=fired_between(services.alerts.alerts, resolved.start, resolved.end),
        top=settings.top,
        samples=settings.samples,
    )
    if deliver:
        content = report_delivery(archive, produced, public_url=settings.public_url)
        attachments = tuple(Attachment(**f.model_dump()) for f in content.files)
        message = report_message(
            **content.model_dump(exclude={"files"}), attachments=attachments, created_at=now
        )
        enqueue_report(services.alerts.outbox, message, definition.channels, now)
    return produced.archived


def find_definition(services: Services, name: str) -> ReportDefinition:
    return find_report(services.reports, name)


def find_run(services: Services, run_id: str) -> ArchivedReport:
    try:
        run = services.report_archive.get(run_id)
    except InvalidInput:  # not even the shape of a run id: no such run
        run = None
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
    return find_brand(services.reports, name)


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
    return remove_brand(services.reports, name)


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
    report: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Only this report's runs"),
    ] = None,
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
    "check_delivery",
    "content_disposition",
    "find_definition",
    "find_run",
    "report_data",
    "router",
    "run_file",
    "run_report",
    "save_brand",
    "save_definition",
]
