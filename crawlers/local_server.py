"""The start/stop plumbing of the loopback HTTP servers (the demo site, the site and API replicas):
a ThreadingHTTPServer in a daemon thread, its URL, and a context manager around start/stop."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LocalServer:
    """Subclasses build their server in `start()` and hand it to `_serve`; port 0 picks a free port."""

    not_started = "server not started"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(self.not_started)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        raise NotImplementedError

    def _serve(self, server: ThreadingHTTPServer, name: str, poll_interval: float = 0.5) -> None:
        """Serve `server` from a daemon thread (request threads are daemons too) until `stop()`."""
        self._server = server
        server.daemon_threads = True
        self._thread = threading.Thread(
            target=server.serve_forever, args=(poll_interval,), name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
