"""The demo's brand reports (demo/reports.py): each brand's query finds the demo posts that name it and
no other brand's; the week the demo builds holds the demo's last week of posts, whatever the zone; the
English report is written into the archive (HTML and PDF naming every brand), and a second run keeps
what the workspace holds."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from core.models import DEFAULT_WORKSPACE, Author, EnrichedMention
from core.settings import ElasticsearchSettings, Settings
from demo.reports import (
    DEMO_BRANDS,
    WEEKLY,
    WEEKLY_ZH,
    demo_definitions,
    demo_period,
    demo_run_time,
    ensure_brands_and_reports,
    period_range,
    write_demo_reports,
)
from demo.site import ANCHOR, load_items
from index.backends.sqlite import SQLiteMentionStore
from index.base import MentionFilter, SearchRequest
from reports.archive import ReportArchive
from reports.definitions import ReportFormat
from reports.store import build_report_store

BRAND_KEYS = {
    "Quillfinch": "quillfinch",
    "Munchbird": "munchbird",
    "Cobaltwing Air": "cobaltwing",
    "Kestrelle": "kestrelle",
}


def _mentions() -> list[EnrichedMention]:
    """The demo site's items as the demo's feed stores them (the malformed one left out)."""
    out = []
    for item in load_items():
        if item["label"] == "malformed":
            continue
        out.append(
            EnrichedMention(
                platform="demo",
                native_id=str(item["id"]),
                source="demo-site",
                text=item["text"],
                title=item["title"],
                site=item["site"],
                author=Author(
                    platform="demo", native_id=item["author"]["id"], handle=item["author"]["handle"]
                ),
                published_at=datetime.fromisoformat(item["created_at"]),
                hashtags=tuple(item["hashtags"]),
                mentions=tuple(h.lstrip("@") for h in item["mentions"]),
                lang="en" if item["lang"] == "en" else "zh",
                metadata={"brand": item["brand"], "label": item["label"]},
            )
        )
    return out


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteMentionStore:
    home = tmp_path_factory.mktemp("demo-reports")
    store = SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    store.upsert(_mentions())
    return store


def test_each_brand_query_finds_its_posts_and_no_other_brands(demo_store: SQLiteMentionStore) -> None:
    items = [i for i in load_items() if i["label"] != "malformed"]
    primary = Counter(i["brand"] for i in items if i["label"] != "reply")
    for brand in DEMO_BRANDS:
        page = demo_store.search(SearchRequest(query=brand.query, limit=1000))
        owners = Counter(str(hit.metadata["brand"]) for hit in page.hits)
        assert set(owners) == {BRAND_KEYS[brand.name]}, (brand.name, owners)
        # Most of its posts name it (the rest say "the app", "降噪效果很差": no query can tell whose).
        assert owners[BRAND_KEYS[brand.name]] >= 0.6 * primary[BRAND_KEYS[brand.name]], (brand.name, owners)
    names = {"quillfinch": ("Quillfinch", "鹊鸣", "鵲鳴"), "kestrelle": ("Kestrelle", "隼星")}
    for key, spellings in names.items():  # every post that spells the name is found
        query = next(b.query for b in DEMO_BRANDS if BRAND_KEYS[b.name] == key)
        found = {h.native_id for h in demo_store.search(SearchRequest(query=query, limit=1000)).hits}
        spelled = {str(i["id"]) for i in items if any(s in i["text"] for s in spellings)}
        assert spelled
        assert spelled <= found


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_demo_week_is_the_last_week_of_its_posts_as_the_schedule_runs_it(
    zone: str, demo_store: SQLiteMentionStore
) -> None:
    period = demo_period(zone)
    assert period_range(period) == "2026-11-09..2026-11-15"
    run = demo_run_time(zone).astimezone(period.start.tzinfo)
    assert (run.weekday(), run.hour, run.minute) == (0, 9, 0)  # Monday 09:00 in the zone
    assert run.date().isoformat() == "2026-11-16"
    assert demo_run_time(zone) > ANCHOR
    week = demo_store.count(MentionFilter(since=period.start, until=period.end))
    assert week >= 60  # a week of the demo's posts (about a quarter of them)
    for definition in demo_definitions(zone):
        assert definition.brands == tuple(b.name for b in DEMO_BRANDS)
        assert (definition.period, definition.timezone, definition.channels) == ("last-week", zone, ())
        assert definition.formats == (ReportFormat.html, ReportFormat.pdf)
    assert [d.language for d in demo_definitions(zone)] == ["en", "zh"]


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.mark.slow  # one report's charts and PDF: several seconds
def test_the_demo_writes_the_weeks_report_and_keeps_what_the_workspace_holds(
    demo_store: SQLiteMentionStore, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path)
    done = write_demo_reports(settings, demo_store, workspace=DEFAULT_WORKSPACE)
    assert set(done.created) == {*(b.name for b in DEMO_BRANDS), WEEKLY, WEEKLY_ZH}
    assert [r.report for r in done.runs] == [WEEKLY]
    (run,) = done.runs
    assert (run.start, run.end) == (demo_period("UTC").start, demo_period("UTC").end)
    assert run.total >= 40
    assert run.brands == tuple(b.name for b in DEMO_BRANDS)
    assert {f.format for f in run.files} == {ReportFormat.html, ReportFormat.pdf}
    archive = ReportArchive(settings, workspace=DEFAULT_WORKSPACE)
    pdf = archive.file_path(run.id, ReportFormat.pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Weekly brand report" in text
    for brand in DEMO_BRANDS:
        assert brand.name in text, brand.name
    html = archive.file_path(run.id, ReportFormat.html).read_text(encoding="utf-8")
    assert "Quillfinch" in html
    assert "<svg" in html

    # A user edits a brand: the next demo run keeps it (and the definitions), saving nothing.
    with build_report_store(settings, workspace=DEFAULT_WORKSPACE) as reports:
        reports.save_brand(DEMO_BRANDS[1].model_copy(update={"description": "mine now"}))
        assert reports.get_report(WEEKLY_ZH) is not None  # saved, built on request
    again = write_demo_reports(settings, demo_store, workspace=DEFAULT_WORKSPACE, build=())
    assert (again.created, again.runs) == ((), ())
    _, created = ensure_brands_and_reports(settings, workspace=DEFAULT_WORKSPACE)
    assert created == []
    with build_report_store(settings, workspace=DEFAULT_WORKSPACE) as reports:
        kept = reports.get_brand(DEMO_BRANDS[1].name)
        assert kept is not None
        assert kept.description == "mine now"
    assert [r.id for r in archive.list()] == [run.id]


@pytest.mark.integration
def test_each_brand_query_finds_the_same_posts_on_elasticsearch(
    demo_store: SQLiteMentionStore, es_url: str, es_prefix: str, tmp_path: Path
) -> None:
    """`earful demo --store elasticsearch` counts the same mentions per brand (Chinese names included)."""
    from index.backends.elasticsearch import ElasticsearchMentionStore

    es = ElasticsearchSettings(hosts=[es_url], index_prefix=es_prefix, refresh="wait_for")
    with ElasticsearchMentionStore(
        Settings(home=tmp_path, elasticsearch=es), workspace=DEFAULT_WORKSPACE
    ) as store:
        store.ensure_ready()
        store.upsert(_mentions())
        store.refresh()
        for brand in DEMO_BRANDS:
            request = SearchRequest(query=brand.query, limit=1000)
            assert {h.id for h in store.search(request).hits} == {
                h.id for h in demo_store.search(request).hits
            }
