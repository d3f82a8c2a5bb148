"""Training and dev examples from ../shared/datasets (never committed) plus our own seed set.

Row ids are ``<file>:<row>`` (0-based data row; the airline file's tweet ids were mangled into floats
by a spreadsheet, so they are not unique). The dev split is ours: a row is dev when the first 4 bytes
of sha1(text) read as an integer fall under 15% of 2^32, so a text lands on the same side whatever file
it comes from and whatever the sample size.

Weak labels (documented in the model card):
- complaint: complaints_tweets `is_complaint`; airline negative with a `negativereason` other than
  "Can't Tell" -> 1, airline positive/neutral -> 0; Chinese review datasets: negative review -> 1,
  positive -> 0 (a negative product/hotel/delivery review is a complaint about it).
- praise: airline/crowdflower positive with confidence >= 0.8 -> 1, negative -> 0; Chinese positive
  review -> 1, negative -> 0.
- question: a text ending in a question mark (or 吗/呢 before it) -> 1, else 0 (weak, rule-based).
- purchase_intent, churn_risk, bug_report, feature_request: 0 for dataset rows (rare there), 1 only
  from the hand labels in ``labels/`` (sentences we wrote, and rows judged by hand, keyed by row id).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from core.errors import DatasetMissing
from nlp.catalog import INTENT_LABELS, SENTIMENT_LABELS

DEV_FRACTION = 0.15
DEFAULT_DATA_DIR = Path("../shared/datasets")
_QUESTION_RE = re.compile(r"[?？]\s*(?:[@#]\S+\s*)*$|[吗呢][?？。!！\s]*$")
_RARE_INTENTS = ("purchase_intent", "churn_risk", "bug_report", "feature_request")
_NEG, _NEU, _POS = (SENTIMENT_LABELS.index(s) for s in ("negative", "neutral", "positive"))


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    lang: str
    source: str
    sentiment: int | None = None  # index into SENTIMENT_LABELS; None = unknown
    intents: dict[str, int] = field(default_factory=dict)  # known intent labels only (0/1)
    aspects: frozenset[str] | None = None  # hand-labelled aspects present; None = keyword weak labels


def is_dev(text: str) -> bool:
    digest = hashlib.sha1(text.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") < DEV_FRACTION * 2**32


def _question(text: str) -> int:
    return int(bool(_QUESTION_RE.search(text.strip())))


def dataset_rows(data_dir: Path, name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of one labelled file that have a value in the first of `columns`, with their number
    (from 0, the id that hand labels use); DatasetMissing names the file or column that is missing."""
    path = data_dir / name
    if not path.is_file():
        raise DatasetMissing(
            f"training data file {path} is missing: put the labelled datasets in {data_dir} "
            "(see ../shared/datasets/README.md) or pass --data-dir"
        )
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise DatasetMissing(f"{path}: expected columns {missing} (found {reader.fieldnames})")
        for number, row in enumerate(reader):
            if row.get(columns[0]) is not None:
                yield number, row


def _intents(**known: int) -> dict[str, int]:
    out = dict.fromkeys(_RARE_INTENTS, 0)
    out.update(known)
    return out


def airline(data_dir: Path) -> Iterator[Example]:
    name = "airline_tweets.csv"
    for number, row in dataset_rows(data_dir, name, ("text", "airline_sentiment", "negativereason")):
        label = row["airline_sentiment"]
        confidence = float(row.get("airline_sentiment_confidence") or 0)
        known = {"question": _question(row["text"])}
        if label == "negative":
            if row["negativereason"] and row["negativereason"] != "Can't Tell":
                known["complaint"] = 1
            known["praise"] = 0
        else:
            known["complaint"] = 0
            if label == "positive" and confidence >= 0.8:
                known["praise"] = 1
        sentiment = SENTIMENT_LABELS.index(label)
        yield Example(f"{name}:{number}", row["text"], "en", name, sentiment, _intents(**known))


def sentiment_tweets(data_dir: Path, name: str, min_confidence: float = 0.0) -> Iterator[Example]:
    for number, row in dataset_rows(data_dir, name, ("text", "label")):
        if row["label"] not in SENTIMENT_LABELS:
            continue
        if min_confidence and float(row.get("confidence") or 1) < min_confidence:
            continue
        known = {"question": _question(row["text"])}
        if row["label"] == "negative":
            known["praise"] = 0
        elif row["label"] == "positive" and float(row.get("confidence") or 1) >= 0.8:
            known["praise"] = 1
        sentiment = SENTIMENT_LABELS.index(row["label"])
        yield Example(f"{name}:{number}", row["text"], "en", name, sentiment, _intents(**known))


def complaints(data_dir: Path) -> Iterator[Example]:
    name = "complaints_tweets.csv"
    for number, row in dataset_rows(data_dir, name, ("text", "is_complaint")):
        known = {"complaint": int(row["is_complaint"]), "question": _question(row["text"])}
        yield Example(f"{name}:{number}", row["text"], "en", name, None, _intents(**known))


def chinese_reviews(data_dir: Path, name: str) -> Iterator[Example]:
    for number, row in dataset_rows(data_dir, name, ("review", "label")):
        positive = row["label"].strip() == "1"
        known = {
            "complaint": int(not positive),
            "praise": int(positive),
            "question": _question(row["review"]),
        }
        sentiment = _POS if positive else _NEG
        yield Example(f"{name}:{number}", row["review"], "zh", name, sentiment, _intents(**known))


def dataset_examples(data_dir: Path) -> dict[str, list[Example]]:
    """Every labelled row, by file."""
    return {
        "airline_tweets.csv": list(airline(data_dir)),
        "tweeteval_sentiment_val.csv": list(sentiment_tweets(data_dir, "tweeteval_sentiment_val.csv")),
        "crowdflower_tweets.csv": list(sentiment_tweets(data_dir, "crowdflower_tweets.csv", 0.6)),
        "complaints_tweets.csv": list(complaints(data_dir)),
        "chnsenticorp_htl.csv": list(chinese_reviews(data_dir, "chnsenticorp_htl.csv")),
        "waimai_10k.csv": list(chinese_reviews(data_dir, "waimai_10k.csv")),
        "online_shopping_10_cats.csv": list(chinese_reviews(data_dir, "online_shopping_10_cats.csv")),
    }


def split_sample(
    examples: list[Example], *, train_n: int, dev_n: int, seed: int
) -> tuple[list[Example], list[Example]]:
    """Fixed-seed subsample of each side of the hash split."""
    train = [e for e in examples if not is_dev(e.text)]
    dev = [e for e in examples if is_dev(e.text)]
    rng = random.Random(seed)
    rng.shuffle(train)
    rng.shuffle(dev)
    return train[:train_n], dev[:dev_n]


# --- hand-checked labels: nlp/training/labels/*.jsonl ---------------------------------------------
# intents_en.jsonl / intents_zh.jsonl: {"id": "<file>:<row>", "intents": [...]}, all seven judged;
# seed_zh_neutral.jsonl: sentences we wrote, {"id", "lang", "sentiment", "intents", "text"};
# aspects.jsonl: {"id": "<file>:<row>", "aspects": {aspect: polarity}} or the same with "lang" and
# "text" for sentences we wrote. Dataset rows are ids only: their text stays in ../shared/datasets.
_TEXT_COLUMNS = {"review": "zh", "text": "en"}


@dataclass(frozen=True, slots=True)
class AspectExample:
    id: str
    text: str
    lang: str
    aspects: dict[str, str]  # aspect -> polarity (negative, neutral, positive)


def _intent_labels(item: dict[str, Any]) -> dict[str, int]:
    """All seven intents, 1 for those the item lists."""
    return {label: int(label in item["intents"]) for label in INTENT_LABELS}


def _label_lines(name: str) -> list[dict[str, Any]]:
    text = resources.files("nlp.training").joinpath("labels", name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def resolve_rows(data_dir: Path, ids: Iterator[str] | list[str]) -> dict[str, tuple[str, str]]:
    """``{id: (text, lang)}`` for dataset row ids ``<file>:<row>``, read from the raw files (every row,
    whatever the training sample keeps). Raises DatasetMissing for a file or row that is not there."""
    wanted: dict[str, set[int]] = {}
    for ref in ids:
        name, _, index = ref.rpartition(":")
        wanted.setdefault(name, set()).add(int(index))
    out: dict[str, tuple[str, str]] = {}
    for name, rows in wanted.items():
        path = data_dir / name
        if not path.is_file():
            raise DatasetMissing(f"labelled rows refer to {path}, which is missing")
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle)
            column = next((c for c in _TEXT_COLUMNS if c in (reader.fieldnames or ())), None)
            if column is None:
                raise DatasetMissing(f"{path}: no text or review column (found {reader.fieldnames})")
            for number, row in enumerate(reader):
                if number in rows and row.get(column) is not None:
                    out[f"{name}:{number}"] = (row[column], _TEXT_COLUMNS[column])
        missing = sorted(f"{name}:{r}" for r in rows if f"{name}:{r}" not in out)
        if missing:
            raise DatasetMissing(f"{path}: labelled rows not found: {missing[:5]}")
    return out


def gold_intent_examples(data_dir: Path) -> list[Example]:
    """Dataset rows with all seven intents judged by hand (source ``gold``); the dev side of the hash
    split is held out for evaluation, the train side trains."""
    items = [*_label_lines("intents_en.jsonl"), *_label_lines("intents_zh.jsonl")]
    texts = resolve_rows(data_dir, [str(item["id"]) for item in items])
    out = []
    for item in items:
        ref = str(item["id"])
        text, lang = texts[ref]
        out.append(Example(ref, text, lang, "gold", None, _intent_labels(item)))
    return out


def written_examples(name: str) -> list[Example]:
    """Sentences we wrote, with sentiment and all seven intents judged (``seed_intents.jsonl``,
    ``seed_zh_neutral.jsonl``)."""
    out = []
    for item in _label_lines(name):
        labels = _intent_labels(item)
        sentiment = SENTIMENT_LABELS.index(str(item["sentiment"])) if item.get("sentiment") else None
        out.append(Example(str(item["id"]), str(item["text"]), str(item["lang"]), "seed", sentiment, labels))
    return out


def aspect_examples(data_dir: Path) -> list[AspectExample]:
    items = _label_lines("aspects.jsonl")
    texts = resolve_rows(data_dir, [str(i["id"]) for i in items if "text" not in i])
    out = []
    for item in items:
        ref = str(item["id"])
        text, lang = (str(item["text"]), str(item["lang"])) if "text" in item else texts[ref]
        aspects = {str(k): str(v) for k, v in dict(item["aspects"]).items()}
        out.append(AspectExample(ref, text, lang, aspects))
    return out
