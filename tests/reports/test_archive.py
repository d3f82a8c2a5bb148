"""reports.archive: built reports on disk, one folder per run, written whole or not at all, listed newest
first, replaced by a rerun of the same period, safe against names that would leave the archive."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import reports.archive as archive_module
from core.errors import InvalidInput, NotFound, StoreError
from core.settings import Settings
from reports.archive import ArchivedReport, ReportArchive, report_run_id
from reports.brands import BrandRole
from reports.data import BrandReport, ReportData
from reports.definitions import ReportFormat
from reports.period import ReportPeriod, resolve_period

WEEK = resolve_period("2026-03-02..2026-03-08", tz="Asia/Shanghai")
NEXT_WEEK = resolve_period("2026-03-09..2026-03-15", tz="Asia/Shanghai")
BUILT = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
FILES: dict[ReportFormat, bytes] = {
    ReportFormat.pdf: b"%PDF-1.7 a pdf",
    ReportFormat.html: "<html>小米 周报</html>".encode(),
    ReportFormat.csv: b"PK\x03\x04 a zip",
}


def report_data(
    name: str = "weekly",
    period: ReportPeriod = WEEK,
    *,
    workspace: str = "acme",
    built: datetime = BUILT,
    language: Any = "en",
) -> ReportData:
    brands = (
        BrandReport(brand="小米", role=BrandRole.own, query="小米", total=7, previous=4),
        BrandReport(brand="Huawei", role=BrandRole.competitor, query="huawei", total=3, previous=5),
    )
    return ReportData(
        workspace=workspace,
        name=name,
        title="小米 周报" if language == "zh" else "Weekly brand report",
        language=language,
        period=period,
        interval="day",
        generated_at=built,
        brands=brands,
        total=9,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def archive(settings: Settings) -> ReportArchive:
    return ReportArchive(settings, workspace="acme")


def hidden_folders(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.is_dir()]


def test_a_run_id_is_the_same_for_the_same_report_period_and_language() -> None:
    same = report_run_id("acme", "weekly", WEEK, "en")
    assert same == report_run_id(
        "acme", "weekly", resolve_period("2026-03-02..2026-03-08", tz="Asia/Shanghai"), "en"
    )
    assert len(same) == 32
    assert int(same, 16) >= 0
    others = {
        report_run_id("beta", "weekly", WEEK, "en"),
        report_run_id("acme", "daily", WEEK, "en"),
        report_run_id("acme", "weekly", NEXT_WEEK, "en"),
        report_run_id("acme", "weekly", WEEK, "zh"),
        report_run_id("acme", "weekly", resolve_period("2026-03-02..2026-03-08", tz="UTC"), "en"),
        report_run_id("acme", "", WEEK, "en"),
    }
    assert len(others) == 6
    assert same not in others


def test_a_saved_run_has_its_files_and_manifest(archive: ReportArchive, settings: Settings) -> None:
    saved = archive.save(report_data(), FILES)
    assert saved.id == report_run_id("acme", "weekly", WEEK, "en")
    folder = settings.reports_dir / "acme" / "weekly" / saved.id
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "weekly-2026-03-02_2026-03-08.html",
        "weekly-2026-03-02_2026-03-08.pdf",
        "weekly-2026-03-02_2026-03-08.zip",
    ]
    assert [(f.format, f.media_type, f.size) for f in saved.files] == [
        (ReportFormat.html, "text/html; charset=utf-8", len(FILES[ReportFormat.html])),
        (ReportFormat.pdf, "application/pdf", len(FILES[ReportFormat.pdf])),
        (ReportFormat.csv, "application/zip", len(FILES[ReportFormat.csv])),
    ]
    assert (saved.report, saved.title, saved.language, saved.timezone) == (
        "weekly",
        "Weekly brand report",
        "en",
        "Asia/Shanghai",
    )
    assert (saved.period_name, saved.start, saved.end) == (WEEK.name, WEEK.start, WEEK.end)
    assert (saved.built_at, saved.total, saved.brands) == (BUILT, 9, ("小米", "Huawei"))
    assert ArchivedReport.model_validate_json((folder / "manifest.json").read_bytes()) == saved
    assert archive.get(saved.id) == saved
    assert archive.list() == [saved]
    for fmt, content in FILES.items():
        assert archive.file_path(saved.id, fmt).read_bytes() == content
    assert archive.file_path(saved.id, "pdf") == folder / "weekly-2026-03-02_2026-03-08.pdf"
    assert hidden_folders(settings.reports_dir) == []


def test_an_xlsx_and_a_one_day_period(archive: ReportArchive) -> None:
    day = resolve_period("2026-03-05..2026-03-05", tz="Europe/Berlin")
    saved = archive.save(report_data("daily", day), {ReportFormat.xlsx: b"PK xlsx"})
    (entry,) = saved.files
    assert entry.filename == "daily-2026-03-05.xlsx"
    assert entry.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_saving_the_same_run_again_replaces_it(archive: ReportArchive, settings: Settings) -> None:
    first = archive.save(report_data(), FILES)
    later = BUILT + timedelta(hours=2)
    second = archive.save(report_data(built=later), {ReportFormat.pdf: b"%PDF-1.7 the new one"})
    assert second.id == first.id
    assert archive.list() == [second]
    assert archive.get(first.id) == second
    assert archive.file_path(first.id, ReportFormat.pdf).read_bytes() == b"%PDF-1.7 the new one"
    with pytest.raises(NotFound) as caught:  # the html of the first run went with it
        archive.file_path(first.id, ReportFormat.html)
    assert caught.value.details == {"run_id": first.id, "format": "html", "formats": ["pdf"]}
    folder = settings.reports_dir / "acme" / "weekly" / first.id
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "weekly-2026-03-02_2026-03-08.pdf"]
    assert hidden_folders(settings.reports_dir) == []


def test_runs_are_listed_newest_first_and_by_report(archive: ReportArchive) -> None:
    week = archive.save(report_data(), FILES)
    zh = archive.save(report_data(language="zh", built=BUILT + timedelta(minutes=1)), FILES)
    later = archive.save(report_data(period=NEXT_WEEK, built=BUILT + timedelta(days=7)), FILES)
    daily = archive.save(report_data("daily", built=BUILT + timedelta(days=1)), FILES)
    adhoc = archive.save(report_data("", built=BUILT - timedelta(days=1)), FILES)
    assert adhoc.report == ""
    assert adhoc.files[0].filename.startswith("adhoc-2026-03-02_")
    assert [a.id for a in archive.list()] == [later.id, daily.id, zh.id, week.id, adhoc.id]
    assert [a.id for a in archive.list(limit=2)] == [later.id, daily.id]
    assert archive.list(limit=0) == []
    assert [a.id for a in archive.list("weekly")] == [later.id, zh.id, week.id]
    assert [a.id for a in archive.list("daily")] == [daily.id]
    assert [a.id for a in archive.list("")] == [adhoc.id]
    assert archive.list("adhoc") == []  # no definition of that name: ad-hoc runs are report ''
    assert archive.list("monthly") == []


def test_absent_runs_and_files_are_not_found(archive: ReportArchive, settings: Settings) -> None:
    missing = report_run_id("acme", "weekly", NEXT_WEEK, "en")
    assert archive.get(missing) is None
    assert archive.list() == []
    with pytest.raises(NotFound) as caught:
        archive.file_path(missing, ReportFormat.pdf)
    assert caught.value.details == {"run_id": missing, "workspace": "acme"}
    saved = archive.save(report_data(), {ReportFormat.pdf: b"%PDF"})
    with pytest.raises(NotFound):
        archive.file_path(saved.id, ReportFormat.xlsx)
    archive.file_path(saved.id, ReportFormat.pdf).unlink()  # removed behind the archive's back
    with pytest.raises(NotFound) as gone:
        archive.file_path(saved.id, ReportFormat.pdf)
    assert gone.value.details["format"] == "pdf"


def test_delete_removes_the_run(archive: ReportArchive, settings: Settings) -> None:
    saved = archive.save(report_data(), FILES)
    kept = archive.save(report_data(period=NEXT_WEEK), FILES)
    assert archive.delete(saved.id) is True
    assert archive.delete(saved.id) is False
    assert archive.get(saved.id) is None
    assert archive.list() == [kept]
    assert not (settings.reports_dir / "acme" / "weekly" / saved.id).exists()
    assert hidden_folders(settings.reports_dir) == []


@pytest.mark.parametrize("bad", ["../../etc", "..", "a/b", "", "ABCDEF" * 6, "0" * 31, "0" * 32 + "/.."])
def test_run_ids_that_are_not_ids_are_refused(archive: ReportArchive, bad: str) -> None:
    for call in (archive.get, archive.delete, lambda run_id: archive.file_path(run_id, "pdf")):
        with pytest.raises(InvalidInput):
            call(bad)


@pytest.mark.parametrize("bad", ["../evil", "..", ".hidden", "a/b", "a\\b", "/etc", "x" * 101, "名字"])
def test_report_names_that_could_leave_the_archive_are_refused(
    archive: ReportArchive, settings: Settings, bad: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        archive.save(report_data(bad), FILES)
    assert caught.value.details == {"report": bad}
    with pytest.raises(InvalidInput):
        archive.list(bad)
    assert not settings.reports_dir.exists()


def test_bad_saves_are_refused(archive: ReportArchive, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="workspace 'beta'"):
        archive.save(report_data(workspace="beta"), FILES)
    with pytest.raises(InvalidInput, match="at least one file"):
        archive.save(report_data(), {})
    with pytest.raises(InvalidInput, match="unknown report format"):
        archive.save(report_data(), {"pptx": b"..."})  # type: ignore[dict-item]
    assert archive.list() == []


def test_a_workspace_sees_only_its_own_runs(settings: Settings) -> None:
    acme, beta = ReportArchive(settings, workspace="acme"), ReportArchive(settings, workspace="beta")
    mine = acme.save(report_data(), FILES)
    theirs = beta.save(report_data(workspace="beta"), FILES)
    assert mine.id != theirs.id
    assert acme.list() == [mine]
    assert beta.list() == [theirs]
    assert beta.get(mine.id) is None
    assert beta.delete(mine.id) is False
    with pytest.raises(NotFound):
        beta.file_path(mine.id, ReportFormat.pdf)
    assert acme.get(mine.id) == mine
    with pytest.raises(InvalidInput):
        ReportArchive(settings, workspace="../acme")


def test_a_corrupt_manifest_is_skipped_with_a_warning(
    archive: ReportArchive, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    broken = archive.save(report_data(), FILES)
    good = archive.save(report_data(period=NEXT_WEEK), FILES)
    tampered = archive.save(report_data("daily"), FILES)
    manifest = settings.reports_dir / "acme" / "weekly" / broken.id / "manifest.json"
    manifest.write_text('{"id": "truncated', encoding="utf-8")
    # a manifest that points a file outside its folder is no run either
    evil = settings.reports_dir / "acme" / "daily" / tampered.id / "manifest.json"
    data = json.loads(evil.read_text(encoding="utf-8"))
    data["files"][0]["filename"] = "../../../../secret.txt"
    evil.write_text(json.dumps(data), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="reports.archive"):
        assert archive.list() == [good]
        assert archive.get(broken.id) is None
    assert str(manifest) in caplog.text
    assert str(evil) in caplog.text
    with pytest.raises(NotFound):
        archive.file_path(tampered.id, ReportFormat.html)
    assert archive.delete(broken.id) is True  # an unreadable run can still be removed
    again = archive.save(report_data("daily"), FILES)  # and a rerun repairs one
    assert archive.get(tampered.id) == again


def test_a_save_that_fails_half_way_leaves_the_previous_run_whole(
    archive: ReportArchive, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = archive.save(report_data(), FILES)
    real_write: Callable[[Path, bytes], None] = archive_module._write
    written: list[Path] = []

    def disk_full_on_the_second_file(path: Path, content: bytes) -> None:
        if written:
            raise OSError(28, "No space left on device")
        written.append(path)
        real_write(path, content)

    monkeypatch.setattr(archive_module, "_write", disk_full_on_the_second_file)
    with pytest.raises(StoreError) as caught:
        archive.save(report_data(built=BUILT + timedelta(hours=1)), FILES)
    assert "No space left" in caught.value.message
    assert caught.value.details["run_id"] == before.id
    assert archive.list() == [before]
    for fmt, content in FILES.items():
        assert archive.file_path(before.id, fmt).read_bytes() == content
    assert hidden_folders(settings.reports_dir) == []


def test_what_a_crash_left_is_not_a_run_and_the_next_save_sweeps_it(
    archive: ReportArchive, settings: Settings
) -> None:
    run_id = report_run_id("acme", "weekly", WEEK, "en")
    folder = settings.reports_dir / "acme" / "weekly"
    half = folder / f".tmp-{run_id}-0123"
    half.mkdir(parents=True)
    (half / "weekly-2026-03-02_2026-03-08.html").write_bytes(b"<html>half")
    assert archive.list() == []
    assert archive.get(run_id) is None
    saved = archive.save(report_data(), FILES)
    assert archive.list() == [saved]
    assert hidden_folders(settings.reports_dir) == []
