"""`earful nlp eval`: metric arithmetic with a fake scorer, file reading, and one run on real weights."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import InvalidInput
from nlp.cli import nlp_app
from nlp.eval import TextScores, evaluate_scorer, parse_label_map, read_rows


class FakeScorer:
    """Scores by keyword so the expected metrics can be worked out by hand."""

    def score_texts(self, texts: Sequence[str], *, lang_hint: str | None = None) -> list[TextScores]:
        out = []
        for text in texts:
            if text.startswith("fr:"):
                out.append(TextScores(sentiment=None))
                continue
            sentiment: Mapping[str, float]
            if "good" in text:
                sentiment = {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
            elif "bad" in text:
                sentiment = {"negative": 0.6, "neutral": 0.3, "positive": 0.1}
            else:  # neutral wins overall, but positive beats negative when neutral is excluded
                sentiment = {"negative": 0.2, "neutral": 0.45, "positive": 0.35}
            intents = {"complaint": 0.9 if "bad" in text else 0.1, "question": 0.8 if "?" in text else 0.2}
            out.append(TextScores(sentiment=sentiment, intents=intents))
        return out


def test_sentiment_metrics_by_hand() -> None:
    texts = ["good", "bad", "meh", "good", "fr: bon"]
    gold = ["positive", "negative", "positive", "negative", "positive"]
    result = evaluate_scorer("sentiment", texts, gold, FakeScorer())
    # predictions: positive, negative, neutral, positive, unscored -> 2 of 5 right
    assert result["n"] == 5
    assert result["accuracy"] == 0.4
    assert result["per_class"]["positive"] == {"precision": 0.5, "recall": 0.3333, "f1": 0.4, "support": 3}
    assert result["per_class"]["negative"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["per_class"]["neutral"]["support"] == 0
    assert result["macro_recall"] == round((1 / 3 + 0.5 + 0) / 3, 4)
    # restricted to the labels present (negative, positive): "meh" becomes positive
    restricted = evaluate_scorer("sentiment", texts, gold, FakeScorer(), restrict_to_labels=True)
    assert set(restricted["per_class"]) == {"negative", "positive"}
    assert restricted["accuracy"] == 0.6
    assert restricted["macro_f1"] == round((0.6667 + 2 * 0.6667 * 0.6667 / (0.6667 + 0.6667)) / 2, 4)


def test_label_map_and_complaint() -> None:
    assert parse_label_map("1=positive, 0=negative") == {"1": "positive", "0": "negative"}
    with pytest.raises(InvalidInput):
        parse_label_map("1:positive")
    mapped = evaluate_scorer(
        "sentiment", ["good", "bad"], ["1", "0"], FakeScorer(), label_map={"1": "positive", "0": "negative"}
    )
    assert mapped["accuracy"] == 1.0
    result = evaluate_scorer("complaint", ["bad", "bad", "good", "good"], ["1", "0", "0", "1"], FakeScorer())
    assert result["accuracy"] == 0.5
    assert result["per_class"]["1"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    with pytest.raises(InvalidInput, match="1/0"):
        evaluate_scorer("complaint", ["bad"], ["maybe"], FakeScorer())


def test_intent_multilabel() -> None:
    texts = ["bad?", "good", "bad"]
    gold = [["complaint", "question"], [], ["question"]]
    result = evaluate_scorer("intent", texts, gold, FakeScorer(), restrict_to_labels=True)
    assert set(result["per_class"]) == {"complaint", "question"}
    assert result["accuracy"] == round(2 / 3, 4)  # exact match: rows 1 and 2
    assert result["per_class"]["question"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result["per_class"]["complaint"]["precision"] == 0.5
    full = evaluate_scorer("intent", texts, gold, FakeScorer())
    assert len(full["per_class"]) == 7
    with pytest.raises(InvalidInput, match="unknown intent"):
        evaluate_scorer("intent", ["x"], [["nonsense"]], FakeScorer())


def test_read_rows_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "d.csv"
    csv_file.write_text('text,label\n"hello, world",1\nbye,0\n', encoding="utf-8")
    assert read_rows(csv_file, "text", "label") == [("hello, world", "1"), ("bye", "0")]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text('{"t": "a?", "y": ["question"]}\n\n{"t": "b", "y": []}\n', encoding="utf-8")
    assert read_rows(jsonl, "t", "y") == [("a?", ["question"]), ("b", [])]
    with pytest.raises(InvalidInput, match="no column"):
        read_rows(csv_file, "body", "label")


def test_cli_reports_bad_columns_without_loading_a_model(tmp_path: Path) -> None:
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("text,label\nhi,1\n", encoding="utf-8")
    args = [
        "eval",
        "--task",
        "sentiment",
        "--data",
        str(csv_file),
        "--text-col",
        "body",
        "--label-col",
        "label",
    ]
    result = CliRunner().invoke(nlp_app, args)
    assert result.exit_code == 2
    assert "no column" in result.output


@pytest.mark.model
def test_cli_on_real_weights(tmp_path: Path) -> None:
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text(
        "review,stars\n"
        "I love it. Best purchase this year!,1\n"
        "Broke after two days and support never answered.,0\n"
        "质量很好，非常满意。,1\n"
        "太差了，再也不买了。,0\n",
        encoding="utf-8",
    )
    args = [
        "eval",
        "--task",
        "sentiment",
        "--data",
        str(csv_file),
        "--text-col",
        "review",
        "--label-col",
        "stars",
        "--label-map",
        "1=positive,0=negative",
        "--restrict-to-labels",
    ]
    result = CliRunner().invoke(nlp_app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["n"] == 4
    assert set(report) == {"n", "accuracy", "macro_f1", "macro_recall", "per_class"}
    assert set(report["per_class"]) == {"negative", "positive"}
    assert report["accuracy"] == 1.0
    jsonl = tmp_path / "intents.jsonl"
    jsonl.write_text(
        json.dumps(
            {"text": "The app crashes whenever I log in, fix it!", "labels": ["complaint", "bug_report"]}
        )
        + "\n"
        + json.dumps({"text": "What time do you open on Sunday?", "labels": ["question"]})
        + "\n",
        encoding="utf-8",
    )
    args = ["eval", "--task", "intent", "--data", str(jsonl), "--text-col", "text", "--label-col", "labels"]
    result = CliRunner().invoke(nlp_app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["n"] == 2
    assert report["per_class"]["question"]["support"] == 1
