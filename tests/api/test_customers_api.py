"""Customers over HTTP (api/routes/customers.py and the pages of api/web/pages/customers.py), on the real
app over a small CRM home in SQLite (tests/api/customers_home.py): the list and search, the 360 view,
the timeline and cases, confirm/reject recorded through the library's link feedback, roles, workspaces,
masking, and the pages with their htmx partials."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.testing import add_user, api_key, signed_in
from api.web.i18n import labels
from api.web.pages.customers import sla_state
from core.models import Customer, Tier
from core.settings import Settings
from crm.cases import CasePriority, CaseStatus
from crm.customers import build_customer_directory
from crm.interactions import InteractionChannel
from crm.reminders import ReminderKind
from crm.scores import Segment, ValueTier
from index.backends import build_mention_store
from tests.api.customers_home import BANK_ACCOUNT, CrmHome, crm_home

OTHER = Customer(code="C900", name="Someone of acme")


@pytest.fixture
def home(settings: Settings) -> CrmHome:
    built = crm_home(settings)
    with build_customer_directory(settings, workspace="acme") as acme:
        acme.upsert([OTHER])
    for name, role in (("amy", "agent"), ("vic", "viewer"), ("ann", "analyst"), ("ada", "admin")):
        add_user(settings, name, role=role)
    return built


def keyed(settings: Settings, role: str, workspace: str = "default") -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key(settings, role=role, workspace=workspace)}"}


@pytest.fixture
def viewer(client: TestClient, settings: Settings, home: CrmHome) -> TestClient:
    client.headers.update(keyed(settings, "viewer"))
    return client


def error(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    found: dict[str, object] = body["error"]
    assert {"code", "status", "message", "request_id"} <= set(found)
    return found


# --- the list ------------------------------------------------------------------------------------
def test_the_list_pages_through_every_customer_with_scores(viewer: TestClient, home: CrmHome) -> None:
    page = viewer.get("/api/v1/customers", params={"limit": 4}).json()
    assert [row["code"] for row in page["rows"]] == ["C001", "C002", "C003", "C004"]
    assert (page["total"], page["offset"], page["next_offset"]) == (6, 0, 4)
    ana = page["rows"][0]
    assert ana["id"] == home.ana.id
    assert ana["score"]["value_tier"] == "key"  # she brings most of the revenue
    assert "bank_account" not in ana
    assert "contacts" not in ana
    rest = viewer.get("/api/v1/customers", params={"limit": 4, "offset": 4}).json()
    assert ([row["code"] for row in rest["rows"]], rest["next_offset"]) == (["C005", "C006"], None)


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"q": "lima"}, ["C001"]),
        ({"q": "ana@example.com"}, ["C001"]),
        ({"q": "@ana_l"}, ["C001"]),
        ({"q": "nobody at all"}, []),
        ({"tier": "key"}, ["C001"]),
        ({"master_tier": "gold"}, ["C001"]),
        ({"owner": "li.wei"}, ["C002"]),
        ({"owner": "amy", "q": "bo"}, []),
        ({"churn_min": 0.99}, []),
    ],
)
def test_search_and_filters(viewer: TestClient, params: dict[str, str | float], codes: list[str]) -> None:
    response = viewer.get("/api/v1/customers", params=params)
    assert response.status_code == 200, response.text
    assert [row["code"] for row in response.json()["rows"]] == codes


def test_limits_are_enforced_in_the_one_error_shape(viewer: TestClient, settings: Settings) -> None:
    too_many = viewer.get("/api/v1/customers", params={"limit": settings.api.max_page_size + 1})
    assert (too_many.status_code, error(too_many)["code"]) == (400, "invalid_input")
    long_q = viewer.get("/api/v1/customers", params={"q": "x" * (settings.api.max_query_chars + 1)})
    assert long_q.status_code == 400
    for params in ({"tier": "diamond"}, {"offset": -1}, {"churn_min": 2}, {"limit": 0}, {"offset": 10_001}):
        response = viewer.get("/api/v1/customers", params=params)
        assert (response.status_code, error(response)["code"]) == (422, "invalid_request"), params


# --- the 360, the timeline, the cases ----------------------------------------------------------
def test_the_360_view_holds_every_section_and_masks_the_bank_account(
    viewer: TestClient, home: CrmHome
) -> None:
    response = viewer.get(f"/api/v1/customers/{home.ana.id}")
    assert response.status_code == 200, response.text
    assert BANK_ACCOUNT.replace(" ", "")[4:] not in response.text.replace(" ", "")  # never the account
    view = response.json()
    customer = view["customer"]
    assert (customer["id"], customer["code"], customer["bank"]) == (home.ana.id, "C001", "ICBC")
    assert customer["bank_account"] == "****7890"
    assert view["score"]["value"]["tier"] == "key"
    assert 0 <= view["score"]["churn"]["risk"] <= 1
    assert view["mentions"] == 2
    assert [m["id"] for m in view["latest"]] == [home.complaint_id, home.praise_id]  # newest first
    assert view["open_complaints"] == 1
    assert [c["id"] for c in view["cases"]] == [home.case_id]
    assert set(view["sla"]) == {home.case_id}
    assert view["orders"]["count"] == 3
    assert view["interactions"] == 1
    assert next(r["kind"] for r in view["reminders"]) == "birthday"
    assert view["verdicts"] == []
    by_code = viewer.get("/api/v1/customers/c001")  # a code finds them too
    assert by_code.json()["customer"]["id"] == home.ana.id


def test_the_timeline_merges_every_kind_newest_first_in_pages(viewer: TestClient, home: CrmHome) -> None:
    first = viewer.get(f"/api/v1/customers/{home.ana.id}/timeline", params={"limit": 3}).json()
    assert first["next_offset"] == 3
    entries = first["entries"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    everything = viewer.get(f"/api/v1/customers/{home.ana.id}/timeline", params={"limit": 50}).json()
    kinds = {e["kind"] for e in everything["entries"]}
    assert {"mention", "interaction", "order", "case"} <= kinds
    mention = next(e for e in everything["entries"] if e["ref"] == home.complaint_id)
    assert mention["sentiment"] == "negative"
    assert everything["next_offset"] is None


def test_cases_come_with_their_sla_state(viewer: TestClient, home: CrmHome) -> None:
    body = viewer.get(f"/api/v1/customers/{home.ana.id}/cases").json()
    (case,) = body["cases"]
    assert (case["id"], case["status"]) == (home.case_id, "new")
    assert set(body["sla"][home.case_id]) >= {"first_response_due", "first_response_breached"}
    assert (
        viewer.get(f"/api/v1/customers/{home.bo.id}/cases", params={"open_only": True}).json()["cases"] == []
    )


def test_another_workspaces_customer_is_not_found(
    viewer: TestClient, settings: Settings, home: CrmHome
) -> None:
    for path in ("", "/timeline", "/cases"):
        response = viewer.get(f"/api/v1/customers/{OTHER.id}{path}")
        assert (response.status_code, error(response)["code"]) == (404, "not_found"), path
    assert viewer.get("/api/v1/customers/no-such-customer").status_code == 404
    acme = viewer.get("/api/v1/customers", headers=keyed(settings, "viewer", "acme")).json()
    assert [row["code"] for row in acme["rows"]] == ["C900"]
    agent = keyed(settings, "agent")
    response = viewer.post(f"/api/v1/customers/{OTHER.id}/links/{home.stranger_id}/confirm", headers=agent)
    assert response.status_code == 404
    response = viewer.post(f"/api/v1/customers/{home.ana.id}/links/no-such-mention/confirm", headers=agent)
    assert (response.status_code, error(response)["code"]) == (404, "not_found")


# --- verdicts ------------------------------------------------------------------------------------
def test_a_confirm_is_recorded_with_who_and_links_the_mention(
    client: TestClient, settings: Settings, home: CrmHome
) -> None:
    signed_in(client, "amy")
    response = client.post(f"/api/v1/customers/{home.bo.id}/links/{home.stranger_id}/confirm")
    assert response.status_code == 200, response.text
    judged = response.json()
    assert (judged["verdict"], judged["by"], judged["author_key"], judged["changed"]) == (
        "confirm",
        "amy",
        "weibo:@tea_fan",
        True,
    )
    assert judged["link"]["method"] == "manual"
    with build_customer_directory(settings, workspace="default") as directory:
        (verdict,) = directory.feedback_of(home.bo.id)
        assert (verdict.verdict, verdict.by, verdict.mention_id) == ("confirm", "amy", home.stranger_id)
        assert directory.feedback_for(["weibo:@tea_fan"]) == {home.bo.id: "confirm"}  # the linker learns
    view = client.get(f"/api/v1/customers/{home.bo.id}").json()
    assert [m["id"] for m in view["latest"]] == [home.stranger_id]
    assert view["verdicts"][0]["by"] == "amy"


def test_a_reject_unlinks_the_mention(client: TestClient, settings: Settings, home: CrmHome) -> None:
    response = client.post(
        f"/api/v1/customers/{home.ana.id}/links/{home.praise_id}/reject", headers=keyed(settings, "agent")
    )
    assert response.status_code == 200, response.text  # an API key needs no CSRF token
    assert (response.json()["verdict"], response.json()["link"]) == ("reject", None)
    assert response.json()["by"].startswith("key:")
    store = build_mention_store(settings, workspace="default")
    try:
        mention = store.get(home.praise_id)
        assert mention is not None
        assert mention.customer is None
    finally:
        store.close()
    view = client.get(f"/api/v1/customers/{home.ana.id}", headers=keyed(settings, "viewer")).json()
    assert [m["id"] for m in view["latest"]] == [home.complaint_id]


def test_roles_and_credentials(client: TestClient, settings: Settings, home: CrmHome) -> None:
    path = f"/api/v1/customers/{home.ana.id}/links/{home.praise_id}/confirm"
    assert error(client.get("/api/v1/customers"))["status"] == 401
    assert client.post(path).status_code == 401
    for role in ("viewer", "analyst"):
        response = client.post(path, headers=keyed(settings, role))
        assert (response.status_code, error(response)["code"]) == (403, "forbidden"), role
        assert (
            client.get(f"/api/v1/customers/{home.ana.id}", headers=keyed(settings, role)).status_code == 200
        )
    assert client.post(path, headers=keyed(settings, "admin")).status_code == 200
    maybe = client.post(path.replace("/confirm", "/maybe"), headers=keyed(settings, "admin"))
    assert (maybe.status_code, error(maybe)["code"]) == (422, "invalid_request")
    signed_in(client, "amy")
    del client.headers["X-CSRF-Token"]
    response = client.post(path)
    assert (response.status_code, error(response)["code"]) == (403, "csrf_failed")


# --- the pages -----------------------------------------------------------------------------------
def test_the_list_page_and_its_htmx_partial(client: TestClient, home: CrmHome) -> None:
    redirected = client.get("/customers", follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"].startswith("/login?next=")
    signed_in(client, "vic")
    page = client.get("/customers")
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'id="customer-results"' in page.text
    assert f'href="/customers/{home.ana.id}"' in page.text
    partial = client.get("/customers", params={"tier": "key", "q": ""}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert re.findall(r'href="/customers/([0-9a-f]+)"', partial.text) == [home.ana.id]
    assert client.get("/customers", params={"tier": "diamond"}).status_code == 400
    empty = client.get("/customers", params={"q": "<script>x</script>"})
    assert "<script>x</script>" not in empty.text
    assert "&lt;script&gt;" in empty.text


def test_the_360_page_shows_buttons_to_agents_only(client: TestClient, home: CrmHome) -> None:
    signed_in(client, "vic")
    page = client.get(f"/customers/{home.ana.id}")
    assert page.status_code == 200
    assert 'class="tier-badge tier-badge--key"' in page.text
    assert f'href="/mentions/{home.complaint_id}"' in page.text
    assert "&lt;b&gt;nobody&lt;/b&gt;" in page.text  # what a customer wrote is escaped
    assert "****7890" in page.text
    assert "3456" not in page.text
    assert "/links/" not in page.text  # a viewer judges nothing
    assert client.get(f"/customers/{OTHER.id}").status_code == 404
    signed_in(client, "amy")
    assert (
        f"/customers/{home.ana.id}/links/{home.complaint_id}/confirm"
        in client.get(f"/customers/{home.ana.id}").text
    )


def test_a_verdict_from_the_page_swaps_in_place(
    client: TestClient, settings: Settings, home: CrmHome
) -> None:
    signed_in(client, "vic")
    path = f"/customers/{home.ana.id}/links/{home.complaint_id}/confirm"
    assert client.post(path, headers={"HX-Request": "true"}).status_code == 403
    signed_in(client, "amy")
    swapped = client.post(path, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith(f'<div class="link-state" id="link-{home.complaint_id}">')
    assert "Confirmed" in swapped.text
    assert "by amy" in swapped.text
    assert 'aria-pressed="true"' in swapped.text
    plain = client.post(f"/customers/{home.ana.id}/links/{home.praise_id}/reject", follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/customers/{home.ana.id}#mention-{home.praise_id}"
    with build_customer_directory(settings, workspace="default") as directory:
        # both mentions are by one author: the newest verdict on that author and Ana is the one kept
        assert [(v.verdict, v.by, v.mention_id) for v in directory.feedback_of(home.ana.id)] == [
            ("reject", "amy", home.praise_id)
        ]
    assert client.post(f"/customers/{home.ana.id}/links/{home.complaint_id}/maybe").status_code == 422


def test_the_pages_speak_chinese(client: TestClient, home: CrmHome) -> None:
    signed_in(client, "vic")
    client.cookies.set("lang", "zh")
    page = client.get(f"/customers/{home.ana.id}")
    assert '<html lang="zh-CN">' in page.text
    assert "客户全景" in page.text
    assert "重点客户" in page.text


def test_every_label_built_from_a_vocabulary_exists() -> None:
    have = labels()
    vocabularies = {
        "customers.value_tier": [*(t.value for t in ValueTier), *(f"{t.value}.hint" for t in ValueTier)],
        "customers.master_tier": [t.value for t in Tier],
        "customers.segment": [s.name for s in Segment],
        "customers.channel": [c.value for c in InteractionChannel],
        "customers.case.status": [s.value for s in CaseStatus],
        "customers.case.priority": [p.value for p in CasePriority],
        "customers.reminder": [k.value for k in ReminderKind],
        "customers.reminder.years": [k.value for k in ReminderKind],
        "customers.link.method": [
            "platform_user_id",
            "handle",
            "email",
            "phone",
            "order_number",
            "scored",
            "manual",
        ],
        "customers.link": ["confirm", "reject", "confirmed", "rejected"],
    }
    for prefix, values in vocabularies.items():
        for value in values:
            assert f"{prefix}.{value}" in have
    for key in ("attitude", "evaluation", "problems", "credit", "competitors", "potential"):
        assert f"customers.assessment.{key}" in have
    from crm.cases import CaseSla

    now = "2026-03-02T12:00:00Z"
    late = CaseSla.model_validate(
        {
            "first_response_due": now,
            "resolution_due": now,
            "first_response_breached": True,
            "resolution_breached": False,
            "first_response_left": -60,
            "resolution_left": 3600,
        }
    )
    assert sla_state(late) == ("customers.sla.breached", None)
    due = late.model_copy(update={"first_response_breached": False, "first_response_left": 7200.0})
    assert sla_state(due) == ("customers.sla.response_due", 2.0)
    answered = due.model_copy(update={"first_response_left": None})
    assert sla_state(answered) == ("customers.sla.resolution_due", 1.0)
    assert sla_state(answered.model_copy(update={"resolution_left": None}))[0] == "customers.sla.met"
    for key in ("breached", "response_due", "resolution_due", "met"):
        assert f"customers.sla.{key}" in have


def test_the_openapi_schema_documents_the_customer_routes(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    judged = paths["/api/v1/customers/{customer_id}/links/{mention_id}/{verdict}"]["post"]
    verdict = next(p for p in judged["parameters"] if p["name"] == "verdict")
    assert verdict["schema"]["enum"] == ["confirm", "reject"]
    for path in ("", "/{customer_id}", "/{customer_id}/timeline", "/{customer_id}/cases"):
        operation = paths[f"/api/v1/customers{path}"]["get"]
        assert operation["summary"]
        assert {"401", "403"} <= set(operation["responses"])
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["CustomerView"]["examples"][0]["customer"]["bank_account"] == "****7890"
