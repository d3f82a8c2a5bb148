"""`earful demo --serve` as a newcomer runs it (the installed command, a fresh home): it runs the demo,
prints the web UI's URL and a login, serves it until it is told to stop, then stops cleanly."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.demo.helpers import EARFUL

pytestmark = pytest.mark.slow

_OPEN = re.compile(r"^Open (http://127\.0\.0\.1:\d+/) — log in as (\S+) / (\S+)$")
_DEMO_TIMEOUT = 420.0  # the demo's run (about a minute with the lexicon tagger, more on a busy machine)


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    """Every line of `stream` into `into`, then None (the pipe is drained, so the process never blocks)."""
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def _wait_for_url(lines: queue.Queue[str | None], seen: list[str]) -> re.Match[str]:
    deadline = time.monotonic() + _DEMO_TIMEOUT
    while True:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        if line is None:
            raise AssertionError("the demo ended without serving:\n" + "\n".join(seen))
        seen.append(line)
        found = _OPEN.match(line)
        if found is not None:
            return found


def test_demo_serve_prints_a_login_that_works_and_stops_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EARFUL_", "PREFECT_"))}
    env["COLUMNS"] = "200"
    env["EARFUL_API__PORT"] = "0"  # a free port: other suites may be serving on 8000
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [str(EARFUL), "demo", "--home", str(home), "--serve", "--tagger", "lexicon"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
        found = _wait_for_url(lines, seen)
        url, username, password = found.groups()
        assert username == "demo"
        out = "\n".join(seen)
        assert re.search(r"^\d+ mentions in the sqlite store", out, re.MULTILINE), out

        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.get("api/v1/me").status_code == 401  # nothing without the login
            login = client.post("api/v1/auth/login", json={"username": username, "password": password})
            assert login.status_code == 200, login.text
            me = client.get("api/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["username"] == "demo"
            assert me.json()["workspace"] == "default"
            assert me.json()["role"] == "admin"
            assert client.get("/", follow_redirects=False).headers["location"] == "/explore"
            explore = client.get("explore")  # the first scenario's page, over what the demo indexed
            assert explore.status_code == 200, explore.text
            assert explore.headers["content-type"].startswith("text/html")
            assert client.get("healthz").json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)  # by pid: this process only
        returncode = proc.wait(timeout=60)
    while (line := lines.get(timeout=60)) is not None:
        seen.append(line)
    err = stderr_path.read_text()
    assert returncode == 0, "\n".join(seen) + err
    assert "Application shutdown complete" in err  # the lifespan ran: the stores are closed
    assert "Traceback" not in err
    assert seen[-1] == "Stopped the web UI"
    assert f"The demo's login is kept in {home / 'demo-login.json'}" in "\n".join(seen)
