"""Signing in as a person does, against the real app: the login form, the nav, the language and
workspace switches, logging out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from playwright.sync_api import Page, expect

from api.accounts.models import Permission
from api.app import create_app
from api.deps import Principal, require_page
from api.testing import PASSWORD, add_user, api_settings
from api.web.render import render
from tests.browser.support import screenshot, settle

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("test_templates")]


def signed_in_page() -> APIRouter:
    """A page behind `require_page` (the screens of the app are other modules' work)."""
    router = APIRouter()

    @router.get("/signed-in")
    def page(request: Request, _: Annotated[Principal, Depends(require_page(Permission.READ))]) -> Response:
        return render(request, "signed_in.html")

    return router


@pytest.fixture
def base_url(tmp_path: Path, serve: Callable[[FastAPI], str]) -> str:
    settings = api_settings(tmp_path)
    add_user(settings, "ann", role="analyst", workspaces=("acme",), display_name="Ann Analyst")
    app = create_app(settings)
    app.include_router(signed_in_page())
    return serve(app)


def test_log_in_see_the_nav_switch_language_and_workspace_then_log_out(
    browser_page: Page, base_url: str
) -> None:
    page = browser_page
    page.goto(f"{base_url}/signed-in")
    settle(page)
    assert page.url == f"{base_url}/login?next=/signed-in"
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    settle(page)
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    screenshot(page, "login-failed")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/signed-in")
    settle(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(
        ["Explore", "Dashboard", "Alerts", "Customers", "Reports", "Sources"]
    )
    expect(page.locator(".user-name")).to_have_text("Ann Analyst")
    expect(page.locator(".workspace-shown")).to_have_text("acme")  # the first membership, by name

    page.locator(".workspace-switch summary").click()
    page.get_by_role("link", name="default").click()
    page.wait_for_url(f"{base_url}/signed-in")
    settle(page)
    expect(page.locator(".workspace-shown")).to_have_text("default")

    page.get_by_role("link", name="中文").click()
    page.wait_for_url(f"{base_url}/signed-in")
    settle(page)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link").first).to_have_text("探索")
    screenshot(page, "login-signed-in-zh")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/login\?logged_out=1$"))
    settle(page)
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    page.goto(f"{base_url}/signed-in")
    settle(page)
    assert page.url == f"{base_url}/login?next=/signed-in"
