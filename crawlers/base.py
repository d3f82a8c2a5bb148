"""What a source is: anything that turns a cursor into the next batch of raw mentions."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from core.models import RawMention, Rejected, SourceCursor


class FetchResult(BaseModel):
    """One batch from a source. `cursor` is where the *next* fetch starts; the flow saves it only after
    `mentions` are indexed. `rejected` are items that could not become mentions, reported not dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mentions: tuple[RawMention, ...] = ()
    cursor: SourceCursor
    rejected: tuple[Rejected, ...] = ()
    exhausted: bool = Field(False, description="Nothing more to fetch right now")


@runtime_checkable
class Source(Protocol):
    name: str

    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        """The next batch after `cursor` (None: from the start), at most `limit` mentions.

        Raises SourceUnavailable / RateLimited (retryable) or SourceError; bad items go to `rejected`."""
        ...
