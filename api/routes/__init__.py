"""JSON routes under /api/v1, one module per area, each exporting `router`; `ROUTERS` lists them.

To add an area: create ``api/routes/<area>.py`` with ``router = APIRouter(prefix="/api/v1", ...)`` and
append it below (one line each, so merges stay trivial)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    admin,
    alerts,
    auth,
    customers,
    dashboard,
    health,
    mentions,
    reports,
    search,
    sources,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    admin.router,
    health.router,
    mentions.router,
    customers.router,
    dashboard.router,
    sources.router,
    alerts.router,
    search.router,
    reports.router,
]
