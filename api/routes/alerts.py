"""Alert rules and the alert inbox (JSON), over `alerts.manage`, `alerts.backtest` and `alerts.feed`: the
same library calls as `earful alerts`.

- Rules: list and read (READ); create, replace, delete, enable, disable and backtest (RULES_WRITE). A
  rule is sent as the JSON of one rule (docs/alerts.md); one that does not validate is a 400
  ``rule_invalid`` whose ``details.errors`` locate each problem (``loc``, ``message``, ``context``).
- Inbox: list (newest first, a page at a time: ``next_cursor``), read one alert with its explanation
  and the linked customer's summary it carries, and its deliveries (READ); acknowledge, snooze (for a
  duration or until a time) and resolve (ALERTS_WORK). An alert already in the status asked for is a
  409 ``conflict`` (a snooze may be given a new end).
- ``GET /alerts/stream``: server-sent events of the alerts raised or worked on from now on
  (`api.sse`), resumable with ``Last-Event-ID``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alerts.backtest import PeriodBacktest, backtest_over
from alerts.feed import FeedItem, decode_mark, feed_start
from alerts.inbox import Alert, AlertStatus
from alerts.manage import (
    backtest_period,
    create_rule,
    find_alert,
    find_rule,
    headline,
    list_inbox,
    move_alert,
    remove_rule,
    replace_rule,
    rule_from_data,
    set_enabled,
    snooze_alert,
)
from alerts.outbox import DeliveryState
from alerts.rules import Rule
from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, app_settings, require
from api.errors import error_responses
from api.services import Services
from api.sse import event_stream, feed_events
from core.errors import InvalidInput
from core.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["alerts"])

Reader = Annotated[Principal, Depends(require(Permission.READ))]
RuleWriter = Annotated[Principal, Depends(require(Permission.RULES_WRITE))]
Worker = Annotated[Principal, Depends(require(Permission.ALERTS_WORK))]
AppSettings = Annotated[Settings, Depends(app_settings)]

RULE_EXAMPLE: Final[dict[str, Any]] = {
    "name": "Refund burst",
    "owner": "support",
    "query": "refund OR chargeback",
    "spec": {"kind": "threshold", "window": "10m", "min_count": 3},
    "group_by": ["author"],
    "severity": "warning",
    "channels": ["support-slack"],
}
ALERT_EXAMPLE: Final[dict[str, Any]] = {
    "id": "7118d3dc8d89130f8492f5fb4d579d26",
    "rule_id": "vip-complaints",
    "rule_name": "VIP complaints",
    "kind": "every_match",
    "decision": "fire",
    "severity": "critical",
    "key": "customer=c-42",
    "window_start": None,
    "fired_at": "2026-03-04T12:00:00Z",
    "mention_ids": ["9f2c41d0a7b3e5f1"],
    "explanation": {
        "query": "intent:complaint AND tier:(gold OR platinum)",
        "numbers": {},
        "top_terms": [],
        "top_authors": [],
        "top_sites": [],
        "top_aspects": [],
        "customer": {
            "customer_id": "c-42",
            "name": "Jane Doe",
            "tier": "gold",
            "open_complaints": 2,
            "last_mentions": ["9f2c41d0a7b3e5f1"],
        },
        "snippet": "still waiting for my <em>refund</em>",
        "sections": [],
        "links": [],
    },
    "status": "acknowledged",
    "snoozed_until": None,
    "history": [
        {"status": "acknowledged", "by": "ana", "at": "2026-03-04T12:05:00Z", "until": None, "note": ""}
    ],
    "headline": "still waiting for my refund",
}
RuleData = Annotated[
    dict[str, Any],
    Body(
        description="One rule, as in a rules file (docs/alerts.md): validated by the library, each problem "
        "located (400 rule_invalid)",
        examples=[RULE_EXAMPLE],
    ),
]


# --- models --------------------------------------------------------------------------------------
class RuleList(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"workspace": "default", "rules": []}]}
    )

    workspace: str
    rules: list[Rule] = Field(description="By name, then id")


class BacktestRequest(BaseModel):
    """A rule (its data, unsaved, or a saved rule's id or name) and a period."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"rule": RULE_EXAMPLE, "since": "30d"}]},
    )

    rule: dict[str, Any] | None = Field(None, description="The rule to try, as in a rules file")
    rule_id: str | None = Field(None, min_length=1, description="Or a saved rule's id or name")
    since: str = Field("30d", description="A duration back from now (30d, 12h, 2w) or an ISO time")
    until: AwareDatetime | None = Field(None, description="The end of the period; default now")


class AlertOut(Alert):
    """An alert, with the one-line headline the inbox shows."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [ALERT_EXAMPLE]})

    headline: str = Field(description="What happened, in one line (the matched text, or the numbers)")

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls.model_validate({**dict(alert), "headline": headline(alert)})


class AlertPage(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"alerts": [ALERT_EXAMPLE], "next_cursor": "1772625600000000.7118d3dc8d89130f"}]
        },
    )

    alerts: list[AlertOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class Delivery(BaseModel):
    """One delivery of the alert through one channel (the outbox record, without the message)."""

    model_config = ConfigDict(frozen=True)

    channel: str
    state: DeliveryState
    attempts: int
    next_attempt_at: AwareDatetime
    created_at: AwareDatetime
    updated_at: AwareDatetime
    sent_at: AwareDatetime | None
    last_status: int | None
    last_reason: str


class AlertDetail(BaseModel):
    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"alert": ALERT_EXAMPLE, "deliveries": []}]}
    )

    alert: AlertOut
    deliveries: list[Delivery] = Field(description="Its deliveries, oldest first")


class WorkNote(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"note": "on it"}]}
    )

    note: str = Field("", max_length=2000, description="Kept in the alert's history")


class SnoozeRequest(BaseModel):
    """How long to mute the alert's rule for the alert's key: exactly one of duration and until."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"duration": "1h"}, {"until": "2026-12-08T09:00:00+01:00"}]},
    )

    duration: str | None = Field(None, description="30m, 2h, 1d (or ISO PT2H)")
    until: datetime | None = Field(None, description="An ISO time (without an offset: UTC)")
    note: str = Field("", max_length=2000)


# --- rules ---------------------------------------------------------------------------------------
@router.get(
    "/alert-rules",
    response_model=RuleList,
    summary="The workspace's alert rules",
    responses=error_responses(401, 403),
)
def list_rules(principal: Reader, services: Stores) -> RuleList:
    return RuleList(workspace=principal.workspace, rules=services.alerts.rules.list())


@router.post(
    "/alert-rules",
    response_model=Rule,
    status_code=201,
    summary="Save a new rule (its id: the given one, else derived from its name)",
    responses=error_responses(400, 401, 403, 409, 422),
)
def add_rule(data: RuleData, principal: RuleWriter, services: Stores) -> Rule:
    return create_rule(services.alerts.rules, data)


@router.post(
    "/alert-rules/backtest",
    response_model=PeriodBacktest,
    summary="What a rule would have decided over the stored mentions of a period (nothing is stored)",
    responses=error_responses(400, 401, 403, 404, 422),
)
def backtest_rule(body: BacktestRequest, principal: RuleWriter, services: Stores) -> PeriodBacktest:
    if (body.rule is None) == (body.rule_id is None):
        raise InvalidInput("give exactly one of rule (a rule's data) and rule_id (a saved rule)")
    if body.rule is not None:
        rule = rule_from_data(body.rule)
    else:
        assert body.rule_id is not None
        rule = find_rule(services.alerts.rules, body.rule_id)
    since, until = backtest_period(body.since, body.until)
    return backtest_over(rule, services.mentions, since=since, until=until)


@router.get(
    "/alert-rules/{rule_id}",
    response_model=Rule,
    summary="One rule, by id (or name)",
    responses=error_responses(400, 401, 403, 404),
)
def get_rule(rule_id: str, principal: Reader, services: Stores) -> Rule:
    return find_rule(services.alerts.rules, rule_id)


@router.put(
    "/alert-rules/{rule_id}",
    response_model=Rule,
    summary="Replace a rule (it keeps its id, its creation time, its state and its alerts)",
    responses=error_responses(400, 401, 403, 404, 422),
)
def put_rule(rule_id: str, data: RuleData, principal: RuleWriter, services: Stores) -> Rule:
    return replace_rule(services.alerts.rules, rule_id, data)


@router.delete(
    "/alert-rules/{rule_id}",
    response_model=Rule,
    summary="Delete a rule and its engine state (its alerts stay in the inbox); the rule deleted",
    responses=error_responses(400, 401, 403, 404),
)
def delete_rule(rule_id: str, principal: RuleWriter, services: Stores) -> Rule:
    return remove_rule(services.alerts, rule_id)


@router.post(
    "/alert-rules/{rule_id}/enable",
    response_model=Rule,
    summary="Switch a rule on",
    responses=error_responses(400, 401, 403, 404),
)
def enable_rule(rule_id: str, principal: RuleWriter, services: Stores) -> Rule:
    return set_enabled(services.alerts.rules, rule_id, True)


@router.post(
    "/alert-rules/{rule_id}/disable",
    response_model=Rule,
    summary="Switch a rule off: it matches nothing until enabled again (its state and alerts stay)",
    responses=error_responses(400, 401, 403, 404),
)
def disable_rule(rule_id: str, principal: RuleWriter, services: Stores) -> Rule:
    return set_enabled(services.alerts.rules, rule_id, False)


# --- inbox ---------------------------------------------------------------------------------------
@router.get(
    "/alerts",
    response_model=AlertPage,
    summary="The alert inbox, newest first, a page at a time",
    responses=error_responses(400, 401, 403, 422),
)
def list_alerts(
    principal: Reader,
    services: Stores,
    settings: AppSettings,
    status: Annotated[AlertStatus | None, Query(description="Only alerts in this status")] = None,
    rule: Annotated[str | None, Query(description="Only this rule's alerts (id or name)")] = None,
    key: Annotated[str | None, Query(description="Only this key (author=sam, as alerts show it)")] = None,
    limit: Annotated[int, Query(ge=1, description="Alerts per page (at most the API's max_page_size)")] = 50,
    cursor: Annotated[str | None, Query(description="The next_cursor of the previous page")] = None,
) -> AlertPage:
    if limit > settings.api.max_page_size:
        raise InvalidInput(
            f"limit: at most {settings.api.max_page_size} alerts a page",
            details={"limit": limit, "max": settings.api.max_page_size},
        )
    page = list_inbox(services.alerts, status=status, rule=rule, key=key, limit=limit, cursor=cursor)
    return AlertPage(alerts=[AlertOut.of(a) for a in page.alerts], next_cursor=page.next_cursor)


class AlertEvent(BaseModel):
    """The data of an ``event: alert`` of the stream."""

    model_config = ConfigDict(
        frozen=True, json_schema_extra={"examples": [{"new": True, "alert": ALERT_EXAMPLE}]}
    )

    new: bool = Field(description="Raised since the cursor (else: worked on since)")
    alert: AlertOut


def _feed_json(item: FeedItem) -> tuple[str, str]:
    payload = {"new": item.new, "alert": AlertOut.of(item.alert).model_dump(mode="json")}
    return "alert", AlertEvent.model_validate(payload).model_dump_json()


def start_cursor(services: Services, last_event_id: str | None, cursor: str | None) -> str:
    """Where a stream starts: the client's Last-Event-ID, else its cursor, else now. A bad one is a
    400 before the stream opens."""
    given = last_event_id or cursor
    if given:
        decode_mark(given)
        return given
    return feed_start(services.alerts.alerts)


@router.get(
    "/alerts/stream",
    response_class=StreamingResponse,
    summary="Server-sent events: each alert raised or worked on from now on (resumable)",
    responses={
        200: {
            "content": {"text/event-stream": {"schema": AlertEvent.model_json_schema()}},
            "description": "``event: ready`` (its id: the starting cursor), then one ``event: alert`` per "
            "alert raised or worked on (data: {new, alert}; id: the cursor after it), and a comment line "
            "every 15 s of silence",
        },
        **error_responses(400, 401, 403, 422),
    },
)
def stream_alerts(
    request: Request,
    principal: Reader,
    services: Stores,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    cursor: Annotated[str | None, Query(description="Start after this cursor (an event's id)")] = None,
    once: Annotated[bool, Query(description="Poll once and end (tests, scripts)")] = False,
    max_seconds: Annotated[float | None, Query(gt=0, le=3600, description="End after this long")] = None,
) -> StreamingResponse:
    start = start_cursor(services, last_event_id, cursor)
    events = feed_events(
        request, services.alerts.alerts, start, _feed_json, once=once, max_seconds=max_seconds
    )
    return event_stream(events)


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertDetail,
    summary="One alert (by id, or an unambiguous prefix): why it fired, its history and its deliveries",
    responses=error_responses(400, 401, 403, 404),
)
def get_alert(alert_id: str, principal: Reader, services: Stores) -> AlertDetail:
    stores = services.alerts
    alert = find_alert(stores.alerts, alert_id)
    records = stores.outbox.list(alert_id=alert.id, limit=1000)
    deliveries = [
        Delivery.model_validate(r.model_dump(exclude={"message", "revision", "alert_id"})) for r in records
    ]
    return AlertDetail(alert=AlertOut.of(alert), deliveries=deliveries)


@router.post(
    "/alerts/{alert_id}/ack",
    response_model=AlertOut,
    summary="Acknowledge an alert: someone is on it (a snooze of its key is lifted)",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def ack_alert(alert_id: str, principal: Worker, services: Stores, body: WorkNote | None = None) -> AlertOut:
    note = body.note if body is not None else ""
    moved = move_alert(
        services.alerts.alerts, alert_id, AlertStatus.acknowledged, by=principal.actor, note=note
    )
    return AlertOut.of(moved)


@router.post(
    "/alerts/{alert_id}/snooze",
    response_model=AlertOut,
    summary="Mute the alert's rule for the alert's key only, for a duration or until a time",
    responses=error_responses(400, 401, 403, 404, 422),
)
def snooze(alert_id: str, body: SnoozeRequest, principal: Worker, services: Stores) -> AlertOut:
    moved = snooze_alert(
        services.alerts.alerts,
        alert_id,
        by=principal.actor,
        for_=body.duration,
        until=body.until,
        note=body.note,
        names=("duration", "until"),
    )
    return AlertOut.of(moved)


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve an alert: dealt with (a snooze of its key is lifted)",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def resolve_alert(
    alert_id: str, principal: Worker, services: Stores, body: WorkNote | None = None
) -> AlertOut:
    note = body.note if body is not None else ""
    moved = move_alert(services.alerts.alerts, alert_id, AlertStatus.resolved, by=principal.actor, note=note)
    return AlertOut.of(moved)


__all__ = ["AlertEvent", "AlertOut", "router", "start_cursor"]
