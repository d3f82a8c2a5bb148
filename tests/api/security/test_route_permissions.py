"""Every route of the app, whoever added it, asks for credentials and a permission: without credentials a
JSON route answers 401 (a page sends the browser to /login), a role without the route's permission gets
403, a role with it gets past authorisation. A route that asks for nothing must be on `PUBLIC` (or on
`ANY_PRINCIPAL` when it wants credentials but no permission), so a new route without auth fails here.

The operations come from the app's routes (`api.deps.app_routes`), checked against the OpenAPI document
(each operation names its permission as ``x-earful-permission``) and including the HTML pages, which the
document leaves out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.accounts.models import Role
from api.app import PERMISSION_KEY, create_app
from api.testing import Response, api_settings, error_of
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from tests.api.security.support import UNSAFE, Operation, bearer, first_status, operations, role_keys

PUBLIC: Final = frozenset(
    {
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/logout"),  # ends the caller's own session, if any
        ("GET", "/healthz"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/static"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/lang/{code}"),
        ("GET", "/"),  # a redirect to /explore, which asks for credentials itself
    }
)
"""Routes anyone may call."""

ANY_PRINCIPAL: Final = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/workspaces"),
    }
)
"""Routes that want credentials and no permission: they show a principal only what is their own."""

PATH_VALUES: Final = {"workspace": DEFAULT_WORKSPACE}
"""Path parameters that must name something real for the route to get past its own checks."""


def _collect() -> list[Operation]:
    with tempfile.TemporaryDirectory() as home:
        return operations(create_app(api_settings(Path(home))))


OPERATIONS: Final = _collect()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return api_settings(tmp_path_factory.mktemp("permissions"))


@pytest.fixture(scope="module")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def keys(settings: Settings) -> dict[Role, str]:
    return role_keys(settings, DEFAULT_WORKSPACE)


def _url(operation: Operation) -> str:
    values = (
        {name: "default" for name in operation.params} if operation.path.startswith("/workspace/") else {}
    )
    return operation.url({**PATH_VALUES, **values})


def _send(client: TestClient, operation: Operation, headers: dict[str, str]) -> Response:
    if operation.page:
        headers = {"Accept": "text/html", **headers}
    body: dict[str, object] | None = {} if operation.method in UNSAFE - {"DELETE"} else None
    return client.request(operation.method, _url(operation), headers=headers, json=body)


def test_the_routes_are_found() -> None:
    keys = {operation.key for operation in OPERATIONS}
    assert ("GET", "/api/v1/me") in keys
    assert ("POST", "/api/v1/keys") in keys
    assert ("GET", "/static") in keys


def test_every_operation_of_the_openapi_document_is_a_route_and_names_its_permission(app: FastAPI) -> None:
    routes = {operation.key: operation for operation in OPERATIONS}
    document = app.openapi()
    seen = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            route = routes.get((method.upper(), path))
            assert route is not None, f"{method} {path}"
            assert route.access is not None, f"{method} {path}"
            assert operation[PERMISSION_KEY] == route.access.label, f"{method} {path}"
            seen += 1
    assert seen == sum(1 for operation in OPERATIONS if operation.in_schema)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_a_route_asks_for_credentials_unless_allowed_not_to(operation: Operation) -> None:
    if operation.access is None or not operation.access.authenticated:
        assert operation.key in PUBLIC, f"{operation} asks for no credentials: require(...) it, or list it"
    elif not operation.access.permissions:
        assert operation.key in ANY_PRINCIPAL, f"{operation} asks for no permission: require(...) one"
    else:
        assert operation.key not in PUBLIC | ANY_PRINCIPAL


PROTECTED: Final = [o for o in OPERATIONS if o.access is not None and o.access.authenticated]


@pytest.mark.parametrize("operation", PROTECTED, ids=str)
def test_without_credentials_401_or_the_login_page(client: TestClient, operation: Operation) -> None:
    response = _send(client, operation, {})
    if operation.page:
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/login?next=")
    else:
        error_of(response, 401, "unauthenticated")


@pytest.mark.parametrize("operation", PROTECTED, ids=str)
def test_a_bad_api_key_is_refused(client: TestClient, operation: Operation) -> None:
    response = _send(client, operation, bearer("ek_not-a-key"))
    if operation.page:
        assert response.status_code in (303, 401), response.text
    else:
        error_of(response, 401, "unauthenticated")


@pytest.mark.parametrize("operation", PROTECTED, ids=str)
def test_each_role_gets_what_its_permissions_allow(
    app: FastAPI, client: TestClient, keys: dict[Role, str], operation: Operation
) -> None:
    access = operation.access
    assert access is not None
    for role in Role:
        if access.allows(role):
            body = b"{}" if operation.method in UNSAFE - {"DELETE"} else b""
            status = first_status(app, operation.method, _url(operation), bearer(keys[role]), body)
            assert status not in (401, 403), f"{operation} as {role.value}: {status}"
            assert status < 500, f"{operation} as {role.value}: {status}"
            continue
        response = _send(client, operation, bearer(keys[role]))
        if operation.page:
            assert response.status_code == 403, f"{operation} as {role.value}"
        else:
            error = error_of(response, 403, "forbidden")
            assert error["details"]["permission"] in {p.value for p in access.permissions}
            assert error["details"]["role"] == role.value


def test_some_role_is_refused_somewhere() -> None:
    """The role test above is no formality: some operations are closed to some roles."""
    refused = [o for o in PROTECTED if o.access is not None and not all(o.access.allows(r) for r in Role)]
    assert refused
