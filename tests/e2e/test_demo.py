"""`earful demo` as a newcomer runs it: the installed command, a fresh home, no configuration, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings
from index.backends.sqlite import SQLiteMentionStore

EARFUL = Path(sys.executable).with_name("earful")
pytestmark = pytest.mark.slow


def _run_demo(home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EARFUL_", "PREFECT_"))}
    env["COLUMNS"] = "200"  # rich wraps to the terminal width; keep lines whole for the assertions
    return subprocess.run(
        [str(EARFUL), "demo", "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_demo_indexes_the_site_and_shows_what_it_indexed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run_demo(home)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in out + done.stderr

    indexed = re.search(r"^(\d+) mentions in the sqlite store", out, re.MULTILINE)
    assert indexed is not None, out
    assert int(indexed.group(1)) >= 200
    for title in ("By source", "By language", "By sentiment", "By platform", "Top intents"):
        assert title in out
    rejected = re.search(r"Rejected input \((\d+)\)", out)
    assert rejected is not None
    assert int(rejected.group(1)) >= 1
    assert "unparseable created_at" in out  # the demo site's malformed item, with its reason
    # The review spider (a subprocess) and the replayed Hacker News API indexed items too; the
    # replica's broken item is reported with where and why.
    for source in ("demo-site", "demo-reviews", "hn-replay"):
        row = re.search(rf"^\s*{source}\s+ok\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out, re.MULTILINE)
        assert row is not None, out
        assert int(row.group(3)) > 0, row.group(0)  # indexed
    assert re.search(r"hn-replay: rejected hackernews .*missing field 'author'", out), out
    assert re.search(r"Done in [\d.]+s", out)
    english = re.search(r"Sample search \(English\): '[^']+': (\d+) mentions, top 3", out)
    chinese = re.search(r"Sample search \(Chinese\): '[^']+': (\d+) mentions, top 3", out)
    assert english is not None, out
    assert chinese is not None, out
    assert f"EARFUL_HOME={home}" in out  # how to query further, pointing at this home
    assert re.search(r"Done in [\d.]+s, of which Prefect start-up", out)

    # What the output says is what the store holds.
    with SQLiteMentionStore(Settings(home=home)) as store:
        assert store.count() == int(indexed.group(1))
        langs = {b.key for b in store.terms("lang")}
        assert {"en", "zh"} <= langs
        for source in ("demo-site", "demo-reviews", "hn-replay"):
            assert store.load_cursor(source) is not None
        assert {"demo", "web", "hackernews"} <= {b.key for b in store.terms("platform")}
    assert sorted(p.stem for p in (home / "health").glob("*.json")) == [
        "demo-reviews",
        "demo-site",
        "hn-replay",
    ]

    # Again on the same home: nothing new is fetched (cursor), nothing doubles, the tables are the same.
    again = _run_demo(home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(rf"^{indexed.group(1)} mentions in the sqlite store", again.stdout, re.MULTILINE)
    with SQLiteMentionStore(Settings(home=home)) as store:
        assert store.count() == int(indexed.group(1))
