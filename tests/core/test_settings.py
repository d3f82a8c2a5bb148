from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from core.cli import settings_markdown
from core.settings import Settings, iter_documented_fields


def _walk(model: type[BaseModel]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for name, field in model.model_fields.items():
        out.append((f"{model.__name__}.{name}", field.description))
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out.extend(_walk(field.annotation))
    return out


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, description in _walk(Settings) if not description]
    assert undocumented == []


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "elasticsearch")
    monkeypatch.setenv("EARFUL_ELASTICSEARCH__HOSTS", '["http://10.0.0.1:9200","http://10.0.0.2:9200"]')
    monkeypatch.setenv("EARFUL_ELASTICSEARCH__API_KEY", "c2VjcmV0")
    monkeypatch.setenv("EARFUL_LISTEN__BATCH_SIZE", "250")
    monkeypatch.setenv("EARFUL_LISTEN__POLL_INTERVAL", "5m")  # durations as people write them
    monkeypatch.setenv("EARFUL_LISTEN__FLUSH_AGE", "250ms")
    monkeypatch.setenv("EARFUL_LISTEN__FOLLOW_FOR", "90")
    settings = Settings()
    assert (settings.listen.poll_interval, settings.listen.flush_age) == (300.0, 0.25)
    assert settings.listen.follow_for == 90.0
    assert settings.store.backend == "elasticsearch"
    assert settings.elasticsearch.hosts == ["http://10.0.0.1:9200", "http://10.0.0.2:9200"]
    assert settings.elasticsearch.api_key is not None
    assert settings.elasticsearch.api_key.get_secret_value() == "c2VjcmV0"
    assert "c2VjcmV0" not in repr(settings)
    assert settings.listen.batch_size == 250
    assert settings.sqlite_path == tmp_path / "earful.db"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARFUL_LISTEN__BATCH_SIZE", "0")
    with pytest.raises(ValidationError, match="batch_size"):
        Settings()


def test_readme_configuration_reference_is_current() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert settings_markdown() in readme, "run `earful config --markdown` and paste it into README.md"
    assert len(iter_documented_fields()) == readme.count("| `EARFUL_")


def test_every_section_derives_from_the_one_base() -> None:
    from core.settings import Section

    def sections(model: type[BaseModel]) -> list[type[BaseModel]]:
        found: list[type[BaseModel]] = []
        for field in model.model_fields.values():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                found += [field.annotation, *sections(field.annotation)]
        return found

    nested = sections(Settings)
    assert len(nested) > 10
    assert [s.__name__ for s in nested if not issubclass(s, Section)] == []
