"""Where things go (DESIGN.md): commands in each package's cli module, and nothing that only tests need
at run time. import-linter checks the layers and cycles (`make lint`)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {
    "alerts",
    "crm",
    "customers",
    "demo",
    "es",
    "index",
    "listen",
    "nlp",
    "query",
    "reports",
    "run",
    "search",
    "serve",
    "sources",
    "users",
    "workspaces",
}


def test_every_command_lives_in_its_packages_cli() -> None:
    commands = {ep.name: ep.value.split(":")[0] for ep in entry_points(group="earful.commands")}
    assert set(commands) == COMMANDS  # the names users type did not change with the layout
    for name, module in commands.items():
        package, _, rest = module.partition(".")
        assert rest == "cli" or rest.startswith("cli."), f"{name}: {module} is not {package}.cli"


def test_the_demo_runs_without_test_dependencies() -> None:
    # `earful demo` replays a platform API from crawlers.testing.replicas; an installed Earful has no pytest.
    probe = (
        "import sys, demo.cli, demo.run, demo.source, demo.site, crawlers.testing.replicas.apis;"
        "assert 'pytest' not in sys.modules, 'pytest imported at run time'"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=ROOT)
