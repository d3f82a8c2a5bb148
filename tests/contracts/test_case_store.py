"""The case-store contract and the complaint rule over every backend `crm.cases.build_case_store` builds:
one per registered ``earful.stores`` entry point, since cases live next to the mention store (the same
SQLite file, the same cluster and prefix). `CASE_BACKENDS` reuses the customer directory's table (the
settings of a fresh backend, its markers); tests/contracts/test_registry_coverage.py checks it covers
every store backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm.cases import CaseStore, build_case_store
from crm.cases.testing import CaseRuleContract, CaseStoreContract, MakeCaseStore
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

CASE_BACKENDS = CUSTOMER_BACKENDS


@pytest.fixture(
    params=[pytest.param(name, marks=CASE_BACKENDS[name].marks) for name in sorted(CASE_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestCaseStores(CaseStoreContract, CaseRuleContract):
    @pytest.fixture
    def cases_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[MakeCaseStore]:
        """Case stores of any workspace on one fresh backend, built by the factory; closed after."""
        settings = CASE_BACKENDS[backend].settings(request)
        made: list[Any] = []

        def make(workspace: str) -> Any:
            store = build_case_store(settings, workspace=workspace)
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()

    def test_protocol(self, store: Any) -> None:
        assert isinstance(store, CaseStore)
