"""The sources file: validated, names unique, relative paths resolved against the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from flows.sources_config import SourcesConfig


def test_load_keeps_type_specific_options_and_resolves_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n"
        "  - name: tickets\n    type: file\n    path: exports/t.csv\n"
        "    mapping: {native_id: id, text: body}\n"
        "  - name: site\n    type: demo\n    enabled: false\n    url: http://127.0.0.1:1/\n",
        encoding="utf-8",
    )
    config = SourcesConfig.load(tmp_path / "sources.yaml")
    tickets, site = config.sources
    assert tickets.options == {
        "path": str(tmp_path / "exports" / "t.csv"),
        "mapping": {"native_id": "id", "text": "body"},
    }
    assert site.options == {"url": "http://127.0.0.1:1/"}  # URLs are not paths
    assert [s.name for s in config.enabled] == ["tickets"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [{name: a, type: file}, {name: a, type: file}]", "appears twice"),
        ("sources: [{name: 'a b', type: file}]", "letters, digits"),
        ("sources: [{name: a}]", "type"),
        ("sources: [", "not valid YAML"),
        ("- just a list", "must be a mapping"),
        ("sources: []\nother: 1", "other"),
    ],
)
def test_invalid_files_are_config_errors_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        SourcesConfig.load(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        SourcesConfig.load(tmp_path / "nope.yaml")


def test_a_sources_file_may_name_its_workspace(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("workspace: acme\nsources:\n  - {name: t, type: file, path: t.csv}\n", encoding="utf-8")
    config = SourcesConfig.load(path)
    assert config.workspace == "acme"  # kept through the path resolution
    assert config.sources[0].options["path"] == str(tmp_path / "t.csv")
    assert config.workspace_for() == config.workspace_for("acme") == "acme"
    with pytest.raises(ConfigError, match="acme"):
        config.workspace_for("other")
    unnamed = SourcesConfig.model_validate({"sources": []})
    assert unnamed.workspace is None  # the shape before workspaces: whichever the run is for
    assert unnamed.workspace_for() == "default"
    assert unnamed.workspace_for("other") == "other"
    path.write_text("workspace: Not/A/Workspace\nsources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="workspace"):
        SourcesConfig.load(path)
