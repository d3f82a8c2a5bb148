"""Shared fixtures of the NLP tests."""

from __future__ import annotations

import pytest

from nlp.transformer_tagger import TransformerTagger


@pytest.fixture(scope="session")
def warm() -> TransformerTagger:
    """One warmed-up transformer tagger for the whole run: loading the encoder takes seconds."""
    tagger = TransformerTagger()
    tagger.warm_up()
    return tagger
