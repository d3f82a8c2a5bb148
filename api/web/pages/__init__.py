"""HTML pages, one module per screen, each exporting `router`; `PAGES` lists them.

To add a page: create ``api/web/pages/<area>.py`` with ``router = APIRouter(...)`` and append it below
(one line each, so merges stay trivial)."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import alerts, auth, customers, dashboard, explore, mentions, reports, sources

PAGES: list[APIRouter] = [
    auth.router,
    mentions.router,
    customers.router,
    dashboard.router,
    sources.router,
    alerts.router,
    explore.router,
    reports.router,
]
