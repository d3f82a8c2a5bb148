from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from core import cli
from core.errors import ConfigError, NotConfigured
from core.registry import STORES, Registry
from core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def test_builtins_register_through_entry_points() -> None:
    assert {"sqlite", "elasticsearch"} <= set(STORES.names())


def test_unknown_component_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"no earful\.stores component named 'nope'"):
        STORES.load("nope")


def test_not_configured_components_are_disabled_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    registry: Registry[str] = Registry("earful.test")

    def needs_token() -> str:
        raise NotConfigured("token missing")

    registry.register("ok", lambda: "ready")
    registry.register("off", needs_token)
    assert registry.create_enabled(["ok", "off"]) == {"ok": "ready"}
    assert "disabled: token missing" in caplog.text


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    probe = (
        "import sys; from core import cli; cli._register_commands();"
        "from typer.testing import CliRunner; r = CliRunner().invoke(cli.app, ['--help']);"
        "assert r.exit_code == 0, r.output;"
        "heavy = [m for m in ('torch', 'transformers', 'prefect', 'scrapy', 'elasticsearch')"
        " if m in sys.modules];"
        "print(heavy); print(r.output)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    first, _, rest = out.stdout.partition("\n")
    assert first == "[]"
    for command in ("demo", "es", "index", "config"):
        assert command in rest


# --- --workspace, one option on every command that reads or writes stored things ------------------
# The commands that read or write no workspace's data: the cluster, the index schema, the models.
WITHOUT_WORKSPACE = {
    "alerts validate",
    "config",
    "es start",
    "es status",
    "es stop",
    "index migrate",  # moves what predates workspaces into `default`, for the whole index
    "index render-templates",
    "index status",
    "nlp eval",
    "nlp train",
    "serve",  # every workspace: the principal chooses per request
    "users disable",  # a user, a key: of every workspace
    "users enable",
    "users keys list",
    "users keys revoke",
    "users list",
    "users passwd",
    "workspaces list",  # every workspace
}
# A valid command line for each command that takes it; a bad workspace must stop it before it runs.
WITH_WORKSPACE = {
    "alerts ack": ["alerts", "ack", "abcd"],
    "alerts add": ["alerts", "add", "--preset", "vip_complaint", "--owner", "me"],
    "alerts backtest": ["alerts", "backtest", str(ROOT / "pyproject.toml"), "--since", "30d"],
    "alerts channels": ["alerts", "channels"],
    "alerts disable": ["alerts", "disable", "r"],
    "alerts enable": ["alerts", "enable", "r"],
    "alerts list": ["alerts", "list"],
    "alerts remove": ["alerts", "remove", "r"],
    "alerts resolve": ["alerts", "resolve", "abcd"],
    "alerts rules": ["alerts", "rules"],
    "alerts show": ["alerts", "show", "abcd"],
    "alerts snooze": ["alerts", "snooze", "abcd", "--for", "1h"],
    "alerts test": ["alerts", "test", "r"],
    "alerts test-channel": ["alerts", "test-channel", "oncall"],
    "crm cases": ["crm", "cases"],
    "crm case show": ["crm", "case", "show", "abcd"],
    "crm case open": ["crm", "case", "open", "C001", "--title", "late"],
    "crm case assign": ["crm", "case", "assign", "abcd", "li"],
    "crm case status": ["crm", "case", "status", "abcd", "open"],
    "crm case note": ["crm", "case", "note", "abcd", "called back"],
    "crm transfer": ["crm", "transfer", "--from", "a", "--to", "b"],
    "customers cases": ["customers", "cases"],
    "customers case show": ["customers", "case", "show", "abcd"],
    "customers case open": ["customers", "case", "open", "C001", "--title", "late"],
    "customers case assign": ["customers", "case", "assign", "abcd", "li"],
    "customers case status": ["customers", "case", "status", "abcd", "open"],
    "customers case note": ["customers", "case", "note", "abcd", "called back"],
    "customers transfer": ["customers", "transfer", "--from", "a", "--to", "b"],
    "crm import": ["crm", "import", str(ROOT / "pyproject.toml")],
    "crm link-feedback": ["crm", "link-feedback", "m1", "C001", "confirm"],
    "crm remind": ["crm", "remind"],
    "crm scores": ["crm", "scores"],
    "crm show": ["crm", "show", "C001"],
    "crm interaction add": ["crm", "interaction", "add", "C001", "--channel", "phone"],
    "crm timeline": ["crm", "timeline", "C001"],
    "customers import": ["customers", "import", str(ROOT / "pyproject.toml")],
    "customers link-feedback": ["customers", "link-feedback", "m1", "C001", "confirm"],
    "customers remind": ["customers", "remind"],
    "customers scores": ["customers", "scores"],
    "customers show": ["customers", "show", "C001"],
    "customers interaction add": ["customers", "interaction", "add", "C001", "--channel", "phone"],
    "customers timeline": ["customers", "timeline", "C001"],
    "crm duplicates": ["crm", "duplicates"],
    "crm merge": ["crm", "merge", "C001", "C002", "--dry-run"],
    "crm merges": ["crm", "merges"],
    "crm unmerge": ["crm", "unmerge", "mg-1"],
    "customers duplicates": ["customers", "duplicates"],
    "customers merge": ["customers", "merge", "C001", "C002", "--dry-run"],
    "customers merges": ["customers", "merges"],
    "customers unmerge": ["customers", "unmerge", "mg-1"],
    "crm segments": ["crm", "segments"],
    "crm segment add": ["crm", "segment", "add", str(ROOT / "pyproject.toml")],
    "crm segment show": ["crm", "segment", "show", "vip"],
    "crm segment export": ["crm", "segment", "export", "vip", "--out", "vip.csv"],
    "crm segment remove": ["crm", "segment", "remove", "vip"],
    "crm forget": ["crm", "forget", "C001"],
    "crm export": ["crm", "export", "C001"],
    "customers segments": ["customers", "segments"],
    "customers segment add": ["customers", "segment", "add", str(ROOT / "pyproject.toml")],
    "customers segment show": ["customers", "segment", "show", "vip"],
    "customers segment export": ["customers", "segment", "export", "vip", "--out", "vip.csv"],
    "customers segment remove": ["customers", "segment", "remove", "vip"],
    "customers forget": ["customers", "forget", "C001"],
    "customers export": ["customers", "export", "C001"],
    "demo": ["demo"],
    "query check": ["query", "check", "refund"],
    "listen": ["listen", "--follow"],
    "reports add": ["reports", "add", "weekly"],
    "reports archive": ["reports", "archive"],
    "reports brands add": ["reports", "brands", "add", "Acme", "--query", "acme"],
    "reports brands list": ["reports", "brands", "list"],
    "reports brands remove": ["reports", "brands", "remove", "Acme"],
    "reports brands show": ["reports", "brands", "show", "Acme"],
    "reports import": ["reports", "import", str(ROOT / "pyproject.toml")],
    "reports list": ["reports", "list"],
    "reports remove": ["reports", "remove", "weekly"],
    "reports run": ["reports", "run", "weekly"],
    "reports show": ["reports", "show", "weekly"],
    "run": ["run"],
    "search": ["search", "refund"],
    "sources status": ["sources", "status"],
    "users add": ["users", "add", "ana", "--role", "admin", "--password-stdin"],
    "users grant": ["users", "grant", "ana", "--role", "viewer"],
    "users revoke": ["users", "revoke", "ana"],
    "users keys create": ["users", "keys", "create", "bot", "--role", "viewer"],
}


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The `earful` root with its commands registered once in this process, in an empty home."""
    if not cli.app.registered_groups:
        cli._register_commands()
    monkeypatch.setattr(cli, "_register_commands", lambda: None)  # main() must not register them twice
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.delenv("EARFUL_WORKSPACE", raising=False)
    get_settings.cache_clear()
    yield typer.main.get_command(cli.app)
    get_settings.cache_clear()


def _leaves(group: Any, prefix: str = "") -> dict[str, Any]:
    """The commands under `group` by their full name (Typer's own click: duck-typed)."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_leaves(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_command_on_stored_data_takes_the_one_workspace_option(root: Any) -> None:
    leaves = _leaves(root)
    with_option = set()
    for name, command in leaves.items():
        options = [p for p in command.params if "--workspace" in p.opts]
        if options:
            (option,) = options
            assert (option.opts, option.envvar) == (["--workspace", "-w"], "EARFUL_WORKSPACE"), name
            with_option.add(name)
    assert with_option == set(WITH_WORKSPACE)
    assert set(leaves) - with_option == WITHOUT_WORKSPACE  # a new command chooses, and says so here


@pytest.mark.parametrize("command", sorted(WITH_WORKSPACE))
def test_a_bad_workspace_is_one_json_line_and_exit_2(
    command: str, root: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, env in (
        ([*WITH_WORKSPACE[command], "--workspace", "Acme"], None),
        (WITH_WORKSPACE[command], "a b"),
    ):
        if env is not None:
            monkeypatch.setenv("EARFUL_WORKSPACE", env)
        monkeypatch.setattr(sys, "argv", ["earful", *argv])
        with pytest.raises(SystemExit) as exit:
            cli.main()
        assert exit.value.code == 2
        out, err = capsys.readouterr()
        (line,) = err.splitlines()
        error = json.loads(line)["error"]
        assert error["code"] == "invalid_input"
        assert error["message"].startswith("--workspace (EARFUL_WORKSPACE): invalid workspace id")
        assert out == ""
