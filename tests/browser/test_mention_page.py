"""The mention page in Chromium, over the real app on a SQLite home: an agent opens a mention, assigns it
to a colleague and adds a note through the htmx forms, and sees both in the history without a reload;
the page fits a 390 px phone; a viewer sees no form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from starlette.types import ASGIApp

from api.app import create_app
from api.testing import PASSWORD, add_user, api_settings
from core.models import Author, Intent, IntentLabel, ModelRef, Sentiment, SentimentLabel
from core.settings import Settings
from index.backends import build_mention_store
from index.testing.corpus import enriched_mention
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

MENTION = enriched_mention(
    "tw-77",
    "Ordered the headphones two weeks ago, still no refund after returning them. <b>Not</b> happy.",
    platform="twitter",
    url="https://twitter.example/ana_l/status/77",
    author=Author(platform="twitter", handle="ana_l", display_name="Ana Lima"),
    sentiment=Sentiment(label=SentimentLabel.negative, score=-0.8, confidence=0.9),
    intents=(Intent(label=IntentLabel.complaint, confidence=0.9),),
    models=(ModelRef(name="lexicon", version="2.1"),),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    made = api_settings(tmp_path)
    store = build_mention_store(made, workspace="default")
    try:
        store.upsert([MENTION])
        store.refresh()
    finally:
        store.close()
    add_user(made, "li.wei", role="agent", display_name="Li Wei")
    add_user(made, "mei", role="admin", display_name="Mei Chen")
    add_user(made, "vic", role="viewer", display_name="Vic Viewer")
    return made


def _log_in(page: Page, base_url: str, username: str) -> None:
    """Log the page's browser context in (the session cookie is the context's)."""
    response = page.request.post(
        f"{base_url}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert response.ok, response.text()


def test_an_agent_assigns_a_mention_and_adds_a_note(
    browser_page: Page, serve: Callable[[ASGIApp], str], settings: Settings
) -> None:
    base_url = serve(create_app(settings))
    page = browser_page
    _log_in(page, base_url, "li.wei")
    page.goto(f"{base_url}/mentions/{MENTION.id}")
    settle(page)
    expect(page.locator(".mention__text")).to_contain_text("<b>Not</b> happy.")  # the text, escaped
    source = page.get_by_role("link", name="Open the original")
    expect(source).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator(".mention__models")).to_contain_text("lexicon 2.1")
    history = page.locator("#history")
    expect(history).to_contain_text("No changes yet.")

    page.get_by_label("Assignee").select_option("mei")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Save").click()
    settle(page)
    expect(page.locator(".workflow__assignee")).to_have_text("Mei Chen")
    expect(page.locator("#workflow .flash")).to_contain_text("recorded in the history only")
    expect(history.locator(".history__entry").first).to_contain_text("Li Wei")
    expect(history).to_contain_text("assigned it to Mei Chen")
    expect(history).to_contain_text("set the priority from Normal to High")

    page.get_by_label("New note").fill("Called her: refund goes out today.")
    page.get_by_role("button", name="Add note").click()
    settle(page)
    expect(page.locator(".workflow__notes")).to_contain_text("Called her: refund goes out today.")
    expect(history.locator(".history__entry").first).to_contain_text("added a note: Called her")
    expect(history.locator(".history__entry")).to_have_count(3)

    page.get_by_label("New tag").fill("refund, VIP")
    page.get_by_role("button", name="Add tag").click()
    settle(page)
    expect(page.locator(".workflow__tags .tag__name")).to_have_text(["refund", "VIP"])
    page.get_by_role("button", name="☆ Star").click()
    settle(page)
    expect(page.get_by_role("button", name="★ Remove star")).to_have_attribute("aria-pressed", "true")

    page.reload()  # what was swapped in is what is stored
    settle(page)
    expect(page.locator(".workflow__assignee")).to_have_text("Mei Chen")
    expect(history.locator(".history__entry")).to_have_count(6)
    screenshot(page, "mention")


def test_the_page_fits_a_phone_and_is_read_only_for_a_viewer(
    phone_page: Page, serve: Callable[[ASGIApp], str], settings: Settings
) -> None:
    base_url = serve(create_app(settings))
    _log_in(phone_page, base_url, "vic")
    phone_page.goto(f"{base_url}/mentions/{MENTION.id}")
    settle(phone_page)
    expect(phone_page.locator(".workflow__read-only")).to_be_visible()
    expect(phone_page.locator("#workflow form")).to_have_count(0)
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone_page, "mention-phone")
