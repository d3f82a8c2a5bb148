"""`TaggerContract`: the behaviour every Tagger must have, as a pytest suite to subclass.

    class TestMyTagger(TaggerContract):
        @pytest.fixture
        def tagger(self) -> Tagger:
            return MyTagger()

Set ``deterministic = False`` for a tagger whose outputs may vary between calls (sampling models).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.models import ModelRef, RawMention, SentimentLabel, Tags
from nlp.base import Tagger

SAMPLE_TEXTS = (
    "I love these headphones, the sound is amazing!",
    "The delivery was two hours late and the food was cold. Terrible.",
    "这个耳机音质很好，非常满意。",
    "航班延误了五个小时，太差了。",
    "這家外送很快，推薦！",
    "Le service était vraiment horrible, je ne recommande pas.",
    "Does the K7 support eSIM?",
    "ok",
)


def raw_mention(text: str, n: int = 0, **fields: Any) -> RawMention:
    """A minimal valid RawMention for tagger and enricher tests."""
    data: dict[str, Any] = {
        "platform": "test",
        "native_id": f"m{n}",
        "source": "test",
        "text": text,
        "published_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    data.update(fields)
    return RawMention(**data)


def sample_batch() -> list[RawMention]:
    return [raw_mention(text, n) for n, text in enumerate(SAMPLE_TEXTS)]


class TaggerContract:
    deterministic: bool = True

    @pytest.fixture
    def tagger(self) -> Tagger:
        raise NotImplementedError("subclasses provide a `tagger` fixture")

    def test_implements_protocol(self, tagger: Tagger) -> None:
        assert isinstance(tagger, Tagger)

    def test_model_ref_is_set_before_warm_up(self, tagger: Tagger) -> None:
        model = tagger.model
        assert isinstance(model, ModelRef)
        assert model.name.strip()
        assert model.version.strip()

    def test_warm_up_is_idempotent(self, tagger: Tagger) -> None:
        model = tagger.model
        tagger.warm_up()
        first = tagger.tag(sample_batch())
        tagger.warm_up()
        assert tagger.model == model
        if self.deterministic:
            assert tagger.tag(sample_batch()) == first

    def test_empty_batch(self, tagger: Tagger) -> None:
        assert tagger.tag([]) == []

    def test_one_tags_per_mention_in_order(self, tagger: Tagger) -> None:
        batch = sample_batch()
        tags = tagger.tag(batch)
        assert len(tags) == len(batch)
        assert all(isinstance(t, Tags) for t in tags)
        assert all(t.model == tagger.model for t in tags)
        if self.deterministic:
            # order: tagging the batch reversed gives the tags reversed, and one by one the same
            assert tagger.tag(batch[::-1]) == tags[::-1]
            assert [tagger.tag([m])[0] for m in batch] == tags

    def test_tags_are_well_formed(self, tagger: Tagger) -> None:
        for tags in tagger.tag(sample_batch()):
            if tags.lang is not None:
                assert tags.lang == "und" or 2 <= len(tags.lang) <= 3
            if tags.sentiment is not None:
                assert tags.sentiment.label in SentimentLabel
                if tags.sentiment.label is SentimentLabel.unscored:
                    assert tags.sentiment.score == 0
            labels = [intent.label for intent in tags.intents]
            assert len(labels) == len(set(labels)), "an intent appears at most once per mention"

    def test_title_only_and_odd_text(self, tagger: Tagger) -> None:
        odd = [
            raw_mention("", 0, title="Great"),
            raw_mention("🙂🙂🙂", 1),
            raw_mention("https://example.com/x?y=1", 2),
            raw_mention("   \n\t ", 3),
            raw_mention("a" * 20_000, 4),
        ]
        assert len(tagger.tag(odd)) == len(odd)
