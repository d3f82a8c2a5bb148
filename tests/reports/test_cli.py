"""`earful reports`: brands, report definitions, importing both from YAML, and the archive of built
reports, through the command line with a temporary home (SQLite). Bad input is one ``error:`` line on
stderr and exit status 2, and stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from core.settings import Settings
from reports.archive import ReportArchive
from reports.cli import reports_app
from reports.data import ReportData
from reports.definitions import ReportFormat
from reports.period import resolve_period

BRANDS_AND_REPORTS = """\
brands:
  - {name: Acme, query: 'acme OR "acme watch"', role: own, description: Our watches}
  - {name: 小米, query: '小米 OR xiaomi', role: competitor}
  - {name: Acme Pro, query: 'acme pro', role: product_line}
reports:
  - name: weekly
    title: 品牌周报
    brands: [acme, 小米]
    period: last-week
    timezone: Asia/Shanghai
    language: zh
    formats: [html, pdf]
    schedule: {cron: "0 9 * * 1"}
    channels: [brand-team]
  - name: daily
    period: yesterday
    schedule: {every: 1d}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "EARFUL_STORE__BACKEND",
        "EARFUL_WORKSPACE",
        "EARFUL_REPORTS__TIMEZONE",
        "EARFUL_REPORTS__LANGUAGE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(reports_app, [*args, "--home", str(home)], env={"COLUMNS": "250"})


def ok(home: Path, *args: str) -> Result:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result


def as_json(home: Path, *args: str) -> Any:
    return json.loads(ok(home, *args, "--json").stdout)


def refused(result: Result) -> str:
    """The one error line of a refused command (exit status 2, nothing on stdout)."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_brands_are_added_listed_shown_and_removed(home: Path) -> None:
    assert "No brands" in ok(home, "brands", "list").stdout
    added = ok(home, "brands", "add", "Acme", "--query", 'acme OR "acme watch"', "--description", "ours")
    assert added.stdout.startswith("added    Acme  (own)")
    ok(home, "brands", "add", "小米", "-q", "小米 OR xiaomi", "--role", "competitor")
    ok(home, "brands", "add", "Acme Pro", "-q", "acme pro", "--role", "product_line")
    assert [(b["name"], b["role"]) for b in as_json(home, "brands", "list")] == [
        ("Acme", "own"),
        ("Acme Pro", "product_line"),
        ("小米", "competitor"),
    ]
    table = ok(home, "brands", "list").stdout
    assert "小米 OR xiaomi" in table
    assert 'acme OR "acme watch"' in table  # printed as typed, not read as markup
    shown = as_json(home, "brands", "show", "  ACME ")
    assert shown["name"] == "Acme"
    assert shown["description"] == "ours"
    assert shown["reports"] == []
    assert "acme watch" in ok(home, "brands", "show", "acme").stdout

    again = ok(home, "brands", "add", "ACME", "-q", "acme")  # the same brand: replaced
    assert again.stdout.startswith("updated  ACME")
    assert len(as_json(home, "brands", "list")) == 3
    assert as_json(home, "brands", "show", "acme")["created_at"] == shown["created_at"]

    ok(home, "add", "weekly", "--brand", "acme", "--brand", "小米")
    assert as_json(home, "brands", "show", "小米")["reports"] == ["weekly"]
    in_use = refused(run(home, "brands", "remove", "小米"))
    assert in_use == "error: brand '小米' is named by the report(s) weekly: remove it from them first"
    ok(home, "add", "weekly", "--brand", "acme")
    assert ok(home, "brands", "remove", "小米").stdout.strip() == "removed 小米"
    line = refused(run(home, "brands", "show", "小米"))
    assert line == "error: no brand '小米' in workspace 'default' (its brands: 'ACME', 'Acme Pro')"
    assert refused(run(home, "brands", "remove", "小米")).startswith("error: no brand '小米'")


def test_a_brand_with_a_bad_query_is_refused_with_why(home: Path) -> None:
    line = refused(run(home, "brands", "add", "Acme", "--query", "acme AND ("))
    assert line.startswith("error: brand 'Acme': query: invalid query: expected a term")
    assert "Value error" not in line
    blank = refused(run(home, "brands", "add", "  ", "--query", "acme"))
    assert blank == "error: brand ' ': name: a brand needs a name"
    assert as_json(home, "brands", "list") == []


def test_a_report_is_added_listed_shown_replaced_and_removed(home: Path) -> None:
    ok(home, "brands", "add", "Acme", "-q", "acme")
    ok(home, "brands", "add", "小米", "-q", "小米", "--role", "competitor")
    added = ok(
        home,
        *(
            "add",
            "weekly",
            "--title",
            "品牌周报",
            "--brand",
            "ACME",
            "--brand",
            "小米",
            "--period",
            "last-7-days",
        ),
        *("--timezone", "Asia/Shanghai", "--language", "zh", "--format", "pdf", "--format", "xlsx"),
        *("--cron", "0  9 * * 1", "--channel", "brand-team", "--channel", "wecom"),
    )
    assert added.stdout.strip() == "added    weekly  last-7-days  cron 0 9 * * 1"
    ok(home, "add", "daily", "--period", "yesterday", "--every", "1d")
    daily, weekly = as_json(home, "list")
    assert weekly["brands"] == ["Acme", "小米"]  # as the brands are named
    assert (weekly["title"], weekly["timezone"], weekly["language"]) == ("品牌周报", "Asia/Shanghai", "zh")
    assert weekly["formats"] == ["pdf", "xlsx"]
    assert weekly["schedule"]["cron"] == "0 9 * * 1"
    assert weekly["channels"] == ["brand-team", "wecom"]
    assert (daily["name"], daily["schedule"]["every"], daily["formats"]) == (
        "daily",
        86400,
        ["html", "pdf", "csv"],
    )
    assert (daily["timezone"], daily["language"], daily["brands"]) == ("UTC", "en", [])
    table = ok(home, "list").stdout
    assert "every 1d" in table
    assert "(every brand)" in table

    shown = as_json(home, "show", "weekly")
    assert [b["query"] for b in shown["resolved_brands"]] == ["acme", "小米"]
    assert shown["missing_brands"] == []
    assert shown["runs"] == []
    assert "Acme (own): acme" in ok(home, "show", "weekly").stdout

    replaced = ok(home, "add", "weekly", "--brand", "acme")
    assert replaced.stdout.startswith("updated  weekly  last-week  -")
    again = as_json(home, "show", "weekly")
    assert again["created_at"] == shown["created_at"]
    assert again["schedule"] is None

    assert ok(home, "remove", "weekly").stdout.strip() == "removed weekly (its archived runs stay)"
    assert (
        refused(run(home, "show", "weekly"))
        == "error: no report 'weekly' in workspace 'default' (its reports: daily)"
    )
    assert refused(run(home, "remove", "weekly")).startswith("error: no report 'weekly'")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--timezone", "Mars/Base"], "error: report 'weekly': timezone: unknown time zone 'Mars/Base'"),
        (
            ["--cron", "0 0 30 2 *"],
            "error: report 'weekly' schedule: cron: cron expression '0 0 30 2 *' never fires",
        ),
        (["--cron", "61 * * * *"], "error: report 'weekly' schedule: cron: invalid cron expression"),
        (
            ["--cron", "0 9 * * 1", "--every", "1d"],
            "error: report 'weekly': give --cron or --every, not both",
        ),
        (
            ["--every", "30s"],
            "error: report 'weekly' schedule: every: Input should be greater than or equal to 60",
        ),
        (["--period", "2026-03-10..2026-03-01"], "error: report 'weekly': period:"),
        (["--period", "last-fortnight"], "error: report 'weekly': period:"),
        (["--language", "fr"], "error: report 'weekly': language: Input should be 'en' or 'zh'"),
        (
            ["--brand", "nobody"],
            "error: report 'weekly': no brand 'nobody' in the workspace (its brands: 'Acme')",
        ),
        (["--brand", "acme", "--brand", "ACME"], "error: report 'weekly': brands: a brand is named twice"),
    ],
)
def test_a_bad_report_is_refused_in_one_line(home: Path, args: list[str], expected: str) -> None:
    ok(home, "brands", "add", "Acme", "-q", "acme")
    assert refused(run(home, "add", "weekly", *args)).startswith(expected)
    assert as_json(home, "list") == []


def test_a_bad_report_name_is_refused(home: Path) -> None:
    assert refused(run(home, "add", "../etc")).startswith("error: report '../etc': name: String should match")
    assert as_json(home, "list") == []


def test_import_adds_brands_and_reports_then_replaces_them(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "reports.yaml"
    path.write_text(BRANDS_AND_REPORTS, encoding="utf-8")
    first = ok(home, "import", str(path)).stdout.splitlines()
    assert first == [
        "added    brand  Acme  (own)",
        "added    brand  小米  (competitor)",
        "added    brand  Acme Pro  (product_line)",
        "added    report weekly  cron 0 9 * * 1",
        "added    report daily  every 1d",
    ]
    assert [b["name"] for b in as_json(home, "brands", "list")] == ["Acme", "Acme Pro", "小米"]
    weekly = as_json(home, "show", "weekly")
    assert weekly["brands"] == ["Acme", "小米"]
    assert weekly["title"] == "品牌周报"
    second = ok(home, "import", str(path)).stdout.splitlines()
    assert all(line.startswith("updated") for line in second)
    assert as_json(home, "show", "weekly")["created_at"] == weekly["created_at"]


def test_import_refuses_a_file_with_bad_entries_and_names_each(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """\
brands:
  - {name: Acme, query: 'acme AND ('}
  - {name: 小米, query: 小米, role: rival}
  - just a string
reports:
  - {name: weekly, brands: [Acme, Nobody], timezone: Mars/Base}
  - {name: daily, schedule: {cron: "0 0 31 4 *"}}
  - {name: monthly, brands: [Ghost]}
""",
        encoding="utf-8",
    )
    result = run(home, "import", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {path}: brands[0] ('Acme'): query: invalid query:")
    assert lines[1].startswith(f"error: {path}: brands[1] ('小米'): role: Input should be")
    assert lines[2] == f"error: {path}: brands[2]: expected a mapping of fields"
    assert lines[3].startswith(
        f"error: {path}: reports[0] ('weekly'): timezone: unknown time zone 'Mars/Base'"
    )
    assert lines[4].startswith(
        f"error: {path}: reports[1] ('daily'): schedule.cron: cron expression '0 0 31 4 *' never fires"
    )
    assert (
        lines[5]
        == f"error: {path}: reports[2] ('monthly'): brands: no brand 'Ghost' in the file or the workspace"
    )
    assert lines[6] == f"error: {path}: nothing imported"
    assert len(lines) == 7
    assert as_json(home, "brands", "list") == []
    assert as_json(home, "list") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brands: [\n  {name: x", "not YAML"),
        ("- {name: Acme, query: acme}\n", "expected a mapping with 'brands:' and/or 'reports:' lists"),
        ("brand:\n  - {name: Acme, query: acme}\n", "unknown key(s) brand (expected: brands, reports)"),
        ("brands: {name: Acme}\n", "'brands' must be a list"),
        (
            "brands:\n  - {name: Acme, query: a}\n  - {name: ACME, query: b}\n",
            "brand 'acme' is named twice",
        ),
    ],
)
def test_import_refuses_a_file_of_the_wrong_shape(
    home: Path, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(home, "import", str(path))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.splitlines())
    assert as_json(home, "brands", "list") == []


def test_the_archive_lists_built_reports_with_their_files(home: Path) -> None:
    assert "No built reports in workspace default" in ok(home, "archive").stdout
    archive = ReportArchive(Settings(home=home), workspace="default")
    built = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    runs = [
        archive.save(
            ReportData(
                workspace="default",
                name=name,
                title="周报",
                period=resolve_period(period, tz="Asia/Shanghai"),
                interval="day",
                generated_at=built + timedelta(hours=hours),
            ),
            {ReportFormat.html: b"<html></html>", ReportFormat.pdf: b"%PDF"},
        )
        for name, period, hours in (
            ("weekly", "2026-03-02..2026-03-08", 0),
            ("weekly", "2026-03-09..2026-03-15", 24 * 7),
            ("daily", "2026-03-08..2026-03-08", 1),
        )
    ]
    listed = as_json(home, "archive")
    assert [r["id"] for r in listed] == [runs[1].id, runs[2].id, runs[0].id]
    for entry in listed:
        assert set(entry["paths"]) == {"html", "pdf"}
        assert Path(entry["paths"]["pdf"]).read_bytes() == b"%PDF"
        assert Path(entry["paths"]["pdf"]) == archive.file_path(entry["id"], "pdf")
    assert [r["id"] for r in as_json(home, "archive", "weekly", "--limit", "1")] == [runs[1].id]
    table = ok(home, "archive", "daily").stdout
    assert "daily-2026-03-08.pdf" in table
    assert "weekly" not in table
    assert refused(run(home, "archive", "../..")).startswith("error: invalid report name '../..'")


def test_each_workspace_has_its_own_brands_and_reports(home: Path) -> None:
    ok(home, "brands", "add", "Acme", "-q", "acme", "--workspace", "acme")
    ok(home, "add", "weekly", "-w", "acme")
    assert as_json(home, "brands", "list") == []
    assert as_json(home, "list") == []
    assert [b["name"] for b in as_json(home, "brands", "list", "-w", "acme")] == ["Acme"]
    assert [d["name"] for d in as_json(home, "list", "-w", "acme")] == ["weekly"]
