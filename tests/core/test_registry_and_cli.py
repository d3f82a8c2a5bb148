from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError, NotConfigured
from core.registry import STORES, Registry

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
