"""The alert pages: the inbox (/alerts) with each alert's explanation, its actions (acknowledge, snooze,
resolve: htmx swaps the alert in place) and live arrival of new alerts over server-sent events; and the
rules page (/alerts/rules: switch rules on and off, add rules from YAML or JSON). The same library calls
as the JSON routes (`api.routes.alerts`).

Live arrival: the list connects to ``/alerts/live`` (htmx-ext-sse). An alert raised after the page was
rendered comes as ``event: alert`` (prepended to the list); an alert worked on since (here or
elsewhere) comes as ``event: alert-<id>``, which only that alert's element listens to (it replaces
itself). Both carry the rendered ``_alert.html``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Header, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from alerts.feed import FeedItem, feed_start
from alerts.inbox import Alert, AlertStatus
from alerts.manage import (
    headline,
    list_inbox,
    move_alert,
    rules_from_text,
    save_rules,
    set_enabled,
    snooze_alert,
)
from alerts.rules import Rule, error_lines
from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, require_page
from api.routes.alerts import start_cursor
from api.services import Services
from api.sse import event_stream, feed_events
from api.web.markup import highlighted
from api.web.render import render
from core.errors import EarfulError, RuleInvalid

router = APIRouter(tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(Permission.READ))]
Worker = Annotated[Principal, Depends(require_page(Permission.ALERTS_WORK))]
RuleWriter = Annotated[Principal, Depends(require_page(Permission.RULES_WRITE))]

PAGE_SIZE: Final = 50
STATUSES: Final = tuple(AlertStatus)
SNOOZES: Final = (("1h", "alerts.action.snooze_hour"), ("1d", "alerts.action.snooze_day"))


def when(moment: datetime) -> str:
    """A time as the alert pages show it: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _alert_context(principal: Principal, alert: Alert, **extra: Any) -> dict[str, Any]:
    """What ``_alert.html`` shows of an alert (its ``item``)."""
    return {
        "a": alert,
        "when": when,
        "headline": headline(alert, width=300),
        "snippet": highlighted(alert.explanation.snippet),
        "can_work": principal.can(Permission.ALERTS_WORK),
        "snoozes": SNOOZES,
        "notice": None,
        **extra,
    }


def _alert_html(request: Request, principal: Principal, alert: Alert, **extra: Any) -> Response:
    return render(request, "_alert.html", {"item": _alert_context(principal, alert, **extra)})


# --- the inbox -----------------------------------------------------------------------------------
@router.get("/alerts")
def inbox_page(
    request: Request,
    principal: Reader,
    services: Stores,
    status: Annotated[AlertStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    stores = services.alerts
    live_from = feed_start(stores.alerts)  # before the list is read: nothing falls between the two
    page = list_inbox(stores, status=status, limit=PAGE_SIZE, cursor=cursor)
    items = [_alert_context(principal, a) for a in page.alerts]
    context = {
        "items": items,
        "status": status,
        "statuses": STATUSES,
        "next_cursor": page.next_cursor,
        "paged": cursor is not None,
        "live_from": live_from,
        "can_write_rules": principal.can(Permission.RULES_WRITE),
    }
    return render(request, "alerts.html", context)


@router.get("/alerts/live")
def live_alerts(
    request: Request,
    principal: Reader,
    services: Stores,
    status: Annotated[AlertStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    once: Annotated[bool, Query()] = False,
) -> StreamingResponse:
    start = start_cursor(services, last_event_id, cursor)

    def fragment(item: FeedItem) -> tuple[str, str] | None:
        if item.new and status is not None and item.alert.status is not status:
            return None  # the page shows another status
        body = _alert_html(request, principal, item.alert).body
        text = bytes(body).decode("utf-8")
        return ("alert" if item.new else f"alert-{item.alert.id}", text)

    return event_stream(feed_events(request, services.alerts.alerts, start, fragment, once=once))


def _moved(request: Request, principal: Principal, services: Stores, alert_id: str, move: Any) -> Response:
    """The alert after `move`, as its fragment; a move the library refuses (already acknowledged, by
    someone else meanwhile) shows why in the fragment, with the alert as it is."""
    try:
        return _alert_html(request, principal, move())
    except EarfulError as exc:
        if exc.http_status not in (400, 409):
            raise
        current = services.alerts.alerts.get(alert_id)
        if current is None:
            raise
        return _alert_html(request, principal, current, notice=exc.message)


@router.post("/alerts/{alert_id}/ack")
def ack_page(request: Request, alert_id: str, principal: Worker, services: Stores) -> Response:
    alerts = services.alerts.alerts
    return _moved(
        request,
        principal,
        services,
        alert_id,
        lambda: move_alert(alerts, alert_id, AlertStatus.acknowledged, by=principal.actor),
    )


@router.post("/alerts/{alert_id}/snooze")
def snooze_page(
    request: Request, alert_id: str, principal: Worker, services: Stores, duration: Annotated[str, Form()]
) -> Response:
    alerts = services.alerts.alerts
    return _moved(
        request,
        principal,
        services,
        alert_id,
        lambda: snooze_alert(
            alerts, alert_id, by=principal.actor, for_=duration, names=("duration", "until")
        ),
    )


@router.post("/alerts/{alert_id}/resolve")
def resolve_page(request: Request, alert_id: str, principal: Worker, services: Stores) -> Response:
    alerts = services.alerts.alerts
    return _moved(
        request,
        principal,
        services,
        alert_id,
        lambda: move_alert(alerts, alert_id, AlertStatus.resolved, by=principal.actor),
    )


# --- rules ---------------------------------------------------------------------------------------
def _rules_page(
    request: Request, principal: Principal, services: Services, *, status: int = 200, **extra: Any
) -> Response:
    context = {
        "rules": services.alerts.rules.list(),
        "can_write": principal.can(Permission.RULES_WRITE),
        "errors": [],
        "text": "",
        "added": None,
        "when": when,
        **extra,
    }
    return render(request, "alert_rules.html", context, status=status)


@router.get("/alerts/rules")
def rules_page(
    request: Request,
    principal: Reader,
    services: Stores,
    added: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    return _rules_page(request, principal, services, added=added)


@router.post("/alerts/rules")
def add_rules_page(
    request: Request, principal: RuleWriter, services: Stores, rules: Annotated[str, Form()]
) -> Response:
    try:
        saved = save_rules(services.alerts.rules, rules_from_text(rules))
    except RuleInvalid as exc:
        return _rules_page(request, principal, services, status=400, errors=error_lines(exc), text=rules)
    return RedirectResponse(f"/alerts/rules?added={len(saved)}", status_code=303)


def _switch(request: Request, principal: Principal, services: Services, rule_id: str, on: bool) -> Response:
    rule: Rule = set_enabled(services.alerts.rules, rule_id, on)
    return render(request, "_rule_row.html", {"rule": rule, "can_write": True, "when": when})


@router.post("/alerts/rules/{rule_id}/enable")
def enable_page(request: Request, rule_id: str, principal: RuleWriter, services: Stores) -> Response:
    return _switch(request, principal, services, rule_id, True)


@router.post("/alerts/rules/{rule_id}/disable")
def disable_page(request: Request, rule_id: str, principal: RuleWriter, services: Stores) -> Response:
    return _switch(request, principal, services, rule_id, False)


__all__ = ["highlighted", "router"]
