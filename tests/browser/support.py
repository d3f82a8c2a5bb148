"""Helpers of the browser tests (fixtures are in conftest.py): serve an ASGI app on a free loopback
port, wait until a page has settled, save a screenshot.

    from tests.browser.support import live_server, screenshot, settle

    with live_server(create_app(settings)) as base_url:
        browser_page.goto(f"{base_url}/explore")
        settle(browser_page)
        screenshot(browser_page, "explore")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, WebError
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = f"{CHROMIUM} is missing: run `make browser` (bash infra/browser.sh installs Debian's chromium)"
STARTUP_SECONDS = 20.0


@contextmanager
def live_server(app: ASGIApp) -> Iterator[str]:
    """Serve `app` with uvicorn in a background thread on 127.0.0.1 (a free port); yield its base URL
    ("http://127.0.0.1:PORT"); stop the server and join the thread on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}")
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:  # startup (lifespan) done and the socket accepting
            thread.join(0.02)
            if not thread.is_alive():
                raise RuntimeError(f"the test server on port {port} stopped during startup")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test server on port {port} did not start in {STARTUP_SECONDS} s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the test server on port {port} did not stop")


# Loaded, htmx present and idle (no element carries .htmx-request), every chart drawn from its current
# spec. Not "networkidle": a page listening to server-sent events never has an idle network.
_SETTLED = """() => document.readyState === "complete"
  && window.htmx !== undefined
  && document.querySelector(".htmx-request") === null
  && Array.from(document.querySelectorAll(".chart[data-spec]"))
       .every((el) => el.dataset.rendered === el.dataset.spec)"""


def settle(page: Page, timeout_ms: float = 15_000) -> None:
    """Wait until the page has loaded, htmx is idle and every chart is drawn."""
    page.wait_for_load_state("load", timeout=timeout_ms)
    page.wait_for_function(_SETTLED, timeout=timeout_ms)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/<name>.png (gitignored) and return the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watched_page(chromium: Browser, width: int, height: int) -> Iterator[Page]:
    """A page in a fresh context (en-US); once the generator resumes, it closes the context and fails
    the test if the page logged a console error or threw an uncaught error.

    One console error is not the page's fault: Chromium logs "Failed to load resource" for a document
    answered with an error status (a 401 login form, a 404 page). A test that visits such a page asserts
    its status itself; a script, stylesheet or htmx request that fails is still an error."""
    context: BrowserContext = chromium.new_context(
        viewport={"width": width, "height": height}, locale="en-US", service_workers="block"
    )
    console: list[tuple[str, str]] = []  # (text, url)
    errors: list[str] = []
    error_documents: set[str] = set()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append((message.text, message.location.get("url", "")))

    def on_response(response: Response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            error_documents.add(response.url)

    def on_web_error(error: WebError) -> None:
        errors.append(f"page error: {error.error}")

    context.on("console", on_console)
    context.on("response", on_response)
    context.on("weberror", on_web_error)
    try:
        yield context.new_page()
    finally:
        context.close()
    errors[:0] = [
        f"console: {text} ({url})"
        for text, url in console
        if not (text.startswith("Failed to load resource") and url in error_documents)
    ]
    if errors:
        pytest.fail("the page logged errors:\n" + "\n".join(errors), pytrace=False)
