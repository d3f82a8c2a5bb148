"""`earful run` over a sources file, and the report it prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from core.errors import ConfigError
from core.models import DEFAULT_WORKSPACE, Rejected
from core.registry import STORES
from core.settings import Settings
from flows.cli.run import listen_cmd, print_report, run_cmd
from flows.listen import ListenReport, SourceReport
from index.backends.sqlite import SQLiteMentionStore
from tests.flows.helpers import MAPPING, REJECTED_LOCATORS, VALID, FlakyStore, write_export

app = typer.Typer()
app.command("run")(run_cmd)
app.command("listen")(listen_cmd)


@app.callback()
def _group() -> None:
    """Sub-commands, as under the `earful` root."""


def _sources_file(tmp_path: Path) -> Path:
    write_export(tmp_path)
    path = tmp_path / "sources.yaml"
    # A relative path: resolved against the sources file, whatever the working directory.
    path.write_text(
        "sources:\n  - name: export\n    type: file\n    path: export.csv\n"
        f"    mapping: {json.dumps(MAPPING)}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("prefect_harness")
def test_run_prints_the_report_as_json_and_exits_0(tmp_path: Path) -> None:
    config = _sources_file(tmp_path)
    result = CliRunner().invoke(
        app, ["run", "--config", str(config), "--home", str(tmp_path / "h"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    (source,) = report["sources"]
    assert (source["indexed"], source["rejected"]) == (VALID, 3)
    assert [r["locator"] for r in source["rejected_samples"]] == REJECTED_LOCATORS
    assert report["totals"]["indexed"] == VALID


@pytest.mark.usefixtures("prefect_harness")
def test_listen_without_follow_is_run(tmp_path: Path) -> None:
    config = _sources_file(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "listen",
            "--config",
            str(config),
            "--home",
            str(tmp_path / "h"),
            "--max-batches",
            "1",
            "--batch-size",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["flow_run_id"]  # the listen flow, under Prefect, as `earful run`
    assert (report["sources"][0]["batches"], report["sources"][0]["indexed"]) == (1, 3)


@pytest.mark.usefixtures("prefect_harness")
def test_run_exits_1_when_a_batch_had_to_be_spooled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARFUL_LISTEN__TASK_RETRY_DELAY", "0")
    STORES.register(
        "cli-down", lambda settings, workspace: FlakyStore(settings, fail_always=True, workspace=workspace)
    )
    config = _sources_file(tmp_path)
    args = ["run", "--config", str(config), "--home", str(tmp_path / "h"), "--store", "cli-down", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert len(report["sources"][0]["spooled"]) == 1
    assert report["sources"][0]["cursor"] is None


@pytest.mark.usefixtures("prefect_harness")
def test_run_listens_for_the_workspace_asked_for_else_the_files(tmp_path: Path) -> None:
    config, home = _sources_file(tmp_path), tmp_path / "h"
    base = ["run", "--config", str(config), "--home", str(home), "--json"]
    result = CliRunner().invoke(app, [*base, "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workspace"] == "acme"
    settings = Settings(home=home)
    with SQLiteMentionStore(settings, workspace="acme") as store:
        assert store.count() == VALID
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == 0

    config.write_text("workspace: beta\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, base)  # no option: the file's workspace
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workspace"] == "beta"
    result = CliRunner().invoke(app, [*base, "-w", "acme"])  # a file of another workspace: nothing runs
    assert isinstance(result.exception, ConfigError)
    assert "the sources file is for workspace 'beta', not 'acme'" in str(result.exception)


def test_run_without_sources_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARFUL_LISTEN__SOURCES_FILE", raising=False)
    result = CliRunner().invoke(app, ["run", "--home", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    assert "--config" in str(result.exception)


def test_print_report_shows_errors_spool_and_rejected_with_where() -> None:
    report = ListenReport(
        store="sqlite",
        sources=[
            SourceReport(
                source="tickets",
                status="failed",
                batches=2,
                fetched=6,
                indexed=3,
                created=3,
                rejected=1,
                rejected_samples=[Rejected(source="tickets", locator="t.csv:7", reason="missing text")],
                spooled=["/spool/tickets--abc.jsonl"],
                cursor="5",
                errors=["StoreUnavailable: down"],
            ),
            SourceReport(source="off", status="disabled", disabled_reason="enabled: false"),
        ],
    )
    console = Console(record=True, width=120)
    print_report(report, console)
    text = console.export_text()
    assert "tickets: StoreUnavailable: down" in text
    assert "batch kept in /spool/tickets--abc.jsonl" in text
    assert "rejected t.csv:7: missing text" in text
    assert "off: disabled (enabled: false)" in text
