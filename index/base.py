"""What a mention store is: the protocol both backends implement and `index.testing.contracts` checks.

Workspaces: a store object is scoped to one workspace when it is built (``workspace=`` in its
constructor, required) and exposes it as the read-only `workspace` property; no method reads or writes
outside it, and none takes a workspace. One scoping point instead of a parameter on some twenty methods
that one call site could forget; an API request builds its stores from the authenticated user's
workspace; the backend's connection or client can be shared underneath. Public ids (a mention's, a
saved search's) are the same in every workspace; the backends' storage keys include the workspace, so
the same mention in two workspaces is two things. `index.testing.isolation` checks the isolation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from core.models import (
    AwareDatetime,
    EnrichedMention,
    IntentLabel,
    SavedSearch,
    SentimentLabel,
    SourceCursor,
    WritePolicy,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MentionFilter(_Frozen):
    """Structured filters; every given field must match (values inside one field are OR'ed)."""

    ids: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sentiments: tuple[SentimentLabel, ...] = ()
    intents: tuple[IntentLabel, ...] = ()
    customer_ids: tuple[str, ...] = ()
    linked: bool | None = Field(None, description="True: only mentions linked to a customer; False: only not")
    sites: tuple[str, ...] = ()
    authors: tuple[str, ...] = Field((), description="Author handles")
    countries: tuple[str, ...] = ()
    since: AwareDatetime | None = Field(None, description="published_at >= since")
    until: AwareDatetime | None = Field(None, description="published_at < until")


#: The most hits one search returns (`SearchRequest.limit`).
MAX_SEARCH_LIMIT = 10_000
SortOrder = Literal["newest", "oldest", "relevance"]
Interval = Literal["hour", "day", "week", "month"]


FacetField = Literal[
    "platform", "source", "lang", "sentiment", "intent", "site", "country", "author", "customer", "hashtag"
]


class Bucket(_Frozen):
    key: str
    count: int


class SearchRequest(_Frozen):
    query: str | None = Field(
        None, description="Boolean query language (docs/query-language.md); AND'ed with `text` and filters"
    )
    text: str | None = Field(
        None,
        description="Plain full text: every word must occur (stemmed for English, "
        "character sequences for Chinese)",
    )
    filters: MentionFilter = MentionFilter()
    sort: SortOrder = "newest"
    limit: int = Field(20, ge=0, le=MAX_SEARCH_LIMIT)
    offset: int = Field(0, ge=0, le=10_000)
    search_after: str | None = Field(
        None,
        description="Opaque cursor (a page's `next_cursor`): the page after that one, in the same order. "
        "Only with the same query, text, filters and sort, and without `offset` (InvalidInput otherwise)",
    )
    highlight: bool = Field(False, description="Return highlighted fragments of what `query` matched")
    facets: tuple[FacetField, ...] = Field((), description="Facet counts over all matches, not just the page")
    facet_size: int = Field(10, ge=1, le=1000)
    histogram: Interval | None = Field(
        None, description="Also count every match per calendar interval of published_at (as date_histogram)"
    )
    histogram_tz: str = Field("UTC", description="Time zone of the histogram's calendar (as date_histogram)")


class SearchPage(_Frozen):
    total: int
    hits: tuple[EnrichedMention, ...]
    highlights: dict[str, dict[str, tuple[str, ...]]] = Field(
        default_factory=dict, description="mention id -> field ('text', 'title') -> fragments with <em> marks"
    )
    facets: dict[str, tuple[Bucket, ...]] = Field(default_factory=dict)
    histogram: tuple[Bucket, ...] = Field(
        (), description="Matches per interval, oldest first, empty buckets omitted (when asked for)"
    )
    next_cursor: str | None = Field(
        None,
        description="Pass as `search_after` for the next page; None when no hit follows this page. "
        "Cursors follow the engine's own order (relevance scores differ between engines)",
    )


class UpsertResult(_Frozen):
    created: int = 0
    updated: int = 0
    skipped: int = Field(0, description="Left untouched by the write policy (already there, or not newer)")

    @property
    def written(self) -> int:
        return self.created + self.updated


class SentimentShare(_Frozen):
    total: int
    counts: dict[SentimentLabel, int]

    def share(self, label: SentimentLabel) -> float:
        return self.counts.get(label, 0) / self.total if self.total else 0.0


@runtime_checkable
class MentionStore(Protocol):
    """Idempotent storage and search of one workspace's enriched mentions. All writes go through
    `upsert`."""

    @property
    def workspace(self) -> str:
        """The workspace every call reads and writes, fixed at construction."""
        ...

    def ensure_ready(self) -> None:
        """Create what the store needs (index template, versioned index and alias; tables). Idempotent."""

    def upsert(
        self, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        """Write a batch in one bulk.

        Raises StoreUnavailable (retryable) or PartialWriteError; never drops anything silently."""

    def get(self, mention_id: str) -> EnrichedMention | None: ...

    def delete(self, mention_ids: Sequence[str]) -> int:
        """Delete by id; returns how many existed."""

    def search(self, request: SearchRequest) -> SearchPage: ...

    def count(self, filters: MentionFilter = MentionFilter()) -> int: ...

    def date_histogram(
        self, filters: MentionFilter = MentionFilter(), interval: Interval = "day", tz: str = "UTC"
    ) -> list[Bucket]:
        """Mentions per calendar interval of published_at, oldest first.

        Keys are ISO dates of the bucket start in `tz`; empty buckets are omitted."""

    def terms(
        self, field: FacetField, filters: MentionFilter = MentionFilter(), size: int = 10
    ) -> list[Bucket]:
        """Most frequent values of a facet field, by count descending then key ascending."""

    def sentiment_share(self, filters: MentionFilter = MentionFilter()) -> SentimentShare: ...

    def export(
        self, filters: MentionFilter = MentionFilter(), page_size: int = 1000
    ) -> Iterator[EnrichedMention]:
        """Every matching mention, oldest first, paging with search_after (stable under concurrent writes)."""

    def refresh(self) -> None:
        """Make every acknowledged write visible to search (a no-op where writes are visible at once)."""

    def close(self) -> None: ...


@runtime_checkable
class SavedSearchStore(Protocol):
    """Named searches per owner in one workspace (marketing's saved queries; alert rules reuse the same
    queries)."""

    @property
    def workspace(self) -> str: ...

    def save_search(self, search: SavedSearch) -> None:
        """Create or replace the owner's search of that name."""

    def get_search(self, owner: str, name: str) -> SavedSearch | None: ...

    def list_searches(self, owner: str | None = None) -> list[SavedSearch]:
        """Sorted by owner then name."""
        ...

    def delete_search(self, owner: str, name: str) -> bool: ...


@runtime_checkable
class CursorStore(Protocol):
    """Where one workspace's sources keep their cursors. Saved only after the batch they end is indexed."""

    @property
    def workspace(self) -> str: ...

    def load_cursor(self, source: str) -> SourceCursor | None: ...

    def save_cursor(self, cursor: SourceCursor) -> None: ...


def as_utc_iso(value: datetime) -> str:
    return value.isoformat()
