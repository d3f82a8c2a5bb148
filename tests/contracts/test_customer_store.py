"""The customer-directory contract (lookups, writes, link feedback, workspace isolation) over every backend
`crm.customers.build_customer_directory` builds: one per registered ``earful.stores`` entry point, since
the directory lives next to the mention store (the same SQLite file, the same cluster and prefix). Also
the lookup contract over nlp's in-memory directory, which is no store and is registered nowhere.

`CUSTOMER_BACKENDS` is the table: store backend -> the settings the factory builds a fresh directory
from, and the markers its cases carry. tests/contracts/test_registry_coverage.py checks that it covers
every store backend. Each backend's own tests (index layout, sharing the mentions file, migrations) are
in tests/crm/test_customers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.models import DEFAULT_WORKSPACE
from core.settings import Settings, StoreSettings
from crm.customers import CustomerStore, build_customer_directory
from crm.testing import CustomerDirectoryContract, LookupContract, MakeDirectory, MakeDirectoryIn
from nlp.linking import CustomerDirectory, InMemoryCustomerDirectory
from nlp.linking.feedback import LinkFeedbackStore
from tests.index.stores import es_test_settings


@dataclass(frozen=True)
class CustomerBackend:
    #: Settings for a fresh backend of the test's own (the factory reads `store.backend` from them);
    #: fixtures it needs come from the test's request.
    settings: Callable[[pytest.FixtureRequest], Settings]
    marks: tuple[pytest.MarkDecorator, ...] = ()


def _sqlite(request: pytest.FixtureRequest) -> Settings:
    home: Path = request.getfixturevalue("tmp_path")
    return Settings(home=home, store=StoreSettings(backend="sqlite"))


def _elasticsearch(request: pytest.FixtureRequest) -> Settings:
    settings = es_test_settings(request.getfixturevalue("es_url"), request.getfixturevalue("es_prefix"))
    return settings.model_copy(update={"store": StoreSettings(backend="elasticsearch")})


CUSTOMER_BACKENDS: dict[str, CustomerBackend] = {
    "sqlite": CustomerBackend(_sqlite),
    "elasticsearch": CustomerBackend(_elasticsearch, marks=(pytest.mark.integration,)),
}


@pytest.fixture(
    params=[pytest.param(name, marks=CUSTOMER_BACKENDS[name].marks) for name in sorted(CUSTOMER_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestCustomerStores(CustomerDirectoryContract):
    @pytest.fixture
    def directory_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[MakeDirectoryIn]:
        """Directories of any workspace on one fresh backend, built by the factory; closed after."""
        settings = CUSTOMER_BACKENDS[backend].settings(request)
        made: list[CustomerStore] = []

        def make(workspace: str, records: Sequence[Any]) -> CustomerStore:
            directory = build_customer_directory(settings, workspace=workspace)
            made.append(directory)
            assert directory.upsert(records).created == len(records)
            return directory

        yield make
        for directory in made:
            directory.close()

    @pytest.fixture
    def make_directory(self, directory_in: MakeDirectoryIn) -> MakeDirectory:
        return lambda records: directory_in(DEFAULT_WORKSPACE, records)

    def test_protocols(self, directory: CustomerStore) -> None:
        assert isinstance(directory, CustomerDirectory)
        assert isinstance(directory, LinkFeedbackStore)


class TestInMemoryDirectory(LookupContract):
    @pytest.fixture
    def make_directory(self) -> MakeDirectory:
        def make(records: Sequence[Any]) -> InMemoryCustomerDirectory:
            directory = InMemoryCustomerDirectory()
            for record in records:
                directory.add(record.customer, record.order_numbers)
            return directory

        return make


def test_each_case_builds_for_its_store_backend(backend: str, request: pytest.FixtureRequest) -> None:
    """The factory picks the directory by `store.backend`: each case's settings name its backend."""
    assert CUSTOMER_BACKENDS[backend].settings(request).store.backend == backend
