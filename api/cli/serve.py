"""`earful serve`: the web UI and HTTP API (uvicorn).

    earful serve                       # http://127.0.0.1:8000
    earful serve --port 0              # a free port; the URL printed says which
    earful serve --host 0.0.0.0        # the network: only once an admin user exists

The socket is bound (and listening) before the URL is printed, so whoever reads the URL can connect at
once. With ``api.workers`` > 1, uvicorn's worker processes share that socket and build the app from the
environment's settings (``--home`` is passed on as EARFUL_HOME).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from core.cli_options import Home, home_settings
from core.errors import ConfigError

if TYPE_CHECKING:
    from core.settings import Settings

# Open alert streams (server-sent events) never end by themselves: at shutdown they get this long.
GRACEFUL_SHUTDOWN_S = 5


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def guard_network(settings: Settings, host: str) -> None:
    """Refuse to serve beyond loopback while no admin user exists (ConfigError)."""
    from api.accounts.store import open_account_store

    if is_loopback(host):
        return
    with open_account_store(settings) as accounts:
        if not accounts.has_admin():
            raise ConfigError(
                f"refusing to serve on {host}: no admin user exists yet, so anyone could reach an "
                "unguarded install. Create one first: earful users add NAME --role admin "
                "(or serve on 127.0.0.1)",
                details={"host": host},
            )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port); ConfigError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP, and
    # with Nagle on, a response written in two parts waits for the client's delayed ACK (40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    """The URL of the web UI served on `sock` (an IPv6 address in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve_until_stopped(settings: Settings, sock: socket.socket) -> None:
    """Serve `create_app(settings)` on `sock` in this (the main) thread until SIGINT or SIGTERM, then shut
    down gracefully (the app's lifespan closes its stores) and return: the caller goes on and exits as it
    means to, rather than dying of the signal that uvicorn raises again once it has stopped."""
    import uvicorn

    from api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        # Before uvicorn's handlers are in, this stops the server as they would; after they are gone, the
        # signal uvicorn raises again lands here and ends nothing else.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve_cmd(
    host: Annotated[str | None, typer.Option("--host", help="Address to bind (default: api.host)")] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default: api.port); 0 picks a free one"),
    ] = None,
    home: Home = None,
) -> None:
    """Serve the web UI and the HTTP API (JSON under /api/v1) until Ctrl-C."""
    import uvicorn

    settings = home_settings(home)
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    guard_network(settings, host)
    sock = bind_socket(host, port)
    typer.echo(f"Earful is serving at {socket_url(sock)} (Ctrl-C to stop)")
    log_level = settings.log_level.lower()
    if settings.api.workers > 1:
        from uvicorn.supervisors import Multiprocess

        if home is not None:
            os.environ["EARFUL_HOME"] = str(settings.home)
        config = uvicorn.Config(
            "api.app:create_app",
            factory=True,
            workers=settings.api.workers,
            log_level=log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        Multiprocess(config, sockets=[sock]).run()
        return
    from api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), log_level=log_level, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S
        )
    )
    server.run(sockets=[sock])
