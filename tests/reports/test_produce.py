"""One run of a definition: brands loaded (every brand when it names none, NotFound naming the missing
ones), period resolved in its zone, built, rendered, archived once per period; and what its delivery says
(title, summary in its language, the archived HTML as the body, the other files by path, the link)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from index.backends import build_mention_store
from index.base import MentionStore
from reports.archive import ReportArchive
from reports.definitions import ReportDefinition, ReportFormat
from reports.produce import (
    ProducedReport,
    produce,
    report_delivery,
    report_summary,
    report_title,
)
from reports.store import SQLiteReportStore, build_report_store
from reports.testing import sample_report_data
from tests.reports.corpus import BRANDS, CORPUS, NOW, TZ

DEFINITION = ReportDefinition(
    name="weekly",
    title="Weekly brands",
    brands=("Nimbus", "Acme"),
    timezone=TZ,
    formats=(ReportFormat.html, ReportFormat.csv),
)


@dataclass
class Stores:
    mentions: MentionStore
    reports: SQLiteReportStore
    archive: ReportArchive

    def produce(self, definition: ReportDefinition = DEFINITION, **options: object) -> ProducedReport:
        return produce(self.mentions, self.reports, self.archive, definition, now=NOW, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    settings = Settings(home=tmp_path_factory.mktemp("produce"))
    mentions = build_mention_store(settings, workspace=DEFAULT_WORKSPACE)
    mentions.ensure_ready()
    mentions.upsert(CORPUS)
    mentions.refresh()
    reports = build_report_store(settings, workspace=DEFAULT_WORKSPACE)
    assert isinstance(reports, SQLiteReportStore)
    reports.ensure_ready()
    for brand in BRANDS:
        reports.save_brand(brand)
    yield Stores(mentions, reports, ReportArchive(settings, workspace=DEFAULT_WORKSPACE))
    mentions.close()
    reports.close()


def test_a_run_is_built_for_its_brands_and_period_and_archived_once(stores: Stores) -> None:
    produced = stores.produce()
    data, archived = produced.data, produced.archived
    assert [b.brand for b in data.brands] == ["Nimbus", "Acme"]  # the definition's order
    assert (data.period.name, data.timezone, data.period.first_day.isoformat()) == (
        "last-week",
        TZ,
        "2026-03-02",
    )
    assert [f.format for f in archived.files] == [ReportFormat.html, ReportFormat.csv]
    assert (
        stores.archive.file_path(archived.id, ReportFormat.html).read_bytes().startswith(b"<!DOCTYPE html>")
    )
    again = produce(stores.mentions, stores.reports, stores.archive, DEFINITION, now=NOW).archived
    assert again.id == archived.id
    assert [r.id for r in stores.archive.list("weekly")] == [archived.id]


def test_a_definition_without_brands_reports_every_brand(stores: Stores) -> None:
    every = DEFINITION.model_copy(update={"name": "everyone", "brands": (), "formats": (ReportFormat.csv,)})
    data = stores.produce(every, period_name="2026-03-02..2026-03-03").data
    assert sorted(b.brand for b in data.brands) == sorted(b.name for b in BRANDS)
    assert data.period.name == "2026-03-02..2026-03-03"


def test_missing_brands_and_bad_periods_are_refused_by_name(stores: Stores, tmp_path: Path) -> None:
    ghosts = DEFINITION.model_copy(update={"brands": ("Acme", "Ghost", "Phantom")})
    with pytest.raises(
        NotFound, match="report 'weekly' names brands that do not exist: Ghost, Phantom"
    ) as caught:
        stores.produce(ghosts)
    assert caught.value.details["brands"] == ["Ghost", "Phantom"]
    with pytest.raises(InvalidInput, match="unknown period 'fortnight'"):
        stores.produce(period_name="fortnight")
    empty = build_report_store(Settings(home=tmp_path), workspace="other")
    empty.ensure_ready()
    try:
        every = DEFINITION.model_copy(update={"brands": ()})
        with pytest.raises(NotFound, match="covers every brand, and workspace 'other' has none"):
            produce(stores.mentions, empty, stores.archive, every, now=NOW)
    finally:
        empty.close()


def test_the_summary_says_each_brands_count_and_change_in_its_language() -> None:
    en, zh = sample_report_data("en"), sample_report_data("zh")
    text = report_summary(en).splitlines()
    assert text[0] == f"{en.period.first_day} to {en.period.last_day} ({en.timezone})"
    assert text[1] == f"Mentions counted: {en.total:,}"
    assert len(text) == 2 + len(en.brands)
    first = en.brands[0]
    assert text[2].startswith(f"{first.brand}: {first.total:,} mentions")
    assert f"{first.change_percent:+.1f}%" in text[2]
    chinese = report_summary(zh)
    assert "提及总数" in chinese
    assert f"{zh.brands[0].brand}：{zh.brands[0].total:,} 条提及" in chinese
    assert report_title(en) == f"{en.title}: {en.period.first_day} to {en.period.last_day}"


def test_the_delivery_takes_its_body_and_files_from_the_archive(stores: Stores) -> None:
    definition = DEFINITION.model_copy(update={"formats": (ReportFormat.html, ReportFormat.csv)})
    produced = stores.produce(definition)
    run = produced.archived.id
    content = report_delivery(stores.archive, produced, public_url="https://earful.example/")
    html = stores.archive.file_path(run, ReportFormat.html).read_text(encoding="utf-8")
    assert content.html_body == html
    (csv,) = content.files
    assert (csv.media_type, csv.path) == (
        "application/zip",
        str(stores.archive.file_path(run, ReportFormat.csv)),
    )
    assert csv.filename == produced.archived.files[1].filename
    assert content.link == f"https://earful.example/reports/archive/{run}"
    assert (content.run_id, content.report, content.language) == (run, "weekly", "en")
    assert content.summary == report_summary(produced.data)
    no_html = stores.produce(definition.model_copy(update={"name": "tables", "formats": (ReportFormat.csv,)}))
    bare = report_delivery(stores.archive, no_html, public_url=None)
    assert (bare.html_body, bare.link, len(bare.files)) == (None, None, 1)
