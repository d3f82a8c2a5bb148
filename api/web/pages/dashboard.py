"""``GET /dashboard``: the dashboard page. Its form (saved search, period, interval) asks htmx for the body
alone (``_dashboard_body.html``) and pushes the URL, so a period switch redraws the numbers and charts
without reloading the page, and the URL can be bookmarked. Every chart has its numbers in a table too.

In the form, a period preset (``days``) wins over the dates; the dates apply when the period is "custom"
(``days`` empty). The JSON route reads ``from``/``to`` first: a client names what it means."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.accounts.models import Permission
from api.deps import Principal, Stores, require_page
from api.routes.dashboard import DashboardQuery, dashboard_request
from api.web.i18n import request_language, translate
from api.web.render import is_htmx, render
from core.errors import InvalidInput, NotFound
from core.models import SavedSearch
from index.aggregations import zone
from reports.charts import (
    CATEGORY_LABEL_KEYS,
    CHART_LABEL_KEYS,
    bucket_label,
    sentiment_share_chart,
    sentiment_trend_chart,
    top_aspects_chart,
    top_intents_chart,
    volume_chart,
)
from reports.dashboard import DEFAULT_DAYS, SENTIMENT_ORDER, DashboardData, build_dashboard

router = APIRouter(tags=["pages"])

PRESETS: tuple[int, ...] = (7, 30, 90)
INTERVALS: tuple[str, ...] = ("auto", "hour", "day", "week", "month")


def chart_labels(lang: str) -> dict[str, str]:
    """The charts' words in `lang`: titles and axes from the dashboard labels, category names (sentiment,
    intent, aspect) from the common ones."""
    words = {key: translate(f"dashboard.chart.{key}", lang) for key in CHART_LABEL_KEYS}
    words.update({key: translate(f"common.{key}", lang) for key in CATEGORY_LABEL_KEYS})
    return words


def charts(data: DashboardData, lang: str) -> dict[str, dict[str, Any]]:
    """The page's specs: the cards' headings carry the titles, so the specs drop theirs (their
    `description` still names the SVG)."""
    words = chart_labels(lang)
    specs = {
        "volume": volume_chart(data, words),
        "trend": sentiment_trend_chart(data, words),
        "share": sentiment_share_chart(data, words),
        "intents": top_intents_chart(data, words),
        "aspects": top_aspects_chart(data, words),
    }
    return {name: {k: v for k, v in spec.items() if k != "title"} for name, spec in specs.items()}


def saved_search_options(
    searches: list[SavedSearch], principal: Principal, lang: str
) -> list[tuple[str, str]]:
    """(value, text) per saved search name: one's own first, then the workspace's (the one a name
    finds, `index.saved_searches.find_saved_search`)."""
    ranked = sorted(searches, key=lambda s: (s.name, s.owner != principal.actor, s.owner))
    options: dict[str, str] = {}
    for search in ranked:
        if search.name not in options:
            own = search.owner == principal.actor
            text = (
                search.name
                if own
                else translate("dashboard.form.owned_by", lang, name=search.name, owner=search.owner)
            )
            options[search.name] = text
    return list(options.items())


def local_time(value: datetime, tz: str) -> str:
    return value.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")


def _wants_body(request: Request) -> bool:
    # htmx restoring history after a cache miss wants the whole page, not the fragment
    return is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(
    request: Request,
    params: Annotated[DashboardQuery, Query()],
    principal: Annotated[Principal, Depends(require_page(Permission.READ))],
    services: Stores,
) -> HTMLResponse:
    if params.days is not None:  # a preset: the dates are what the form last held, not the period
        params = params.model_copy(update={"from_": None, "to": None})
    elif params.from_ is None and params.to is None:
        params = params.model_copy(update={"days": DEFAULT_DAYS})
    lang = request_language(request)
    context: dict[str, Any] = {
        "params": params,
        "saved": None,
        "bucket_label": bucket_label,
        "local_time": local_time,
        "presets": PRESETS,
        "intervals": INTERVALS,
        "sentiments": SENTIMENT_ORDER,
        "data": None,
        "charts": {},
        "error": None,
    }
    status = 200
    try:
        dashboard, saved = dashboard_request(params, principal, services)
        data = build_dashboard(services.mentions, dashboard)
        context.update(data=data, charts=charts(data, lang), saved=saved)
    except (InvalidInput, NotFound) as exc:  # the user's input: said in the page, the form kept
        context["error"] = exc
        status = exc.http_status
    if _wants_body(request):
        # htmx swaps 2xx answers only: the fragment saying what was wrong is the answer
        return render(request, "_dashboard_body.html", context)
    context["saved_searches"] = saved_search_options(services.saved_searches.list_searches(), principal, lang)
    return render(request, "dashboard.html", context, status=status)
