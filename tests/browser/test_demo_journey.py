"""The issue's newcomer journey on the demo's own data and login, in Chromium: log in through the form
with the login the demo printed, search, open a hit, assign it and add a note, see the history; open a
mention the demo linked to a customer and follow the link to the customer's 360; switch to Chinese."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from api.app import create_app
from core.settings import Settings
from demo.ui import LOGIN_FILE
from index.backends import build_mention_store
from index.base import MentionFilter, SearchRequest
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

LATE = '(refund OR "money back") NEAR/5 late'


@pytest.fixture(scope="module")
def demo_login(demo_home: Settings) -> tuple[str, str]:
    saved = json.loads((demo_home.home / LOGIN_FILE).read_text(encoding="utf-8"))
    return saved["username"], saved["password"]


def _linked_mention(settings: Settings) -> tuple[str, str]:
    """(mention id, customer id) of a mention the demo's listen run linked to a customer."""
    store = build_mention_store(settings, workspace="default")
    try:
        page = store.search(SearchRequest(filters=MentionFilter(linked=True), limit=1))
    finally:
        store.close()
    assert page.hits, "the demo links some mentions to its customers"
    link = page.hits[0].customer
    assert link is not None
    return page.hits[0].id, link.customer_id


def test_a_newcomer_searches_works_a_mention_and_opens_a_customer_360_in_chinese(
    browser_page: Page,
    serve: Callable[[FastAPI], str],
    demo_home: Settings,
    demo_login: tuple[str, str],
) -> None:
    base_url = serve(create_app(demo_home))
    page = browser_page
    username, password = demo_login

    page.goto(f"{base_url}/")  # not logged in: the login form, then back to Explore
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    settle(page)
    expect(page.get_by_role("heading", name="Explore mentions")).to_be_visible()

    query = page.get_by_label("Query", exact=True)
    query.fill(LATE)
    query.press("End")
    expect(page.locator("#query-check")).to_contain_text("The query is valid.")
    page.get_by_role("button", name="Search", exact=True).click()
    settle(page)
    results = page.locator("#results")
    expect(results.locator(".hit em").first).to_be_visible()
    results.locator(".hit a[href^='/mentions/']").first.click()
    settle(page)

    page.get_by_label("Assignee").select_option(username)
    page.get_by_role("button", name="Save").click()
    settle(page)
    page.get_by_label("New note").fill("Refund promised by phone <b>today</b>.")
    page.get_by_role("button", name="Add note").click()
    settle(page)
    history = page.locator("#history")
    expect(history.locator(".history__entry")).to_have_count(2)
    expect(history.locator(".history__entry").first).to_contain_text("added a note")
    expect(page.locator(".workflow__notes")).to_contain_text("Refund promised by phone <b>today</b>.")
    screenshot(page, "journey-mention")

    mention_id, customer_id = _linked_mention(demo_home)
    page.goto(f"{base_url}/mentions/{mention_id}")
    settle(page)
    page.locator(".mention__customer-link").click()
    settle(page)
    assert page.url == f"{base_url}/customers/{customer_id}"
    expect(page.locator("#value-tier, .tier-badge--master").first).to_be_visible()

    page.get_by_role("link", name="中文").click()
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("link", name="探索")).to_be_visible()
    expect(page.locator(".tier-badge--master")).to_contain_text("档案等级")
    screenshot(page, "journey-customer360-zh")
