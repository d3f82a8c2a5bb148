"""`earful run --config` with a spider source over the demo site (a real subprocess), and
`earful sources status` over the health that run recorded: one record per source per run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from core.models import DEFAULT_WORKSPACE
from crawlers.health import HealthStore
from crawlers.runner import SpiderSource
from demo.site import DemoSite
from flows.cli.run import run_cmd
from flows.cli.sources import sources_app
from tests.flows.helpers import MAPPING, VALID, write_export

app = typer.Typer()
app.command("run")(run_cmd)
app.add_typer(sources_app, name="sources")


@app.callback()
def _group() -> None:
    """Sub-commands, as under the `earful` root."""


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running
    SpiderSource.close_all()


def _sources_file(tmp_path: Path, site: DemoSite) -> Path:
    write_export(tmp_path)
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - name: export\n    type: file\n    path: export.csv\n"
        f"    mapping: {json.dumps(MAPPING)}\n"
        "  - name: site-reviews\n    type: spider\n    spider: reviews\n    profile: demo-reviews\n"
        f"    base_url: {site.url}\n"
        "    crawl: {allowed_hosts: ['127.0.0.1'], autothrottle: false, download_delay: 0}\n"
        "  - name: never\n    type: file\n    path: none.csv\n    enabled: false\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("prefect_harness")
def test_run_crawls_a_spider_source_and_sources_status_shows_each_sources_health(
    tmp_path: Path, site: DemoSite
) -> None:
    config, home = _sources_file(tmp_path, site), tmp_path / "home"
    reviews = sum(1 for item in site.items if item["type"] == "review")
    runner = CliRunner()

    result = runner.invoke(app, ["run", "--config", str(config), "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_name = {s["source"]: s for s in report["sources"]}
    assert by_name["export"]["indexed"] == VALID
    assert by_name["site-reviews"]["status"] == "ok"
    assert by_name["site-reviews"]["indexed"] == reviews > 0
    assert by_name["site-reviews"]["exhausted"] is True
    assert by_name["never"]["status"] == "disabled"
    assert SpiderSource._runs == {}  # the run closed its spider: no subprocess outlives it

    # A second run: the file has nothing new, the spider rests (recrawl_after); each is recorded once.
    again = runner.invoke(app, ["run", "--config", str(config), "--home", str(home), "--json"])
    assert again.exit_code == 0, again.output

    status = runner.invoke(app, ["sources", "status", "--config", str(config), "--home", str(home), "--json"])
    assert status.exit_code == 0, status.output
    rows = {row["source"]: row for row in json.loads(status.stdout)}
    assert list(rows) == ["export", "site-reviews", "never"]
    export, spider, never = rows["export"], rows["site-reviews"], rows["never"]
    assert (export["runs"], export["items_last_run"], export["rejected_total"]) == (2, 0, 3)
    assert export["last_success_at"] is not None
    assert export["errors_total"] == 0
    assert export["freshness_hours"] is not None  # from the newest CSV row's date
    # The spider recorded its own crawl (pages, errors); the flow recorded the resting second run.
    assert spider["runs"] == 2
    assert spider["consecutive_failures"] == 0
    assert (
        HealthStore(home / "health", workspace=DEFAULT_WORKSPACE).get("site-reviews").history[0].items
        == reviews
    )
    assert HealthStore(home / "health", workspace=DEFAULT_WORKSPACE).get("site-reviews").history[0].pages > 0
    assert never["state"] == "never_run"
    assert never["runs"] == 0

    table = runner.invoke(
        app, ["sources", "status", "--config", str(config), "--home", str(home)], env={"COLUMNS": "200"}
    )
    assert table.exit_code == 0, table.output
    for name in ("export", "site-reviews", "never", "never_run"):
        assert name in table.stdout


def test_sources_status_records_a_failed_run_with_its_error(tmp_path: Path) -> None:
    from core.models import Rejected, utcnow
    from flows.listen import SourceReport, _record_health

    health = HealthStore(tmp_path, workspace=DEFAULT_WORKSPACE)
    report = SourceReport(source="broken", status="failed", fetched=2, errors=["SourceUnavailable: HTTP 503"])
    report.add_rejected([Rejected(source="broken", locator="x:1", reason="bad")])
    _record_health(health, "broken", 0, utcnow(), report)
    _record_health(health, "broken", 0, utcnow(), report)  # the source already recorded: not twice
    result = CliRunner().invoke(app, ["sources", "status", "--home", str(tmp_path / "h"), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    (row,) = health.status(["broken"])
    assert (row["state"], row["runs"], row["consecutive_failures"]) == ("failing", 1, 1)
    assert row["last_error"] == "SourceUnavailable: HTTP 503"
    assert row["rejected_total"] == 1


def test_sources_status_shows_one_workspace_the_files_unless_told(tmp_path: Path) -> None:
    from core.errors import ConfigError
    from core.models import utcnow
    from crawlers.health import RunRecord

    home = tmp_path / "h"
    run = RunRecord(started_at=utcnow(), finished_at=utcnow(), ok=True, items=4)
    HealthStore(home / "health", workspace="acme").record("acme-feed", run)
    HealthStore(home / "health", workspace=DEFAULT_WORKSPACE).record("default-feed", run)

    def sources(*args: str) -> list[object]:
        result = CliRunner().invoke(app, ["sources", "status", "--home", str(home), "--json", *args])
        assert result.exit_code == 0, result.output
        return [row["source"] for row in json.loads(result.stdout)]

    assert sources() == sources("--workspace", "default") == ["default-feed"]
    assert sources("--workspace", "acme") == sources("-w", "acme") == ["acme-feed"]
    assert sources("-w", "beta") == []
    config = tmp_path / "acme.yaml"
    config.write_text(
        "workspace: acme\nsources:\n  - name: acme-feed\n    type: file\n    path: feed.csv\n"
        f"    mapping: {json.dumps(MAPPING)}\n",
        encoding="utf-8",
    )
    assert sources("--config", str(config)) == sources("--config", str(config), "-w", "acme") == ["acme-feed"]
    table = CliRunner().invoke(app, ["sources", "status", "--home", str(home), "--config", str(config)])
    assert "Source health (workspace acme)" in table.stdout
    other = CliRunner().invoke(
        app, ["sources", "status", "--home", str(home), "--config", str(config), "-w", "b"]
    )
    assert isinstance(other.exception, ConfigError)
    assert "the sources file is for workspace 'acme', not 'b'" in str(other.exception)
