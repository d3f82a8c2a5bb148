"""Explore in the browser, on the demo's data: log in, search the issue's query and see the matches
highlighted, check a broken query as it is typed (the caret under the error), save the search, load more.
Screenshots: explore, explore-error, explore-phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from api.accounts.models import Role
from api.app import create_app
from api.testing import PASSWORD, add_user
from core.settings import Settings
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

LATE = '(refund OR "money back") NEAR/5 late'


def _log_in(page: Page, base_url: str, username: str, path: str = "/explore") -> None:
    page.goto(f"{base_url}{path}")
    settle(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(f"{base_url}/explore")))
    settle(page)


@pytest.fixture
def base_url(demo_home: Settings, serve: Callable[[FastAPI], str]) -> str:
    return serve(create_app(demo_home))


def test_search_highlight_check_and_save(browser_page: Page, base_url: str, demo_home: Settings) -> None:
    add_user(demo_home, "explorer", role=Role.ANALYST, display_name="Explorer")
    page = browser_page
    _log_in(page, base_url, "explorer")
    expect(page.get_by_role("heading", name="Explore mentions")).to_be_visible()

    query = page.get_by_label("Query", exact=True)
    query.fill(LATE)
    query.press("End")  # a keystroke: the live check runs
    expect(page.locator("#query-check")).to_contain_text("The query is valid.")
    page.get_by_role("button", name="Search", exact=True).click()
    settle(page)
    results = page.locator("#results")
    expect(results.locator(".results-bar__total")).to_have_text(re.compile(r"^\d+ mentions$"))
    marks = results.locator(".hit em")
    expect(marks.first).to_be_visible()
    words = {text.lower() for text in marks.all_inner_texts()}
    assert words <= {"refund", "late", "money back"}, words
    assert {"late"} < words
    assert parse_qs(urlsplit(page.url).query)["q"] == [LATE]  # the URL carries the search
    expect(results.locator(".chart svg")).to_have_count(1)
    expect(results.get_by_role("link", name="CSV")).to_be_visible()
    hit_link = results.locator(".hit a[href^='/mentions/']").first
    assert re.fullmatch(r"/mentions/[0-9a-f]{32}", hit_link.get_attribute("href") or "")
    screenshot(page, "explore")

    results.get_by_text("Save this search").click()
    results.get_by_label("Name").fill("late refunds")
    results.get_by_role("button", name="Save search").click()
    expect(results.get_by_role("status").filter(has_text="Saved as")).to_have_text("Saved as “late refunds”.")
    expect(page.locator("#saved-list").get_by_role("link", name="late refunds")).to_be_visible()

    query.fill("refund AND (late")
    query.press("End")
    caret = page.locator("#query-check pre.query-caret")
    expect(caret).to_contain_text("refund AND (late")
    lines = caret.inner_text().splitlines()
    assert lines[1] == " " * len("refund AND (late") + "^", lines
    expect(page.locator("#query-check")).to_contain_text("The query has an error")
    screenshot(page, "explore-error")


def test_load_more_and_the_phone_layout(phone_page: Page, base_url: str, demo_home: Settings) -> None:
    add_user(demo_home, "phone-viewer", role=Role.VIEWER)
    page = phone_page
    _log_in(page, base_url, "phone-viewer")
    hits = page.locator("#hits > .hit")
    expect(hits).to_have_count(20)
    first_batch = hits.evaluate_all("els => els.map(e => e.querySelector('a').getAttribute('href'))")
    page.get_by_role("link", name="Load more").click()
    expect(hits).to_have_count(40)
    every = hits.evaluate_all("els => els.map(e => e.querySelector('a').getAttribute('href'))")
    assert every[:20] == first_batch
    assert len(set(every)) == 40  # the next page, nothing twice
    expect(page.get_by_role("link", name="CSV")).to_have_count(0)  # a viewer does not export
    expect(page.get_by_text("Save this search")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    settle(page)
    screenshot(page, "explore-phone")
