"""The mention-store contracts (writes, reads, search, aggregations, export, the query language, cursors,
saved searches, workspace isolation) over every registered ``earful.stores`` entry point: the embedded
SQLite store on a file of its own, Elasticsearch on the test cluster with an index prefix of its own.

`STORE_BACKENDS` is the table: backend -> how to open stores of any workspace on one fresh backend,
the traits where it legitimately differs, and the markers its cases carry. Each backend's own tests
(schema guard, migrations, failure handling) are in tests/index/.
tests/contracts/test_registry_coverage.py checks that the table covers every entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.models import DEFAULT_WORKSPACE
from core.registry import STORES
from core.settings import Settings
from index.base import MentionStore
from index.testing.contracts import (
    CursorStoreContract,
    MentionStoreContract,
    QueryLanguageContract,
    SavedSearchStoreContract,
    StoreTraits,
)
from index.testing.isolation import StoreIn, WorkspaceIsolationContract
from tests.index.stores import es_test_settings

# (workspace, the stores opened before it on this backend) -> a new store of that workspace
NewStore = Callable[[str, Sequence[Any]], Any]


@dataclass(frozen=True)
class StoreBackend:
    #: A fresh backend of the test's own: how to open a store of any workspace on it. Fixtures it needs
    #: come from the test's request.
    open: Callable[[pytest.FixtureRequest], NewStore]
    traits: StoreTraits
    marks: tuple[pytest.MarkDecorator, ...] = ()


def _sqlite(request: pytest.FixtureRequest) -> NewStore:
    """Stores of every workspace in one file, the test's own."""
    home: Path = request.getfixturevalue("tmp_path")
    return lambda workspace, before: STORES.create("sqlite", Settings(home=home), workspace=workspace)


def _elasticsearch(request: pytest.FixtureRequest) -> NewStore:
    """Stores of every workspace on the same indices, sharing the first store's client (as an API would:
    one client, a store per request). `es_prefix` deletes the indices, aliases and template after."""
    settings = es_test_settings(request.getfixturevalue("es_url"), request.getfixturevalue("es_prefix"))

    def new(workspace: str, before: Sequence[Any]) -> Any:
        if not before:
            return STORES.create("elasticsearch", settings, workspace=workspace)
        first = before[0]
        return STORES.load("elasticsearch")(
            settings, workspace=workspace, client=first.client, prefix=first.prefix
        )

    return new


STORE_BACKENDS: dict[str, StoreBackend] = {
    "sqlite": StoreBackend(_sqlite, StoreTraits(visible_without_refresh=True)),
    "elasticsearch": StoreBackend(
        _elasticsearch, StoreTraits(visible_without_refresh=False), marks=(pytest.mark.integration,)
    ),
}


@pytest.fixture(
    params=[pytest.param(name, marks=STORE_BACKENDS[name].marks) for name in sorted(STORE_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def stores(backend: str, request: pytest.FixtureRequest) -> Iterator[StoreIn]:
    """`workspace -> a ready store of it`, every store on one fresh backend; all closed after (only the
    first one of a backend that shares a client owns it)."""
    new = STORE_BACKENDS[backend].open(request)
    made: list[Any] = []

    def open_in(workspace: str) -> Any:
        store = new(workspace, made)
        made.append(store)
        store.ensure_ready()
        return store

    yield open_in
    for store in made:
        store.close()


class TestMentionStores(
    MentionStoreContract,
    QueryLanguageContract,
    CursorStoreContract,
    SavedSearchStoreContract,
    WorkspaceIsolationContract,
):
    @pytest.fixture
    def store(self, stores: StoreIn) -> MentionStore:
        store: MentionStore = stores(DEFAULT_WORKSPACE)
        return store

    @pytest.fixture
    def store_in(self, stores: StoreIn) -> StoreIn:
        return stores

    @pytest.fixture
    def store_traits(self, backend: str) -> StoreTraits:
        return STORE_BACKENDS[backend].traits


def test_each_backend_builds_the_registered_class(backend: str, stores: StoreIn) -> None:
    registered = STORES.load(backend)
    assert isinstance(registered, type)
    assert isinstance(stores(DEFAULT_WORKSPACE), registered)
