"""What the security tests share: every operation of the app (JSON and pages) with who may call it,
path parameters filled in, and a raw ASGI call that stops at the response's status (an SSE stream
never ends, and TestClient waits for the end of a response)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
from fastapi import FastAPI

from api.accounts.models import Role
from api.deps import RouteAccess, app_routes
from api.testing import api_key
from core.settings import Settings

_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?}")
UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MADE_UP: Final = "made-up-0"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, e.g. /api/v1/mentions/{mention_id}
    access: RouteAccess | None  # None: static files, the OpenAPI document
    in_schema: bool

    @property
    def page(self) -> bool:
        """An HTML page (or the static files): everything outside /api/ but /healthz."""
        return not self.path.startswith("/api/") and self.path != "/healthz"

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def url(self, values: Mapping[str, str] | None = None, default: str = MADE_UP) -> str:
        """The path with each parameter replaced by ``values[name]``, else `default`."""
        given = values or {}
        return _PARAM.sub(lambda m: given.get(m.group(1), default), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: FastAPI) -> list[Operation]:
    """Every method of every route of `app` (HEAD and OPTIONS left out: Starlette answers them from
    GET), pages and the static mount included."""
    found: dict[tuple[str, str], Operation] = {}
    for route in app_routes(app):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}) or ["GET"]:
            found.setdefault(
                (method, route.path), Operation(method, route.path, route.access, route.in_schema)
            )
    return list(found.values())


def role_keys(settings: Settings, workspace: str) -> dict[Role, str]:
    """An API key of each role in `workspace`."""
    return {
        role: api_key(settings, role=role, workspace=workspace, name=f"{role.value} key") for role in Role
    }


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


ANSWER_WAIT: Final = 120.0
"""Longest wait for a response (a guard against a hung app, not a pause)."""
STREAM_WAIT: Final = 1.0
"""How long an event stream is read (its first event, or this many seconds): it never ends by itself."""


def asgi_request(
    app: FastAPI,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    status_only: bool = False,
) -> Answer:
    """The app's answer to one request sent through ASGI. The app is cancelled once the response has
    started when `status_only`, after the first event of an event stream, else when the body ends."""
    parts = urlsplit(url)
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if body:
        raw_headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(b"host", b"testserver"), *raw_headers],
        "app": app,
    }
    status: list[int] = []
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def main() -> None:
        started = anyio.Event()
        done = anyio.Event()
        sent = False
        streaming = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                for name, value in message.get("headers", ()):
                    response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
                streaming = response_headers.get("content-type", "").startswith("text/event-stream")
                started.set()
                if status_only:
                    done.set()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) or (streaming and chunks[-1]):
                    done.set()

        async def run() -> None:
            try:
                await app(scope, receive, send)
            finally:
                started.set()
                done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            with anyio.fail_after(ANSWER_WAIT):
                await started.wait()
            if streaming:
                with anyio.move_on_after(STREAM_WAIT):
                    await done.wait()
            else:
                with anyio.fail_after(ANSWER_WAIT):
                    await done.wait()
            group.cancel_scope.cancel()

    anyio.run(main)
    assert status, f"{method} {url}: the app answered nothing"
    return Answer(status[0], response_headers, b"".join(chunks))


def first_status(
    app: FastAPI, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes = b""
) -> int:
    """The status the app answers with; the app is cancelled as soon as the response starts (a stream,
    SSE included, ends there: its client went away)."""
    return asgi_request(app, method, url, headers, body, status_only=True).status
