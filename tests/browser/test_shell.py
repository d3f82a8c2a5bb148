"""The page shell in a real browser: vendored scripts load from /static, charts render as SVG (also in
htmx swaps), the language cookie switches labels to Chinese, and the header fits a 390 px phone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Browser, Page

from api.middleware import CONTENT_SECURITY_POLICY
from api.web.render import STATIC_DIR, render
from tests.browser.support import screenshot, settle, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("test_templates")]

# The app's own policy: the shell needs neither eval nor inline style, and a violation is a console
# error, which fails the test.
STRICT_CSP = CONTENT_SECURITY_POLICY
SPEC: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {"values": [{"day": "2026-01-01", "n": 3}, {"day": "2026-01-02", "n": 7}]},
    "mark": "bar",
    "encoding": {"x": {"field": "day", "type": "ordinal"}, "y": {"field": "n", "type": "quantitative"}},
}


@dataclass(frozen=True)
class FakePrincipal:
    """What base.html reads of api.deps.Principal."""

    username: str | None = "ann"
    display_name: str = "Ann Analyst"
    key_id: str | None = None
    workspace: str = "default"
    role: str = "analyst"
    workspaces: tuple[str, ...] = ("default", "acme")
    language: str = "en"


def shell_app() -> FastAPI:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def signed_in(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.principal = FakePrincipal()
        request.state.csrf_token = "csrf-'\"<token>"
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    @app.get("/explore")
    def explore(request: Request) -> Response:
        context = {"spec": SPEC, "user_text": "<script>window.owned = 1</script>"}
        return render(request, "shell_demo.html", context)

    @app.get("/more")
    def more(request: Request) -> Response:
        return render(request, "_shell_more.html", {"spec": SPEC})

    return app


@pytest.fixture
def base_url(serve: Callable[[FastAPI], str]) -> str:
    return serve(shell_app())


def test_vendored_scripts_load_and_a_chart_renders_as_svg(browser_page: Page, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/explore")
    settle(page)
    assert page.evaluate("typeof window.htmx.ajax") == "function"
    assert page.evaluate("typeof window.vegaEmbed") == "function"
    assert page.evaluate("typeof window.vega.View") == "function"
    assert page.evaluate("window.htmx.version").startswith("2.")
    assert page.evaluate("typeof window.htmx.createEventSource") == "function"  # the SSE extension
    assert page.locator("#content .chart svg").count() == 1
    assert page.locator("#content .chart svg .mark-rect path").count() == 2  # one bar per day
    # The nav marks the current section; user text stays text.
    assert page.get_by_role("link", name="Explore").get_attribute("aria-current") == "page"
    assert page.locator(".user-text").inner_text() == "<script>window.owned = 1</script>"
    assert page.evaluate("window.owned") is None
    assert screenshot(page, "shell-explore-1280").stat().st_size > 10_000


def test_htmx_requests_carry_the_csrf_header_and_swapped_charts_render(
    browser_page: Page, base_url: str
) -> None:
    page = browser_page
    page.goto(f"{base_url}/explore")
    settle(page)
    with page.expect_request(f"{base_url}/more") as request_info:
        page.get_by_role("button", name="More").click()
    assert request_info.value.headers["x-csrf-token"] == "csrf-'\"<token>"
    settle(page)
    assert page.locator("#more .chart svg").count() == 1


def test_the_lang_cookie_switches_the_page_to_chinese(browser_page: Page, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/explore")
    settle(page)
    assert page.locator("html").get_attribute("lang") == "en"
    page.context.add_cookies([{"name": "lang", "value": "zh", "url": base_url}])
    page.reload()
    settle(page)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link").all_inner_texts() == ["探索", "仪表盘", "告警", "客户", "报告", "数据源"]
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert page.locator("#content .chip").first.inner_text() == "正面"
    screenshot(page, "shell-explore-zh")


def test_the_header_fits_a_phone_without_scrolling_sideways(phone_page: Page, base_url: str) -> None:
    page = phone_page
    page.goto(f"{base_url}/explore")
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    assert links.count() == 6
    for link in links.all():
        box = link.bounding_box()
        assert box is not None
        assert link.is_visible()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    assert page.get_by_role("button", name="Log out").is_visible()
    screenshot(page, "shell-explore-390")


def test_keyboard_users_can_skip_to_the_content(browser_page: Page, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/explore")
    settle(page)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box() is not None
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_a_console_error_or_uncaught_exception_fails_the_test(chromium: Browser) -> None:
    pages = watched_page(chromium, 390, 844)
    page = next(pages)
    page.set_content("<script>console.error('boom'); null.x</script>")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)console: boom.*page error: .*reading 'x'"):
        next(pages)


def test_an_error_status_of_the_page_itself_is_the_tests_business_not_a_console_error(
    chromium: Browser, base_url: str
) -> None:
    pages = watched_page(chromium, 1280, 800)
    page = next(pages)
    assert page.goto(f"{base_url}/no-such-page").status == 404  # type: ignore[union-attr]
    page.set_content('<img src="/no-such-image.png">')  # a missing resource still counts
    page.wait_for_load_state("load")
    with pytest.raises(pytest.fail.Exception, match="no-such-image") as failure:
        next(pages)
    assert "no-such-page" not in str(failure.value)
