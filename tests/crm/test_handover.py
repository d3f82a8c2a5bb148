"""`crm.handover.transfer` on every store backend (the customer directory's table): a leaving staff
member's customers and open cases move, each case records it, a dry run moves nothing; and an
Elasticsearch customers index written before ``owner`` was mapped is migrated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from core.errors import InvalidInput
from core.ids import scoped_doc_id
from core.models import DEFAULT_WORKSPACE, Customer
from crm.cases import CaseFilter, CaseStatus, build_case_store
from crm.cases.testing import T0, make_case
from crm.customers import (
    CUSTOMER_MAPPINGS,
    CustomerRecord,
    ElasticsearchCustomerDirectory,
    build_customer_directory,
)
from crm.handover import transfer
from crm.testing import ANA as LINKED
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS
from tests.index.stores import es_test_settings

LI = "li.wei"
WANG = "wang.fang"
ANA = Customer(code="C001", name="Ana Lima", owner=LI)
BO = Customer(code="C002", name="Bo Chen", owner=LI)
CY = Customer(code="C003", name="Cy Ng", owner="zhao.min")


@pytest.fixture(
    params=[pytest.param(name, marks=CUSTOMER_BACKENDS[name].marks) for name in sorted(CUSTOMER_BACKENDS)]
)
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    settings = CUSTOMER_BACKENDS[request.param].settings(request)
    directory = build_customer_directory(settings, workspace=DEFAULT_WORKSPACE)
    cases = build_case_store(settings, workspace=DEFAULT_WORKSPACE)
    directory.upsert([ANA, BO, CY])
    yield directory, cases
    directory.close()
    cases.close()


def test_transfer_moves_customers_and_open_cases_and_records_it(stores: tuple[Any, Any]) -> None:
    directory, cases = stores
    open_case = make_case(ANA, title="strap", assignee=LI, mention_ids=("m1",))
    done = make_case(BO, title="refund", assignee=LI).move_to("closed", by=LI, now=T0 + timedelta(hours=1))
    theirs = make_case(CY, title="late", assignee="zhao.min")
    for case in (open_case, done, theirs):
        cases.create(case)
    assert [c.code for c in directory.by_owner(LI)] == ["C001", "C002"]

    dry = transfer(
        LI, WANG, customers=directory, cases=cases, by="boss", now=T0 + timedelta(days=1), dry_run=True
    )
    assert (dry.customers, dry.cases, dry.dry_run) == (("C001", "C002"), (open_case.id,), True)
    assert [c.code for c in directory.by_owner(LI)] == ["C001", "C002"]
    assert cases.get(open_case.id) == open_case

    report = transfer(LI, WANG, customers=directory, cases=cases, by="boss", now=T0 + timedelta(days=1))
    assert (report.customers, report.cases) == (("C001", "C002"), (open_case.id,))
    assert directory.by_owner(LI) == []
    assert [c.code for c in directory.by_owner(WANG)] == ["C001", "C002"]
    assert directory.by_code("C001").owner == WANG
    assert directory.by_code("C003").owner == "zhao.min"
    moved = cases.get(open_case.id)
    assert moved.assignee == WANG
    assert (
        moved.history[-1].by,
        moved.history[-1].field,
        moved.history[-1].before,
        moved.history[-1].after,
    ) == (
        "boss",
        "assignee",
        LI,
        WANG,
    )
    assert moved.mention_ids == ("m1",)  # the whole story comes along
    assert cases.get(done.id).assignee == LI  # a closed case keeps who did the work
    assert cases.list(CaseFilter(assignee=WANG, open_only=True)) == [moved]
    assert cases.get(done.id).status is CaseStatus.closed

    again = transfer(LI, WANG, customers=directory, cases=cases, by="boss", now=T0 + timedelta(days=2))
    assert (again.customers, again.cases) == ((), ())


def test_transfer_refuses_nonsense(stores: tuple[Any, Any]) -> None:
    directory, cases = stores
    for from_, to in ((LI, LI), ("", WANG), (LI, " ")):
        with pytest.raises(InvalidInput):
            transfer(from_, to, customers=directory, cases=cases, by="boss", now=T0)


def test_owner_keeps_linking_keys_and_order_numbers(stores: tuple[Any, Any]) -> None:
    directory, _ = stores
    directory.upsert(
        [CustomerRecord(customer=LINKED.model_copy(update={"owner": LI}), order_numbers=("#A12345",))]
    )
    assert [c.code for c in directory.set_owner([LINKED.id], WANG)] == [LINKED.code]
    assert directory.order_numbers(LINKED.id) == ("#A12345",)
    assert [c.code for c in directory.by_email("ana.lima@example.com")] == [LINKED.code]
    assert directory.set_owner([LINKED.id], WANG) == []  # nothing changed, nothing written


@pytest.mark.integration
def test_an_index_without_the_owner_field_is_migrated(
    es_url: str, es_prefix: str, es_client: Elasticsearch
) -> None:
    """A customers index created before ``owner`` was mapped, holding documents without it: the field
    is added and filled from each stored customer, so `by_owner` finds customers imported before."""
    settings = es_test_settings(es_url, es_prefix)
    index = f"{es_prefix}-customers"
    properties = {k: v for k, v in CUSTOMER_MAPPINGS["properties"].items() if k != "owner"}
    meta = {k: v for k, v in CUSTOMER_MAPPINGS["_meta"].items() if k != "owner_field"}
    es_client.indices.create(
        index=index, mappings={**CUSTOMER_MAPPINGS, "_meta": meta, "properties": properties}
    )
    for customer in (ANA, CY):
        record = CustomerRecord(customer=customer)
        body = ElasticsearchCustomerDirectory._doc(record, record.fingerprint())
        del body["owner"]  # what a release before the owner field wrote
        es_client.index(
            index=index,
            id=scoped_doc_id(DEFAULT_WORKSPACE, customer.id),
            document={**body, "workspace": DEFAULT_WORKSPACE},
            refresh=True,
        )
    with ElasticsearchCustomerDirectory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        assert [c.code for c in directory.by_owner(LI)] == ["C001"]
    mapping = es_client.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["properties"]["owner"]["type"] == "keyword"
    assert mapping["_meta"] == {**meta, "owner_field": True}
    with ElasticsearchCustomerDirectory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        assert [c.code for c in directory.by_owner("zhao.min")] == ["C003"]  # a second start: nothing to do
