"""A tiny threaded HTTP server on loopback with scripted faults, shared by the site and API replicas.

    with ReplicaServer(handler) as server:
        server.faults.add("/api", Fault(status=429, headers={"Retry-After": "1"}))
        httpx.get(server.url + "/api/...")

`handler(request) -> Reply` does the routing; faults queued for a path prefix are served first, one per
matching request, so tests script "429, then 500, then truncated JSON, then the real answer".
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from crawlers.local_server import LocalServer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None  # send only this many bytes of a longer body, then close

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Fault:
    """A scripted bad answer: a status with headers, malformed JSON, or a truncated body."""

    status: int = 500
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "status"  # status | malformed | truncated

    def reply(self, real: Callable[[], Reply]) -> Reply:
        if self.kind == "malformed":
            return Reply(200, b'{"data": [ {"id": "1", "text": "unterminated', "application/json")
        if self.kind == "truncated":
            full = real()
            return Reply(
                full.status,
                full.payload(),
                full.content_type,
                full.headers,
                truncate_to=max(1, len(full.payload()) // 2),
            )
        return Reply(
            self.status,
            self.body or f'{{"error": "fault {self.status}"}}',
            "application/json",
            dict(self.headers),
        )


class Faults:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self.served: list[tuple[str, int]] = []

    def add(self, prefix: str, *faults: Fault) -> None:
        with self._lock:
            self._queues.setdefault(prefix, deque()).extend(faults)

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for prefix, queue in self._queues.items():
                if path.startswith(prefix) and queue:
                    return queue.popleft()
        return None

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
            self.served.clear()


Handler = Callable[[Request], Reply]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients hang up on purpose (a crawler abandoning a page over its size limit): not an error
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class ReplicaServer(LocalServer):
    not_started = "replica server not started"

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.handler = handler
        self.faults = Faults()
        self.log: list[Request] = []

    def start(self) -> Self:
        replica = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                replica.log.append(request)
                fault = replica.faults.take(parts.path)
                try:
                    reply = (
                        fault.reply(lambda: replica.handler(request)) if fault else replica.handler(request)
                    )
                except Exception as exc:  # a replica bug must show as a 500, not a hung client
                    reply = Reply(500, f"replica error: {exc!r}", "text/plain")
                if fault:
                    replica.faults.served.append((parts.path, reply.status))
                payload = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.truncate_to is not None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload if reply.truncate_to is None else payload[: reply.truncate_to])

            do_GET = do_POST = do_HEAD = _serve

        self._serve(_QuietServer((self.host, self.port), _Handler), "earful-replica")
        return self
