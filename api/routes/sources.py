"""``GET /api/v1/sources``: each source's health (state, runs, freshness, last errors) and the input
items it rejected, for the workspace (`crawlers.status`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.accounts.models import Permission
from api.deps import Principal, Stores, require
from api.errors import error_responses
from api.services import Services
from core.models import utcnow
from crawlers.status import SourceStatus, source_statuses

router = APIRouter(prefix="/api/v1", tags=["sources"])


class SourcesOut(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "workspace": "default",
                    "checked_at": "2026-11-10T12:00:00Z",
                    "sources": [
                        {
                            "source": "reviews",
                            "state": "ok",
                            "runs": 12,
                            "consecutive_failures": 0,
                            "failures_total": 1,
                            "items_total": 340,
                            "items_last_run": 25,
                            "errors_total": 2,
                            "last_run_at": "2026-11-10T11:00:00Z",
                            "last_success_at": "2026-11-10T11:00:00Z",
                            "newest_item_at": "2026-11-10T10:42:00Z",
                            "freshness_hours": 1.3,
                            "last_errors": [{"at": "2026-11-08T11:00:00Z", "error": "HTTP 503"}],
                            "recent_runs": [],
                            "rejected": {
                                "source": "reviews",
                                "count": 1,
                                "latest": [
                                    {
                                        "source": "reviews",
                                        "locator": "reviews.csv:17",
                                        "reason": "no text",
                                        "raw": "4,,2026-11-01",
                                    }
                                ],
                            },
                        }
                    ],
                }
            ]
        },
    )

    workspace: str
    checked_at: AwareDatetime
    sources: list[SourceStatus]


def sources_of(services: Services, latest: int) -> SourcesOut:
    """The workspace's sources, as the JSON route and the page show them."""
    now = utcnow()
    rows = source_statuses(services.health, services.rejected, now=now, latest=latest)
    return SourcesOut(workspace=services.workspace, checked_at=now, sources=rows)


@router.get(
    "/sources",
    response_model=SourcesOut,
    summary="Each source's health and rejected items",
    description="Every source with a health record or rejected items in the workspace: its state (ok, "
    "never_run, failing, stale, empty, degraded), runs, freshness, last errors and the `latest` last "
    "runs and rejected items.",
    responses=error_responses(401, 403, 422),
)
def get_sources(
    principal: Annotated[Principal, Depends(require(Permission.READ))],
    services: Stores,
    latest: Annotated[int, Query(ge=0, le=50, description="How many runs, errors, rejected items")] = 5,
) -> SourcesOut:
    return sources_of(services, latest)
