"""The dashboard and sources pages in Debian's Chromium against the real app and a SQLite home: the
charts render as SVG, switching the period updates the body through htmx without reloading the page
(and pushes the URL), the page works at phone width; screenshots `dashboard`, `dashboard-phone` and
`sources`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from starlette.types import ASGIApp

from api.app import create_app
from api.testing import PASSWORD, add_user, api_settings
from core.models import Rejected, SavedSearch
from core.settings import Settings
from crawlers.health import RunRecord, build_health_store
from crawlers.rejected import build_rejected_log
from index.backends import build_mention_store, made_ready
from index.testing.corpus import enriched_mentions
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

CHARTS = 5  # volume, sentiment trend, sentiment share, top intents, top aspects


def home(tmp_path: Path) -> Settings:
    """A home with mentions over the last 60 days (one every 4.8 hours), a saved search, a user, and
    the health and rejected items of two sources."""
    settings = api_settings(tmp_path)
    now = datetime.now(UTC)
    mentions = [
        m.model_copy(update={"published_at": now - timedelta(hours=4.8 * i + 1)})
        for i, m in enumerate(enriched_mentions(300, seed=11))
    ]
    store = made_ready(build_mention_store(settings, workspace="default"))
    store.upsert(mentions)
    store.save_search(SavedSearch(name="complaints", owner="ana", query="intent:complaint"))  # type: ignore[attr-defined]
    store.close()
    add_user(settings, "ana", role="analyst", display_name="Ana Li")
    health = build_health_store(settings, workspace="default")
    for hours, ok, error in ((30, True, None), (6, True, None), (1, False, "HTTP 503 from the forum")):
        health.record(
            "forum",
            RunRecord(
                started_at=now - timedelta(hours=hours, minutes=3),
                finished_at=now - timedelta(hours=hours),
                ok=ok,
                items=0 if error else 40,
                newest_item_at=None if error else now - timedelta(hours=hours + 1),
                error=error,
            ),
        )
    health.record(
        "reviews",
        RunRecord(
            started_at=now - timedelta(hours=2),
            finished_at=now - timedelta(hours=2),
            ok=True,
            items=25,
            rejected=2,
            newest_item_at=now - timedelta(hours=3),
        ),
    )
    build_rejected_log(settings, workspace="default").append(
        "reviews",
        [
            Rejected(source="reviews", locator="reviews.csv:17", reason="no text", raw="4,,2026-11-01"),
            Rejected(
                source="reviews",
                locator="reviews.csv:42",
                reason="<unparseable date>",
                raw="5,great,yesterday",
            ),
        ],
    )
    return settings


def sign_in(page: Page, base_url: str) -> None:
    """Log in through the JSON route: the browser context keeps the session cookie."""
    response = page.request.post(
        f"{base_url}/api/v1/auth/login", data={"username": "ana", "password": PASSWORD}
    )
    assert response.ok, response.text()


def total(page: Page) -> int:
    return int(page.locator(".stat__value[data-total]").get_attribute("data-total") or "-1")


def test_charts_render_and_the_period_switches_without_a_reload(
    tmp_path: Path, browser_page: Page, serve: Callable[[ASGIApp], str]
) -> None:
    page = browser_page
    base_url = serve(create_app(home(tmp_path)))
    sign_in(page, base_url)
    page.goto(f"{base_url}/dashboard")
    settle(page)
    assert page.locator(".chart svg").count() == CHARTS
    assert page.locator("#dashboard-days").input_value() == "30"
    month = total(page)
    assert month == 150  # one mention every 4.8 hours: 5 a day
    screenshot(page, "dashboard")

    page.evaluate("window.earfulTestMarker = 'still here'")  # gone if the page reloads
    page.select_option("#dashboard-days", "7")
    page.wait_for_function(f"document.querySelector('.stat__value[data-total]').dataset.total !== '{month}'")
    settle(page)
    assert page.evaluate("window.earfulTestMarker") == "still here"
    assert "days=7" in page.url
    assert total(page) == 35
    assert page.locator(".chart svg").count() == CHARTS

    page.select_option("#dashboard-saved-search", "complaints")
    page.wait_for_function("location.search.includes('saved_search=complaints')")
    settle(page)
    assert 0 < total(page) < 35
    assert page.evaluate("window.earfulTestMarker") == "still here"

    # the data without the charts: each chart's numbers in a table
    page.locator(".dashboard-card details summary").first.click()
    assert page.locator(".dashboard-card details table").first.is_visible()

    # back: htmx restores the previous state of the page
    page.go_back()
    page.wait_for_function("!location.search.includes('saved_search=complaints')")
    settle(page)
    assert total(page) == 35


def test_a_bad_query_is_shown_in_place(
    tmp_path: Path, browser_page: Page, serve: Callable[[ASGIApp], str]
) -> None:
    page = browser_page
    base_url = serve(create_app(home(tmp_path)))
    sign_in(page, base_url)
    page.goto(f"{base_url}/dashboard?days=7")
    settle(page)
    page.fill("#dashboard-query", 'battery AND "dead')
    page.press("#dashboard-query", "Enter")
    page.wait_for_selector(".flash--error")
    assert "^" in page.locator(".dashboard-error").inner_text()
    assert page.locator("#dashboard-query").input_value() == 'battery AND "dead'


def test_the_dashboard_on_a_phone(tmp_path: Path, phone_page: Page, serve: Callable[[ASGIApp], str]) -> None:
    page = phone_page
    base_url = serve(create_app(home(tmp_path)))
    sign_in(page, base_url)
    page.goto(f"{base_url}/dashboard?days=90&interval=week")
    settle(page)
    assert page.locator(".chart svg").count() == CHARTS
    # nothing wider than the screen: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "dashboard-phone")


def test_the_sources_page(tmp_path: Path, browser_page: Page, serve: Callable[[ASGIApp], str]) -> None:
    page = browser_page
    base_url = serve(create_app(home(tmp_path)))
    sign_in(page, base_url)
    page.goto(f"{base_url}/sources")
    settle(page)
    assert page.locator("tr[data-source='forum'] [data-state='failing']").is_visible()
    assert page.locator("tr[data-source='reviews'] [data-state='ok']").is_visible()
    assert page.locator("details#source-1[open]").count() == 1  # the failing source is open
    assert "HTTP 503 from the forum" in page.locator("details#source-1").inner_text()
    page.locator("details#source-2 summary").click()
    assert page.get_by_text("<unparseable date>").is_visible()  # escaped text, shown as text
    screenshot(page, "sources")
