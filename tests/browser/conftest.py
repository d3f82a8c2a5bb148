"""Browser fixtures: Debian's Chromium driven by Playwright (never Playwright's own download, never
skipped: a missing browser fails with the install hint). Helpers to import: tests/browser/support.py.

- `chromium` (module): the headless browser, stopped after each module (see the fixture).
- `browser_page`: a fresh context and page per test, 1280x800, en-US; `phone_page`: the same at 390x844.
  Any console error or uncaught page error fails the test at teardown.
- `serve`: `serve(app) -> base URL`, an ASGI app on a free loopback port until the test ends.
- `test_templates`: tests/browser/templates/ beside the package's templates (for pages built in a test).
- `demo_home` (session): Settings of a home filled once by the demo (``earful demo --tagger lexicon``, i.e.
  `demo.run.run_demo` in a process of its own, so its Prefect state stays in that home): its corpus,
  customers, CRM records and alert presets in the default workspace. Shared by every test of the session:
  its only user is the demo's own login (``demo``, admin; demo/ui.py), each test adds its own users under
  names of their own, and a test that writes writes what the others may see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from api.testing import api_settings
from api.web.render import environment
from core.settings import Settings
from tests.browser.support import CHROMIUM, INSTALL_HINT, live_server, watched_page
from tests.demo.helpers import run_demo_cli

TEMPLATES = Path(__file__).parent / "templates"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


# Module scope, not session: Playwright's sync API keeps an event loop running in the main thread while
# it is started, and later tests that call asyncio.run() (Prefect's deployments, the HTTP connectors)
# would fail in the same session.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(INSTALL_HINT, pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    yield from watched_page(chromium, 1280, 800)


@pytest.fixture
def phone_page(chromium: Browser) -> Iterator[Page]:
    yield from watched_page(chromium, 390, 844)


@pytest.fixture
def serve() -> Iterator[Callable[[ASGIApp], str]]:
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(live_server(app))


@pytest.fixture
def test_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates of the tests (tests/browser/templates/) beside the package's, until the test ends."""
    env = environment()
    assert env.loader is not None
    monkeypatch.setattr(env, "loader", ChoiceLoader([FileSystemLoader(TEMPLATES), env.loader]))


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("demo-home")
    done = run_demo_cli(home, "--tagger", "lexicon")
    assert done.returncode == 0, done.stdout + done.stderr
    return api_settings(home)
