"""`SourceContract`: the behaviour every Source must have, as a pytest suite to subclass.

Subclass it in a test module and provide one fixture, ``source_factory``: a callable returning a *fresh*
source over the same finite input (two instances must read the same items, as after a restart). Set
the capability flags for what the input holds::

    class TestMySource(SourceContract):
        min_mentions = 5          # the input holds at least this many valid mentions
        expects_rejected = True   # and at least one item that must be reported as rejected

        @pytest.fixture
        def source_factory(self, tmp_path) -> Callable[[], Source]:
            ...

A class that runs several inputs (Earful's own ``tests/contracts/test_source.py``, parametrised over the
``earful.sources`` entry points) overrides the ``source_traits`` fixture instead of the class attributes,
to give each input its own :class:`SourceTraits`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from core.models import RawMention, Rejected, SourceCursor
from crawlers.base import FetchResult, Source

MAX_CALLS = 10_000  # a source that never reports `exhausted` fails instead of hanging the suite


@dataclass
class Drained:
    """Everything a source yielded, fetch after fetch, until it said it was exhausted."""

    mentions: list[RawMention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    results: list[FetchResult] = field(default_factory=list)
    cursor: SourceCursor | None = None

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.mentions]


def drain(
    source: Source, limit: int, cursor: SourceCursor | None = None, *, max_calls: int = MAX_CALLS
) -> Drained:
    """Fetch until exhausted, passing each result's cursor to the next fetch as a flow would."""
    out = Drained(cursor=cursor)
    for _ in range(max_calls):
        result = source.fetch(out.cursor, limit)
        out.results.append(result)
        out.mentions.extend(result.mentions)
        out.rejected.extend(result.rejected)
        out.cursor = result.cursor
        if result.exhausted:
            return out
    raise AssertionError(f"source {source.name!r} not exhausted after {max_calls} fetches of {limit}")


def roundtrip(cursor: SourceCursor) -> SourceCursor:
    """A cursor as it comes back from the cursor store: serialised and parsed again."""
    return SourceCursor.model_validate_json(cursor.model_dump_json())


@dataclass(frozen=True)
class SourceTraits:
    """What a source's test input holds, and how the contract pages through it."""

    #: The input holds at least this many valid mentions.
    min_mentions: int = 3
    #: The input holds at least one item that must be reported as rejected.
    expects_rejected: bool = False
    #: The limit of the paging tests: small, so that paging crosses many batch boundaries.
    page_size: int = 2


class SourceContract:
    #: The defaults of :class:`SourceTraits` for the ``source_traits`` fixture (see there).
    min_mentions: int = 3
    expects_rejected: bool = False
    page_size: int = 2

    @pytest.fixture
    def source_factory(self) -> Callable[[], Source]:
        raise NotImplementedError("subclasses provide a `source_factory` fixture")

    @pytest.fixture
    def source_traits(self) -> SourceTraits:
        """The input's traits: the class attributes, unless a class that runs several inputs overrides
        this fixture to give each its own."""
        return SourceTraits(
            min_mentions=self.min_mentions, expects_rejected=self.expects_rejected, page_size=self.page_size
        )

    @pytest.fixture
    def source(self, source_factory: Callable[[], Source]) -> Source:
        return source_factory()

    @pytest.fixture
    def everything(self, source_factory: Callable[[], Source]) -> Drained:
        """The whole input read in one go by a fresh source, the reference for the other tests."""
        return drain(source_factory(), limit=1_000_000)

    # --- shape ------------------------------------------------------------------------------------
    def test_implements_protocol(self, source: Source) -> None:
        assert isinstance(source, Source)
        assert isinstance(source.name, str)
        assert source.name

    def test_fetch_from_none_cursor(self, source_traits: SourceTraits, source: Source) -> None:
        result = source.fetch(None, 1_000_000)
        assert isinstance(result, FetchResult)
        assert len(result.mentions) >= source_traits.min_mentions
        assert result.cursor.source == source.name
        assert result.cursor.value is None or isinstance(result.cursor.value, str)
        for mention in result.mentions:
            assert mention.source == source.name
            assert mention.text.strip()
            assert mention.published_at.utcoffset() is not None

    def test_limit_is_respected(self, source: Source) -> None:
        for limit in (1, 2, 3):
            result = source.fetch(None, limit)
            assert len(result.mentions) <= limit
            assert result.mentions or result.rejected or result.exhausted, (
                "a fetch that returns nothing is done"
            )

    def test_same_cursor_same_batch(self, source: Source) -> None:
        first = source.fetch(None, 3)
        again = source.fetch(None, 3)
        assert [m.id for m in first.mentions] == [m.id for m in again.mentions]
        assert first.cursor.value == again.cursor.value

    # --- paging and resumption --------------------------------------------------------------------
    def test_paging_has_no_duplicates_and_no_gaps(
        self, source_traits: SourceTraits, source: Source, everything: Drained
    ) -> None:
        paged = drain(source, source_traits.page_size)
        assert paged.ids == everything.ids
        assert len(set(paged.ids)) == len(paged.ids)
        assert all(len(r.mentions) <= source_traits.page_size for r in paged.results)
        assert len(paged.results) >= 2, "input too small to test paging"
        for result in paged.results[:-1]:  # every fetch but the last moved forward
            assert result.mentions or result.rejected
            assert result.cursor.value is not None

    def test_resume_in_a_fresh_source(
        self, source_traits: SourceTraits, source_factory: Callable[[], Source], everything: Drained
    ) -> None:
        # A crash after some batches: a new process resumes from the saved (serialised) cursor.
        first = source_factory()
        seen: list[str] = []
        cursor: SourceCursor | None = None
        for _ in range(2):
            result = first.fetch(cursor, source_traits.page_size)
            seen.extend(m.id for m in result.mentions)
            cursor = roundtrip(result.cursor)
            if result.exhausted:
                break
        rest = drain(source_factory(), source_traits.page_size, cursor)
        assert seen + rest.ids == everything.ids

    def test_exhausted_stays_exhausted(
        self, source_traits: SourceTraits, source: Source, everything: Drained
    ) -> None:
        assert everything.cursor is not None
        again = source.fetch(roundtrip(everything.cursor), source_traits.page_size)
        assert again.exhausted
        assert again.mentions == ()
        assert again.rejected == ()
        assert again.cursor.value == everything.cursor.value

    # --- rejects and ids --------------------------------------------------------------------------
    def test_rejected_items_are_reported_once_with_locator_and_reason(
        self, source_traits: SourceTraits, source: Source, everything: Drained
    ) -> None:
        paged = drain(source, source_traits.page_size)
        if source_traits.expects_rejected:
            assert everything.rejected, "the input holds an item that must be rejected"
        for item in everything.rejected:
            assert item.source == source.name
            assert item.locator.strip()
            assert item.reason.strip()
        key = [(r.locator, r.reason) for r in paged.rejected]
        assert key == [(r.locator, r.reason) for r in everything.rejected]
        assert len(set(key)) == len(key)

    def test_ids_are_deterministic(self, source_factory: Callable[[], Source], everything: Drained) -> None:
        again = drain(source_factory(), limit=1_000_000)
        assert again.ids == everything.ids
        assert len(set(everything.ids)) == len(everything.ids)
        assert [m.native_id for m in again.mentions] == [m.native_id for m in everything.mentions]
