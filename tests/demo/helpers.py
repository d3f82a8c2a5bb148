"""Running `earful demo` as a newcomer does (the installed command, a fresh home, no configuration) and
reading what it prints; shared by the demo's tests here and tests/e2e."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EARFUL = Path(sys.executable).with_name("earful")
_DELIVERED = re.compile(
    r"Alerts delivered to the demo-webhook webhook: (\d+) \((\d+) in this run, (\d+) in an"
)


def run_demo_cli(home: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EARFUL_", "PREFECT_"))}
    env["COLUMNS"] = "200"  # rich wraps to the terminal width; keep lines whole for the assertions
    return subprocess.run(
        [str(EARFUL), "demo", "--home", str(home), *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def demo_alerts(out: str) -> tuple[int, int, int]:
    """(delivered, in this run, in an earlier run), as the demo's alert headline says."""
    found = _DELIVERED.search(out)
    assert found is not None, out
    total, now, earlier = (int(n) for n in found.groups())
    return total, now, earlier
