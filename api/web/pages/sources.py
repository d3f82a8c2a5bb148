"""``GET /sources``: each source's health and the input items it rejected (what `GET /api/v1/sources`
answers), as a table with the details of each source below it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.accounts.models import Permission
from api.deps import Principal, Stores, require_page
from api.routes.sources import sources_of
from api.web.render import render
from crawlers.health import HealthState

router = APIRouter(tags=["pages"])

LATEST = 5
# The chip colour of each state (earful.css chip modifiers).
STATE_CHIPS: dict[HealthState, str] = {
    HealthState.ok: "positive",
    HealthState.failing: "negative",
    HealthState.degraded: "mixed",
    HealthState.stale: "mixed",
    HealthState.empty: "mixed",
    HealthState.never_run: "neutral",
}


def utc_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_page(
    request: Request,
    principal: Annotated[Principal, Depends(require_page(Permission.READ))],
    services: Stores,
) -> HTMLResponse:
    overview = sources_of(services, LATEST)
    return render(request, "sources.html", {"overview": overview, "chips": STATE_CHIPS, "when": utc_time})
