"""The merge-audit contract over every backend `crm.identity.audit.build_merge_audit_store` builds; the
audit lives next to the customer directory, so the backends and their settings are the directory's
(`CUSTOMER_BACKENDS`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm.identity.audit import MergeAudit, MergeAuditStore, build_merge_audit_store
from crm.identity.testing import AuditIn, MergeAuditStoreContract
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

MERGE_AUDIT_BACKENDS = CUSTOMER_BACKENDS


@pytest.fixture(
    params=[
        pytest.param(name, marks=MERGE_AUDIT_BACKENDS[name].marks) for name in sorted(MERGE_AUDIT_BACKENDS)
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestMergeAuditStores(MergeAuditStoreContract):
    @pytest.fixture
    def audit_in(self, backend: str, request: pytest.FixtureRequest) -> Iterator[AuditIn]:
        settings = MERGE_AUDIT_BACKENDS[backend].settings(request)
        made: list[MergeAudit] = []

        def make(workspace: str) -> MergeAudit:
            store = build_merge_audit_store(settings, workspace=workspace)
            made.append(store)
            store.ensure_ready()
            return store

        yield make
        for store in made:
            store.close()

    def test_protocol(self, audit: MergeAudit) -> None:
        assert isinstance(audit, MergeAuditStore)


def test_each_case_builds_for_its_store_backend(backend: str, request: pytest.FixtureRequest) -> None:
    settings = MERGE_AUDIT_BACKENDS[backend].settings(request)
    assert type(build_merge_audit_store(settings, workspace="default")).__name__.lower().startswith(backend)
