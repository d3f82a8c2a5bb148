"""Bad input, sent to every operation the app has when the test runs (as an admin, who passes every
permission check), is refused with a 4xx in the one error shape, never a 500: a body over the limit
(413), a URL over the limit, a body that is not JSON, not an object, or has a field nobody asked for
(422), out-of-range paging; and whatever a user typed comes back escaped in a page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.app import create_app
from api.testing import Response, add_user, api_key, api_settings, error_of, signed_in
from core.settings import Settings
from tests.api.security.support import Operation, operations

MAX_BODY: Final = 4096
MAX_URL: Final = 2048
SCRIPT: Final = "<script>alert(1)</script>"
PAGING: Final = ("limit", "size", "page_size", "per_page", "offset", "page", "from")
"""Names of paging parameters and body fields."""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("bad-input")
    return api_settings(home, api={"max_body_bytes": MAX_BODY, "max_url_chars": MAX_URL})


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    secret = api_key(settings, role=Role.ADMIN)
    with TestClient(app, follow_redirects=False, headers={"Authorization": f"Bearer {secret}"}) as opened:
        yield opened


def _with_body(app: FastAPI) -> list[tuple[Operation, dict[str, Any]]]:
    """The operations of the OpenAPI document that take a JSON body, with its schema."""
    document = app.openapi()
    found = []
    for operation in operations(app):
        spec = document["paths"].get(operation.path, {}).get(operation.method.lower(), {})
        content = spec.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            found.append((operation, schema))
    return found


def _first_example(schema: dict[str, Any]) -> dict[str, Any]:
    examples = schema.get("examples") or [{}]
    return dict(examples[0]) if isinstance(examples[0], dict) else {}


def _codes(error: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["loc"], e["type"]) for e in error["details"].get("errors", [])]


def test_there_are_operations_with_bodies(app: FastAPI) -> None:
    assert len(_with_body(app)) >= 3


def test_a_body_over_the_limit_is_413(app: FastAPI, client: TestClient) -> None:
    big = json.dumps({"padding": "x" * (MAX_BODY + 1)})
    for operation, _ in _with_body(app):
        error = error_of(
            client.request(operation.method, operation.url(), content=big), 413, "payload_too_large"
        )
        assert error["details"] == {"max_body_bytes": MAX_BODY}, operation

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield b'{"padding": "'
            for _ in range(MAX_BODY // 512 + 1):
                yield b"x" * 512
            yield b'"}'

        response = client.request(operation.method, operation.url(), content=chunks())
        error_of(response, 413, "payload_too_large")


def test_a_url_over_the_limit_is_refused(app: FastAPI, client: TestClient) -> None:
    for operation in operations(app):
        response = client.request(operation.method, f"{operation.url()}?q={'x' * MAX_URL}")
        error = error_of(response, 400, "invalid_input")
        assert error["details"] == {"max_url_chars": MAX_URL}


def test_a_body_that_is_not_json_is_a_4xx(app: FastAPI, client: TestClient) -> None:
    for operation, _ in _with_body(app):
        for bad in (b'{"query": ', b"\xff\xfe\x00garbage", b"not json at all"):
            response = client.request(
                operation.method, operation.url(), content=bad, headers={"Content-Type": "application/json"}
            )
            assert 400 <= response.status_code < 500, f"{operation} {bad!r}: {response.text}"
            error_of(response, response.status_code, response.json()["error"]["code"])


def test_a_body_of_the_wrong_type_is_422(app: FastAPI, client: TestClient) -> None:
    for operation, _ in _with_body(app):
        bads: tuple[object, ...] = ([], "text", 42, None)
        for bad in bads:
            response = client.request(operation.method, operation.url(), json=bad)
            error = error_of(response, 422, "invalid_request")
            assert error["details"]["errors"], operation


def test_fields_of_the_wrong_type_are_422(app: FastAPI, client: TestClient) -> None:
    checked = 0
    for operation, schema in _with_body(app):
        for name, field in schema.get("properties", {}).items():
            if field.get("type") == "string":
                body = {**_first_example(schema), name: {"not": "a string"}}
                error = error_of(
                    client.request(operation.method, operation.url(), json=body), 422, "invalid_request"
                )
                assert (["body", name], "string_type") in _codes(error), f"{operation}: {error}"
                checked += 1
    assert checked


def test_an_unknown_field_is_422(app: FastAPI, client: TestClient) -> None:
    for operation, schema in _with_body(app):
        body = {**_first_example(schema), "zz_unknown": 1}
        error = error_of(client.request(operation.method, operation.url(), json=body), 422, "invalid_request")
        assert (["body", "zz_unknown"], "extra_forbidden") in _codes(error), f"{operation}: {error}"


def test_paging_out_of_range_is_422(app: FastAPI, client: TestClient, settings: Settings) -> None:
    """Every paging parameter (query or body) refuses a negative value and a page over the limit."""
    document = app.openapi()
    checked: list[str] = []
    for operation in operations(app):
        spec = document["paths"].get(operation.path, {}).get(operation.method.lower(), {})
        for parameter in spec.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in PAGING:
                for value in (-1, 10**9):
                    url = f"{operation.url()}?{parameter['name']}={value}"
                    error_of(client.request(operation.method, url), 422, "invalid_request")
                checked.append(f"{operation} ?{parameter['name']}")
    for operation, schema in _with_body(app):
        for name in schema.get("properties", {}):
            if name in PAGING:
                for value in (-1, 10**9):
                    body = {**_first_example(schema), name: value}
                    response = client.request(operation.method, operation.url(), json=body)
                    error_of(response, 422, "invalid_request")
                checked.append(f"{operation} {name}")
    assert checked, "no operation pages: is the search API there?"
    assert settings.api.max_page_size < 10**9


def _script_free(response: Response) -> None:
    assert SCRIPT not in response.text, response.text
    assert SCRIPT.lower() not in response.text.lower()


def test_the_error_page_escapes_the_path(client: TestClient) -> None:
    response = client.get(f"/nowhere/{SCRIPT}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    _script_free(response)
    assert "&lt;script&gt;" in response.text


def test_pages_escape_what_the_user_typed(app: FastAPI, settings: Settings) -> None:
    """Every page, given a script in each parameter a user types (a search, a name, where to go next),
    as a signed-in user and as a visitor."""
    add_user(settings, "typist", role=Role.ADMIN, display_name=SCRIPT)
    pages = [o for o in operations(app) if o.page and o.method == "GET" and not o.path.startswith("/static")]
    pages.append(Operation("GET", "/nowhere/{anything}", None, False))  # the error page, always there
    query = "&".join(f"{name}={SCRIPT}" for name in ("q", "query", "next", "username", "name", "search"))
    with TestClient(app, follow_redirects=True) as visitor, TestClient(app, follow_redirects=True) as user:
        signed_in(user, "typist")
        for operation in pages:
            for client in (visitor, user):
                response = client.get(
                    f"{operation.url(default=SCRIPT)}?{query}", headers={"Accept": "text/html"}
                )
                assert response.status_code < 500, f"{operation}: {response.status_code}"
                _script_free(response)
        login = next((o for o in operations(app) if o.key == ("POST", "/login")), None)
        if login is not None:  # the login form shows back the name typed
            response = visitor.post("/login", data={"username": SCRIPT, "password": "wrong"})
            _script_free(response)
