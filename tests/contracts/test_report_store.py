"""The report store contract (brands and report definitions: round trips, replacing, ordering, deleting,
unicode names, workspace isolation) over every backend `reports.store.build_report_store` builds: one per
registered ``earful.stores`` entry point, since brands and definitions live next to the mention store
(the same SQLite file, the same cluster and prefix). `REPORT_BACKENDS` reuses the customer directory's
table; tests/contracts/test_registry_coverage.py checks it covers every store backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reports.store import ReportStore, build_report_store
from reports.store_testing import MakeReportStore, ReportStoreContract
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

REPORT_BACKENDS = CUSTOMER_BACKENDS


@pytest.fixture(
    params=[pytest.param(name, marks=REPORT_BACKENDS[name].marks) for name in sorted(REPORT_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestReportStores(ReportStoreContract):
    @pytest.fixture
    def stores_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[MakeReportStore]:
        """Report stores of any workspace on one fresh backend, built by the factory; closed after."""
        settings = REPORT_BACKENDS[backend].settings(request)
        made: list[Any] = []

        def make(workspace: str) -> Any:
            store = build_report_store(settings, workspace=workspace)
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()

    def test_protocol(self, store: Any, backend: str) -> None:
        assert isinstance(store, ReportStore)
        assert type(store).__name__.lower().startswith(backend)
