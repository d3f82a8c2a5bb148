"""The report pages: the reports list (/reports: definitions with their schedule in words and last run,
"Run now" through htmx, and the archive with a download per format), one archived report
(/reports/archive/{id}: its record and its HTML in a sandboxed frame) and the brands page
(/reports/brands: add, edit, delete). The same calls as the JSON routes (`api.routes.reports`).

The archived HTML (``/reports/archive/{id}/view``) is the report's own self-contained file: its CSS is
inline, so it is served with a policy of its own (`REPORT_CSP`) that allows inline styles and nothing
else: no script, no request anywhere, a sandbox, framed only by the app's own pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, require_page
from api.routes.reports import (
    BrandBody,
    find_definition,
    find_run,
    run_report,
    save_brand,
    validated,
)
from api.services import Services
from api.web.i18n import request_language, translate
from api.web.render import is_htmx, render
from core.errors import Conflict, EarfulError
from index.aggregations import zone
from reports.archive import ArchivedReport
from reports.brands import BrandRole
from reports.definitions import ReportDefinition, ReportFormat
from reports.manage import find_brand, remove_brand
from reports.schedule import ReportSchedule

router = APIRouter(tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(Permission.READ))]
Writer = Annotated[Principal, Depends(require_page(Permission.REPORTS_WRITE))]

ARCHIVE_ROWS: Final = 50
REPORT_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)
"""The policy of an archived report's HTML: inline styles and data: images only, sandboxed (no script,
no form, no plugin even if the file had one), framed only by the app's pages."""
ROLES: Final = tuple(BrandRole)
BRAND_FIELDS: Final = ("name", "query", "role", "description")
_WEEKDAYS: Final = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


# --- words and times -----------------------------------------------------------------------------
def _clock(minute: str, hour: str) -> str | None:
    if minute.isdigit() and hour.isdigit() and int(hour) < 24 and int(minute) < 60:
        return f"{int(hour):02d}:{int(minute):02d}"
    return None


def _weekday(field: str) -> int | None:
    value = field.lower()
    if value.isdigit() and int(value) <= 7:
        return int(value) % 7
    return _WEEKDAYS.get(value)


def cron_words(cron: str, lang: str) -> str:
    """The common cron shapes in words (every day, weekdays, one weekday, one day of the month, hourly);
    any other is quoted as it is."""
    fields = cron.split()
    if len(fields) == 5:
        minute, hour, day, month, weekday = fields
        clock = _clock(minute, hour)
        if month == "*" and clock is not None:
            if day == "*" and weekday == "*":
                return translate("reports.schedule.daily", lang, time=clock)
            if day == "*" and weekday in ("1-5", "mon-fri", "MON-FRI"):
                return translate("reports.schedule.weekdays", lang, time=clock)
            number = _weekday(weekday)
            if day == "*" and number is not None:
                name = translate(f"reports.weekday.{number}", lang)
                return translate("reports.schedule.weekly", lang, day=name, time=clock)
            if weekday == "*" and day.isdigit():
                return translate("reports.schedule.monthly", lang, day=int(day), time=clock)
        if minute.isdigit() and (hour, day, month, weekday) == ("*", "*", "*", "*"):
            return translate("reports.schedule.hourly", lang, minute=int(minute))
    return translate("reports.schedule.cron", lang, cron=cron)


def interval_words(every: timedelta, lang: str) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds == size:
            return translate(f"reports.schedule.every_{unit}", lang)
        if seconds % size == 0:
            return translate(f"reports.schedule.every_{unit}s", lang, count=seconds // size)
    return translate("reports.schedule.every_seconds", lang, count=seconds)


def schedule_words(schedule: ReportSchedule | None, timezone: str, lang: str) -> str:
    """When a report runs, in words, with its time zone: "Every Monday at 09:00 (Asia/Shanghai)"."""
    if schedule is None:
        return translate("reports.schedule.none", lang)
    if schedule.cron is not None:
        words = cron_words(schedule.cron, lang)
    else:
        assert schedule.every_delta is not None
        words = interval_words(schedule.every_delta, lang)
    return translate("reports.schedule.zone", lang, words=words, zone=timezone)


def local_time(moment: datetime, timezone: str) -> str:
    """A time as the report pages show it: in the report's zone, to the minute."""
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


def period_text(run: ArchivedReport, lang: str) -> str:
    """The days a run covers, in its zone: one date, or "first to last"."""
    tz = zone(run.timezone)
    first = run.start.astimezone(tz).date()
    last = (run.end - timedelta(microseconds=1)).astimezone(tz).date()
    if first == last:
        return first.isoformat()
    return translate("reports.period.range", lang, first=first.isoformat(), last=last.isoformat())


def file_url(run: ArchivedReport, fmt: ReportFormat) -> str:
    return f"/api/v1/report-archive/{run.id}/files/{fmt.value}"


def _helpers(lang: str) -> dict[str, Any]:
    return {
        "local_time": local_time,
        "period_text": lambda run: period_text(run, lang),
        "file_url": file_url,
        "schedule_words": lambda d: schedule_words(d.schedule, d.timezone, lang),
    }


# --- the reports list ----------------------------------------------------------------------------
def _list_context(request: Request, principal: Principal, services: Services, **extra: Any) -> dict[str, Any]:
    archive = services.report_archive
    definitions: list[ReportDefinition] = services.reports.list_reports()
    last_runs = {d.name: next(iter(archive.list(report=d.name, limit=1)), None) for d in definitions}
    lang = request_language(request)
    return {
        "definitions": definitions,
        "last_runs": last_runs,
        "runs": archive.list(limit=ARCHIVE_ROWS),
        "can_write": principal.can(Permission.REPORTS_WRITE),
        "notice": None,
        "notice_kind": "success",
        "new_run": None,
        **_helpers(lang),
        **extra,
    }


@router.get("/reports")
def reports_page(request: Request, principal: Reader, services: Stores) -> Response:
    return render(request, "reports.html", _list_context(request, principal, services))


@router.post("/reports/{name}/run")
def run_page(request: Request, name: str, principal: Writer, services: Stores) -> Response:
    """Run a report now; htmx swaps the reports' body (definitions and archive) with the outcome on top."""
    lang = request_language(request)
    definition = find_definition(services, name)
    status = 200
    try:
        run = run_report(services, definition)
    except EarfulError as exc:
        if exc.http_status >= 500:
            raise
        status = exc.http_status
        notice = translate("reports.run_failed", lang, reason=exc.message)
        extra: dict[str, Any] = {"notice": notice, "notice_kind": "error"}
    else:
        notice = translate("reports.ran", lang, title=run.title, period=period_text(run, lang))
        extra = {"notice": notice, "notice_kind": "success", "new_run": run.id}
    context = _list_context(request, principal, services, **extra)
    template = "_reports_body.html" if is_htmx(request) else "reports.html"
    # htmx swaps only a 2xx answer: the refusal is shown with 200, its status in a header for scripts.
    headers = {"X-Earful-Status": str(status)} if is_htmx(request) else {}
    response = render(request, template, context, status=200 if is_htmx(request) else status)
    response.headers.update(headers)
    return response


# --- one archived report -------------------------------------------------------------------------
@router.get("/reports/archive/{run_id}")
def archived_page(request: Request, run_id: str, principal: Reader, services: Stores) -> Response:
    run = find_run(services, run_id)
    lang = request_language(request)
    context = {
        "run": run,
        "has_html": any(f.format is ReportFormat.html for f in run.files),
        **_helpers(lang),
    }
    return render(request, "report_run.html", context)


@router.get("/reports/archive/{run_id}/view")
def run_html(run_id: str, principal: Reader, services: Stores) -> FileResponse:
    """The archived HTML itself, under its own strict policy (shown in the run page's sandboxed frame)."""
    find_run(services, run_id)
    path = services.report_archive.file_path(run_id, ReportFormat.html)
    headers = {
        "Content-Security-Policy": REPORT_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private",
    }
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)


# --- brands --------------------------------------------------------------------------------------
def _brands_page(
    request: Request,
    principal: Principal,
    services: Services,
    *,
    status: int = 200,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    context = {
        "brands": services.reports.list_brands(),
        "can_write": principal.can(Permission.REPORTS_WRITE),
        "roles": ROLES,
        "form": {"name": "", "query": "", "role": BrandRole.own.value, "description": "", **(form or {})},
        "errors": dict(errors or {}),
        "editing": False,
        "saved": None,
        "deleted": None,
        "notice": None,
        "local_time": local_time,
        **extra,
    }
    return render(request, "report_brands.html", context, status=status)


@router.get("/reports/brands")
def brands_page(
    request: Request,
    principal: Reader,
    services: Stores,
    edit: Annotated[str | None, Query(max_length=100)] = None,
    saved: Annotated[str | None, Query(max_length=100)] = None,
    deleted: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    form: dict[str, str] = {}
    if edit:
        brand = find_brand(services.reports, edit)
        form = {
            "name": brand.name,
            "query": brand.query,
            "role": brand.role.value,
            "description": brand.description,
        }
    return _brands_page(
        request, principal, services, form=form, editing=bool(edit), saved=saved, deleted=deleted
    )


def field_errors(exc: RequestValidationError) -> dict[str, str]:
    """The first problem of each form field, by name."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = next((str(part) for part in error.get("loc", ()) if str(part) in BRAND_FIELDS), "name")
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


@router.post("/reports/brands")
def save_brand_page(
    request: Request,
    principal: Writer,
    services: Stores,
    name: Annotated[str, Form(max_length=1000)] = "",
    query: Annotated[str, Form(max_length=20_000)] = "",
    role: Annotated[str, Form(max_length=100)] = BrandRole.own.value,
    description: Annotated[str, Form(max_length=2000)] = "",
    editing: Annotated[bool, Form()] = False,
) -> Response:
    form = {"name": name, "query": query, "role": role, "description": description}
    try:
        if not name.strip():
            missing = translate("reports.brands.form.name_missing", request_language(request))
            raise RequestValidationError([{"loc": ("body", "name"), "msg": missing, "type": "missing"}])
        body = validated(BrandBody, {"query": query, "role": role, "description": description})
        brand, _ = save_brand(services, name, body)
    except RequestValidationError as exc:  # located by `validated`, as the JSON route's 422
        return _brands_page(
            request, principal, services, status=422, form=form, errors=field_errors(exc), editing=editing
        )
    return RedirectResponse(f"/reports/brands?saved={quote(brand.name, safe='')}", status_code=303)


@router.post("/reports/brands/{name}/delete")
def delete_brand_page(request: Request, name: str, principal: Writer, services: Stores) -> Response:
    try:
        brand = remove_brand(services.reports, name)
    except Conflict as exc:
        notice = translate("reports.brands.delete_refused", request_language(request), reason=exc.message)
        return _brands_page(request, principal, services, status=409, notice=notice)
    return RedirectResponse(f"/reports/brands?deleted={quote(brand.name, safe='')}", status_code=303)


__all__ = ["REPORT_CSP", "cron_words", "interval_words", "period_text", "router", "schedule_words"]
