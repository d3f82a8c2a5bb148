"""A mention and its workflow over HTTP, through the real app on a SQLite home: the mention with its
enrichment, models, customer and workflow; changes with optimistic concurrency; notes; history; the
queue; who may do what; another workspace's mention not found; user text always escaped on the page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from markupsafe import escape

from alerts.channels.catalog import channels_file
from alerts.store import build_alert_stores
from alerts.workflow import HistoryAction, WorkflowPriority, WorkflowStatus
from api.app import create_app
from api.testing import add_user, api_key, api_settings, signed_in
from api.web.i18n import labels
from core.models import (
    Aspect,
    AspectLabel,
    Author,
    Customer,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    ModelRef,
    Sentiment,
    SentimentLabel,
)
from core.settings import AlertsSettings, Settings
from crm.customers import build_customer_directory
from index.backends import build_mention_store
from index.testing.corpus import enriched_mention

ANA = Customer(code="C042", name="Ana <Lima>", tier="gold", owner="li.wei", bank_account="DE0012345")
MODEL = ModelRef(name="lexicon", version="2.1")
MENTION = enriched_mention(
    "tw-1",
    "My refund still hasn't arrived",
    platform="twitter",
    url="https://twitter.example/ana/status/1",
    author=Author(platform="twitter", handle="ana_l", display_name="Ana L"),
    sentiment=Sentiment(label=SentimentLabel.negative, score=-0.7, confidence=0.9),
    intents=(Intent(label=IntentLabel.complaint, confidence=0.8),),
    aspects=(Aspect(label=AspectLabel.price, polarity=SentimentLabel.negative, confidence=0.7),),
    customer=CustomerLink(customer_id=ANA.id, confidence=0.93, method="handle"),
    models=(MODEL,),
)
UNSAFE = enriched_mention("web-2", "<img src=x onerror=alert(1)>", url="javascript:alert(1)", lang="zh")
OTHERS = enriched_mention("other-1", "another workspace's mention")


def _fill(settings: Settings) -> None:
    for workspace, mentions in (("default", [MENTION, UNSAFE]), ("other", [OTHERS])):
        store = build_mention_store(settings, workspace=workspace)
        try:
            store.upsert(mentions)
            store.refresh()
        finally:
            store.close()
    with build_customer_directory(settings, workspace="default") as directory:
        directory.upsert([ANA])
    for name, role in (("mei", "admin"), ("li.wei", "agent"), ("ana", "analyst"), ("vic", "viewer")):
        add_user(settings, name, role=role, display_name=name.title())
    add_user(settings, "olga", role="agent", workspace="other")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    made = api_settings(tmp_path)
    _fill(made)
    return made


@pytest.fixture
def as_user(make_client: Callable[..., TestClient], client: TestClient) -> Callable[[str], TestClient]:
    """A TestClient logged in as `username` (a session: cookie and CSRF token)."""

    def login(username: str) -> TestClient:
        one = make_client()
        signed_in(one, username)
        return one

    return login


def _path(mention: EnrichedMention, suffix: str = "") -> str:
    return f"/api/v1/mentions/{mention.id}{suffix}"


# --- reading -------------------------------------------------------------------------------------
def test_a_mention_comes_with_its_enrichment_models_customer_and_workflow(
    as_user: Callable[[str], TestClient],
) -> None:
    body = as_user("vic").get(_path(MENTION)).json()
    assert body["mention"]["id"] == MENTION.id
    assert body["mention"]["sentiment"]["label"] == "negative"
    assert [i["label"] for i in body["mention"]["intents"]] == ["complaint"]
    assert body["models"] == [{"name": "lexicon", "version": "2.1"}]
    assert body["customer"] == {
        "customer_id": ANA.id,
        "code": "C042",
        "name": "Ana <Lima>",
        "tier": "gold",
        "owner": "li.wei",
        "confidence": 0.93,
        "method": "handle",
    }
    assert "DE0012345" not in str(body)  # nothing sensitive of the customer
    assert body["workflow"] == {
        "workspace": "default",
        "mention_id": MENTION.id,
        "status": "open",
        "priority": "normal",
        "assignee": None,
        "tags": [],
        "starred": False,
        "updated_at": None,
        "version": 0,
    }
    unlinked = as_user("vic").get(_path(UNSAFE)).json()
    assert unlinked["customer"] is None


def test_an_unknown_mention_or_another_workspaces_is_not_found(
    settings: Settings, client: TestClient
) -> None:
    key = api_key(settings, role="admin")
    headers = {"Authorization": f"Bearer {key}"}
    for mention_id in ("nope", OTHERS.id):
        for method, suffix, body in (
            ("GET", "", None),
            ("GET", "/workflow", None),
            ("PATCH", "/workflow", {"status": "closed"}),
            ("POST", "/notes", {"text": "hi"}),
            ("GET", "/notes", None),
            ("GET", "/history", None),
        ):
            response = client.request(
                method, f"/api/v1/mentions/{mention_id}{suffix}", json=body, headers=headers
            )
            assert response.status_code == 404, (method, suffix)
            assert response.json()["error"]["code"] == "not_found"
    other = {"Authorization": f"Bearer {api_key(settings, role='admin', workspace='other')}"}
    assert client.get(f"/api/v1/mentions/{OTHERS.id}", headers=other).status_code == 200
    assert client.get(_path(MENTION), headers=other).status_code == 404


# --- changing ------------------------------------------------------------------------------------
def test_a_patch_changes_the_workflow_and_records_who_did_what(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    response = agent.patch(
        _path(MENTION, "/workflow"),
        json={
            "assignee": "mei",
            "status": "pending",
            "priority": "urgent",
            "add_tags": ["Refund", "refund"],
            "starred": True,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["workflow"]["assignee"] == "mei"
    assert body["workflow"]["tags"] == ["Refund"]
    assert body["workflow"]["version"] == 1
    assert [e["action"] for e in body["history"]] == ["assigned", "status", "priority", "tagged", "starred"]
    assert {e["actor"] for e in body["history"]} == {"li.wei"}
    assert body["notice"]["queued"] is False
    assert "history only" in body["notice"]["message"]
    assert agent.get(_path(MENTION, "/workflow")).json()["workflow"] == body["workflow"]
    # leaving assignee out keeps it; null unassigns
    kept = agent.patch(_path(MENTION, "/workflow"), json={"remove_tags": ["REFUND"]}).json()
    assert (kept["workflow"]["assignee"], kept["workflow"]["tags"], kept["notice"]) == ("mei", [], None)
    cleared = agent.patch(_path(MENTION, "/workflow"), json={"assignee": None}).json()
    assert cleared["workflow"]["assignee"] is None
    assert [e["action"] for e in cleared["history"]] == ["unassigned"]
    same = agent.patch(_path(MENTION, "/workflow"), json={"status": "pending"}).json()
    assert same["history"] == []
    assert same["workflow"]["version"] == 3


def test_an_api_key_acts_as_key_id(settings: Settings, client: TestClient) -> None:
    secret = api_key(settings, role="agent")
    headers = {"Authorization": f"Bearer {secret}"}  # no CSRF token: keys are exempt
    body = client.patch(_path(MENTION, "/workflow"), json={"status": "closed"}, headers=headers).json()
    [entry] = body["history"]
    assert entry["actor"].startswith("key:")
    assert secret not in entry["actor"]


def test_a_stale_version_is_a_conflict(as_user: Callable[[str], TestClient]) -> None:
    agent, admin = as_user("li.wei"), as_user("mei")
    first = agent.patch(_path(MENTION, "/workflow"), json={"status": "pending", "expected_version": 0})
    assert first.status_code == 200
    stale = admin.patch(_path(MENTION, "/workflow"), json={"status": "closed", "expected_version": 0})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert (error["code"], error["details"]["version"]) == ("conflict", 1)
    assert admin.get(_path(MENTION, "/workflow")).json()["workflow"]["status"] == "pending"
    fresh = admin.patch(_path(MENTION, "/workflow"), json={"status": "closed", "expected_version": 1})
    assert fresh.json()["workflow"]["version"] == 2


def test_an_assignee_must_be_a_member_who_may_work_mentions(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    for nobody in ("olga", "stranger", "vic", "ana"):  # another workspace's, no one, a viewer, an analyst
        response = agent.patch(_path(MENTION, "/workflow"), json={"assignee": nobody})
        assert response.status_code == 400, nobody
        assert response.json()["error"]["code"] == "invalid_input"
    assert agent.get(_path(MENTION, "/history")).json()["entries"] == []


def test_bad_bodies_are_refused_in_the_one_shape(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    for body in (
        {"status": "resolved"},
        {"priority": "meh"},
        {"asignee": "mei"},
        {"expected_version": -1},
        {"add_tags": ["x"] * 40},
    ):
        response = agent.patch(_path(MENTION, "/workflow"), json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_request"
    for tag in ("", "x" * 65):
        response = agent.patch(_path(MENTION, "/workflow"), json={"add_tags": [tag]})
        assert response.status_code == 400
    long_note = agent.post(_path(MENTION, "/notes"), json={"text": "x" * 4001})
    assert long_note.status_code == 422
    assert agent.post(_path(MENTION, "/notes"), json={"text": "   "}).status_code == 400
    assert agent.get("/api/v1/workflow", params={"limit": 10_000}).status_code == 400


def test_assignment_notice_is_queued_when_a_channel_is_configured(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, alerts=AlertsSettings(assignment_channels=["support-hook"]))
    _fill(settings)
    path = channels_file(settings, workspace="default")
    path.parent.mkdir(parents=True, exist_ok=True)
    hook = {"name": "support-hook", "kind": "webhook", "url": "https://hooks.example/e", "secret": "s" * 24}
    path.write_text(yaml.safe_dump({"channels": [hook]}), encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        signed_in(client, "mei")
        body = client.patch(_path(MENTION, "/workflow"), json={"assignee": "li.wei"}).json()
    assert body["notice"] == {
        "assignee": "li.wei",
        "queued": True,
        "channels": ["support-hook"],
        "missing": [],
        "message": "li.wei is notified through support-hook",
    }
    with build_alert_stores(settings, workspace="default") as stores:
        [record] = stores.outbox.list()
    assert record.channel == "support-hook"
    assert record.message.title == "Mention assigned to li.wei (normal priority)"
    assert "s" * 24 not in record.message.model_dump_json()


# --- notes, history, queue -----------------------------------------------------------------------
def test_notes_and_history(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    created = agent.post(_path(MENTION, "/notes"), json={"text": "Called her back."})
    assert created.status_code == 201
    note = created.json()
    assert (note["author"], note["text"], note["mention_id"]) == ("li.wei", "Called her back.", MENTION.id)
    agent.patch(_path(MENTION, "/workflow"), json={"assignee": "li.wei"})
    assert [n["id"] for n in agent.get(_path(MENTION, "/notes")).json()["notes"]] == [note["id"]]
    entries = agent.get(_path(MENTION, "/history")).json()["entries"]
    assert [(e["action"], e["actor"]) for e in entries] == [("assigned", "li.wei"), ("note", "li.wei")]
    assert entries[1]["detail"] == "Called her back."
    assert len(agent.get(_path(MENTION, "/history"), params={"limit": 1}).json()["entries"]) == 1


def test_the_queue_filters_mentions_in_work(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    agent.patch(
        _path(MENTION, "/workflow"), json={"assignee": "li.wei", "add_tags": ["VIP"], "starred": True}
    )
    agent.patch(_path(UNSAFE, "/workflow"), json={"status": "closed", "priority": "low"})

    def ids(**params: object) -> list[str]:
        response = agent.get("/api/v1/workflow", params=params)
        assert response.status_code == 200, response.text
        return [item["mention_id"] for item in response.json()["items"]]

    assert set(ids()) == {MENTION.id, UNSAFE.id}
    assert ids(assignee="li.wei") == [MENTION.id]
    assert ids(tag="vip") == [MENTION.id]
    assert ids(starred="true") == [MENTION.id]
    assert ids(status="closed") == [UNSAFE.id]
    assert ids(priority="low", status="open") == []
    assert as_user("vic").get("/api/v1/workflow").status_code == 200
    assert agent.get("/api/v1/workflow", params={"status": "resolved"}).status_code == 422


# --- who may ------------------------------------------------------------------------------------
WRITES = (
    ("PATCH", "/workflow", {"status": "closed"}),
    ("POST", "/notes", {"text": "hello"}),
)
READS = (("GET", "", None), ("GET", "/workflow", None), ("GET", "/notes", None), ("GET", "/history", None))


def test_without_credentials_everything_is_401(client: TestClient) -> None:
    for method, suffix, body in (*READS, *WRITES):
        response = client.request(method, _path(MENTION, suffix), json=body)
        assert response.status_code == 401, (method, suffix)
        assert response.json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/v1/workflow").status_code == 401


@pytest.mark.parametrize(
    ("role", "may_work"), [("admin", True), ("agent", True), ("analyst", False), ("viewer", False)]
)
def test_every_role_reads_and_only_workers_write(
    settings: Settings, client: TestClient, role: str, may_work: bool
) -> None:
    headers = {"Authorization": f"Bearer {api_key(settings, role=role)}"}
    for method, suffix, body in READS:
        assert client.request(method, _path(MENTION, suffix), json=body, headers=headers).status_code == 200
    for method, suffix, body in WRITES:
        response = client.request(method, _path(MENTION, suffix), json=body, headers=headers)
        assert response.status_code == (201 if method == "POST" else 200) if may_work else 403, (role, suffix)
        if not may_work:
            assert response.json()["error"]["code"] == "forbidden"


def test_a_session_write_without_its_csrf_token_is_refused(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    del agent.headers["X-CSRF-Token"]
    response = agent.patch(_path(MENTION, "/workflow"), json={"status": "closed"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


# --- the page ------------------------------------------------------------------------------------
def test_the_page_escapes_what_users_wrote(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    agent.post(_path(MENTION, "/notes"), json={"text": "<script>alert(1)</script>"})
    agent.patch(_path(MENTION, "/workflow"), json={"add_tags": ['"><b>tag</b>']})
    page = agent.get(f"/mentions/{MENTION.id}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>tag</b>" not in html
    assert "&lt;b&gt;tag&lt;/b&gt;" in html
    assert "Ana &lt;Lima&gt;" in html  # the customer's name
    assert f'href="/customers/{ANA.id}"' in html
    assert 'href="https://twitter.example/ana/status/1" rel="noopener noreferrer"' in html
    assert "lexicon 2.1" in html
    unsafe = agent.get(f"/mentions/{UNSAFE.id}").text
    assert "<img src=x" not in unsafe
    assert "&lt;img src=x onerror=alert(1)&gt;" in unsafe
    assert 'href="javascript:' not in unsafe


def test_the_page_is_read_only_for_a_viewer(as_user: Callable[[str], TestClient]) -> None:
    viewer = as_user("vic")
    html = viewer.get(f"/mentions/{MENTION.id}").text
    assert "<form" not in html.split('id="workflow"')[1]
    assert escape(labels()["mentions.workflow.read_only"][0]) in html
    refused = viewer.post(
        f"/mentions/{MENTION.id}/workflow", data={"status": "closed"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 403
    worker_html = as_user("li.wei").get(f"/mentions/{MENTION.id}").text
    assert 'hx-post="/mentions/' in worker_html
    assert '<option value="mei"' in worker_html
    assert '<option value="vic"' not in worker_html  # a viewer cannot be assigned


def test_page_forms_swap_the_workflow_and_the_history(as_user: Callable[[str], TestClient]) -> None:
    agent = as_user("li.wei")
    htmx = {"HX-Request": "true"}
    form = {"assignee": "mei", "status": "pending", "priority": "high", "expected_version": "0"}
    response = agent.post(f"/mentions/{MENTION.id}/workflow", data=form, headers=htmx)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<section id="workflow"')
    assert 'id="history" class="card history" aria-labelledby="history-heading" hx-swap-oob="true"' in html
    assert "assigned it to Mei" in html
    assert escape(labels()["mentions.notice.history_only"][0].format(assignee="mei")) in html
    stale = agent.post(f"/mentions/{MENTION.id}/workflow", data={**form, "status": "closed"}, headers=htmx)
    assert stale.status_code == 200  # htmx swaps 2xx only: the refusal is in the partial
    assert escape(labels()["mentions.flash.conflict"][0]) in stale.text
    noted = agent.post(f"/mentions/{MENTION.id}/notes", data={"text": "on it"}, headers=htmx)
    assert "on it" in noted.text
    plain = agent.post(f"/mentions/{MENTION.id}/workflow", data={"starred": "true"}, follow_redirects=False)
    assert (plain.status_code, plain.headers["location"]) == (303, f"/mentions/{MENTION.id}")
    bad = agent.post(f"/mentions/{MENTION.id}/workflow", data={"assignee": "vic"})
    assert bad.status_code == 400
    assert "vic" in bad.text
    state = agent.get(_path(MENTION, "/workflow")).json()["workflow"]
    assert (state["assignee"], state["status"], state["starred"]) == ("mei", "pending", True)


def test_the_page_of_an_unknown_mention_is_a_404_page(as_user: Callable[[str], TestClient]) -> None:
    response = as_user("vic").get(f"/mentions/{OTHERS.id}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_the_page_sends_a_browser_without_a_session_to_login(client: TestClient) -> None:
    response = client.get(f"/mentions/{MENTION.id}", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login?next=")


def test_every_workflow_value_has_a_label() -> None:
    for prefix, values in (
        ("mentions.status", WorkflowStatus),
        ("mentions.priority", WorkflowPriority),
        ("mentions.history", HistoryAction),
    ):
        for value in values:
            assert f"{prefix}.{value.value}" in labels()


@pytest.fixture
def zh_page(as_user: Callable[[str], TestClient]) -> TestClient:
    agent = as_user("li.wei")
    agent.cookies.set("lang", "zh")
    return agent


def test_the_page_speaks_chinese(zh_page: TestClient) -> None:
    html = zh_page.get(f"/mentions/{MENTION.id}").text
    assert '<html lang="zh-CN">' in html
    assert labels()["mentions.workflow"][1] in html
    assert labels()["mentions.history"][1] in html
