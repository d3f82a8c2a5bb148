"""Aspects with per-aspect polarity: clause splitting, the tagger's output, what the enricher stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.models import AspectLabel, RawMention, SentimentLabel
from nlp.enricher import Enricher
from nlp.transformer_tagger import TransformerTagger, clauses

WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def _pieces(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in clauses(text)]


def test_clauses_split_on_punctuation_and_contrast_words() -> None:
    assert _pieces("The sound is amazing but the delivery took weeks.") == [
        "The sound is amazing",
        "the delivery took weeks",
    ]
    assert _pieces("味道很好，但是送餐太慢了。") == ["味道很好", "送餐太慢了"]
    assert _pieces("Great price; however, support never answered!") == [
        "Great price",
        "support never answered",
    ]
    assert _pieces("Butter is great") == ["Butter is great"]  # a word, not the conjunction
    assert _pieces("ok") == ["ok"]
    assert _pieces("!!! , .") == []  # no clause without two word characters


def _mention(text: str, native_id: str = "m") -> RawMention:
    return RawMention(platform="web", native_id=native_id, source="t", text=text, published_at=WHEN)


@pytest.mark.model
def test_mixed_review_gets_a_polarity_per_aspect(warm_transformer: TransformerTagger) -> None:
    [tags] = warm_transformer.tag(
        [_mention("The sound is amazing but the delivery took three weeks and the box was crushed.")]
    )
    polarity = {a.label: a.polarity for a in tags.aspects}
    assert polarity[AspectLabel.delivery] is SentimentLabel.negative
    assert polarity[AspectLabel.quality] is SentimentLabel.positive  # not the overall (negative) sentiment
    assert all(0.5 <= a.confidence <= 1 for a in tags.aspects)


@pytest.mark.model
def test_aspects_do_not_depend_on_the_batch(warm_transformer: TransformerTagger) -> None:
    texts = ["味道很好，但是送餐太慢了，等了两个小时。", "The app keeps crashing when I try to pay.", "ok"]
    alone = [warm_transformer.tag([_mention(t)])[0].aspects for t in texts]
    together = [
        tags.aspects for tags in warm_transformer.tag([_mention(t, str(i)) for i, t in enumerate(texts)])
    ]
    assert alone == together
    assert AspectLabel.app_or_website in {a.label for a in together[1]}


@pytest.mark.model
def test_unscored_languages_get_no_aspects(warm_transformer: TransformerTagger) -> None:
    [tags] = warm_transformer.tag([_mention("Der Versand war langsam, aber die Qualität ist super.")])
    assert tags.sentiment is not None
    assert tags.sentiment.label is SentimentLabel.unscored
    assert tags.aspects == ()


@pytest.mark.model
def test_the_enricher_stores_the_aspects(warm_transformer: TransformerTagger) -> None:
    [mention] = Enricher(warm_transformer).enrich([_mention("Great price, terrible customer service.")])
    assert mention.aspects
    assert {a.label for a in mention.aspects} >= {AspectLabel.service}
    assert (
        mention.aspects
        == warm_transformer.tag([_mention("Great price, terrible customer service.")])[0].aspects
    )
