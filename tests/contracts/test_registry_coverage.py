"""Every registered implementation has a contract run, and every contract run is of a registered one: each
registry group's names equal the table of the module in tests/contracts/ that runs its contract. A new
entry point (or a new group in core.registry) fails here until its contract runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import core.registry
from alerts.store_testing import BACKEND_SETTINGS as ALERT_BACKENDS
from alerts.testing import CASE_BUILDERS
from core.registry import CHANNELS, SOURCES, STORES, TAGGERS, Registry
from tests.contracts.test_case_store import CASE_BACKENDS
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS
from tests.contracts.test_mention_store import STORE_BACKENDS
from tests.contracts.test_merge_audit_store import MERGE_AUDIT_BACKENDS
from tests.contracts.test_record_stores import RECORD_BACKENDS
from tests.contracts.test_report_store import REPORT_BACKENDS
from tests.contracts.test_score_store import SCORE_BACKENDS
from tests.contracts.test_source import SOURCE_CASES
from tests.contracts.test_tagger import TAGGER_CASES
from tests.contracts.test_workflow_store import WORKFLOW_BACKENDS

# what runs -> (the registry whose names it must cover, the names its module's table runs)
CONTRACT_RUNS: dict[str, tuple[Registry[object], Callable[[], set[str]]]] = {
    "sources (test_source.py)": (SOURCES, lambda: {case.kind for case in SOURCE_CASES.values()}),
    "mention stores (test_mention_store.py)": (STORES, lambda: set(STORE_BACKENDS)),
    # the customer directory lives next to the mention store: one per store backend
    "customer stores (test_customer_store.py)": (STORES, lambda: set(CUSTOMER_BACKENDS)),
    # so do the cases
    "case stores (test_case_store.py)": (STORES, lambda: set(CASE_BACKENDS)),
    # the merge audit (crm/identity) lives next to the customer directory too
    "merge audit stores (test_merge_audit_store.py)": (STORES, lambda: set(MERGE_AUDIT_BACKENDS)),
    # the alert stores (rules, inbox, outbox, engine state) live next to the mention store too
    "alert stores (test_alert_stores.py)": (STORES, lambda: set(ALERT_BACKENDS)),
    # orders and interactions too (crm/orders.py, crm/interactions.py)
    "order and interaction stores (test_record_stores.py)": (STORES, lambda: set(RECORD_BACKENDS)),
    # the customer scores live next to the mention store too
    "score stores (test_score_store.py)": (STORES, lambda: set(SCORE_BACKENDS)),
    # the mention workflows (alerts/workflow) live next to the mention store too
    "workflow stores (test_workflow_store.py)": (STORES, lambda: set(WORKFLOW_BACKENDS)),
    # so do the brands and report definitions (reports/store.py)
    "report stores (test_report_store.py)": (STORES, lambda: set(REPORT_BACKENDS)),
    "taggers (test_tagger.py)": (TAGGERS, lambda: set(TAGGER_CASES)),
    "channels (test_channels.py)": (CHANNELS, lambda: set(CASE_BUILDERS)),
}


@pytest.mark.parametrize("run", sorted(CONTRACT_RUNS))
def test_every_registered_implementation_has_a_contract_run(run: str) -> None:
    registry, covered = CONTRACT_RUNS[run]
    registered = set(registry.names())
    assert registered, f"nothing registered in {registry.group}: is the package installed (make setup)?"
    ran = covered()
    assert not registered - ran, f"{registry.group} entry points without a contract run in {run}"
    assert not ran - registered, f"{run} runs implementations that {registry.group} does not register"


def test_every_registry_group_has_a_contract_module() -> None:
    groups = {value.group for value in vars(core.registry).values() if isinstance(value, Registry)}
    assert groups == {registry.group for registry, _ in CONTRACT_RUNS.values()}
