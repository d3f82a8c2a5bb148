"""The customer pages in a real browser, on the real app over a small CRM home (tests/api/customers_home.py):
filter the list with the tier chips (htmx), open a Customer 360, see the tier and the timeline of
mentions, confirm a link in place; a viewer sees no buttons; the 360 fits a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page

from api.app import create_app
from api.testing import PASSWORD, add_user, api_settings
from core.settings import Settings
from crm.customers import build_customer_directory
from tests.api.customers_home import CrmHome, crm_home
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


@pytest.fixture
def home(settings: Settings) -> CrmHome:
    built = crm_home(settings)
    add_user(settings, "amy", role="agent", display_name="Amy Agent")
    add_user(settings, "vic", role="viewer")
    return built


@pytest.fixture
def base_url(serve: Callable[[FastAPI], str], settings: Settings, home: CrmHome) -> str:
    return serve(create_app(settings))


def log_in(page: Page, base_url: str, username: str) -> None:
    """A session through the login API, its cookie in the page's context (as the login page sets it)."""
    response = page.request.post(
        f"{base_url}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert response.ok, response.text()


def test_an_agent_filters_opens_a_360_and_confirms_a_link(
    browser_page: Page, base_url: str, home: CrmHome, settings: Settings
) -> None:
    page = browser_page
    log_in(page, base_url, "amy")
    page.goto(f"{base_url}/customers")
    settle(page)
    rows = page.locator("#customer-results tbody tr")
    assert rows.count() == 6
    screenshot(page, "customers")

    page.get_by_role("radio", name="Key customer").check()  # a tier chip: htmx swaps the results
    page.wait_for_url(re.compile(r".*/customers\?.*tier=key"))
    settle(page)
    assert rows.count() == 1
    page.get_by_role("link", name="Ana Lima").click()
    page.wait_for_url(f"{base_url}/customers/{home.ana.id}")
    settle(page)

    assert page.locator("h1").inner_text().startswith("Ana Lima")
    badge = page.locator("#value-tier")
    assert badge.inner_text() == "Key customer"
    assert badge.get_attribute("title") == "Among the 20% of customers who bring 80% of the revenue"
    timeline = page.locator("ol.timeline > li")
    assert timeline.count() == 2
    first = timeline.first
    assert first.locator(".chip--negative").inner_text() == "Negative"
    assert first.get_by_role("link").first.inner_text() == "My parcel is lost again, <b>nobody</b> answers"
    assert first.get_by_role("link").first.get_attribute("href") == f"/mentions/{home.complaint_id}"
    assert page.locator("#cases .sla").inner_text() == "SLA breached"  # two days without an answer
    assert page.locator("#reminders").get_by_text("Birthday").is_visible()
    assert page.locator("#master-heading").is_visible()
    assert "****7890" in page.locator(".facts").first.inner_text()

    praise = page.locator(f"#mention-{home.praise_id}")
    state = praise.locator(".link-state")
    assert state.get_by_text("Linked by handle").is_visible()
    with page.expect_response(f"{base_url}/customers/{home.ana.id}/links/{home.praise_id}/confirm") as answer:
        praise.get_by_role("button", name="Confirm link").click()
    assert answer.value.request.headers["x-csrf-token"]
    settle(page)
    assert state.locator(".chip--verdict-confirm").inner_text() == "Confirmed"
    assert "by amy" in state.inner_text()
    assert praise.get_by_role("button", name="Confirm link").get_attribute("aria-pressed") == "true"
    assert page.url == f"{base_url}/customers/{home.ana.id}"  # swapped in place, no navigation
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of the full-page shot
    screenshot(page, "customer360")
    with build_customer_directory(settings, workspace="default") as directory:
        (verdict,) = directory.feedback_of(home.ana.id)
    assert (verdict.verdict, verdict.by, verdict.mention_id) == ("confirm", "amy", home.praise_id)


def test_a_viewer_reads_the_360_without_buttons_and_it_fits_a_phone(
    phone_page: Page, base_url: str, home: CrmHome
) -> None:
    page = phone_page
    log_in(page, base_url, "vic")
    page.goto(f"{base_url}/customers/{home.ana.id}")
    settle(page)
    assert page.locator("ol.timeline > li").count() == 2
    assert page.get_by_role("button", name="Confirm link").count() == 0
    assert page.get_by_role("button", name="Not this customer").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "customer360-390")
    page.goto(f"{base_url}/customers")
    settle(page)
    page.get_by_label("Search customers").fill("bo chen")
    page.wait_for_url(re.compile(r".*/customers\?.*q=bo(%20|\+)chen"))
    settle(page)
    assert page.locator("#customer-results tbody tr").all_inner_texts()[0].startswith("Bo Chen")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
