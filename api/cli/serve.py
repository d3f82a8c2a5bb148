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
import socket
from typing import Annotated

import typer

from core.cli_options import Home, home_settings
from core.errors import ConfigError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


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

    from api.accounts.store import open_account_store

    settings = home_settings(home)
    host = host or settings.api.host
    port = settings.api.port if port is None else port
    if not is_loopback(host):
        with open_account_store(settings) as accounts:
            if not accounts.has_admin():
                raise ConfigError(
                    f"refusing to serve on {host}: no admin user exists yet, so anyone could reach an "
                    "unguarded install. Create one first: earful users add NAME --role admin "
                    "(or serve on 127.0.0.1)",
                    details={"host": host},
                )
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"Earful is serving at http://{shown}:{bound}/ (Ctrl-C to stop)")
    log_level = settings.log_level.lower()
    if settings.api.workers > 1:
        from uvicorn.supervisors import Multiprocess

        if home is not None:
            os.environ["EARFUL_HOME"] = str(settings.home)
        config = uvicorn.Config(
            "api.app:create_app", factory=True, workers=settings.api.workers, log_level=log_level
        )
        Multiprocess(config, sockets=[sock]).run()
        return
    from api.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level=log_level))
    server.run(sockets=[sock])
