"""The hand labels in nlp/training/labels: well formed, ids only for dataset rows, and resolvable."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from core.errors import DatasetMissing
from nlp.catalog import ASPECT_LABELS, INTENT_LABELS, SENTIMENT_LABELS
from nlp.training.data import resolve_rows

LABELS = resources.files("nlp.training").joinpath("labels")
ROW_ID = re.compile(r"^[a-z0-9_]+\.csv:\d+$")
FILES = ("intents_en.jsonl", "intents_zh.jsonl", "seed_zh_neutral.jsonl", "aspects.jsonl")


def _lines(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELS.joinpath(name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", FILES)
def test_label_files_are_well_formed(name: str) -> None:
    lines = _lines(name)
    ids = [str(item["id"]) for item in lines]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for item in lines:
        if ROW_ID.match(str(item["id"])):
            assert "text" not in item, "dataset rows are referenced by id: their text is never committed"
        else:
            assert isinstance(item["text"], str)
            assert item["text"].strip()
            assert item["lang"] in ("en", "zh")
        if "intents" in item:
            intents = item["intents"]
            assert isinstance(intents, list)
            assert set(intents) <= set(INTENT_LABELS)
            assert intents == sorted(intents)
        if "aspects" in item:
            aspects = item["aspects"]
            assert isinstance(aspects, dict)
            assert set(aspects) <= set(ASPECT_LABELS)
            assert set(aspects.values()) <= {"negative", "neutral", "positive"}
        if "sentiment" in item:
            assert item["sentiment"] in SENTIMENT_LABELS


def test_hand_labels_cover_every_intent_and_aspect() -> None:
    # Resolving the ids needs ../shared/datasets, which a checkout elsewhere lacks: `earful nlp train`
    # resolves them (DatasetMissing names the file); here, what the label files alone say.
    intents = [item for name in ("intents_en.jsonl", "intents_zh.jsonl") for item in _lines(name)]
    assert len(intents) > 700
    for intent in INTENT_LABELS:
        assert sum(intent in item["intents"] for item in intents) >= 40, intent  # type: ignore[operator]
    aspects = _lines("aspects.jsonl")
    for aspect in ASPECT_LABELS:
        assert sum(aspect in item["aspects"] for item in aspects) >= 30, aspect  # type: ignore[operator]
    neutral = _lines("seed_zh_neutral.jsonl")
    assert {item["sentiment"] for item in neutral} == {"neutral"}


def test_a_missing_row_or_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("text,label\nhello,positive\n", encoding="utf-8")
    assert resolve_rows(tmp_path, ["x.csv:0"]) == {"x.csv:0": ("hello", "en")}
    with pytest.raises(DatasetMissing, match="not found"):
        resolve_rows(tmp_path, ["x.csv:5"])
    with pytest.raises(DatasetMissing, match="missing"):
        resolve_rows(tmp_path, ["nowhere.csv:0"])
