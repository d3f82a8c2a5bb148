"""The wheel, as `pip install earful` would get it: what ships (the provisioning module, the demo's data,
the replicas and their profiles, every command's module) and what does not (tests, infra/, bench/), and
`earful es` running from it, away from the source checkout."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a build does not read: the rest of the checkout (tests/fixtures alone are tens of MB).
NOT_BUILT = ("tests", "bench", ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")

pytestmark = pytest.mark.slow  # a real setuptools build: a few seconds


@pytest.fixture(scope="module")
def wheel() -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="earful-wheel-test-"))
    try:
        src, out = work / "src", work / "dist"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*NOT_BUILT))
        build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
        subprocess.run(
            [sys.executable, "-c", build, str(out)], cwd=src, check=True, capture_output=True, timeout=300
        )
        (path,) = out.glob("earful-*.whl")
        yield path
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_wheel_ships_the_code_and_its_data_not_the_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "index/esnode.py",  # `earful es` provisions from it
        "demo/site/data/items.jsonl",
        "demo/site/data/customers.csv",
        "crawlers/profiles/demo-reviews.yaml",
        "crawlers/testing/replicas/apis.py",  # `earful demo` replays the Hacker News replica
        "crawlers/testing/replicas/reviews.yaml",
        "crm/customer360.py",
        "nlp/weights/heads.safetensors",
        "api/web/templates/base.html",  # the web UI renders from the package, not the checkout
        "api/web/static/earful.css",
        "api/web/static/earful.js",
        "api/web/static/favicon.svg",
        "api/web/static/vendor/htmx.min.js",
        "api/web/static/vendor/vega-embed.min.js",
        "api/web/static/vendor/VERSIONS.json",
        "api/web/static/vendor/vega.LICENSE.txt",
    ):
        assert shipped in names, shipped
    for package in ("core", "crawlers", "nlp", "index", "crm", "alerts", "reports", "flows", "demo", "api"):
        assert f"{package}/py.typed" in names, package
    assert not [n for n in names if n.split("/")[0] in ("tests", "infra", "bench")]


def test_every_entry_point_resolves_to_a_module_in_the_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (entry_points_file,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(zf.read(entry_points_file).decode())
    groups = {g for g in parser.sections() if g.startswith("earful.")} | {"console_scripts"}
    targets = {parser[g][name].split(":")[0] for g in groups for name in parser[g]}
    assert {"demo.source", "demo.cli", "crm.cli", "index.cli.es", "flows.cli.run"} <= targets
    for module in targets:
        path = module.replace(".", "/")
        assert {f"{path}.py", f"{path}/__init__.py"} & names, module


def test_earful_es_runs_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "es-data"
    empty.mkdir()
    # The unpacked wheel comes first on the path, and the working directory is not the checkout: `index`
    # and its esnode module are the wheel's, as in an installed package.
    probe = (
        "import sys, index.esnode as esnode;"
        "assert esnode.__file__.startswith(sys.argv[1]), esnode.__file__;"
        "from core.cli import main; sys.argv = ['earful', 'es', 'status']; main()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARFUL_")}
    env |= {"PYTHONPATH": str(site), "EARFUL_HOME": str(tmp_path), "EARFUL_ES_NODE__DATA_DIR": str(empty)}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr  # esnode's "not running"
    assert f"no cluster in {empty}" in (result.stdout + result.stderr).lower()
