"""The order and interaction store contracts (crm/records_testing.py) over every backend their factories
build: one per registered store backend, since they live next to the mention store (the same SQLite
file, the same cluster and prefix). `RECORD_BACKENDS` is the table
tests/contracts/test_registry_coverage.py checks against the registered store backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm.interactions import build_interaction_store
from crm.orders import build_order_store
from crm.records_testing import InteractionStoreContract, OrderStoreContract, SegmentStoreContract, StoresIn
from crm.segments import build_segment_store
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

# the same settings and marks as the customer directory's: the record stores sit beside it
RECORD_BACKENDS = CUSTOMER_BACKENDS
BUILDERS: dict[str, Any] = {
    "orders": build_order_store,
    "interactions": build_interaction_store,
    "segments": build_segment_store,
}


@pytest.fixture(
    params=[pytest.param(name, marks=RECORD_BACKENDS[name].marks) for name in sorted(RECORD_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class _OnEveryBackend:
    @pytest.fixture
    def stores_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[StoresIn]:
        """Stores of any workspace and kind on one fresh backend, built by the factories; closed after."""
        settings = RECORD_BACKENDS[backend].settings(request)
        made: list[Any] = []

        def make(workspace: str, kind: str) -> Any:
            store = BUILDERS[kind](settings, workspace=workspace)
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()


class TestOrderStores(_OnEveryBackend, OrderStoreContract):
    pass


class TestInteractionStores(_OnEveryBackend, InteractionStoreContract):
    pass


def test_each_backend_builds_its_own_store_class(backend: str, request: pytest.FixtureRequest) -> None:
    settings = RECORD_BACKENDS[backend].settings(request)
    for build in BUILDERS.values():
        with build(settings, workspace="default") as store:
            assert type(store).__name__.lower().startswith(backend)


class TestSegmentStores(_OnEveryBackend, SegmentStoreContract):
    pass
