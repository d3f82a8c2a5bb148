"""The alert inbox in a real browser against the real app: an alert raised while the page is open (by
another holder of the store, as the listen flow is) appears at the top without a reload; acknowledging
it swaps it in place; a change made elsewhere reaches it live too. Also at phone width."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from alerts.inbox import AlertStatus
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import make_alert
from api.app import create_app
from api.testing import PASSWORD, add_user, api_settings
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

LIVE_MS = 15_000  # the stream polls once a second: plenty


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = api_settings(tmp_path)
    add_user(settings, "aga", role="agent", display_name="Aga Agent")
    return settings


@pytest.fixture
def flow_stores(settings: Settings) -> Iterator[AlertStores]:
    """The alert stores as the listen flow holds them: its own objects on the same storage."""
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        stores.ensure_ready()
        yield stores


@pytest.fixture
def base_url(settings: Settings, serve: Callable[[FastAPI], str]) -> str:
    return serve(create_app(settings))


def sign_in(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("User name").fill("aga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{path}")
    settle(page)


def test_a_raised_alert_appears_live_and_is_acknowledged_in_place(
    base_url: str, browser_page: Page, flow_stores: AlertStores
) -> None:
    earlier = make_alert("m-earlier", key="author=kim", fired_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
    flow_stores.alerts.add(earlier)
    page = browser_page
    sign_in(page, base_url, "/alerts")
    alerts = page.locator("#alert-list .alert-card")
    expect(alerts).to_have_count(1)
    expect(page.locator("#alert-list")).to_have_attribute("data-live", "open", timeout=LIVE_MS)
    page.evaluate("window.earfulMarker = 'same page'")  # gone if the page reloaded

    raised = make_alert("m-live", key="author=sam", fired_at=datetime.now(UTC))
    flow_stores.alerts.add(raised)
    card = page.locator(f"#alert-{raised.id}")
    expect(card).to_be_visible(timeout=LIVE_MS)
    expect(alerts).to_have_count(2)
    expect(alerts.first).to_have_id(f"alert-{raised.id}")  # on top
    expect(card.locator(".alert-status")).to_have_text("Open")
    expect(card.locator(".alert-card__headline em")).to_have_text("refund")
    expect(card.locator(".alert-customer")).to_contain_text("Jane Doe")
    assert page.evaluate("window.earfulMarker") == "same page"

    card.get_by_role("button", name="Acknowledge").click()
    expect(card.locator(".alert-status")).to_have_text("Acknowledged")
    expect(card.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(card.locator(".alert-history")).to_contain_text("Acknowledged by aga")
    stored = flow_stores.alerts.get(raised.id)
    assert stored is not None
    assert (stored.status, stored.history[-1].by) == (AlertStatus.acknowledged, "aga")
    settle(page)
    screenshot(page, "alerts")

    flow_stores.alerts.resolve(earlier.id, by="bo", at=datetime.now(UTC))  # someone else, elsewhere
    other = page.locator(f"#alert-{earlier.id}")
    expect(other.locator(".alert-status")).to_have_text("Resolved", timeout=LIVE_MS)
    expect(alerts).to_have_count(2)
    assert page.evaluate("window.earfulMarker") == "same page"


def test_the_inbox_fits_a_phone_and_snoozes(
    base_url: str, phone_page: Page, flow_stores: AlertStores
) -> None:
    alert = make_alert("m1", fired_at=datetime.now(UTC))
    flow_stores.alerts.add(alert)
    page = phone_page
    sign_in(page, base_url, "/alerts")
    card = page.locator(f"#alert-{alert.id}")
    expect(card).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card.get_by_role("button", name="Snooze 1 day").click()
    expect(card.locator(".alert-status")).to_contain_text("Snoozed until")
    stored = flow_stores.alerts.get(alert.id)
    assert stored is not None
    assert stored.status is AlertStatus.snoozed
    screenshot(page, "alerts-390")
