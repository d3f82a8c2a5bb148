"""The mention workflow store contract (state, optimistic concurrency, tags, notes, history, the queue,
erasure, workspace isolation) over every backend `alerts.workflow.build_workflow_store` builds: one per
registered ``earful.stores`` entry point, since workflows live next to the mention store (the same SQLite
file, the same cluster and prefix). `WORKFLOW_BACKENDS` reuses the customer directory's table;
tests/contracts/test_registry_coverage.py checks it covers every store backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alerts.workflow import WorkflowStore, build_workflow_store
from alerts.workflow.testing import MakeWorkflowStore, WorkflowStoreContract
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

WORKFLOW_BACKENDS = CUSTOMER_BACKENDS


@pytest.fixture(
    params=[pytest.param(name, marks=WORKFLOW_BACKENDS[name].marks) for name in sorted(WORKFLOW_BACKENDS)]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestWorkflowStores(WorkflowStoreContract):
    @pytest.fixture
    def workflows_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[MakeWorkflowStore]:
        """Workflow stores of any workspace on one fresh backend, built by the factory; closed after."""
        settings = WORKFLOW_BACKENDS[backend].settings(request)
        made: list[Any] = []

        def make(workspace: str) -> Any:
            store = build_workflow_store(settings, workspace=workspace)
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()

    def test_protocol(self, store: Any) -> None:
        assert isinstance(store, WorkflowStore)
