"""What a tagger is: a model that tags a batch of mentions with language, sentiment and intents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.models import ModelRef, RawMention, Tags


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
