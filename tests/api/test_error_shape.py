"""Every kind of failure answers in the one shape, with the request id, over the real app."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from api.accounts.models import Permission, Role
from api.app import create_app
from api.deps import require, require_page, workspace_services
from api.middleware import SECURITY_HEADERS
from api.services import Services
from api.testing import add_user, api_key, api_settings, error_of, signed_in
from core.settings import Settings


def test_401_without_credentials(client: TestClient) -> None:
    error = error_of(client.get("/api/v1/me"), 401, "unauthenticated")
    assert error["retryable"] is False


def test_401_for_an_unknown_api_key(client: TestClient) -> None:
    error_of(client.get("/api/v1/me", headers={"Authorization": "Bearer ek_nope"}), 401, "unauthenticated")
    error_of(client.get("/api/v1/me", headers={"X-API-Key": "ek_nope"}), 401, "unauthenticated")


def test_403_when_the_role_lacks_the_permission(settings: Settings, client: TestClient) -> None:
    key = api_key(settings, role=Role.VIEWER)
    error = error_of(
        client.get("/api/v1/users", headers={"Authorization": f"Bearer {key}"}), 403, "forbidden"
    )
    assert error["details"] == {"permission": "admin", "role": "viewer"}


def test_403_csrf_failed_for_a_session_request_without_its_token(
    settings: Settings, client: TestClient
) -> None:
    add_user(settings, "ana", role=Role.ADMIN)
    signed_in(client, "ana")
    del client.headers["X-CSRF-Token"]
    error_of(client.post("/api/v1/keys", json={"name": "bot", "role": "viewer"}), 403, "csrf_failed")
    wrong = {"X-CSRF-Token": "not-the-token"}
    error_of(
        client.post("/api/v1/keys", json={"name": "bot", "role": "viewer"}, headers=wrong), 403, "csrf_failed"
    )


def test_404_for_an_unknown_route(client: TestClient) -> None:
    error = error_of(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "/api/v1/no-such-thing" in error["message"]


def test_405_for_a_wrong_method(client: TestClient) -> None:
    response = client.delete("/api/v1/me")
    error_of(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"


def test_413_for_a_declared_body_over_the_limit(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"max_body_bytes": 1000})
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/auth/login",
            content=b"{" + b" " * 2000 + b"}",
            headers={"content-type": "application/json"},
        )
        error = error_of(response, 413, "payload_too_large")
        assert error["details"] == {"max_body_bytes": 1000}


def test_413_for_a_streamed_body_over_the_limit(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"max_body_bytes": 1000})

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(5):
            yield b" " * 400

    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        error = error_of(response, 413, "payload_too_large")
        assert error["details"] == {"max_body_bytes": 1000}


def test_422_for_a_wrong_type_and_an_unknown_field(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"username": "ana", "password": 12345678, "remember_me": True}
    )
    error = error_of(response, 422, "invalid_request")
    located = {(tuple(e["loc"]), e["type"]) for e in error["details"]["errors"]}
    assert located == {(("body", "password"), "string_type"), (("body", "remember_me"), "extra_forbidden")}
    assert "12345678" not in response.text  # the input (a password here) is never echoed


def test_422_for_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    error_of(response, 422, "invalid_request")


def test_429_after_too_many_failed_logins(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, api={"login_attempts": 2, "login_window": 600})
    add_user(settings, "ana", role=Role.VIEWER)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            error_of(
                client.post("/api/v1/auth/login", json={"username": "ana", "password": "wrong guess"}),
                401,
                "unauthenticated",
            )
        response = client.post("/api/v1/auth/login", json={"username": "ana", "password": "wrong guess"})
        error = error_of(response, 429, "login_throttled")
        assert 1 <= int(response.headers["Retry-After"]) <= 600
        assert error["details"]["retry_after"] == int(response.headers["Retry-After"])


def _boom_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("db password is hunter2")  # a bug whose text holds a secret

    return router


def test_500_for_an_unexpected_error_without_leaking_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    app.include_router(_boom_router())
    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="api"):
        response = client.get("/api/v1/boom", headers={"X-Request-ID": "req-boom-1"})
    error = error_of(response, 500, "internal_error")
    assert error["request_id"] == "req-boom-1"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    logged = [r for r in caplog.records if "req-boom-1" in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the traceback is in the server's log, not the answer


def test_503_when_the_store_is_unavailable(tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path,
        store={"backend": "elasticsearch"},
        elasticsearch={"hosts": ["http://127.0.0.1:1"], "max_retries": 0, "request_timeout": 2},
    )
    key = api_key(settings, role=Role.VIEWER)
    router = APIRouter()

    @router.get("/api/v1/mention-count")
    def count(
        principal: Annotated[Any, Depends(require(Permission.READ))],
        services: Annotated[Services, Depends(workspace_services)],
    ) -> dict[str, int]:
        return {"count": services.mentions.count()}

    app = create_app(settings)
    app.include_router(router)
    with TestClient(app) as client:
        response = client.get("/api/v1/mention-count", headers={"Authorization": f"Bearer {key}"})
        error = error_of(response, 503, "store_unavailable")
        assert error["retryable"] is True
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"] == {"accounts": "ok", "mentions": "store_unavailable"}


def test_an_incoming_request_id_is_kept_only_when_sane(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    for bad in ("has space", "x" * 200, "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad
        assert len(echoed) == 32
    one, two = client.get("/healthz"), client.get("/healthz")
    assert one.headers["X-Request-ID"] != two.headers["X-Request-ID"]


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/api/v1/me"), client.get("/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp


def test_healthz_answers_without_credentials(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == {"accounts": "ok", "mentions": "ok"}


# --- pages ---------------------------------------------------------------------------------------
HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_browser_gets_errors_as_escaped_pages(client: TestClient) -> None:
    response = client.get("/no/<script>alert(1)</script>", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
    assert response.headers["X-Request-ID"] in response.text


def test_the_json_api_answers_json_even_to_a_browser(client: TestClient) -> None:
    error_of(client.get("/api/v1/nothing", headers=HTML), 404, "not_found")


def test_a_page_without_login_redirects_to_login(settings: Settings) -> None:
    router = APIRouter()

    @router.get("/private")
    def private(principal: Annotated[Any, Depends(require_page(Permission.READ))]) -> dict[str, str]:
        return {"ok": "yes"}

    app = create_app(settings)
    app.include_router(router)
    add_user(settings, "vic", role=Role.VIEWER)
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/private?tab=1")
        assert response.status_code == 303
        assert response.headers["Location"] == "/login?next=/private%3Ftab%3D1"
        htmx = client.get("/private", headers={"HX-Request": "true"})
        assert htmx.status_code == 401
        assert htmx.headers["HX-Redirect"] == "/login?next=/private"
        signed_in(client, "vic")
        assert client.get("/private").json() == {"ok": "yes"}
