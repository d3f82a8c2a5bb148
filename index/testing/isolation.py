"""`WorkspaceIsolationContract`: the isolation section of the store contracts, as a pytest suite to mix in.

Every store is scoped to one workspace when it is built (`index.base`). This suite checks that two
stores of two workspaces on the same backend (the same SQLite file, the same indices) share nothing:
the same mention id stays two mentions, and nothing of one workspace is readable, countable, searchable
(plain text, query language, filters, facets), aggregated (terms, date histogram, sentiment share),
exportable or deletable through the other; cursors and saved searches likewise.

A backend's test class mixes it in next to :mod:`index.testing.contracts`' suites and provides
``store_in``, a callable that builds a ready store for a workspace on the same backend as ``store`` (and
closes what it built afterwards)::

    class TestMyStore(MentionStoreContract, ..., WorkspaceIsolationContract):
        @pytest.fixture
        def store_in(self, tmp_path: Path) -> Iterator[StoreIn]:
            ...

It is a module of its own so that the suites stay small modules, one per concern; its expected values
come from :mod:`index.testing.corpus`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from core.errors import InvalidInput
from core.models import EnrichedMention, SavedSearch, SentimentLabel, SourceCursor, WritePolicy
from index.base import MentionFilter, MentionStore, SearchRequest, UpsertResult
from index.testing.corpus import (
    BASE_TIME,
    FACET_FIELDS,
    chronological,
    enriched_mention,
    enriched_mentions,
    reference_matches,
    reference_terms,
)

__all__ = ["OTHER_WORKSPACE", "StoreIn", "WorkspaceIsolationContract"]

StoreIn = Callable[[str], Any]  # workspace -> a ready store of it on the backend under test
OTHER_WORKSPACE = "tenant-b"
_QUERY = "battery OR 电池 OR sentiment:negative"


class WorkspaceIsolationContract:
    """Two workspaces on one backend share nothing. Uses ``store`` (the first workspace) and
    ``store_in`` (any other), and `index.testing.contracts.MentionStoreContract.load`'s refresh convention."""

    #: Mentions in the corpus of the isolation tests.
    isolation_corpus_size: int = 60

    @pytest.fixture
    def store_in(self) -> Iterator[StoreIn]:
        raise NotImplementedError("a backend's test class provides `store_in`: workspace -> store")

    @pytest.fixture
    def other(self, store: MentionStore, store_in: StoreIn) -> Any:
        other = store_in(OTHER_WORKSPACE)
        assert other.workspace == OTHER_WORKSPACE != store.workspace
        return other

    @staticmethod
    def _load(
        store: Any, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        result: UpsertResult = store.upsert(mentions, policy)
        store.refresh()
        return result

    @staticmethod
    def _everything_but(store: Any, mentions: Sequence[EnrichedMention]) -> None:
        """`store` holds exactly `mentions`: counts, reads, searches and aggregations agree with them."""
        assert store.count() == len(mentions)
        assert all(store.get(m.id) == m for m in mentions)
        assert store.search(SearchRequest(text="battery", limit=0)).total == sum(
            reference_matches(m, text="battery") for m in mentions
        )
        assert list(store.export()) == chronological(mentions)
        for field in FACET_FIELDS:
            assert store.terms(field, size=50) == reference_terms(mentions, field, size=50)

    # --- scoping ----------------------------------------------------------------------------------
    def test_a_store_names_its_workspace(self, store: MentionStore, other: Any) -> None:
        assert isinstance(store.workspace, str)
        assert other.workspace == OTHER_WORKSPACE

    @pytest.mark.parametrize("workspace", ["", "Tenant", "a b", "../etc", "x" * 64, "-lead"])
    def test_an_invalid_workspace_is_refused(self, store_in: StoreIn, workspace: str) -> None:
        with pytest.raises(InvalidInput):
            store_in(workspace)

    # --- mentions ---------------------------------------------------------------------------------
    def test_nothing_of_one_workspace_is_visible_from_the_other(
        self, store: MentionStore, other: Any
    ) -> None:
        mentions = enriched_mentions(self.isolation_corpus_size, seed=41)
        self._load(store, mentions)
        ids = [m.id for m in mentions]
        assert other.count() == 0
        assert other.count(MentionFilter(ids=tuple(ids))) == 0
        assert all(other.get(i) is None for i in ids)
        page = other.search(SearchRequest(text="battery", facets=FACET_FIELDS, limit=100))
        assert (page.total, page.hits) == (0, ())
        assert all(buckets == () for buckets in page.facets.values())
        assert other.search(SearchRequest(query=_QUERY, highlight=True)).total == 0
        assert other.search(SearchRequest(filters=MentionFilter(ids=tuple(ids)))).total == 0
        assert all(other.terms(field) == [] for field in FACET_FIELDS)
        assert other.date_histogram() == []
        share = other.sentiment_share()
        assert share.total == 0
        assert all(share.counts[label] == 0 for label in SentimentLabel)
        assert list(other.export()) == []
        self._everything_but(store, mentions)

    def test_nothing_of_one_workspace_is_deletable_from_the_other(
        self, store: MentionStore, other: Any
    ) -> None:
        mentions = enriched_mentions(10, seed=42)
        self._load(store, mentions)
        assert other.delete([m.id for m in mentions]) == 0
        other.refresh()
        store.refresh()
        assert store.count() == 10
        assert all(store.get(m.id) == m for m in mentions)

    def test_the_same_mention_in_two_workspaces_stays_two(self, store: MentionStore, other: Any) -> None:
        mentions = enriched_mentions(12, seed=43)
        theirs = [m.model_copy(update={"text": f"{m.text} tenant b"}) for m in mentions]
        assert self._load(store, mentions) == UpsertResult(created=12)
        # another workspace's copy is a creation: no write policy looks across workspaces
        assert self._load(other, theirs[:4], WritePolicy.create) == UpsertResult(created=4)
        assert self._load(other, theirs[4:8], WritePolicy.if_newer) == UpsertResult(created=4)
        assert self._load(other, theirs[8:]) == UpsertResult(created=4)
        assert [store.get(m.id) for m in mentions] == mentions
        assert [other.get(m.id) for m in mentions] == theirs
        assert store.search(SearchRequest(text="tenant")).total == 0
        assert other.search(SearchRequest(text="tenant")).total == 12
        assert other.delete([mentions[0].id]) == 1
        other.refresh()
        assert store.get(mentions[0].id) == mentions[0]
        assert other.get(mentions[0].id) is None

    def test_reads_and_aggregations_are_per_workspace(self, store: MentionStore, other: Any) -> None:
        mentions = enriched_mentions(self.isolation_corpus_size, seed=44)
        mine, theirs = mentions[::2], mentions[1::2]
        self._load(store, mine)
        self._load(other, theirs)
        for holder, held in ((store, mine), (other, theirs)):
            self._everything_but(holder, held)
            share = holder.sentiment_share()
            assert share.total == len(held)
            assert sum(b.count for b in holder.date_histogram(interval="month")) == len(held)
            negative = MentionFilter(sentiments=(SentimentLabel.negative,))
            assert holder.count(negative) == sum(reference_matches(m, negative) for m in held)
            page = holder.search(SearchRequest(query=_QUERY, facets=("platform",), limit=100))
            assert {m.id for m in page.hits} <= {m.id for m in held}
            assert sum(b.count for b in page.facets["platform"]) == page.total

    # --- cursors and saved searches ---------------------------------------------------------------
    def test_cursors_are_per_workspace(self, store: Any, other: Any) -> None:
        mine = SourceCursor(source="feed", value="mine", updated_at=BASE_TIME)
        store.save_cursor(mine)
        assert other.load_cursor("feed") is None
        theirs = SourceCursor(source="feed", value="theirs", updated_at=BASE_TIME)
        other.save_cursor(theirs)
        assert store.load_cursor("feed") == mine
        assert other.load_cursor("feed") == theirs

    def test_saved_searches_are_per_workspace(self, store: Any, other: Any) -> None:
        mine = SavedSearch(
            owner="ann", name="battery", query="battery", created_at=BASE_TIME, updated_at=BASE_TIME
        )
        store.save_search(mine)
        assert other.get_search("ann", "battery") is None
        assert other.list_searches() == []
        assert other.list_searches("ann") == []
        assert not other.delete_search("ann", "battery")
        theirs = mine.model_copy(update={"query": "电池"})
        other.save_search(theirs)
        assert store.get_search("ann", "battery") == mine
        assert other.list_searches("ann") == [theirs]
        assert other.delete_search("ann", "battery")
        assert store.list_searches() == [mine]

    def test_a_store_per_workspace_on_one_backend_sees_its_own_writes(self, store_in: StoreIn) -> None:
        """Two stores of one workspace on one backend are the same workspace (an API builds one per
        request): scoping is by workspace id, not by store object."""
        first, second = store_in("tenant-c"), store_in("tenant-c")
        self._load(first, [enriched_mention("shared")])
        second.refresh()
        assert second.get(enriched_mention("shared").id) == enriched_mention("shared")
