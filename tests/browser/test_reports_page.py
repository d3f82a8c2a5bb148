"""The report pages in a real browser against the real app: a brand manager signs in, runs a report with
"Run now" (htmx), sees the archived report of an earlier run, opens it (its HTML in a sandboxed frame,
under its own policy: no console error), downloads its PDF, switches to Chinese; and the brands page
shows a bad query's error in the form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from api.app import create_app
from api.testing import PASSWORD, add_user, api_key, api_settings
from core.models import Author, Sentiment, SentimentLabel
from core.settings import Settings
from index.testing.corpus import enriched_mention
from tests.browser.support import screenshot, settle

pytestmark = pytest.mark.browser

PERIOD: Final = "2026-03-02..2026-03-08"
RUN_MS: Final = 60_000  # building and rendering a report (PDF included) on a busy machine


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = api_settings(tmp_path)
    add_user(settings, "brand", role="analyst", display_name="Bo Brand")
    return settings


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, with brands, a weekly report and a run of it archived (through the JSON API)."""
    app = create_app(settings)
    services = app.state.services.get("default")
    published = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    services.mentions.upsert(
        [
            enriched_mention(
                f"m{i}",
                text,
                published_at=published,
                author=Author(platform="web", handle=f"fan{i}"),
                sentiment=Sentiment(label=label, score=0.0, confidence=0.9),
            )
            for i, (text, label) in enumerate(
                [
                    ("acme headphones sound great", SentimentLabel.positive),
                    ("acme support never answered", SentimentLabel.negative),
                    ("globex earbuds are fine", SentimentLabel.neutral),
                ]
            )
        ]
    )
    services.mentions.refresh()
    secret = api_key(settings, role="analyst", name="setup")
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client:
        client.put("/api/v1/brands/Acme", json={"query": "acme", "role": "own"}).raise_for_status()
        client.put("/api/v1/brands/Globex", json={"query": "globex", "role": "competitor"}).raise_for_status()
        weekly = {
            "title": "Weekly brand report",
            "brands": ["Acme", "Globex"],
            "schedule": {"cron": "0 9 * * 1"},
        }
        client.put("/api/v1/reports/weekly", json=weekly).raise_for_status()
        client.post("/api/v1/reports/weekly/runs", params={"period": PERIOD}).raise_for_status()
    return create_app(settings)  # a fresh app: the one above closed its stores with its lifespan


@pytest.fixture
def base_url(app: FastAPI, serve: Callable[[FastAPI], str]) -> str:
    return serve(app)


def sign_in(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("User name").fill("brand")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{path}")
    settle(page)


def test_a_brand_manager_runs_opens_and_downloads_a_report(base_url: str, browser_page: Page) -> None:
    page = browser_page
    sign_in(page, base_url, "/reports")
    weekly = page.locator("tr[data-report='weekly']")
    expect(weekly).to_contain_text("Every Monday at 09:00 (UTC)")
    expect(weekly).to_contain_text("2026-03-02 to 2026-03-08")  # its last run
    archive = page.locator("table.report-archive tbody tr")
    expect(archive).to_have_count(1)

    weekly.get_by_role("button", name="Run now: Weekly brand report").click()  # last week: a second run
    expect(page.locator(".flash--success")).to_contain_text(
        "Report built: Weekly brand report", timeout=RUN_MS
    )
    expect(archive).to_have_count(2)
    expect(page.locator("tr.report-run--new")).to_have_count(1)
    settle(page)
    screenshot(page, "reports")

    archive.last.get_by_role("link", name="Weekly brand report", exact=True).click()  # the March run
    page.wait_for_url(f"{base_url}/reports/archive/*")
    settle(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly brand report")
    expect(page.locator(".report-total")).to_have_text("3")
    frame = page.frame_locator("iframe.report-frame")
    expect(frame.locator("body")).to_contain_text("Acme")
    expect(frame.locator("body")).to_contain_text("Globex")
    expect(frame.locator("svg").first).to_be_visible()  # the charts, inline SVG under the frame's policy
    screenshot(page, "report-run")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    path = download.path()
    assert path.read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="中文").click()
    settle(page)
    expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()
    expect(page.locator(".report-meta")).to_contain_text("统计的提及数")
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="报告")).to_have_attribute(
        "aria-current", "page"
    )
    screenshot(page, "report-run-zh")
    page.get_by_role("link", name="全部报告").click()
    settle(page)
    expect(page.get_by_role("heading", level=2, name="报告存档")).to_be_visible()
    expect(page.locator("tr[data-report='weekly']")).to_contain_text("每周一 09:00（UTC）")
    screenshot(page, "reports-zh")


def test_the_brands_page_shows_errors_in_the_form(base_url: str, browser_page: Page) -> None:
    page = browser_page
    sign_in(page, base_url, "/reports/brands")
    rows = page.locator("table.report-brands tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-brand='Globex']")).to_contain_text("Competitor")

    page.get_by_label("Name", exact=True).fill("Initech")
    page.get_by_label("Query", exact=True).fill("initech AND (")
    page.get_by_label("Role", exact=True).select_option("competitor")
    page.get_by_role("button", name="Save brand").click()
    settle(page)
    expect(page.locator("#brand-query-error")).to_contain_text("invalid query")
    expect(page.get_by_label("Query", exact=True)).to_have_value("initech AND (")
    expect(page.get_by_label("Query", exact=True)).to_have_attribute("aria-invalid", "true")
    screenshot(page, "report-brands-error")

    page.get_by_label("Query", exact=True).fill("initech")
    page.get_by_role("button", name="Save brand").click()
    settle(page)
    expect(page.locator(".flash--success")).to_have_text("Brand Initech saved.")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Delete Initech").click()
    settle(page)
    expect(page.locator(".flash--success")).to_have_text("Brand Initech deleted.")
    expect(rows).to_have_count(2)
    screenshot(page, "report-brands")
