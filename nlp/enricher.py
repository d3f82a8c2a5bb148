"""Enrichment of a batch: one tagger call, language, customer link, and the models that did it."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import EnrichmentError
from core.models import EnrichedMention, ModelRef, RawMention, Sentiment, SentimentLabel, utcnow
from nlp.base import Tagger
from nlp.language import LanguageAware, LanguageDetector
from nlp.linking.linker import CustomerLinker

UNSCORED = Sentiment(label=SentimentLabel.unscored)


class Enricher:
    """RawMention batch -> EnrichedMention batch, in order. The tagger is called once per batch (models
    batch well); a tagger that leaves `lang` unset gets the language detector's answer."""

    def __init__(
        self,
        tagger: Tagger,
        *,
        linker: CustomerLinker | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.tagger = tagger
        self.linker = linker
        self.detector = detector or LanguageDetector()

    def warm_up(self) -> None:
        self.tagger.warm_up()

    def enrich(self, batch: Sequence[RawMention]) -> list[EnrichedMention]:
        if not batch:
            return []
        tags = self.tagger.tag(batch)
        if len(tags) != len(batch):
            raise EnrichmentError(
                f"tagger {self.tagger.model.name} returned {len(tags)} tags for {len(batch)} mentions",
                details={"model": self.tagger.model.model_dump(), "expected": len(batch), "got": len(tags)},
            )
        enriched_at = utcnow()  # one timestamp per batch: the batch is one enrichment run
        tagger_lang_model = self.tagger.language_model if isinstance(self.tagger, LanguageAware) else None
        out = []
        for mention, tag in zip(batch, tags, strict=True):
            models: list[ModelRef] = [tag.model]
            if tag.lang:
                lang = tag.lang
                if tagger_lang_model is not None:
                    models.append(tagger_lang_model)
            else:
                lang = self.detector.detect(_text_of(mention), mention.lang_hint)
                models.append(self.detector.model)
            customer = self.linker.link(mention) if self.linker is not None else None
            out.append(
                EnrichedMention.from_raw(
                    mention,
                    lang=lang,
                    sentiment=tag.sentiment or UNSCORED,
                    intents=tag.intents,
                    aspects=tag.aspects,
                    customer=customer,
                    models=tuple(dict.fromkeys(models)),
                    enriched_at=enriched_at,
                )
            )
        return out


def _text_of(mention: RawMention) -> str:
    return f"{mention.title}\n{mention.text}" if mention.title else mention.text
