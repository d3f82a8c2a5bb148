"""``GET /api/v1/dashboard``: the numbers of a listening dashboard (`reports.dashboard`) for a saved
search or a query over a period. The dashboard page (`api.web.pages.dashboard`) reads its parameters the
same way, through `DashboardQuery` and `dashboard_request`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.accounts.models import Permission
from api.deps import Principal, Stores, require
from api.errors import error_responses
from api.services import Services
from core.errors import InvalidInput, NotFound
from core.models import SavedSearch
from index.saved_searches import find_saved_search
from reports.dashboard import (
    DEFAULT_DAYS,
    MAX_DAYS,
    DashboardData,
    DashboardInterval,
    DashboardRequest,
    build_dashboard,
    parse_period,
)

router = APIRouter(prefix="/api/v1", tags=["dashboard"])


class DashboardQuery(BaseModel):
    """The query parameters of the dashboard (JSON and page). An empty parameter counts as absent (an
    HTML form sends its empty fields)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"saved_search": "brand-complaints", "days": 30, "interval": "auto"}]
        },
    )

    saved_search: str | None = Field(
        None, max_length=200, description="A saved search's name: yours, else the workspace's"
    )
    query: str | None = Field(None, description="Query language text, when no saved search is named")
    from_: str | None = Field(
        None,
        alias="from",
        max_length=40,
        description="Start: a date (2026-11-01, from its midnight in tz) or an ISO 8601 date-time",
    )
    to: str | None = Field(
        None, max_length=40, description="End: a date (inclusive: to the next midnight) or a date-time"
    )
    days: int | None = Field(
        None,
        ge=1,
        le=MAX_DAYS,
        description=f"Period length in days: the last days without from/to (default {DEFAULT_DAYS}), "
        "the days before `to` with only `to`",
    )
    interval: DashboardInterval = Field("auto", description="Bucket size; auto picks one from the span")
    tz: str = Field("UTC", max_length=64, description="Time zone of days and buckets: IANA name or +08:00")
    top_n: int = Field(10, ge=1, le=100, description="How many intents, aspects, sources, platforms")

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


def dashboard_request(
    params: DashboardQuery, principal: Principal, services: Services
) -> tuple[DashboardRequest, SavedSearch | None]:
    """The library request of the parameters, and the saved search it reads (if one is named).

    InvalidInput (400) for a saved search and a query both given, a query over the configured length, a
    bad date or time zone; NotFound (404) for a saved search that does not exist."""
    if params.saved_search and params.query:
        raise InvalidInput(
            "give a saved search or a query, not both",
            details={"field": "query", "saved_search": params.saved_search},
        )
    saved = None
    query = params.query
    if params.saved_search:
        saved = find_saved_search(services.saved_searches, params.saved_search, owner=principal.actor)
        if saved is None:
            raise NotFound(
                f"no saved search named {params.saved_search!r} in this workspace",
                details={"field": "saved_search", "saved_search": params.saved_search},
            )
        query = saved.query
    elif query is not None:
        limit = services.settings.api.max_query_chars
        if len(query) > limit:
            raise InvalidInput(
                f"the query is longer than {limit} characters",
                details={"field": "query", "max_query_chars": limit, "length": len(query)},
            )
    start, end = parse_period(params.from_, params.to, days=params.days or DEFAULT_DAYS, tz=params.tz)
    try:
        request = DashboardRequest(
            query=query, start=start, end=end, interval=params.interval, tz=params.tz, top_n=params.top_n
        )
    except ValueError as exc:  # pydantic's ValidationError: the checks parse_period does not make
        raise InvalidInput(f"invalid dashboard request: {exc}", details={"field": "period"}) from exc
    return request, saved


@router.get(
    "/dashboard",
    response_model=DashboardData,
    summary="Volume, sentiment trend and share, top intents, aspects, sources and platforms of a period",
    description="For a saved search (by name) or a query, over `from`/`to` or the last `days` days "
    f"(default {DEFAULT_DAYS}), with the change against the previous period of the same length. A bad "
    "query is a 400 whose details locate the error (position, expected).",
    responses=error_responses(400, 401, 403, 404, 422, 502, 503),
)
def get_dashboard(
    params: Annotated[DashboardQuery, Query()],
    principal: Annotated[Principal, Depends(require(Permission.READ))],
    services: Stores,
) -> DashboardData:
    request, _ = dashboard_request(params, principal, services)
    return build_dashboard(services.mentions, request)
