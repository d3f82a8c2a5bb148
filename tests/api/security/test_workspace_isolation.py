"""Workspaces are walled off, on both stores, for every route the app has when the test runs.

Workspace B holds data marked ``zebrasecretb`` (`seeding.seed`: mentions, saved searches, alerts,
customers, cases, workflow notes: whatever stores `Services` has), A holds the same kind marked
``zebrasecreta``, C holds nothing. An admin of A (a signed-in user, and an API key):

- reads every GET operation and page, and every read-only POST (search, export, count, facets...), with
  path parameters filled by B's real ids and the marker as the query: no answer shows more of the marker
  than the same request for a token nobody holds echoes of it, nor any of it in answer to that request;
- names B in ``X-Earful-Workspace``: 403 on every protected route; the ``workspace`` cookie naming B
  leaves the user in A;
- sends every write operation (POST, PUT, PATCH, DELETE) at B's ids: B's data, members and keys are
  unchanged afterwards.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.accounts.models import Permission, Role
from api.accounts.store import open_account_store
from api.app import create_app
from api.auth import SESSION_COOKIE, WORKSPACE_COOKIE, WORKSPACE_HEADER
from api.services import Services
from api.testing import add_user, api_key, api_settings, signed_in
from core.settings import ElasticsearchSettings, Settings, StoreSettings
from tests.api.security.seeding import NOT_SEEDED, SEEDERS, Seeded, seed, store_names
from tests.api.security.support import UNSAFE, Answer, Operation, asgi_request, operations

A, B, C = "wsa", "wsb", "wsc"
MARKER_A, MARKER_B = "zebrasecreta", "zebrasecretb"
NOBODY: Final = "zebrasecretz"
"""A token no workspace holds: an answer's count of it is what the request merely echoes."""
READ_ONLY: Final = frozenset({Permission.READ, Permission.EXPORT})
QUERY_NAMES: Final = ("q", "query", "search", "text")
"""Query parameters and body fields that carry a search: set to the marker."""
BASE_AREAS: Final = {"mentions", "saved_searches", "alerts", "customers", "cases"}


@dataclass
class World:
    app: FastAPI
    settings: Settings
    seeded: dict[str, Seeded]
    keys: dict[str, str]  # workspace -> an admin key's secret
    key_ids: dict[str, str]
    session: str  # A's user's session cookie
    csrf: str

    def as_key(self, workspace: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[workspace]}"}

    def as_user_a(self, *, cookie_workspace: str | None = None) -> dict[str, str]:
        cookie = f"{SESSION_COOKIE}={self.session}"
        if cookie_workspace is not None:
            cookie += f"; {WORKSPACE_COOKIE}={cookie_workspace}"
        return {"Cookie": cookie, "X-CSRF-Token": self.csrf}


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


def _elasticsearch(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    es = ElasticsearchSettings(
        hosts=[request.getfixturevalue("es_url")], index_prefix=request.getfixturevalue("es_prefix")
    )
    return api_settings(tmp_path, store=StoreSettings(backend="elasticsearch"), elasticsearch=es)


BACKENDS: Final = {"sqlite": _sqlite, "elasticsearch": _elasticsearch}


@pytest.fixture(
    params=[
        pytest.param(name, marks=pytest.mark.integration, id=name) if name == "elasticsearch" else name
        for name in BACKENDS
    ]
)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    settings = BACKENDS[request.param](request, tmp_path)
    app = create_app(settings)
    for workspace, marker in ((A, MARKER_A), (B, MARKER_B), (C, "zebrasecretc")):
        add_user(
            settings,
            f"user{workspace[-1]}",
            role=Role.ADMIN,
            workspace=workspace,
            display_name=f"{marker} person",
        )
    keys = {ws: api_key(settings, role=Role.ADMIN, workspace=ws, name=f"key of {ws}") for ws in (A, B, C)}
    api_key(settings, role=Role.VIEWER, workspace=B, name=f"{MARKER_B} reporting key")
    with open_account_store(settings) as accounts:
        key_ids = {ws: accounts.list_keys(ws)[0].id for ws in (A, B, C)}
    with TestClient(app) as client:
        cache = app.state.services
        seeded = {
            A: seed(cache.get(A), MARKER_A, "usera"),
            B: seed(cache.get(B), MARKER_B, "userb"),
        }
        csrf = signed_in(client, "usera")
        session = client.cookies[SESSION_COOKIE]
        yield World(app, settings, seeded, keys, key_ids, session, csrf)


def _candidates(world: World, name: str) -> list[str]:
    """B's values for a path parameter called `name`: B itself for a workspace, the users for a user,
    else every id of B's data (whatever the route calls it)."""
    b = world.seeded[B]
    lowered = name.lower()
    if "workspace" in lowered:
        return [B]
    if "user" in lowered:
        return ["userb", "usera"]
    values = [v for k, v in b.ids.items() if k != "user"] + [world.key_ids[B]]
    return list(dict.fromkeys(values))


def _urls(world: World, operation: Operation) -> list[str]:
    names = operation.params
    combos = itertools.product(*(_candidates(world, n) for n in names))
    return [operation.url(dict(zip(names, combo, strict=True))) for combo in combos]


def _schema_body(app: FastAPI, operation: Operation) -> dict[str, Any]:
    """The request body's first example (every model carries one), query fields set to the marker."""
    document = app.openapi()
    spec = document["paths"].get(operation.path, {}).get(operation.method.lower(), {})
    schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or [{}]
    body = dict(examples[0]) if isinstance(examples[0], dict) else {}
    for name in QUERY_NAMES:
        if name in schema.get("properties", {}):
            body[name] = MARKER_B
    return body


def _reads(world: World) -> list[tuple[Operation, str, bytes]]:
    """Every read: GET operations and pages (search parameters set to the marker, unknown ones are
    ignored), and POST operations that only read (permission read or export)."""
    query = "&".join(f"{name}={MARKER_B}" for name in QUERY_NAMES)
    out: list[tuple[Operation, str, bytes]] = []
    for operation in operations(world.app):
        access = operation.access
        if access is None or not access.authenticated or operation.path.startswith("/static"):
            continue
        if operation.method == "GET":
            out += [(operation, f"{url}?{query}", b"") for url in _urls(world, operation)]
        elif operation.method == "POST" and access.permissions <= READ_ONLY and operation.in_schema:
            body = json.dumps(_schema_body(world.app, operation)).encode()
            out += [(operation, url, body) for url in _urls(world, operation)]
    return out


def _marks(answer: Answer, marker: str = MARKER_B) -> int:
    return answer.text.lower().count(marker)


def test_every_store_is_seeded_or_excused() -> None:
    """A store added to `Services` must be seeded (`seeding.SEEDERS`) or excused (`NOT_SEEDED`)."""
    assert set(store_names()) <= set(SEEDERS) | set(NOT_SEEDED), "extend tests/api/security/seeding.py"


def test_the_areas_seeded(world: World) -> None:
    """The areas whose isolation this suite checks (the later stores once `Services` has them)."""
    areas = set(world.seeded[B].areas)
    expected = BASE_AREAS | ({"workflow", "rejected", "reports", "report_archive"} & set(store_names()))
    assert areas == expected
    snapshot = world.seeded[B].snapshot()
    assert all(value is not None for value in snapshot.values()), snapshot


def test_nothing_of_b_reaches_a_through_any_read(world: World) -> None:
    reads = _reads(world)
    assert reads
    credentials = {
        "A's key": world.as_key(A),
        "A's user": world.as_user_a(),
        "A's user, workspace cookie B": world.as_user_a(cookie_workspace=B),
    }
    leaks: list[str] = []
    shown_to_b = 0
    for operation, url, body in reads:
        # The same request searching for a token nobody holds: what the answer merely echoes.
        echo_url, echo_body = url.replace(MARKER_B, NOBODY), body.replace(MARKER_B.encode(), NOBODY.encode())
        shown_to_b += _marks(asgi_request(world.app, operation.method, url, world.as_key(B), body))
        for who, headers in credentials.items():
            answer = asgi_request(world.app, operation.method, url, headers, body)
            echo = asgi_request(world.app, operation.method, echo_url, headers, echo_body)
            assert answer.status < 500, f"{operation} {url} as {who}: {answer.status} {answer.text[:300]}"
            if _marks(answer) > _marks(echo, NOBODY) or _marks(echo) > 0:
                leaks.append(f"{operation.method} {url} as {who}: {answer.status} {answer.text[:300]}")
    assert not leaks, "\n".join(leaks)
    assert shown_to_b > 0, "B's own reads never showed its data: the check above proves nothing"


def test_the_workspace_cookie_naming_b_leaves_a_user_of_a_in_a(world: World) -> None:
    answer = asgi_request(world.app, "GET", "/api/v1/me", world.as_user_a(cookie_workspace=B))
    assert answer.status in (200, 403), answer.text
    if answer.status == 200:
        assert json.loads(answer.body)["workspace"] == A


@pytest.mark.parametrize("who", ["user", "key"])
def test_naming_b_in_the_header_is_refused_everywhere(world: World, who: str) -> None:
    base = world.as_user_a() if who == "user" else world.as_key(A)
    headers = {**base, WORKSPACE_HEADER: B, "Accept": "application/json"}
    protected = [o for o in operations(world.app) if o.access is not None and o.access.authenticated]
    assert protected
    for operation in protected:
        body = b"{}" if operation.method in UNSAFE - {"DELETE"} else b""
        url = _urls(world, operation)[0]
        answer = asgi_request(world.app, operation.method, url, headers, body)
        assert answer.status == 403, f"{operation} {url} as A's {who}: {answer.status} {answer.text[:300]}"
        if not operation.page:
            assert json.loads(answer.body)["error"]["code"] == "forbidden"


def _accounts_of_b(settings: Settings) -> tuple[Any, ...]:
    with open_account_store(settings) as accounts:
        return tuple(accounts.members(B)), tuple(accounts.list_keys(B, include_revoked=True))


@pytest.mark.parametrize("who", ["user", "key"])
def test_writes_of_a_at_b_change_nothing_in_b(world: World, who: str) -> None:
    headers = world.as_user_a() if who == "user" else world.as_key(A)
    before = world.seeded[B].snapshot(), _accounts_of_b(world.settings)
    writes = [
        o
        for o in operations(world.app)
        if o.method in UNSAFE and o.access is not None and o.access.authenticated
    ]
    assert writes
    sent = 0
    for operation in writes:
        body = (
            b"" if operation.method == "DELETE" else json.dumps(_schema_body(world.app, operation)).encode()
        )
        for url in _urls(world, operation):
            answer = asgi_request(world.app, operation.method, url, headers, body)
            assert answer.status < 500, f"{operation} {url}: {answer.status} {answer.text[:300]}"
            sent += 1
    services: Services = world.app.state.services.get(B)
    services.mentions.refresh()
    after = world.seeded[B].snapshot(), _accounts_of_b(world.settings)
    assert after == before
    assert sent >= len(writes)
