"""The vendored browser libraries: exactly the files infra/assets.sh copied at the versions pinned in
api/web/package.json, and no page loads a script or stylesheet from anywhere but /static."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "api" / "web"
VENDOR = WEB / "static" / "vendor"
VERSIONS = json.loads((VENDOR / "VERSIONS.json").read_text())
PINS: dict[str, str] = json.loads((WEB / "package.json").read_text())["dependencies"]

# A script or stylesheet fetched from another origin: <script src=...>, <link href=...>, CSS @import/url().
REMOTE = re.compile(
    r"""<script[^>]*\ssrc=["']?(?:https?:)?//|<link[^>]*\shref=["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    recorded = {name: sha for package in VERSIONS.values() for name, sha in package["files"].items()}
    on_disk = {path.name for path in VENDOR.iterdir()} - {"VERSIONS.json"}
    assert on_disk == set(recorded), "vendor/ and VERSIONS.json list different files: run `make assets`"
    for name, sha in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha, name


def test_vendored_versions_are_the_pinned_ones() -> None:
    assert {package: record["version"] for package, record in VERSIONS.items()} == PINS
    assert {"htmx.org", "htmx-ext-sse", "vega", "vega-lite", "vega-embed"} <= set(PINS)
    for version in PINS.values():  # exact pins: the lock and the vendored files cannot drift apart
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version


def test_the_lockfile_pins_what_package_json_names() -> None:
    lock = json.loads((WEB / "package-lock.json").read_text())["packages"]
    assert lock[""]["dependencies"] == PINS
    for package, version in PINS.items():
        assert lock[f"node_modules/{package}"]["version"] == version, package


def test_vega_embed_accepts_the_pinned_vega_and_vega_lite_majors() -> None:
    lock = json.loads((WEB / "package-lock.json").read_text())["packages"]
    vega_major = PINS["vega"].split(".")[0]
    # vega-lite names the vega it was built against; vega-embed accepts any ("*").
    assert lock["node_modules/vega-lite"]["peerDependencies"]["vega"].lstrip("^~").startswith(vega_major)
    # htmx-ext-sse names htmx.org 2 as a dependency: one copy of htmx, the pinned one, satisfies it.
    assert PINS["htmx.org"].startswith("2.")
    assert lock["node_modules/htmx-ext-sse"]["dependencies"]["htmx.org"].lstrip("^~").startswith("2.")
    assert "node_modules/htmx-ext-sse/node_modules/htmx.org" not in lock


def test_no_template_or_stylesheet_loads_anything_from_another_origin() -> None:
    pages = [*WEB.joinpath("templates").rglob("*.html"), *WEB.joinpath("static").glob("*.css")]
    assert pages, "no templates found"
    offenders = [str(path.relative_to(WEB)) for path in pages if REMOTE.search(path.read_text())]
    assert offenders == []


def test_the_remote_pattern_catches_what_it_should() -> None:
    assert REMOTE.search('<script defer src="https://cdn.example/htmx.js"></script>')
    assert REMOTE.search("<link rel=stylesheet href=//fonts.example/css>")
    assert REMOTE.search("@import url('https://fonts.example/x.css');")
    assert not REMOTE.search('<script defer src="/static/vendor/htmx.min.js?v=1"></script>')
    assert not REMOTE.search('<a href="https://example.org/post">link to a post</a>')
