"""Evaluation: read a labelled CSV/JSONL, score it with a model, report metrics as one JSON object.

Tasks:
- sentiment: gold labels negative/neutral/positive (after --label-map); prediction = argmax of the
  sentiment probabilities, over the labels present in the gold data with `restrict_to_labels`;
- complaint: gold 1/0; prediction = complaint intent probability >= the tagger's INTENT_THRESHOLD (0.7);
- intent: gold is a list of intent labels per row (JSONL, or a JSON list / comma-separated in CSV);
  prediction = intents with probability >= INTENT_THRESHOLD. Accuracy is exact match of the label sets,
  per-class figures are per intent label (all labels, or only those present in the gold data when restricted).
Texts whose language the model does not score count as predicting `unscored` (wrong), not skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from core.errors import InvalidInput
from nlp.catalog import INTENT_LABELS, INTENT_THRESHOLD, SENTIMENT_LABELS

Task = Literal["sentiment", "complaint", "intent"]
THRESHOLD = INTENT_THRESHOLD
UNSCORED = "unscored"


@dataclass(frozen=True, slots=True)
class TextScores:
    """Probabilities a model gives one text; `sentiment` is None when the language is not scored."""

    sentiment: Mapping[str, float] | None
    intents: Mapping[str, float] = field(default_factory=dict)


class Scorer(Protocol):
    def score_texts(self, texts: Sequence[str], *, lang_hint: str | None = None) -> list[TextScores]: ...


def parse_label_map(spec: str | None) -> dict[str, str]:
    """'1=positive,0=negative' -> {'1': 'positive', '0': 'negative'}."""
    if not spec:
        return {}
    out: dict[str, str] = {}
    for part in spec.split(","):
        if "=" not in part:
            raise InvalidInput(f"--label-map entry {part!r} is not FROM=TO")
        src, dst = part.split("=", 1)
        out[src.strip()] = dst.strip()
    return out


def read_rows(path: Path, text_col: str, label_col: str) -> list[tuple[str, Any]]:
    """(text, raw label) pairs from a CSV or JSONL file (by extension: .jsonl/.json -> JSONL)."""
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    rows: list[tuple[str, Any]] = []
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                item = json.loads(line)
                if text_col not in item or label_col not in item:
                    raise InvalidInput(f"{path}:{number}: needs keys {text_col!r} and {label_col!r}")
                rows.append((str(item[text_col] or ""), item[label_col]))
        return rows
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        for col in (text_col, label_col):
            if col not in (reader.fieldnames or ()):
                raise InvalidInput(f"{path}: no column {col!r} (columns: {reader.fieldnames})")
        for row in reader:
            rows.append((row[text_col] or "", row[label_col]))
    return rows


def _intent_list(raw: Any, label_map: Mapping[str, str]) -> frozenset[str]:
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.strip().startswith("[") else [p for p in raw.split(",") if p.strip()]
    if not isinstance(raw, list):
        raise InvalidInput(f"intent labels must be a list, got {raw!r}")
    labels = frozenset(label_map.get(str(x).strip(), str(x).strip()) for x in raw)
    unknown = labels - set(INTENT_LABELS)
    if unknown:
        raise InvalidInput(f"unknown intent labels {sorted(unknown)}; known: {list(INTENT_LABELS)}")
    return labels


def metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Single-label metrics; macro figures average over `labels`."""
    n = len(gold)
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        per_class[label] = _prf(tp, fp, fn)
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    return _summary(n, correct / n if n else 0.0, per_class)


def multilabel_metrics(
    gold: Sequence[frozenset[str]], pred: Sequence[frozenset[str]], labels: Sequence[str]
) -> dict[str, Any]:
    n = len(gold)
    per_class = {}
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, pred, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, pred, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, pred, strict=True))
        per_class[label] = _prf(tp, fp, fn)
    scope = set(labels)
    correct = sum((g & scope) == (p & scope) for g, p in zip(gold, pred, strict=True))
    return _summary(n, correct / n if n else 0.0, per_class)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def _summary(n: int, accuracy: float, per_class: dict[str, dict[str, float | int]]) -> dict[str, Any]:
    k = len(per_class) or 1
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "macro_f1": round(sum(float(c["f1"]) for c in per_class.values()) / k, 4),
        "macro_recall": round(sum(float(c["recall"]) for c in per_class.values()) / k, 4),
        "per_class": per_class,
    }


def evaluate_scorer(
    task: Task,
    texts: Sequence[str],
    raw_labels: Sequence[Any],
    scorer: Scorer,
    *,
    label_map: Mapping[str, str] | None = None,
    restrict_to_labels: bool = False,
    lang_hint: str | None = None,
) -> dict[str, Any]:
    """Score the labelled `texts` with `scorer` and compare with the gold labels: `task`'s metrics."""
    label_map = label_map or {}
    scores = scorer.score_texts(texts, lang_hint=lang_hint)
    if task == "sentiment":
        gold = [label_map.get(str(r).strip(), str(r).strip()) for r in raw_labels]
        unknown = set(gold) - set(SENTIMENT_LABELS)
        if unknown:
            raise InvalidInput(f"unknown sentiment labels {sorted(unknown)}: use --label-map")
        present = [s for s in SENTIMENT_LABELS if s in set(gold)]
        allowed = present if restrict_to_labels else list(SENTIMENT_LABELS)
        pred = [UNSCORED if s.sentiment is None else _argmax(s.sentiment, allowed) for s in scores]
        return metrics(gold, pred, allowed)
    if task == "complaint":
        gold = [_binary(label_map.get(str(r).strip(), str(r).strip())) for r in raw_labels]
        pred = [str(int(s.intents.get("complaint", 0.0) >= THRESHOLD)) for s in scores]
        return metrics(gold, pred, ["1", "0"])
    if task == "intent":
        gold_sets = [_intent_list(r, label_map) for r in raw_labels]
        present = [label for label in INTENT_LABELS if any(label in g for g in gold_sets)]
        labels = present if restrict_to_labels else list(INTENT_LABELS)
        pred_sets = [frozenset(k for k, v in s.intents.items() if v >= THRESHOLD) for s in scores]
        return multilabel_metrics(gold_sets, pred_sets, labels)
    raise InvalidInput(f"unknown task {task!r}: sentiment, complaint or intent")


def _argmax(probabilities: Mapping[str, float], allowed: Sequence[str]) -> str:
    return max(allowed, key=lambda label: probabilities[label])


def _binary(value: str) -> str:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "1.0"):
        return "1"
    if lowered in ("0", "false", "no", "0.0"):
        return "0"
    raise InvalidInput(f"complaint labels must be 1/0, got {value!r}")
