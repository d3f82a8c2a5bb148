"""Held-out scores on the hand-labelled sets (nlp/training/labels), through the production tagger.

- intents: every row has all seven intents judged, so each intent gets precision, recall and F1,
  per language (the dev side of the hash split; the train side trained the heads);
- aspects: presence per aspect (precision, recall, F1), and polarity accuracy on the aspects both
  the labels and the tagger found, for the tagger's clause polarity and, as the baseline it replaced,
  the mention's overall sentiment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from core.models import RawMention, Tags
from nlp.base import Tagger
from nlp.catalog import ASPECT_LABELS, INTENT_LABELS
from nlp.eval import multilabel_metrics
from nlp.training.data import AspectExample, Example

_WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _tag(tagger: Tagger, rows: Sequence[tuple[str, str, str]]) -> list[Tags]:
    """Tags of (id, text, lang) rows, as mentions with the row's language as the hint."""
    mentions = [
        RawMention(
            platform="eval", native_id=ref, source="eval", text=text, lang_hint=lang, published_at=_WHEN
        )
        for ref, text, lang in rows
    ]
    return tagger.tag(mentions)


def intent_report(tagger: Tagger, examples: Sequence[Example]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for lang in sorted({e.lang for e in examples}):
        rows = [e for e in examples if e.lang == lang]
        tags = _tag(tagger, [(e.id, e.text, e.lang) for e in rows])
        gold = [frozenset(label for label, value in e.intents.items() if value) for e in rows]
        pred = [frozenset(i.label.value for i in t.intents) for t in tags]
        report[lang] = multilabel_metrics(gold, pred, INTENT_LABELS)
    return report


def aspect_report(tagger: Tagger, examples: Sequence[AspectExample]) -> dict[str, Any]:
    tags = _tag(tagger, [(e.id, e.text, e.lang) for e in examples])
    gold = [frozenset(e.aspects) for e in examples]
    pred = [frozenset(a.label.value for a in t.aspects) for t in tags]
    presence = multilabel_metrics(gold, pred, ASPECT_LABELS)
    found = clause = overall = 0
    for example, tag in zip(examples, tags, strict=True):
        polarity = {a.label.value: a.polarity.value for a in tag.aspects}
        for aspect, wanted in example.aspects.items():
            if aspect in polarity:
                found += 1
                clause += polarity[aspect] == wanted
                overall += tag.sentiment is not None and tag.sentiment.label.value == wanted
    return {
        "n": len(examples),
        "presence": presence,
        "polarity": {
            "n": found,
            "accuracy_clause": round(clause / found, 4) if found else 0.0,
            "accuracy_overall_sentiment_baseline": round(overall / found, 4) if found else 0.0,
        },
    }
