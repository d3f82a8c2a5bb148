"""Enricher: one tagger call per batch, language, models, customer links."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.errors import EnrichmentError
from core.models import (
    Author,
    Consent,
    Customer,
    Handle,
    Intent,
    IntentLabel,
    ModelRef,
    RawMention,
    Sentiment,
    SentimentLabel,
    Tags,
)
from nlp.enricher import Enricher
from nlp.language import LanguageDetector
from nlp.lexicon import LexiconTagger
from nlp.linking import DeterministicLinker, InMemoryCustomerDirectory
from nlp.testing import raw_mention

FAKE = ModelRef(name="fake", version="0")


class CountingTagger:
    """A plumbing fake: counts calls, leaves `lang` to the enricher, tags everything neutral."""

    def __init__(self, drop_one: bool = False) -> None:
        self.calls: list[int] = []
        self.drop_one = drop_one

    @property
    def model(self) -> ModelRef:
        return FAKE

    def warm_up(self) -> None:
        pass

    def tag(self, mentions: Sequence[RawMention]) -> list[Tags]:
        self.calls.append(len(mentions))
        tags = [
            Tags(
                sentiment=Sentiment(label=SentimentLabel.neutral, confidence=0.5),
                intents=(Intent(label=IntentLabel.question, confidence=0.5),),
                model=FAKE,
            )
            for _ in mentions
        ]
        return tags[1:] if self.drop_one else tags


BATCH = [
    raw_mention("I love these headphones, the sound is amazing!", 0),
    raw_mention("航班延误了五个小时，太差了。", 1),
    raw_mention("Le service était vraiment horrible, je ne recommande pas.", 2),
]


def test_lexicon_enrichment_fills_everything() -> None:
    enriched = Enricher(LexiconTagger()).enrich(BATCH)
    assert [m.id for m in enriched] == [m.id for m in BATCH]
    assert [m.lang for m in enriched] == ["en", "zh", "fr"]
    assert [m.sentiment.label for m in enriched] == [
        SentimentLabel.positive,
        SentimentLabel.negative,
        SentimentLabel.unscored,
    ]
    assert enriched[0].intents[0].label is IntentLabel.praise
    assert enriched[0].models == (LexiconTagger().model, LanguageDetector().model)
    assert len({m.enriched_at for m in enriched}) == 1  # one run, one timestamp
    assert enriched[0].to_raw() == BATCH[0]  # enrichment adds, never changes what was collected


def test_one_tagger_call_per_batch_and_detector_fills_lang() -> None:
    tagger = CountingTagger()
    enriched = Enricher(tagger).enrich([*BATCH, raw_mention("ok", 3, lang_hint="zh-TW")])
    assert tagger.calls == [4]
    assert [m.lang for m in enriched] == ["en", "zh", "fr", "zh"]  # the hint settles 'ok'
    assert enriched[0].models == (FAKE, LanguageDetector().model)
    assert enriched[0].intents == (Intent(label=IntentLabel.question, confidence=0.5),)


def test_empty_batch_calls_nothing() -> None:
    tagger = CountingTagger()
    assert Enricher(tagger).enrich([]) == []
    assert tagger.calls == []


def test_a_tagger_that_loses_mentions_is_an_error() -> None:
    with pytest.raises(EnrichmentError, match="returned 2 tags for 3 mentions"):
        Enricher(CountingTagger(drop_one=True)).enrich(BATCH)


def test_missing_sentiment_is_unscored() -> None:
    class Bare(CountingTagger):
        def tag(self, mentions: Sequence[RawMention]) -> list[Tags]:
            return [Tags(lang="en", model=FAKE) for _ in mentions]

    [enriched] = Enricher(Bare()).enrich(BATCH[:1])
    assert enriched.sentiment.label is SentimentLabel.unscored
    assert enriched.models == (FAKE,)  # the tagger set lang and names no detector


def test_customer_linking_hook() -> None:
    customer = Customer(
        code="C1",
        name="Nora",
        consent=Consent(profiling=True),
        handles=(Handle(platform="test", user_id="u1"),),
    )
    linker = DeterministicLinker(InMemoryCustomerDirectory([customer]))
    batch = [
        raw_mention("Great flight", 0, author=Author(platform="test", native_id="u1")),
        raw_mention("Great flight", 1, author=Author(platform="test", native_id="u2")),
    ]
    linked, unknown = Enricher(CountingTagger(), linker=linker).enrich(batch)
    assert linked.customer is not None
    assert linked.customer.customer_id == customer.id
    assert linked.customer.method == "platform_user_id"
    assert unknown.customer is None
