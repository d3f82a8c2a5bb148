"""Bad input, sent to every operation the app has when the test runs (as an admin, who passes every
permission check), is refused with a 4xx in the one error shape, never a 500: a body over the limit
(413), a URL over the limit, a body that is not JSON, not an object, or has a field nobody asked for
(422), out-of-range paging; and whatever a user typed comes back escaped in a page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.app import create_app
from api.auth import SESSION_COOKIE
from api.testing import Response, add_user, api_key, api_settings, error_of, signed_in
from core.settings import Settings
from tests.api.security.support import Answer, Operation, asgi_request, operations

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
    document = app.openapi()
    for operation, _ in _with_body(app):
        spec = document["paths"][operation.path][operation.method.lower()]
        bads: tuple[object, ...] = ([], "text", 42)
        if spec["requestBody"].get("required"):
            bads += (None,)
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
                assert ["body", name] in [loc for loc, _ in _codes(error)], f"{operation}: {error}"
                checked += 1
    assert checked


def test_an_unknown_field_is_refused(app: FastAPI, client: TestClient) -> None:
    """422 ``extra_forbidden``; or, for a body a library validates itself (an alert rule), its own 400
    naming the field."""
    for operation, schema in _with_body(app):
        body = {**_first_example(schema), "zz_unknown": 1}
        response = client.request(operation.method, operation.url(), json=body)
        if response.status_code == 404 and operation.params:
            continue  # no such thing (made-up id): a body a library validates is read after the lookup
        if response.status_code == 400:
            error = error_of(response, 400, response.json()["error"]["code"])
            assert "zz_unknown" in json.dumps(error["details"]), f"{operation}: {error}"
        else:
            error = error_of(response, 422, "invalid_request")
            assert (["body", "zz_unknown"], "extra_forbidden") in _codes(error), f"{operation}: {error}"


def _refused(response: Response, operation: Operation) -> None:
    """422 ``invalid_request`` (the request model's bounds) or 400 ``invalid_input`` (a library's); 404
    where the made-up thing is looked up first."""
    codes = {422: "invalid_request", 400: "invalid_input"} | ({404: "not_found"} if operation.params else {})
    assert response.status_code in codes, response.text
    error_of(response, response.status_code, codes[response.status_code])


def test_paging_out_of_range_is_refused(app: FastAPI, client: TestClient, settings: Settings) -> None:
    """Every paging parameter (query or body) refuses a negative value and a page over the limit: 4xx
    in the one shape."""
    document = app.openapi()
    checked: list[str] = []
    unfound = 0  # checks of operations with nothing to look up first
    for operation in operations(app):
        spec = document["paths"].get(operation.path, {}).get(operation.method.lower(), {})
        for parameter in spec.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in PAGING:
                for value in (-1, 10**9):
                    url = f"{operation.url()}?{parameter['name']}={value}"
                    _refused(client.request(operation.method, url), operation)
                checked.append(f"{operation} ?{parameter['name']}")
                unfound += not operation.params
    for operation, schema in _with_body(app):
        for name in schema.get("properties", {}):
            if name in PAGING:
                for value in (-1, 10**9):
                    body = {**_first_example(schema), name: value}
                    _refused(client.request(operation.method, operation.url(), json=body), operation)
                checked.append(f"{operation} {name}")
                unfound += not operation.params
    assert checked, "no operation pages: is the search API there?"
    assert unfound
    assert settings.api.max_page_size < 10**9


def _script_free(response: Response | Answer) -> None:
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
    as a signed-in user (whose display name is a script too) and as a visitor. Sent through ASGI, as a
    live page (SSE) never ends."""
    add_user(settings, "typist", role=Role.ADMIN, display_name=SCRIPT)
    pages = [o for o in operations(app) if o.page and o.method == "GET" and not o.path.startswith("/static")]
    pages.append(Operation("GET", "/nowhere/{anything}", None, False))  # the error page, always there
    query = "&".join(
        f"{name}={quote(SCRIPT)}" for name in ("q", "query", "next", "username", "name", "search")
    )
    with TestClient(app) as user:
        signed_in(user, "typist")
        session = {"Cookie": f"{SESSION_COOKIE}={user.cookies[SESSION_COOKIE]}"}
        for operation in pages:
            for headers in ({}, session):
                url = f"{operation.url(default=quote(SCRIPT, safe=''))}?{query}"
                answer = asgi_request(app, "GET", url, {"Accept": "text/html", **headers})
                assert answer.status < 500, f"{operation}: {answer.status}"
                _script_free(answer)
        login = next((o for o in operations(app) if o.key == ("POST", "/login")), None)
        if login is not None:  # the login form shows back the name typed
            with TestClient(app) as visitor:
                _script_free(visitor.post("/login", data={"username": SCRIPT, "password": "wrong"}))
