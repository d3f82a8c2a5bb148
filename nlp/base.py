"""What a tagger is: a model that tags a batch of mentions with language, sentiment and intents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.errors import ConfigError
from core.models import ModelRef, RawMention, Tags
from core.registry import TAGGERS
from core.settings import Settings


@runtime_checkable
class Tagger(Protocol):
    @property
    def model(self) -> ModelRef:
        """Name and version recorded on every mention this tagger tags."""
        ...

    def warm_up(self) -> None:
        """Load weights and lexicons now (they load lazily otherwise). Idempotent."""

    def tag(self, mentions: Sequence[RawMention]) -> list[Tags]:
        """One `Tags` per mention, in order."""
        ...


def build_tagger(settings: Settings) -> Tagger:
    """The tagger named by ``settings.nlp.tagger`` (an ``earful.taggers`` entry point); its model
    loads lazily (``warm_up``)."""
    tagger = TAGGERS.create(settings.nlp.tagger, settings)
    if not isinstance(tagger, Tagger):
        raise ConfigError(
            f"tagger {settings.nlp.tagger!r} does not implement the Tagger protocol",
            details={"tagger": settings.nlp.tagger},
        )
    return tagger
