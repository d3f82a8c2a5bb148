"""Shipped contract suites for mention stores, as pytest classes to subclass.

- :class:`MentionStoreContract`: writes and their policies, reads, filters, search, facets and
  aggregations, export;
- :class:`QueryLanguageContract`: the query language over the store, against the in-process evaluator;
- :class:`CursorStoreContract` and :class:`SavedSearchStoreContract`: what the store keeps for sources
  and users;
- :mod:`index.testing.isolation`'s `WorkspaceIsolationContract`: two workspaces share nothing.

A backend's test class subclasses the contracts and provides the ``store`` fixture: a fresh, ready,
empty store per test, closed afterwards::

    class TestMyStore(MentionStoreContract, CursorStoreContract):
        visible_without_refresh = True

        @pytest.fixture
        def store(self, tmp_path: Path) -> Iterator[MyStore]:
            store = MyStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db")
            store.ensure_ready()
            yield store
            store.close()

Capability flags say where backends legitimately differ; the behaviour they share is asserted
identically. Set them as class attributes, or, when one test class runs several backends (Earful's own
``tests/contracts/test_mention_store.py``, parametrised over the ``earful.stores`` entry points), override
the ``store_traits`` fixture. ``CursorStoreContract`` uses the ``cursor_store`` fixture, which defaults to
``store`` (override it when cursors live in another object).

Expected values come from the pure-Python reference in :mod:`index.testing.corpus`
(:func:`~index.testing.corpus.reference_matches`, :func:`~index.testing.corpus.reference_terms`...) over
the same corpus, plus literal values for the cases worth spelling out.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import InvalidInput
from core.ids import customer_id
from core.models import (
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    SavedSearch,
    SentimentLabel,
    SourceCursor,
    WritePolicy,
)
from index.aggregations import histogram
from index.analysis import normalize
from index.base import (
    Bucket,
    CursorStore,
    FacetField,
    Interval,
    MentionFilter,
    MentionStore,
    SavedSearchStore,
    SearchRequest,
    UpsertResult,
)
from index.query import QuerySyntaxError, evaluate_query, parse
from index.query.highlight import highlight
from index.testing.corpus import (
    BASE_TIME,
    CST,
    FACET_FIELDS,
    NO_FILTER,
    chronological,
    enriched_mention,
    enriched_mentions,
    every_field_mention,
    newest_first,
    reference_matches,
    reference_terms,
)

__all__ = [
    "CursorStoreContract",
    "MentionStoreContract",
    "QueryLanguageContract",
    "SavedSearchStoreContract",
    "StoreTraits",
]


@dataclass(frozen=True)
class StoreTraits:
    """Where a backend legitimately differs from another; everything else is asserted identically."""

    #: Several threads may call ``upsert`` on one store object at once, and every write lands.
    supports_concurrent_writers: bool = True
    #: Writes are visible to reads without ``refresh()`` (SQLite yes, Elasticsearch no).
    visible_without_refresh: bool = False


def _ids(mentions: Sequence[EnrichedMention]) -> list[str]:
    return [m.id for m in mentions]


def _bumped(mention: EnrichedMention, **fields: Any) -> EnrichedMention:
    data = mention.model_dump()
    data.update(fields)
    return EnrichedMention.model_validate(data)


# --- the contract ----------------------------------------------------------------------------------
class MentionStoreContract:
    """Behaviour every MentionStore must have. Subclass it in a ``Test...`` class and provide ``store``."""

    #: The defaults of :class:`StoreTraits` for the ``store_traits`` fixture (see there).
    supports_concurrent_writers: bool = True
    visible_without_refresh: bool = False
    #: Size of the generated corpus most read tests run on.
    corpus_size: int = 80

    @pytest.fixture
    def store(self) -> Iterator[MentionStore]:
        raise NotImplementedError("a backend's test class provides a fresh, ready, empty `store` fixture")

    @pytest.fixture
    def store_traits(self) -> StoreTraits:
        """The backend's traits: the class attributes, unless a class that runs several backends
        overrides this fixture to give each its own."""
        return StoreTraits(
            supports_concurrent_writers=self.supports_concurrent_writers,
            visible_without_refresh=self.visible_without_refresh,
        )

    @pytest.fixture
    def corpus(self, store: MentionStore) -> list[EnrichedMention]:
        mentions = enriched_mentions(self.corpus_size, seed=7)
        self.load(store, mentions)
        return mentions

    @staticmethod
    def load(
        store: MentionStore, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        result = store.upsert(mentions, policy)
        store.refresh()
        return result

    # --- upsert and write policies --------------------------------------------------------------
    def test_protocol(self, store: MentionStore) -> None:
        assert isinstance(store, MentionStore)

    def test_ensure_ready_is_idempotent(self, store: MentionStore) -> None:
        self.load(store, [enriched_mention("a")])
        store.ensure_ready()
        store.ensure_ready()
        assert store.count() == 1

    def test_empty_store(self, store: MentionStore) -> None:
        assert store.count() == 0
        assert store.search(SearchRequest()).total == 0
        assert store.date_histogram() == []
        assert store.terms("platform") == []
        assert list(store.export()) == []

    def test_upsert_empty_batch(self, store: MentionStore) -> None:
        assert store.upsert([]) == UpsertResult()
        assert store.upsert([], WritePolicy.if_newer) == UpsertResult()

    def test_upsert_creates(self, store: MentionStore) -> None:
        mentions = enriched_mentions(25, seed=1)
        result = self.load(store, mentions)
        assert result == UpsertResult(created=25, updated=0, skipped=0)
        assert result.written == 25
        assert store.count() == 25

    def test_same_batch_twice_is_idempotent(self, store: MentionStore) -> None:
        mentions = enriched_mentions(30, seed=2)
        assert self.load(store, mentions) == UpsertResult(created=30)
        assert self.load(store, mentions) == UpsertResult(updated=30)
        assert store.count() == 30
        assert self.load(store, mentions, WritePolicy.create) == UpsertResult(skipped=30)
        assert self.load(store, mentions, WritePolicy.if_newer) == UpsertResult(skipped=30)
        assert store.count() == 30
        assert store.search(SearchRequest(limit=100)).total == 30

    def test_overwrite_replaces(self, store: MentionStore) -> None:
        old = enriched_mention("a", "battery died", hashtags=("fail",))
        self.load(store, [old])
        new = _bumped(old, text="sound is amazing", hashtags=("love",), lang="zh")
        assert self.load(store, [new, enriched_mention("b")]) == UpsertResult(created=1, updated=1)
        assert store.get(old.id) == new
        assert store.count() == 2
        assert store.search(SearchRequest(text="battery")).total == 0
        assert store.search(SearchRequest(text="amazing")).total == 1
        assert store.terms("hashtag") == [Bucket(key="love", count=1)]
        assert store.count(MentionFilter(langs=("zh",))) == 1

    def test_create_keeps_existing(self, store: MentionStore) -> None:
        old = enriched_mention("a", "battery died")
        self.load(store, [old])
        newer = _bumped(old, text="all fixed", enriched_at=old.enriched_at + timedelta(days=1))
        result = self.load(store, [newer, enriched_mention("b")], WritePolicy.create)
        assert result == UpsertResult(created=1, skipped=1)
        assert store.get(old.id) == old
        assert store.search(SearchRequest(text="fixed")).total == 0

    @pytest.mark.parametrize(
        ("enriched_delta", "collected_delta", "replaced"),
        [
            (1, 0, True),  # enriched later
            (1, -1, True),  # enriched later wins even if collected earlier
            (-1, 1, False),  # enriched earlier loses even if collected later
            (0, 1, True),  # same enrichment time, collected later
            (0, 0, False),  # same version: not strictly newer
            (0, -1, False),
            (-1, 0, False),
        ],
    )
    def test_if_newer(
        self, store: MentionStore, enriched_delta: int, collected_delta: int, replaced: bool
    ) -> None:
        old = enriched_mention("a", "original text")
        self.load(store, [old])
        incoming = _bumped(
            old,
            text="incoming text",
            enriched_at=old.enriched_at + timedelta(seconds=enriched_delta),
            collected_at=old.collected_at + timedelta(seconds=collected_delta),
        )
        result = self.load(store, [incoming, enriched_mention("b")], WritePolicy.if_newer)
        assert result == UpsertResult(created=1, updated=int(replaced), skipped=int(not replaced))
        assert store.get(old.id) == (incoming if replaced else old)

    def test_if_newer_compares_instants_across_offsets(self, store: MentionStore) -> None:
        old = enriched_mention("a", "original", enriched_at=datetime(2026, 11, 1, 12, tzinfo=UTC))
        self.load(store, [old])
        # 19:00+08:00 is 11:00 UTC: older although its wall clock reads later.
        older = _bumped(old, text="older", enriched_at=datetime(2026, 11, 1, 19, tzinfo=CST))
        assert self.load(store, [older], WritePolicy.if_newer) == UpsertResult(skipped=1)
        newer = _bumped(old, text="newer", enriched_at=datetime(2026, 11, 1, 21, tzinfo=CST))
        assert self.load(store, [newer], WritePolicy.if_newer) == UpsertResult(updated=1)
        assert store.get(old.id) == newer

    def test_duplicates_in_one_batch_apply_in_order(self, store: MentionStore) -> None:
        a = enriched_mention("a", "first")
        a2 = _bumped(a, text="second")
        assert self.load(store, [a, a2]) == UpsertResult(created=1, updated=1)
        assert store.get(a.id) == a2
        b = enriched_mention("b", "first")
        b2 = _bumped(b, text="second")
        assert self.load(store, [b, b2], WritePolicy.create) == UpsertResult(created=1, skipped=1)
        assert store.get(b.id) == b
        c = enriched_mention("c", "newer", enriched_at=BASE_TIME + timedelta(days=2))
        c_old = _bumped(c, text="older", enriched_at=BASE_TIME + timedelta(days=1))
        assert self.load(store, [c, c_old], WritePolicy.if_newer) == UpsertResult(created=1, skipped=1)
        assert store.get(c.id) == c
        assert store.count() == 3

    def test_visibility(self, store: MentionStore, store_traits: StoreTraits) -> None:
        store.upsert([enriched_mention("a")])
        if store_traits.visible_without_refresh:
            assert store.count() == 1
        store.refresh()
        assert store.count() == 1
        store.refresh()  # refreshing with nothing pending is harmless
        assert store.count() == 1

    def test_concurrent_writers(self, store: MentionStore, store_traits: StoreTraits) -> None:
        if not store_traits.supports_concurrent_writers:
            pytest.skip("backend declares supports_concurrent_writers = False")
        batches = [enriched_mentions(40, seed=100 + k) for k in range(4)]
        results: list[UpsertResult] = []
        errors: list[BaseException] = []

        def write(batch: list[EnrichedMention]) -> None:
            try:
                results.append(store.upsert(batch))
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        store.refresh()
        assert errors == []
        assert sum(r.created for r in results) == 160
        assert store.count() == 160

    # --- get and delete --------------------------------------------------------------------------
    def test_get_round_trips_everything(self, store: MentionStore) -> None:
        mention = every_field_mention()
        self.load(store, [mention])
        got = store.get(mention.id)
        assert got == mention
        assert got is not None
        assert got.model_dump_json() == mention.model_dump_json()
        assert got.published_at.utcoffset() == timedelta(hours=8)
        assert got.enriched_at.utcoffset() == timedelta(hours=-5)
        assert isinstance(got.hashtags, tuple)
        assert got.platform == "weibo"

    def test_get_corpus_round_trips(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for mention in corpus:
            assert store.get(mention.id) == mention

    def test_get_unknown_is_none(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        assert store.get("0" * 32) is None
        assert store.get("") is None

    def test_delete(self, store: MentionStore) -> None:
        a, b, c = (
            enriched_mention("a", "battery", hashtags=("x",)),
            enriched_mention("b", "battery"),
            enriched_mention("c"),
        )
        self.load(store, [a, b, c])
        assert store.delete([a.id, b.id, "0" * 32]) == 2
        store.refresh()
        assert store.get(a.id) is None
        assert store.get(c.id) == c
        assert store.count() == 1
        assert store.search(SearchRequest(text="battery")).total == 0
        assert store.terms("hashtag") == []
        assert store.delete([a.id]) == 0
        assert store.delete([]) == 0
        # a deleted id can be created again
        assert self.load(store, [a]) == UpsertResult(created=1)
        assert store.search(SearchRequest(text="battery")).total == 1

    # --- count and filters -----------------------------------------------------------------------
    def _filters(self, corpus: list[EnrichedMention]) -> list[MentionFilter]:
        first = corpus[0]
        linked = next(m for m in corpus if m.customer)
        handle = next(m.author.handle for m in corpus if m.author and m.author.handle)
        mid = BASE_TIME + timedelta(days=4, hours=7)
        return [
            MentionFilter(ids=(first.id, corpus[1].id, "0" * 32)),
            MentionFilter(platforms=("twitter",)),
            MentionFilter(platforms=("weibo", "reddit")),
            MentionFilter(sources=("demo",)),
            MentionFilter(langs=("zh",)),
            MentionFilter(sentiments=(SentimentLabel.negative,)),
            MentionFilter(sentiments=(SentimentLabel.positive, SentimentLabel.unscored)),
            MentionFilter(intents=(IntentLabel.complaint,)),
            MentionFilter(intents=(IntentLabel.praise, IntentLabel.bug_report)),
            MentionFilter(customer_ids=(linked.customer.customer_id,) if linked.customer else ()),
            MentionFilter(linked=True),
            MentionFilter(linked=False),
            MentionFilter(sites=("r/headphones", "apps.example.com")),
            MentionFilter(authors=(handle,)),
            MentionFilter(countries=("CN", "US")),
            MentionFilter(since=mid),
            MentionFilter(until=mid),
            MentionFilter(since=BASE_TIME + timedelta(days=2), until=BASE_TIME + timedelta(days=5)),
            MentionFilter(
                langs=("en",), sentiments=(SentimentLabel.negative,), intents=(IntentLabel.complaint,)
            ),
            MentionFilter(platforms=("web",), linked=True, since=BASE_TIME + timedelta(days=1)),
            MentionFilter(langs=("zh",), countries=("CN",), until=BASE_TIME + timedelta(days=8)),
        ]

    def test_count_all(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        assert store.count() == len(corpus)
        assert store.count(MentionFilter()) == len(corpus)

    def test_count_each_filter(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for filters in self._filters(corpus):
            expected = sum(reference_matches(m, filters) for m in corpus)
            assert 0 < expected < len(corpus), filters  # the corpus makes every filter meaningful
            assert store.count(filters) == expected, filters

    def test_filters_without_match(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        assert store.count(MentionFilter(platforms=("myspace",))) == 0
        assert store.count(MentionFilter(langs=("zh",), countries=("US",))) == 0
        assert store.count(MentionFilter(since=BASE_TIME + timedelta(days=30))) == 0
        assert store.count(MentionFilter(authors=("USER01",))) == 0  # keyword filters are exact

    def test_since_inclusive_until_exclusive(self, store: MentionStore) -> None:
        t = datetime(2026, 11, 3, 12, tzinfo=UTC)
        mentions = [enriched_mention(f"m{k}", published_at=t + timedelta(seconds=k)) for k in (-1, 0, 1, 2)]
        self.load(store, mentions)
        assert store.count(MentionFilter(since=t)) == 3
        assert store.count(MentionFilter(until=t)) == 1
        assert store.count(MentionFilter(since=t, until=t + timedelta(seconds=2))) == 2
        assert store.count(MentionFilter(since=t, until=t)) == 0
        # the same instant written with another offset is the same bound
        assert store.count(MentionFilter(since=t.astimezone(CST))) == 3

    # --- search ----------------------------------------------------------------------------------
    def _search_ids(self, store: MentionStore, text: str, **kwargs: Any) -> set[str]:
        page = store.search(SearchRequest(text=text, limit=1000, **kwargs))
        assert page.total == len(page.hits)
        return {m.id for m in page.hits}

    @pytest.fixture
    def texts(self, store: MentionStore) -> dict[str, EnrichedMention]:
        docs = {
            "flight": enriched_mention("flight", "The flight was delayed by two hours"),
            "flights": enriched_mention("flights", "Cheap FLIGHTS to Paris", title="Deals"),
            "cafe": enriched_mention("cafe", "Best café in town"),
            "fullwidth": enriched_mention("fullwidth", "ＡＣＭＥ headphones rock"),
            "title": enriched_mention("title", "the sound is great", title="Acme headphones review"),
            "zh": enriched_mention("zh", "这个耳机的音质很好，推荐！", lang="zh"),
            "zh_trad": enriched_mention("zh_trad", "這個耳機的電池不行", lang="zh"),
            "zh_split": enriched_mention("zh_split", "机器很好", title="好耳", lang="zh"),  # 好耳|机器很好
            "mixed": enriched_mention("mixed", "Acme耳机battery很好", lang="zh"),
        }
        self.load(store, list(docs.values()))
        return docs

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("flight", {"flight", "flights"}),
            ("flights", {"flight", "flights"}),
            ("FLIGHT delayed", {"flight"}),
            ("delay", {"flight"}),
            ("ｆｌｉｇｈｔｓ", {"flight", "flights"}),
            ("cafe", {"cafe"}),
            ("CAFÉ", {"cafe"}),
            ("acme", {"fullwidth", "title", "mixed"}),
            ("acme headphones", {"fullwidth", "title"}),  # words in title and text both count
            ("deals paris", {"flights"}),
            ("耳机", {"zh", "zh_trad", "mixed"}),
            ("耳機", {"zh", "zh_trad", "mixed"}),  # Traditional query finds Simplified text
            ("电池", {"zh_trad"}),  # Simplified query finds Traditional text
            ("机耳", set()),  # characters must be in sequence
            ("耳机 音质", {"zh"}),
            ("耳机音质", set()),  # a run is contiguous: 耳机的音质 is not 耳机音质
            ("耳", {"zh", "zh_trad", "zh_split", "mixed"}),
            ("耳机器", set()),  # a run never spans title and text
            ("耳机 battery", {"mixed"}),
            ("acme 耳机", {"mixed"}),
            ("nothing matches this", set()),
        ],
    )
    def test_search_text(
        self, store: MentionStore, texts: dict[str, EnrichedMention], query: str, expected: set[str]
    ) -> None:
        expected_ids = {texts[key].id for key in expected}
        assert self._search_ids(store, query) == expected_ids
        reference = {m.id for m in texts.values() if reference_matches(m, text=query)}
        assert reference == expected_ids  # the reference agrees

    def test_search_without_words_is_unconstrained(
        self, store: MentionStore, texts: dict[str, EnrichedMention]
    ) -> None:
        assert self._search_ids(store, "") == {m.id for m in texts.values()}
        assert self._search_ids(store, " !!! ，。") == {m.id for m in texts.values()}

    def test_search_corpus_matches_reference(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        for query in (
            "battery",
            "batteries forever",
            "app crashed",
            "耳机",
            "電池",
            "质量 很好",
            "Acme",
            "café",
            "wireless charging",
            "無線充電",
        ):
            expected = {m.id for m in corpus if reference_matches(m, text=query)}
            assert expected, query
            assert self._search_ids(store, query) == expected, query

    def test_search_with_filters(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query, filters in [
            ("battery", MentionFilter(sentiments=(SentimentLabel.negative,))),
            ("耳机", MentionFilter(platforms=("weibo", "web"))),
            (None, MentionFilter(langs=("zh",), linked=False)),
            ("the", MentionFilter(since=BASE_TIME + timedelta(days=3), until=BASE_TIME + timedelta(days=6))),
        ]:
            expected = [m for m in corpus if reference_matches(m, filters, query)]
            assert expected, (query, filters)
            page = store.search(SearchRequest(text=query, filters=filters, limit=1000))
            assert page.total == len(expected)
            assert {m.id for m in page.hits} == {m.id for m in expected}

    def test_search_returns_full_mentions(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        by_id = {m.id: m for m in corpus}
        for hit in store.search(SearchRequest(limit=1000)).hits:
            assert hit == by_id[hit.id]

    def test_sort_newest_and_oldest(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        # ties in published_at are broken by id ascending in both orders
        same = [enriched_mention(f"tie{k}", published_at=BASE_TIME + timedelta(days=3)) for k in range(5)]
        self.load(store, same)
        everything = corpus + same
        newest = store.search(SearchRequest(sort="newest", limit=1000))
        assert _ids(newest.hits) == _ids(newest_first(everything))
        oldest = store.search(SearchRequest(sort="oldest", limit=1000))
        assert _ids(oldest.hits) == _ids(chronological(everything))
        default = store.search(SearchRequest(limit=1000))
        assert _ids(default.hits) == _ids(newest.hits)

    def test_sort_relevance(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        request = SearchRequest(text="battery", sort="relevance", limit=1000)
        expected = {m.id for m in corpus if reference_matches(m, text="battery")}
        first = store.search(request)
        assert first.total == len(expected)
        assert {m.id for m in first.hits} == expected
        assert _ids(store.search(request).hits) == _ids(first.hits)  # deterministic
        paged: list[str] = []
        for offset in range(0, len(expected), 4):
            paged += _ids(store.search(request.model_copy(update={"limit": 4, "offset": offset})).hits)
        assert paged == _ids(first.hits)  # ties are broken the same way on every page

    def test_relevance_without_text_is_newest(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        page = store.search(SearchRequest(sort="relevance", limit=1000))
        assert _ids(page.hits) == _ids(newest_first(corpus))

    def test_limit_and_offset(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        ordered = _ids(newest_first(corpus))
        for limit, offset in [(10, 0), (10, 10), (7, 75), (5, len(corpus)), (0, 0), (1000, 0)]:
            page = store.search(SearchRequest(limit=limit, offset=offset))
            assert page.total == len(corpus)
            assert _ids(page.hits) == ordered[offset : offset + limit]
        zh = [m for m in corpus if m.lang == "zh"]
        page = store.search(
            SearchRequest(filters=MentionFilter(langs=("zh",)), sort="oldest", limit=3, offset=2)
        )
        assert page.total == len(zh)
        assert _ids(page.hits) == _ids(chronological(zh))[2:5]

    # --- cursors (search_after) -------------------------------------------------------------------
    @staticmethod
    def _paged_with_cursors(store: MentionStore, request: SearchRequest, size: int) -> list[str]:
        """Every hit of `request`, `size` a page, following ``next_cursor`` until it is None."""
        ids: list[str] = []
        page = store.search(request.model_copy(update={"limit": size}))
        pages = 1
        while True:
            assert len(page.hits) <= size
            ids += _ids(page.hits)
            if page.next_cursor is None:
                return ids
            assert len(page.hits) == size  # a cursor only after a full page
            assert pages <= 1000, "cursors never end"
            page = store.search(request.model_copy(update={"limit": size, "search_after": page.next_cursor}))
            pages += 1

    def test_search_after_pages_every_hit_once(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        same = [enriched_mention(f"tie{k}", published_at=BASE_TIME + timedelta(days=3)) for k in range(6)]
        self.load(store, same)
        everything = corpus + same
        cases: list[tuple[SearchRequest, int]] = [
            (SearchRequest(sort=sort, text=text, filters=filters), size)
            for sort in ("newest", "oldest", "relevance")
            for text, filters in [
                (None, NO_FILTER),
                ("battery", NO_FILTER),
                ("the", MentionFilter(langs=("en",))),
                (None, MentionFilter(langs=("zh",), linked=False)),
            ]
            for size in (1, 4, 7)
        ]
        for request, size in cases:
            whole = store.search(request.model_copy(update={"limit": 1000}))
            assert whole.total > size, request  # several pages
            assert whole.next_cursor is None  # everything on one page: nothing follows
            paged = self._paged_with_cursors(store, request, size)
            assert paged == _ids(whole.hits), (request, size)  # each hit once, in the engine's page order
            if request.sort != "relevance":
                expected = [m for m in everything if reference_matches(m, request.filters, request.text)]
                ordered = chronological(expected) if request.sort == "oldest" else newest_first(expected)
                assert paged == _ids(ordered), (request, size)

    def test_search_after_continues_an_offset_page(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        ordered = _ids(newest_first(corpus))
        first = store.search(SearchRequest(limit=5, offset=10))
        assert first.next_cursor is not None
        rest = store.search(SearchRequest(limit=1000, search_after=first.next_cursor))
        assert rest.total == len(corpus)  # the total counts every match, not what is left
        assert _ids(first.hits) + _ids(rest.hits) == ordered[10:]
        assert rest.next_cursor is None
        exact = store.search(SearchRequest(limit=len(corpus)))  # a full last page: nothing follows
        assert exact.next_cursor is None
        assert store.search(SearchRequest(limit=0)).next_cursor is None

    def test_search_after_with_offset_is_refused(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        cursor = store.search(SearchRequest(limit=3)).next_cursor
        assert cursor is not None
        with pytest.raises(InvalidInput) as info:
            store.search(SearchRequest(limit=3, offset=3, search_after=cursor))
        assert info.value.http_status == 400

    def test_bad_cursor_is_refused(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        request = SearchRequest(text="battery", limit=2)
        cursor = store.search(request).next_cursor
        assert cursor is not None
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))

        def forged(**changes: Any) -> str:
            raw = json.dumps({**payload, **changes}).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        bad = [
            "",
            "not a cursor!",
            "x" * 10_000,
            cursor[: len(cursor) // 2],
            base64.urlsafe_b64encode(b"[1, 2]").decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
            forged(k=["x", 1]),
            forged(k=[True, "id"]),
            forged(k=payload["k"][:-1]),
            forged(k=[*payload["k"], 1]),
            forged(k=[2**70, "id"]),
            forged(k=None),
            forged(v=99),
            forged(e="another-store"),
            forged(f="0" * 16),
        ]
        for value in bad:
            with pytest.raises(InvalidInput) as info:
                store.search(request.model_copy(update={"search_after": value}))
            assert info.value.http_status == 400, value
            assert not info.value.retryable
        # a cursor belongs to its search: another text, filter or sort refuses it
        for other in (
            request.model_copy(update={"text": "refund"}),
            request.model_copy(update={"filters": MentionFilter(langs=("en",))}),
            request.model_copy(update={"sort": "oldest"}),
        ):
            with pytest.raises(InvalidInput):
                store.search(other.model_copy(update={"search_after": cursor}))
        # another page size is the same search
        assert store.search(request.model_copy(update={"limit": 5, "search_after": cursor})).hits

    # --- date histogram --------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("interval", "tz", "expected"),
        [
            (
                "day",
                "UTC",
                [
                    ("2026-10-31T00:00:00+00:00", 1),
                    ("2026-11-01T00:00:00+00:00", 4),
                    ("2026-11-02T00:00:00+00:00", 1),
                    ("2026-11-09T00:00:00+00:00", 1),
                ],
            ),
            (
                "day",
                "Asia/Shanghai",
                [
                    ("2026-11-01T00:00:00+08:00", 4),
                    ("2026-11-02T00:00:00+08:00", 2),
                    ("2026-11-10T00:00:00+08:00", 1),
                ],
            ),
            (
                "day",
                "+08:00",
                [
                    ("2026-11-01T00:00:00+08:00", 4),
                    ("2026-11-02T00:00:00+08:00", 2),
                    ("2026-11-10T00:00:00+08:00", 1),
                ],
            ),
            # DST ends in New York at 02:00 EDT on 2026-11-01: local midnights carry their own offsets
            (
                "day",
                "America/New_York",
                [
                    ("2026-10-31T00:00:00-04:00", 2),
                    ("2026-11-01T00:00:00-04:00", 3),
                    ("2026-11-02T00:00:00-05:00", 1),
                    ("2026-11-09T00:00:00-05:00", 1),
                ],
            ),
            # ... and 01:00-02:00 happens twice: two buckets with the same wall clock
            (
                "hour",
                "America/New_York",
                [
                    ("2026-10-31T19:00:00-04:00", 1),
                    ("2026-10-31T23:00:00-04:00", 1),
                    ("2026-11-01T01:00:00-04:00", 1),
                    ("2026-11-01T01:00:00-05:00", 1),
                    ("2026-11-01T11:00:00-05:00", 1),
                    ("2026-11-02T07:00:00-05:00", 1),
                    ("2026-11-09T18:00:00-05:00", 1),
                ],
            ),
            (
                "hour",
                "UTC",
                [
                    ("2026-10-31T23:00:00+00:00", 1),
                    ("2026-11-01T03:00:00+00:00", 1),
                    ("2026-11-01T05:00:00+00:00", 1),
                    ("2026-11-01T06:00:00+00:00", 1),
                    ("2026-11-01T16:00:00+00:00", 1),
                    ("2026-11-02T12:00:00+00:00", 1),
                    ("2026-11-09T23:00:00+00:00", 1),
                ],
            ),
            (
                "hour",
                "Asia/Kolkata",
                [
                    ("2026-11-01T04:00:00+05:30", 1),
                    ("2026-11-01T09:00:00+05:30", 1),
                    ("2026-11-01T11:00:00+05:30", 1),
                    ("2026-11-01T12:00:00+05:30", 1),
                    ("2026-11-01T21:00:00+05:30", 1),
                    ("2026-11-02T17:00:00+05:30", 1),
                    ("2026-11-10T05:00:00+05:30", 1),
                ],
            ),
            (
                "week",
                "UTC",
                [
                    ("2026-10-26T00:00:00+00:00", 5),
                    ("2026-11-02T00:00:00+00:00", 1),
                    ("2026-11-09T00:00:00+00:00", 1),
                ],
            ),
            (
                "week",
                "Asia/Shanghai",
                [
                    ("2026-10-26T00:00:00+08:00", 4),
                    ("2026-11-02T00:00:00+08:00", 2),
                    ("2026-11-09T00:00:00+08:00", 1),
                ],
            ),
            ("month", "UTC", [("2026-10-01T00:00:00+00:00", 1), ("2026-11-01T00:00:00+00:00", 6)]),
            (
                "month",
                "America/New_York",
                [("2026-10-01T00:00:00-04:00", 2), ("2026-11-01T00:00:00-04:00", 5)],
            ),
        ],
    )
    def test_date_histogram(
        self, store: MentionStore, interval: Interval, tz: str, expected: list[tuple[str, int]]
    ) -> None:
        instants = [
            datetime(2026, 10, 31, 23, 10, tzinfo=UTC),  # NY 19:10 EDT; Shanghai 07:10 Nov 1 (Sunday)
            datetime(2026, 11, 1, 3, 30, tzinfo=UTC),  # NY 23:30 EDT Oct 31; Shanghai 11:30 Nov 1
            datetime(2026, 11, 1, 13, 30, tzinfo=CST),  # 05:30 UTC; NY 01:30 EDT (before DST ends)
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # NY 01:30 EST (after DST ends)
            datetime(2026, 11, 1, 16, 0, tzinfo=UTC),  # Shanghai 00:00 Nov 2: a bucket start is inclusive
            datetime(2026, 11, 2, 12, 0, tzinfo=UTC),
            datetime(2026, 11, 9, 23, 59, 59, tzinfo=UTC),  # Shanghai Nov 10 07:59; Monday Nov 9 UTC
        ]
        self.load(store, [enriched_mention(f"h{k}", published_at=t) for k, t in enumerate(instants)])
        want = [Bucket(key=key, count=n) for key, n in expected]
        assert store.date_histogram(interval=interval, tz=tz) == want
        assert store.date_histogram(interval=interval, tz=tz) == histogram(
            ((t, 1) for t in instants), interval, tz
        )

    def test_date_histogram_corpus(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        filters = MentionFilter(langs=("en",), since=BASE_TIME + timedelta(days=1, hours=5))
        for interval in ("hour", "day", "week", "month"):
            for tz in ("UTC", "Asia/Shanghai", "America/Los_Angeles", "-03:30"):
                for f in (MentionFilter(), filters):
                    expected = histogram(
                        ((m.published_at, 1) for m in corpus if reference_matches(m, f)), interval, tz
                    )
                    got = store.date_histogram(f, interval, tz)
                    assert got == expected, (interval, tz, f)
                    assert sum(b.count for b in got) == store.count(f)

    def test_date_histogram_default_is_utc_days(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        days = store.date_histogram()
        assert days == histogram(((m.published_at, 1) for m in corpus), "day", "UTC")
        assert [b.key for b in days] == [f"2026-11-{d:02d}T00:00:00+00:00" for d in range(1, 11)]

    # --- terms -----------------------------------------------------------------------------------
    @pytest.mark.parametrize("field", FACET_FIELDS)
    def test_terms(self, store: MentionStore, corpus: list[EnrichedMention], field: FacetField) -> None:
        everything = store.terms(field, size=1000)
        expected = reference_terms(corpus, field, size=1000)
        assert len(expected) >= 2, field
        assert everything == expected
        assert store.terms(field, size=2) == expected[:2]
        assert store.terms(field) == expected[:10]
        zh = MentionFilter(langs=("zh",))
        assert store.terms(field, zh, size=1000) == reference_terms(
            [m for m in corpus if reference_matches(m, zh)], field, 1000
        )

    def test_terms_multi_valued_and_ties(self, store: MentionStore) -> None:
        c1, c2 = customer_id("C001"), customer_id("C002")
        self.load(
            store,
            [
                enriched_mention(
                    "a",
                    hashtags=("b", "a"),
                    intents=(
                        Intent(label=IntentLabel.complaint, confidence=1),
                        Intent(label=IntentLabel.question, confidence=1),
                    ),
                    author=Author(platform="web", handle="zed"),
                    customer=CustomerLink(customer_id=c2, confidence=1, method="manual"),
                ),
                enriched_mention(
                    "b",
                    hashtags=("a",),
                    intents=(Intent(label=IntentLabel.question, confidence=1),),
                    author=Author(platform="web", handle="amy"),
                    customer=CustomerLink(customer_id=c1, confidence=1, method="manual"),
                ),
                enriched_mention(
                    "c", hashtags=("c", "b"), author=Author(platform="web", display_name="no handle")
                ),
                enriched_mention("d"),
            ],
        )
        assert store.terms("hashtag") == [
            Bucket(key="a", count=2),
            Bucket(key="b", count=2),
            Bucket(key="c", count=1),
        ]
        assert store.terms("hashtag", size=1) == [Bucket(key="a", count=2)]
        assert store.terms("intent") == [Bucket(key="question", count=2), Bucket(key="complaint", count=1)]
        assert store.terms("author") == [Bucket(key="amy", count=1), Bucket(key="zed", count=1)]
        assert store.terms("customer") == sorted(
            [Bucket(key=c1, count=1), Bucket(key=c2, count=1)], key=lambda b: b.key
        )
        assert store.terms("site") == []
        assert store.terms("sentiment") == [Bucket(key="neutral", count=4)]
        assert store.terms("hashtag", MentionFilter(intents=(IntentLabel.complaint,))) == [
            Bucket(key="a", count=1),
            Bucket(key="b", count=1),
        ]

    # --- sentiment share -------------------------------------------------------------------------
    def test_sentiment_share(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for filters in (MentionFilter(), MentionFilter(langs=("zh",)), MentionFilter(platforms=("twitter",))):
            subset = [m for m in corpus if reference_matches(m, filters)]
            share = store.sentiment_share(filters)
            assert share.total == len(subset)
            counts = Counter(m.sentiment.label for m in subset)
            assert share.counts == {label: counts.get(label, 0) for label in SentimentLabel}
            for label in SentimentLabel:
                assert share.share(label) == pytest.approx(counts.get(label, 0) / len(subset))

    def test_sentiment_share_empty(self, store: MentionStore) -> None:
        share = store.sentiment_share()
        assert share.total == 0
        assert share.counts == dict.fromkeys(SentimentLabel, 0)
        assert share.share(SentimentLabel.positive) == 0.0

    # --- export ----------------------------------------------------------------------------------
    def test_export_all_oldest_first(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        same = [enriched_mention(f"tie{k}", published_at=BASE_TIME + timedelta(days=2)) for k in range(6)]
        self.load(store, same)
        for page_size in (7, 1000):
            exported = list(store.export(page_size=page_size))
            assert exported == chronological(corpus + same)

    def test_export_with_filters(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        filters = MentionFilter(langs=("en",), until=BASE_TIME + timedelta(days=6))
        expected = chronological([m for m in corpus if reference_matches(m, filters)])
        assert expected
        assert list(store.export(filters, page_size=5)) == expected

    def test_export_stable_under_concurrent_writes(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        before = {m.id for m in corpus}
        extra = enriched_mentions(30, seed=8)  # published across the same days: they interleave with pages
        seen: list[str] = []
        for k, mention in enumerate(store.export(page_size=6)):
            seen.append(mention.id)
            if k in (3, 20, 40):
                store.upsert(extra[(k % 3) * 10 : (k % 3) * 10 + 10])
                store.refresh()
        assert len(seen) == len(set(seen))  # no duplicates
        assert before <= set(seen)  # nothing that was there is missed
        assert set(seen) <= before | {m.id for m in extra}
        assert store.count() == len(corpus) + 30

    # --- refresh -----------------------------------------------------------------------------------
    def test_refresh_makes_writes_searchable(self, store: MentionStore) -> None:
        mention = enriched_mention("a", "refresh me please")
        store.upsert([mention])
        store.refresh()
        assert store.search(SearchRequest(text="refresh")).hits == (mention,)
        store.delete([mention.id])
        store.refresh()
        assert store.search(SearchRequest(text="refresh")).total == 0


class QueryLanguageContract:
    """`MentionStore.search` with the query language (`SearchRequest.query`), highlights and facets. Mix it
    in next to `MentionStoreContract` (it uses that class's ``store`` and ``corpus`` fixtures and `load`).
    The expected results come from `index.query.evaluate` over the corpus: the language's specification."""

    load = staticmethod(MentionStoreContract.load)

    #: Queries over the contract corpus; each matches some but not all of it (checked).
    QUERIES: tuple[str, ...] = (
        "battery AND refund",
        "battery OR 电池",
        "battery -refund",
        "NOT battery",
        '"sound is amazing"',
        '(refund OR "money back") NEAR/7 (battery OR died)',
        '"battery lasts"~2 OR battery ONEAR/3 forever',
        "crash* OR charg*",
        "wirel?ss",
        "耳机 OR 手表",
        "(耳机 OR 手表 OR 音箱 OR 充电器) NEAR/2 (质量 OR 音质 OR 电池)",
        "lang:zh AND NOT 耳机",
        "sentiment:negative AND intent:complaint",
        "customer:* AND (battery OR 电池)",
        "rating:[1 TO 2] OR rating:5",
        "title:battery OR title:(app OR 电池)",
        "#acme OR @nobody OR author:user01 OR site:example.com",
        "source:(reddit OR weibo) -intent:praise",
        'raw:"Acme" OR country:sg',
    )

    def _query_expected(
        self,
        corpus: Sequence[EnrichedMention],
        query: str,
        filters: MentionFilter = NO_FILTER,
        text: str | None = None,
    ) -> list[EnrichedMention]:
        """The spec: the evaluator over every mention (newest first)."""
        node = parse(query)
        return newest_first(
            [m for m in corpus if reference_matches(m, filters, text) and evaluate_query(node, m) is not None]
        )

    def test_query_matches_the_evaluator(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query in self.QUERIES:
            expected = self._query_expected(corpus, query)
            assert 0 < len(expected) < len(corpus), query  # the query really selects
            page = store.search(SearchRequest(query=query, limit=1000))
            assert page.total == len(expected), query
            assert _ids(page.hits) == _ids(expected), query

    def test_query_with_text_filters_and_paging(
        self, store: MentionStore, corpus: list[EnrichedMention]
    ) -> None:
        cases: list[tuple[str, MentionFilter, str | None]] = [
            ("battery OR 电池 OR 耳机", MentionFilter(platforms=("weibo", "web", "reddit")), None),
            ("NOT intent:praise", MentionFilter(since=BASE_TIME + timedelta(days=2)), "the"),
            ("charg* OR 充电", MentionFilter(langs=("zh",)), None),
            ("customer:* OR sentiment:positive", MentionFilter(linked=False), "battery"),
        ]
        for query, filters, text in cases:
            expected = self._query_expected(corpus, query, filters, text)
            assert expected, (query, filters, text)
            request = SearchRequest(query=query, text=text, filters=filters, limit=1000)
            page = store.search(request)
            assert (page.total, _ids(page.hits)) == (len(expected), _ids(expected)), query
            paged: list[str] = []
            for offset in range(0, len(expected) + 3, 3):
                part = store.search(
                    request.model_copy(update={"limit": 3, "offset": offset, "sort": "oldest"})
                )
                assert part.total == len(expected)
                paged += _ids(part.hits)
            assert paged == _ids(chronological(expected)), query
            # without text, relevance is newest first
            relevance = store.search(request.model_copy(update={"sort": "relevance", "text": None}))
            assert _ids(relevance.hits) == _ids(self._query_expected(corpus, query, filters)), query

    def test_query_search_after(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query, text, sort in [
            ("battery OR 电池 OR 耳机", None, "newest"),
            ("NOT intent:praise", "the", "relevance"),
            ("charg* OR 充电 OR battery", "battery", "relevance"),
            ("sentiment:negative OR lang:zh", None, "oldest"),
        ]:
            request = SearchRequest(query=query, text=text, sort=sort, highlight=True, facets=("lang",))
            whole = store.search(request.model_copy(update={"limit": 1000}))
            assert whole.total > 3, query
            paged = MentionStoreContract._paged_with_cursors(store, request, 3)
            assert paged == _ids(whole.hits), query
            page = store.search(request.model_copy(update={"limit": 3}))
            assert page.next_cursor is not None
            second = store.search(request.model_copy(update={"limit": 3, "search_after": page.next_cursor}))
            # the total, facets and highlights describe the search, whichever page
            assert (second.total, second.facets) == (whole.total, whole.facets)
            assert second.highlights == {k: v for k, v in whole.highlights.items() if k in _ids(second.hits)}
        with pytest.raises(InvalidInput):  # a cursor is for its own query
            store.search(SearchRequest(query="battery", search_after=page.next_cursor))

    def test_query_on_literal_mentions(self, store: MentionStore) -> None:
        docs = {
            "late": enriched_mention("late", "The refund came late, very late.", title="Refund woes"),
            "slow": enriched_mention("slow", "Money back took ages and delivery was slower than ever"),
            "far": enriched_mention("far", "refund requested; the parcel, after many weeks, arrived late"),
            "zh": enriched_mention("zh", "这个手机的电池很差", lang="zh"),
            "zh_far": enriched_mention("zh_far", "手机很好看但是电池很差", lang="zh"),
            "case": enriched_mention("case", "I love my iPhone", rating=2.0),
        }
        self.load(store, list(docs.values()))
        for query, keys in [
            ('(refund OR "money back") NEAR/5 (late OR slow*)', {"late", "slow"}),
            ("refund ONEAR/0 late", set()),
            ("late ONEAR/1 refund", set()),
            ("refund ONEAR/1 late", {"late"}),
            ("手机 NEAR/1 电池", {"zh"}),
            ("手機 NEAR/5 電池", {"zh", "zh_far"}),
            ('raw:"iPhone"', {"case"}),
            ('raw:"iphone"', set()),
            ("iphone rating:[1 TO 2]", {"case"}),
            ("title:refund", {"late"}),
        ]:
            expected = {docs[k].id for k in keys}
            assert {m.id for m in docs.values() if evaluate_query(parse(query), m)} == expected, query
            page = store.search(SearchRequest(query=query, limit=100))
            assert {m.id for m in page.hits} == expected, query
            assert page.total == len(expected), query

    def test_query_highlights(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        late = enriched_mention("late", "The refund came late & cold.", title="Refund <late>")
        self.load(store, [late])
        page = store.search(SearchRequest(query="refund NEAR/2 late OR title:late", highlight=True))
        assert page.hits == (late,)
        assert page.highlights == {
            late.id: {
                "title": ("Refund &lt;<em>late</em>&gt;",),  # words search the text, title: the title
                "text": ("The <em>refund</em> came <em>late</em> &amp; cold.",),
            }
        }
        assert store.search(SearchRequest(query="refund NEAR/2 late")).highlights == {}  # only on request
        query = "(battery OR 电池 OR 耳机) AND NOT sentiment:positive"
        page = store.search(SearchRequest(query=query, highlight=True, limit=1000))
        node = parse(query)
        expected_hits = self._query_expected([*corpus, late], query)
        assert _ids(page.hits) == _ids(expected_hits)
        assert set(page.highlights) == {m.id for m in expected_hits}  # every hit has a marked word
        for hit in page.hits:
            match = evaluate_query(node, hit)
            assert match is not None
            want = {field: tuple(parts) for field, parts in highlight(hit, match.spans).items()}
            assert page.highlights[hit.id] == want
            fragments = " ".join(" ".join(parts) for parts in page.highlights[hit.id].values())
            marked = [normalize(word) for word in re.findall(r"<em>(.*?)</em>", fragments)]
            assert marked, fragments  # touching matches are merged into one mark
            assert all(re.fullmatch("(battery|电池|耳机)+", word) for word in marked), fragments
        # a match through field operators only has nothing to mark
        page = store.search(SearchRequest(query="sentiment:negative", highlight=True, limit=5))
        assert page.hits
        assert page.highlights == {}

    def test_query_facets(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query, filters, text in [
            ("battery OR 电池 OR 耳机 OR charg*", NO_FILTER, None),
            ("NOT sentiment:neutral", MentionFilter(langs=("en",)), None),
            (None, MentionFilter(platforms=("reddit", "weibo")), "the"),
            (None, MentionFilter(langs=("zh",)), None),
            # proximity: evaluated mention by mention where the store cannot answer it exactly
            ('(battery OR "battery life" OR 电池) NEAR/6 (dead OR charg* OR 充电)', NO_FILTER, None),
            ("(battery OR 电池) NEAR/6 (dead OR charg* OR 充电)", NO_FILTER, "the"),
        ]:
            matched = (
                self._query_expected(corpus, query, filters, text)
                if query
                else [m for m in corpus if reference_matches(m, filters, text)]
            )
            assert matched, (query, text)  # a case that matches nothing would check nothing
            for size in (1000, 2):
                page = store.search(
                    SearchRequest(
                        query=query, text=text, filters=filters, facets=FACET_FIELDS, facet_size=size, limit=1
                    )
                )
                assert page.total == len(matched)
                assert set(page.facets) == set(FACET_FIELDS)
                for field in FACET_FIELDS:
                    assert list(page.facets[field]) == reference_terms(matched, field, size), (query, field)
                    if query is None and text is None:  # the same as terms()
                        assert list(page.facets[field]) == store.terms(field, filters, size)
        assert store.search(SearchRequest(query="battery")).facets == {}
        page = store.search(SearchRequest(query="nothingmatchesthis", facets=("lang", "hashtag")))
        assert page.total == 0
        assert page.facets == {"lang": (), "hashtag": ()}

    def test_search_histogram(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query, filters, text in [
            ("battery OR 电池 OR 耳机 OR charg*", NO_FILTER, None),
            ("NOT sentiment:neutral", MentionFilter(langs=("en",)), "the"),
            (None, MentionFilter(platforms=("reddit", "weibo")), None),
            (None, NO_FILTER, None),
        ]:
            matched = (
                self._query_expected(corpus, query, filters, text)
                if query
                else [m for m in corpus if reference_matches(m, filters, text)]
            )
            calendars: list[tuple[Interval, str]] = [
                ("day", "UTC"),
                ("hour", "America/New_York"),
                ("week", "+08:00"),
            ]
            for interval, tz in calendars:
                request = SearchRequest(
                    query=query, text=text, filters=filters, histogram=interval, histogram_tz=tz, limit=2
                )
                page = store.search(request)
                expected = histogram(((m.published_at, 1) for m in matched), interval, tz)
                assert list(page.histogram) == expected, (query, interval, tz)
                assert sum(b.count for b in page.histogram) == page.total
                if query is None and text is None:  # the same as date_histogram()
                    assert list(page.histogram) == store.date_histogram(filters, interval, tz)
        assert store.search(SearchRequest(query="battery")).histogram == ()  # only on request
        assert store.search(SearchRequest(query="nothingmatchesthis", histogram="day")).histogram == ()
        with pytest.raises(InvalidInput):
            store.search(SearchRequest(histogram="day", histogram_tz="Mars/Olympus"))

    @pytest.mark.parametrize("query", ["(battery OR refund", "a NEAR/3 NOT b", "ab*", "foo:bar", "author: x"])
    def test_invalid_query_is_refused(self, store: MentionStore, query: str) -> None:
        with pytest.raises(QuerySyntaxError) as info:
            store.search(SearchRequest(query=query))
        assert isinstance(info.value, InvalidInput)
        assert not info.value.retryable

    def test_blank_query_is_unconstrained(self, store: MentionStore, corpus: list[EnrichedMention]) -> None:
        for query in ("", "   "):
            page = store.search(SearchRequest(query=query, limit=1000))
            assert _ids(page.hits) == _ids(newest_first(corpus))


class CursorStoreContract:
    """Behaviour every CursorStore must have. Uses ``cursor_store`` (by default the ``store`` fixture)."""

    @pytest.fixture
    def cursor_store(self, store: Any) -> CursorStore:
        assert isinstance(store, CursorStore), "override the cursor_store fixture"
        return store

    def test_cursor_protocol(self, cursor_store: CursorStore) -> None:
        assert isinstance(cursor_store, CursorStore)

    def test_cursor_unknown_is_none(self, cursor_store: CursorStore) -> None:
        assert cursor_store.load_cursor("nobody") is None

    def test_cursor_save_load_overwrite(self, cursor_store: CursorStore) -> None:
        first = SourceCursor(
            source="reviews", value="page=3", updated_at=datetime(2026, 11, 1, 8, tzinfo=CST)
        )
        cursor_store.save_cursor(first)
        got = cursor_store.load_cursor("reviews")
        assert got == first
        assert got is not None
        assert got.updated_at.utcoffset() == timedelta(hours=8)
        second = SourceCursor(source="reviews", value=None, updated_at=datetime(2026, 11, 2, tzinfo=UTC))
        cursor_store.save_cursor(second)
        assert cursor_store.load_cursor("reviews") == second

    def test_cursors_are_per_source(self, cursor_store: CursorStore) -> None:
        cursors = [
            SourceCursor(source=name, value=f"{name}:{k}", updated_at=BASE_TIME + timedelta(hours=k))
            for k, name in enumerate(["a", "b", "微博-源", "file:/tmp/x.csv"])
        ]
        for cursor in cursors:
            cursor_store.save_cursor(cursor)
        for cursor in cursors:
            assert cursor_store.load_cursor(cursor.source) == cursor
        assert cursor_store.load_cursor("A") is None


class SavedSearchStoreContract:
    """Behaviour every SavedSearchStore must have. Uses ``saved_search_store`` (by default ``store``)."""

    @pytest.fixture
    def saved_search_store(self, store: Any) -> SavedSearchStore:
        assert isinstance(store, SavedSearchStore), "override the saved_search_store fixture"
        return store

    @staticmethod
    def _search(owner: str, name: str, query: str = "battery OR 电池", **fields: Any) -> SavedSearch:
        return SavedSearch(
            owner=owner,
            name=name,
            query=query,
            created_at=fields.pop("created_at", BASE_TIME),
            updated_at=fields.pop("updated_at", BASE_TIME),
            **fields,
        )

    def test_saved_search_protocol(self, saved_search_store: SavedSearchStore) -> None:
        assert isinstance(saved_search_store, SavedSearchStore)
        assert saved_search_store.list_searches() == []
        assert saved_search_store.get_search("ann", "nothing") is None
        assert saved_search_store.delete_search("ann", "nothing") is False

    def test_save_get_replace_delete(self, saved_search_store: SavedSearchStore) -> None:
        first = self._search(
            "ann", "Refunds 退款", '(refund OR "money back") NEAR/5 late', description="for the weekly"
        )
        saved_search_store.save_search(first)
        assert saved_search_store.get_search("ann", "Refunds 退款") == first
        assert saved_search_store.get_search("ann", "refunds 退款") is None  # names are exact
        assert saved_search_store.get_search("bob", "Refunds 退款") is None  # and per owner
        replaced = self._search(
            "ann", "Refunds 退款", "refund*", created_at=BASE_TIME, updated_at=BASE_TIME + timedelta(days=1)
        )
        saved_search_store.save_search(replaced)
        assert saved_search_store.get_search("ann", "Refunds 退款") == replaced
        assert saved_search_store.list_searches() == [replaced]
        assert saved_search_store.delete_search("ann", "Refunds 退款") is True
        assert saved_search_store.get_search("ann", "Refunds 退款") is None
        assert saved_search_store.delete_search("ann", "Refunds 退款") is False
        assert saved_search_store.list_searches() == []

    def test_list_order_and_owner(self, saved_search_store: SavedSearchStore) -> None:
        searches = [
            self._search(owner, name)
            for owner, name in [("bob", "b"), ("ann", "zeta"), ("bob", "A"), ("ann", "alpha"), ("陈", "耳机")]
        ]
        searches.append(self._search("ann", "Zulu", "lang:zh", created_at=datetime(2026, 1, 1, tzinfo=CST)))
        for search in searches:
            saved_search_store.save_search(search)
        everything = saved_search_store.list_searches()
        assert everything == sorted(searches, key=lambda s: (s.owner, s.name))
        assert [(s.owner, s.name) for s in everything] == [
            ("ann", "Zulu"),
            ("ann", "alpha"),
            ("ann", "zeta"),
            ("bob", "A"),
            ("bob", "b"),
            ("陈", "耳机"),
        ]
        assert everything[0].created_at.utcoffset() == timedelta(hours=8)
        assert [s.name for s in saved_search_store.list_searches("bob")] == ["A", "b"]
        assert saved_search_store.list_searches("nobody") == []
        # the same name under two owners are two searches
        assert saved_search_store.delete_search("bob", "b") is True
        assert [s.name for s in saved_search_store.list_searches("bob")] == ["A"]

    @pytest.mark.parametrize("query", ["(battery OR refund", "a NEAR/3 NOT b", "ab*", "foo:bar"])
    def test_invalid_query_is_not_saved(self, saved_search_store: SavedSearchStore, query: str) -> None:
        with pytest.raises(QuerySyntaxError):
            saved_search_store.save_search(self._search("ann", "bad", query))
        assert saved_search_store.get_search("ann", "bad") is None
        good = self._search("ann", "bad", "battery")
        saved_search_store.save_search(good)
        with pytest.raises(QuerySyntaxError):  # a bad replacement leaves the old one in place
            saved_search_store.save_search(self._search("ann", "bad", query))
        assert saved_search_store.get_search("ann", "bad") == good
