"""The hand labels in nlp/training/labels: well formed, ids only for dataset rows, and resolvable."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from core.errors import DatasetMissing
from nlp.catalog import ASPECT_LABELS, INTENT_LABELS, SENTIMENT_LABELS, datasets_dir
from nlp.training.data import aspect_examples, gold_intent_examples, is_dev, resolve_rows, written_examples

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


def test_hand_labels_resolve_against_the_datasets() -> None:
    data = datasets_dir()
    gold = gold_intent_examples(data)
    assert len(gold) > 700
    assert {e.lang for e in gold} == {"en", "zh"}
    dev = [e for e in gold if is_dev(e.text)]
    for intent in ("purchase_intent", "churn_risk", "bug_report", "feature_request"):
        assert sum(e.intents[intent] for e in dev) >= 25, f"too few held-out {intent} rows"
    aspects = aspect_examples(data)
    assert sum(":" in a.id and is_dev(a.text) for a in aspects) >= 200
    assert {e.sentiment for e in written_examples("seed_zh_neutral.jsonl")} == {
        SENTIMENT_LABELS.index("neutral")
    }


def test_a_missing_row_or_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("text,label\nhello,positive\n", encoding="utf-8")
    assert resolve_rows(tmp_path, ["x.csv:0"]) == {"x.csv:0": ("hello", "en")}
    with pytest.raises(DatasetMissing, match="not found"):
        resolve_rows(tmp_path, ["x.csv:5"])
    with pytest.raises(DatasetMissing, match="missing"):
        resolve_rows(tmp_path, ["nowhere.csv:0"])
