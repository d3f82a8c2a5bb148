"""Users, memberships and API keys through the admin routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.accounts.store import open_account_store
from api.testing import add_user, api_key, signed_in
from core.settings import Settings


def _admin(settings: Settings, client: TestClient, workspace: str = "default") -> None:
    add_user(settings, "root", role=Role.ADMIN, workspace=workspace)
    signed_in(client, "root")


def test_an_admin_creates_a_member_who_can_log_in(settings: Settings, client: TestClient) -> None:
    _admin(settings, client)
    response = client.post(
        "/api/v1/users",
        json={"username": "bo", "password": "a long passphrase", "display_name": "Bo Chen", "role": "agent"},
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["username"], created["display_name"], created["role"]) == ("bo", "Bo Chen", "agent")
    assert "password" not in response.text
    listed = client.get("/api/v1/users").json()
    assert listed["workspace"] == "default"
    assert [(u["username"], u["role"]) for u in listed["users"]] == [("bo", "agent"), ("root", "admin")]
    with TestClient(client.app) as other:
        assert signed_in(other, "bo", "a long passphrase")
        assert other.get("/api/v1/me").json()["role"] == "agent"


def test_a_taken_name_is_a_conflict_and_a_bad_one_invalid(settings: Settings, client: TestClient) -> None:
    _admin(settings, client)
    taken = client.post(
        "/api/v1/users", json={"username": "root", "password": "whatever long", "role": "viewer"}
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"
    bad = client.post(
        "/api/v1/users", json={"username": "Not Valid", "password": "whatever long", "role": "viewer"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_input"
    short = client.post("/api/v1/users", json={"username": "cy", "password": "short", "role": "viewer"})
    assert short.status_code == 422
    unknown_role = client.post(
        "/api/v1/users", json={"username": "cy", "password": "long enough", "role": "owner"}
    )
    assert unknown_role.status_code == 422


def test_memberships_need_admin_in_the_workspace_they_change(settings: Settings, client: TestClient) -> None:
    _admin(settings, client)
    add_user(settings, "bo", role=Role.VIEWER)
    response = client.put("/api/v1/users/bo/memberships/default", json={"role": "analyst"})
    assert response.json() == {"username": "bo", "workspace": "default", "role": "analyst", "member": True}
    # root is no admin of acme
    assert client.put("/api/v1/users/bo/memberships/acme", json={"role": "viewer"}).status_code == 403
    with open_account_store(settings) as accounts:
        accounts.grant("root", "acme", Role.ADMIN)
    assert client.put("/api/v1/users/bo/memberships/acme", json={"role": "viewer"}).status_code == 200
    assert client.put("/api/v1/users/nobody/memberships/acme", json={"role": "viewer"}).status_code == 404
    revoked = client.delete("/api/v1/users/bo/memberships/acme")
    assert revoked.json() == {"username": "bo", "workspace": "acme", "role": None, "member": False}
    assert client.delete("/api/v1/users/bo/memberships/acme").status_code == 404
    with open_account_store(settings) as accounts:
        assert [(m.workspace, m.role) for m in accounts.memberships("bo")] == [("default", Role.ANALYST)]


def test_non_admins_manage_nothing(settings: Settings, client: TestClient) -> None:
    add_user(settings, "ana", role=Role.ANALYST)
    signed_in(client, "ana")
    assert client.get("/api/v1/users").status_code == 403
    assert (
        client.post(
            "/api/v1/users", json={"username": "x", "password": "long enough", "role": "admin"}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/keys").status_code == 403
    assert client.post("/api/v1/keys", json={"name": "k", "role": "admin"}).status_code == 403


def test_a_key_secret_is_shown_once_and_the_key_revoked_by_id(settings: Settings, client: TestClient) -> None:
    _admin(settings, client)
    created = client.post("/api/v1/keys", json={"name": "BI export", "role": "viewer"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    key_id = created.json()["key"]["id"]
    assert secret.startswith("ek_")
    assert created.json()["key"]["created_by"] == "root"
    listed = client.get("/api/v1/keys")
    assert secret not in listed.text
    assert [k["id"] for k in listed.json()["keys"]] == [key_id]
    assert listed.json()["keys"][0]["prefix"] == secret[:10]
    with TestClient(client.app) as bot:
        assert bot.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        revoked = client.delete(f"/api/v1/keys/{key_id}")
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        assert bot.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.get("/api/v1/keys").json()["keys"] == []
    assert [k["id"] for k in client.get("/api/v1/keys?include_revoked=true").json()["keys"]] == [key_id]


def test_keys_of_another_workspace_are_out_of_reach(settings: Settings, client: TestClient) -> None:
    _admin(settings, client)
    api_key(settings, role=Role.ADMIN, workspace="acme")
    with open_account_store(settings) as accounts:
        (foreign,) = accounts.list_keys("acme")
    assert client.get("/api/v1/keys").json()["keys"] == []
    assert client.delete(f"/api/v1/keys/{foreign.id}").status_code == 404
    with open_account_store(settings) as accounts:
        assert accounts.get_key(foreign.id) is not None
        assert accounts.list_keys("acme") != []


def test_the_openapi_schema_documents_the_routes_and_their_errors(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["summary"]
    assert {"401", "422", "429"} <= set(login["responses"])
    for status in ("401", "422", "429"):
        ref = login["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
