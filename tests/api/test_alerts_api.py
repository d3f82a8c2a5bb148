"""Alert rules and the alert inbox through the JSON API (`api.routes.alerts`), over the real app and the
real SQLite stores of a tmp home: rules CRUD with located errors, backtests that store nothing, the
inbox's pages and moves, the server-sent events of the live feed, and who may do what."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.inbox import Alert, AlertStatus
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import make_alert, make_rule, message_for
from api.accounts.models import Role
from api.app import create_app
from api.routes.alerts import ALERT_EXAMPLE, AlertOut
from api.testing import Response, add_user, api_key, api_settings, error_of, signed_in
from core.models import DEFAULT_WORKSPACE
from core.settings import ElasticsearchSettings, Settings, StoreSettings
from index.backends import build_mention_store
from index.testing.corpus import enriched_mention
from tests.browser.support import live_server

RULE: dict[str, Any] = {
    "name": "Refund burst",
    "owner": "support",
    "query": "refund",
    "spec": {"kind": "threshold", "window": "10m", "min_count": 3},
}


@pytest.fixture
def stores(settings: Settings) -> Iterator[AlertStores]:
    """The workspace's alert stores, built apart from the app's: as the listen flow holds them."""
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as opened:
        opened.ensure_ready()
        yield opened


def as_role(settings: Settings, client: TestClient, role: Role) -> TestClient:
    add_user(settings, role.value, role=role)
    signed_in(client, role.value)
    return client


def sse_events(text: str) -> list[dict[str, str]]:
    """The events of a text/event-stream body: {field: value}, comments and retry lines left out."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, sep, value = line.partition(": ")
            if sep and name in ("event", "id", "data"):
                fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        if fields:
            events.append(fields)
    return events


# --- who may do what -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/alert-rules"),
        ("POST", "/api/v1/alert-rules"),
        ("POST", "/api/v1/alert-rules/backtest"),
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/alerts/stream"),
        ("POST", "/api/v1/alerts/abcd1234/ack"),
    ],
)
def test_without_credentials_every_route_is_401(client: TestClient, method: str, path: str) -> None:
    error_of(client.request(method, path, json={}), 401, "unauthenticated")


def test_what_each_role_may_do(settings: Settings, client: TestClient, stores: AlertStores) -> None:
    alert = make_alert()
    stores.alerts.add(alert)
    keys = {role: api_key(settings, role=role) for role in Role}

    def call(role: Role, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        return client.request(method, path, json=body, headers={"Authorization": f"Bearer {keys[role]}"})

    assert call(Role.VIEWER, "GET", "/api/v1/alert-rules").status_code == 200
    assert call(Role.VIEWER, "GET", f"/api/v1/alerts/{alert.id}").status_code == 200
    for role in (Role.VIEWER, Role.AGENT):
        error_of(call(role, "POST", "/api/v1/alert-rules", RULE), 403, "forbidden")
        error_of(call(role, "POST", "/api/v1/alert-rules/backtest", {"rule": RULE}), 403, "forbidden")
    for role in (Role.VIEWER, Role.ANALYST):
        error_of(call(role, "POST", f"/api/v1/alerts/{alert.id}/ack"), 403, "forbidden")
    assert call(Role.ANALYST, "POST", "/api/v1/alert-rules", RULE).status_code == 201
    acked = call(Role.AGENT, "POST", f"/api/v1/alerts/{alert.id}/ack", {"note": "on it"})
    assert acked.status_code == 200
    [change] = acked.json()["history"]
    assert change["by"].startswith("key:")  # who: the key, for a request the key made
    assert change["note"] == "on it"
    assert call(Role.ADMIN, "POST", f"/api/v1/alerts/{alert.id}/resolve").status_code == 200


# --- rules ---------------------------------------------------------------------------------------
def test_rules_create_read_replace_switch_and_delete(settings: Settings, client: TestClient) -> None:
    as_role(settings, client, Role.ANALYST)
    created = client.post("/api/v1/alert-rules", json=RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["name"], rule["spec"]["kind"]) == ("Refund burst", "threshold")
    rule_id = rule["id"]
    error_of(client.post("/api/v1/alert-rules", json=RULE), 409, "conflict")  # the same name: the same id

    listed = client.get("/api/v1/alert-rules").json()
    assert listed["workspace"] == DEFAULT_WORKSPACE
    assert [r["id"] for r in listed["rules"]] == [rule_id]
    assert client.get(f"/api/v1/alert-rules/{rule_id}").json() == rule
    assert client.get("/api/v1/alert-rules/Refund burst").json()["id"] == rule_id  # by name too

    replaced = client.put(
        f"/api/v1/alert-rules/{rule_id}", json={**RULE, "name": "Refund flood", "severity": "critical"}
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["id"], replaced.json()["name"]) == (rule_id, "Refund flood")  # renamed, same id
    assert replaced.json()["created_at"] == rule["created_at"]
    error_of(client.put(f"/api/v1/alert-rules/{rule_id}", json={**RULE, "id": "other"}), 400, "invalid_input")
    error_of(client.put("/api/v1/alert-rules/nope", json=RULE), 404, "not_found")

    assert client.post(f"/api/v1/alert-rules/{rule_id}/disable").json()["enabled"] is False
    assert client.get(f"/api/v1/alert-rules/{rule_id}").json()["enabled"] is False
    assert client.post(f"/api/v1/alert-rules/{rule_id}/enable").json()["enabled"] is True

    deleted = client.delete(f"/api/v1/alert-rules/{rule_id}")
    assert deleted.json()["id"] == rule_id
    error_of(client.get(f"/api/v1/alert-rules/{rule_id}"), 404, "not_found")
    error_of(client.delete(f"/api/v1/alert-rules/{rule_id}"), 404, "not_found")
    assert client.get("/api/v1/alert-rules").json()["rules"] == []


def test_an_invalid_rule_is_a_located_400(settings: Settings, client: TestClient) -> None:
    as_role(settings, client, Role.ANALYST)
    bad = {**RULE, "query": "refund AND", "group_by": ["colour"]}
    error = error_of(client.post("/api/v1/alert-rules", json=bad), 400, "rule_invalid")
    by_field = {tuple(p["loc"]): p for p in error["details"]["errors"]}
    assert set(by_field) == {("query",), ("group_by",)}
    assert by_field[("query",)]["context"]["position"] == 10
    assert "expected" in by_field[("query",)]["message"]
    assert "rules[0].query" in error["message"]
    error_of(client.put("/api/v1/alert-rules/x", json=bad), 404, "not_found")
    assert client.post("/api/v1/alert-rules", json=["not", "an", "object"]).status_code == 422
    assert client.get("/api/v1/alert-rules").json()["rules"] == []


def test_a_backtest_tells_what_would_have_fired_and_stores_nothing(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    base = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    at = [base + timedelta(minutes=m) for m in (0, 4, 12, 13)]
    mentions = build_mention_store(settings, workspace=DEFAULT_WORKSPACE)
    try:
        mentions.upsert(
            [enriched_mention(f"r{i}", "refund please", published_at=t) for i, t in enumerate(at)]
            + [enriched_mention("x", "nice weather", published_at=base)]
        )
    finally:
        mentions.close()
    as_role(settings, client, Role.ANALYST)
    response = client.post("/api/v1/alert-rules/backtest", json={"rule": RULE, "since": "7d"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert {k: result[k] for k in ("rule", "mentions", "alerts", "recoveries", "digests", "late")} == {
        "rule": "Refund burst",
        "mentions": 4,
        "alerts": 1,
        "recoveries": 0,
        "digests": 0,
        "late": 0,
    }
    [decision] = result["decisions"]
    assert (decision["kind"], decision["count"]) == ("alert", 3.0)
    assert datetime.fromisoformat(decision["decided_at"]) == at[3]
    assert stores.rules.list() == []  # nothing stored
    assert stores.alerts.count() == 0

    stores.rules.save(make_rule("Refund every", query="refund", spec={"kind": "every_match"}, group_by=[]))
    saved = client.post("/api/v1/alert-rules/backtest", json={"rule_id": "Refund every", "since": "7d"})
    assert saved.json()["alerts"] == 4
    assert stores.alerts.count() == 0
    until = (base + timedelta(minutes=5)).isoformat()
    early = client.post("/api/v1/alert-rules/backtest", json={"rule": RULE, "since": "7d", "until": until})
    assert (early.json()["mentions"], early.json()["alerts"]) == (2, 0)

    error_of(client.post("/api/v1/alert-rules/backtest", json={"since": "7d"}), 400, "invalid_input")
    error_of(
        client.post("/api/v1/alert-rules/backtest", json={"rule": RULE, "since": "lately"}),
        400,
        "invalid_input",
    )
    invalid = client.post("/api/v1/alert-rules/backtest", json={"rule": {**RULE, "query": "("}})
    assert error_of(invalid, 400, "rule_invalid")["details"]["errors"][0]["loc"] == ["query"]
    error_of(client.post("/api/v1/alert-rules/backtest", json={"rule_id": "nope"}), 404, "not_found")


# --- inbox ---------------------------------------------------------------------------------------
def test_the_inbox_newest_first_filtered_and_paged(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    now = datetime.now(UTC)
    alerts = [
        make_alert(f"m{i}", key=f"author=a{i % 2}", fired_at=now - timedelta(minutes=i)) for i in range(5)
    ]
    for alert in alerts:
        stores.alerts.add(alert)
    stores.alerts.resolve(alerts[1].id, by="ana", at=now)
    as_role(settings, client, Role.VIEWER)
    page = client.get("/api/v1/alerts", params={"limit": 2}).json()
    assert [a["id"] for a in page["alerts"]] == [alerts[0].id, alerts[1].id]
    assert page["alerts"][0]["headline"] == "still waiting for my refund"
    rest = client.get("/api/v1/alerts", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    last = client.get("/api/v1/alerts", params={"limit": 2, "cursor": rest["next_cursor"]}).json()
    assert [a["id"] for a in rest["alerts"] + last["alerts"]] == [a.id for a in alerts[2:]]
    assert last["next_cursor"] is None
    resolved = client.get("/api/v1/alerts", params={"status": "resolved"}).json()["alerts"]
    assert [a["id"] for a in resolved] == [alerts[1].id]
    by_key = client.get("/api/v1/alerts", params={"key": "author=a1"}).json()["alerts"]
    assert [a["id"] for a in by_key] == [alerts[1].id, alerts[3].id]
    assert len(client.get("/api/v1/alerts", params={"rule": make_rule().id}).json()["alerts"]) == 5

    too_many = settings.api.max_page_size + 1
    error_of(client.get("/api/v1/alerts", params={"limit": too_many}), 400, "invalid_input")
    error_of(client.get("/api/v1/alerts", params={"cursor": "garbage"}), 400, "invalid_input")
    assert client.get("/api/v1/alerts", params={"status": "lost"}).status_code == 422
    assert client.get("/api/v1/alerts", params={"limit": 0}).status_code == 422


def test_an_alert_with_its_explanation_customer_and_deliveries(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    alert = make_alert()
    stores.alerts.add(alert)
    stores.outbox.enqueue(message_for(alert.id, DEFAULT_WORKSPACE), "support-slack", now=alert.fired_at)
    as_role(settings, client, Role.VIEWER)
    detail = client.get(f"/api/v1/alerts/{alert.id[:8]}").json()  # a prefix will do
    shown = detail["alert"]
    assert shown["id"] == alert.id
    assert shown["explanation"]["query"] == alert.explanation.query
    assert shown["explanation"]["numbers"] == {"current": 12, "baseline": 3.25, "window": "1h"}
    assert shown["explanation"]["customer"] == {
        "customer_id": "c-42",
        "name": "Jane Doe",
        "tier": "gold",
        "open_complaints": 2,
        "last_mentions": [],
    }
    assert [t["key"] for t in shown["explanation"]["top_terms"]] == ["refund", "退款"]
    [delivery] = detail["deliveries"]
    assert (delivery["channel"], delivery["state"], delivery["attempts"]) == ("support-slack", "pending", 0)
    assert "message" not in delivery
    error_of(client.get("/api/v1/alerts/ffffffffff"), 404, "not_found")


def test_ack_snooze_and_resolve_and_the_moves_refused(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    one, two = make_alert("m1", key="author=sam"), make_alert("m2", key="author=kim")
    for alert in (one, two):
        stores.alerts.add(alert)
    as_role(settings, client, Role.AGENT)
    acked = client.post(f"/api/v1/alerts/{one.id}/ack", json={"note": "looking"})
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["history"][0]["by"]) == ("acknowledged", "agent")
    conflict = error_of(client.post(f"/api/v1/alerts/{one.id}/ack"), 409, "conflict")
    assert "already acknowledged by agent" in conflict["message"]

    before = datetime.now(UTC)
    snoozed = client.post(f"/api/v1/alerts/{one.id}/snooze", json={"duration": "1h"}).json()
    until = datetime.fromisoformat(snoozed["snoozed_until"])
    assert snoozed["status"] == "snoozed"
    assert before + timedelta(hours=1) <= until <= datetime.now(UTC) + timedelta(hours=1)
    assert stores.alerts.is_muted(one.rule_id, "author=sam", before + timedelta(minutes=30))
    assert not stores.alerts.is_muted(one.rule_id, "author=kim", before + timedelta(minutes=30))
    end = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    later = client.post(f"/api/v1/alerts/{one.id}/snooze", json={"until": end.isoformat()}).json()
    assert datetime.fromisoformat(later["snoozed_until"]) == end  # a snooze may get a new end

    for body, words in (
        ({"duration": "soon"}, "duration: expected a duration"),
        ({}, "give exactly one of duration"),
        ({"duration": "1h", "until": end.isoformat()}, "give exactly one of duration"),
        ({"until": "2020-01-01T00:00:00Z"}, "must end in the future"),
    ):
        refused = error_of(client.post(f"/api/v1/alerts/{two.id}/snooze", json=body), 400, "invalid_input")
        assert words in refused["message"]
    assert client.post(f"/api/v1/alerts/{two.id}/snooze", json={"for": "1h"}).status_code == 422

    resolved = client.post(f"/api/v1/alerts/{one.id}/resolve").json()
    assert (resolved["status"], resolved["snoozed_until"]) == ("resolved", None)
    error_of(client.post(f"/api/v1/alerts/{one.id}/resolve"), 409, "conflict")
    error_of(client.post("/api/v1/alerts/ffffffffff/ack"), 404, "not_found")
    stored = stores.alerts.get(one.id)
    assert stored is not None
    assert [h.status for h in stored.history] == [
        AlertStatus.acknowledged,
        AlertStatus.snoozed,
        AlertStatus.snoozed,
        AlertStatus.resolved,
    ]


# --- the live feed -------------------------------------------------------------------------------
def test_the_stream_sends_what_changed_after_its_cursor_and_resumes(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    as_role(settings, client, Role.VIEWER)
    stores.alerts.add(make_alert("m0"))  # there before: not news
    opened = client.get("/api/v1/alerts/stream", params={"once": True})
    assert opened.headers["content-type"].startswith("text/event-stream")
    [ready] = sse_events(opened.text)
    assert ready["event"] == "ready"
    start = ready["id"]
    assert json.loads(ready["data"]) == {"cursor": start}

    fresh = make_alert("m1")
    stores.alerts.add(fresh)
    stores.alerts.ack(fresh.id, by="ana", at=datetime.now(UTC))
    other = make_alert("m2")
    stores.alerts.add(other)
    events = sse_events(client.get("/api/v1/alerts/stream", params={"once": True, "cursor": start}).text)
    assert [e["event"] for e in events] == ["ready", "alert", "alert"]
    sent = [json.loads(e["data"]) for e in events[1:]]
    assert [(d["alert"]["id"], d["new"], d["alert"]["status"]) for d in sent] == [
        (fresh.id, True, "acknowledged"),
        (other.id, True, "open"),
    ]
    assert sent[0]["alert"]["headline"] == "still waiting for my refund"

    stores.alerts.resolve(fresh.id, by="ana", at=datetime.now(UTC))
    resumed = client.get(
        "/api/v1/alerts/stream", params={"once": True}, headers={"Last-Event-ID": events[-1]["id"]}
    )
    [_, moved] = sse_events(resumed.text)
    assert (json.loads(moved["data"])["alert"]["status"], json.loads(moved["data"])["new"]) == (
        "resolved",
        False,
    )
    error_of(client.get("/api/v1/alerts/stream", params={"cursor": "nonsense"}), 400, "invalid_input")
    error_of(client.get("/api/v1/alerts/stream", headers={"Last-Event-ID": "x"}), 400, "invalid_input")


def test_the_stream_delivers_an_alert_raised_after_it_opened(
    settings: Settings, app: FastAPI, stores: AlertStores
) -> None:
    """A real server and a real streaming client: the stream is open (its ready event read) before the
    alert exists; the alert arrives without a new request."""
    key = api_key(settings, role=Role.VIEWER)
    with (
        live_server(app) as base_url,
        httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        http.stream("GET", "/api/v1/alerts/stream", params={"max_seconds": 30}) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith("event:")) == "event: ready"
        raised: Alert = make_alert("m-live")
        stores.alerts.add(raised)  # as the listen flow would, in its own store objects
        assert next(line for line in lines if line.startswith("event:")) == "event: alert"
        data = json.loads(next(line for line in lines if line.startswith("data:"))[len("data: ") :])
    assert (data["alert"]["id"], data["new"]) == (raised.id, True)


# --- Elasticsearch -------------------------------------------------------------------------------
@pytest.mark.integration
def test_rules_inbox_and_stream_on_elasticsearch(es_url: str, es_prefix: str, tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path,
        store=StoreSettings(backend="elasticsearch"),
        elasticsearch=ElasticsearchSettings(hosts=[es_url], index_prefix=es_prefix),
    )
    key = api_key(settings, role=Role.ADMIN)
    with (
        TestClient(create_app(settings), headers={"Authorization": f"Bearer {key}"}) as client,
        build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores,
    ):
        assert client.post("/api/v1/alert-rules", json=RULE).status_code == 201
        assert [r["name"] for r in client.get("/api/v1/alert-rules").json()["rules"]] == ["Refund burst"]
        start = sse_events(client.get("/api/v1/alerts/stream", params={"once": True}).text)[0]["id"]
        alert = make_alert()
        stores.alerts.add(alert)
        assert [a["id"] for a in client.get("/api/v1/alerts").json()["alerts"]] == [alert.id]
        assert client.post(f"/api/v1/alerts/{alert.id[:8]}/ack").json()["status"] == "acknowledged"
        error_of(client.post(f"/api/v1/alerts/{alert.id}/ack"), 409, "conflict")
        # The feed holds back a change until it has settled (FEED_SETTLE): poll until it is there.
        deadline = time.monotonic() + 30
        alerts: list[dict[str, Any]] = []
        while not alerts and time.monotonic() < deadline:
            events = sse_events(
                client.get("/api/v1/alerts/stream", params={"once": True, "cursor": start}).text
            )
            alerts = [json.loads(e["data"]) for e in events if e["event"] == "alert"]
        assert [(a["alert"]["id"], a["new"], a["alert"]["status"]) for a in alerts] == [
            (alert.id, True, "acknowledged")
        ]


def test_the_documented_examples_are_valid(client: TestClient) -> None:
    assert AlertOut.model_validate(ALERT_EXAMPLE).headline == "still waiting for my refund"
    schema = client.get("/api/v1/openapi.json").json()
    stream = schema["paths"]["/api/v1/alerts/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert {"201", "400", "409"} <= set(schema["paths"]["/api/v1/alert-rules"]["post"]["responses"])
