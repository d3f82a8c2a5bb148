"""The listening socket of `earful serve` (and `earful demo --serve`): a TCP socket, so that asyncio turns
Nagle's algorithm off on every connection. With it on, a response written in two parts (headers, then
body) waits for the client's delayed ACK: 40 ms on every request of a keep-alive connection."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from api.cli.serve import bind_socket, socket_url
from api.testing import api_settings


def test_connections_accepted_on_the_socket_have_nagle_off() -> None:
    sock = bind_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Protocol(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Protocol, sock=sock)
        try:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(seen, 30)
            writer.close()
            return value
        finally:
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0


def test_keep_alive_requests_do_not_wait_for_delayed_acks(tmp_path: Path) -> None:
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(api_settings(tmp_path)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()  # the socket listens already: requests queue until the server accepts them
    try:
        with httpx.Client(base_url=socket_url(sock), timeout=60) as client:
            assert client.get("api/v1/me").status_code == 401  # the app is up; the connection is open
            started = time.perf_counter()
            for _ in range(20):
                assert client.get("api/v1/me").status_code == 401
            elapsed = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
    assert not thread.is_alive()
    assert elapsed < 0.6  # 20 x 40 ms = 0.8 s with the stall; a few ms a request without
