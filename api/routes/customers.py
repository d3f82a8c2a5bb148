"""Customers (JSON): the list and search, a customer's 360 view, their timeline and cases, and the
confirm/reject verdicts on links between mentions and customers.

Every answer comes from the crm library (`crm.customer_list`, `crm.customer360`, `crm.timeline`,
`crm.link_feedback`) over the stores of the principal's workspace: a customer of another workspace is
not found (404). Sensitive master-file fields are masked as the library masks them
(`Customer360.masked()`; list rows hold none).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, require
from api.errors import error_responses
from api.services import Services
from core.errors import InvalidInput
from core.models import Customer, Tier, utcnow
from crm.cases import Case, CaseFilter, CaseSla
from crm.cases.timeline import case_entries
from crm.customer360 import Customer360, build_customer360
from crm.customer_list import CustomerListPage, CustomerListQuery, list_customers
from crm.customers import MAX_WINDOW, find_customer
from crm.link_feedback import LinkJudgement, judge_link
from crm.scores import Segment, ValueTier
from crm.timeline import TimelinePage, timeline

router = APIRouter(prefix="/api/v1", tags=["customers"])

Reader = Annotated[Principal, Depends(require(Permission.READ))]
Writer = Annotated[Principal, Depends(require(Permission.CUSTOMERS_WRITE))]
CustomerId = Annotated[str, Path(min_length=1, max_length=200, description="Customer id (or code)")]
MentionId = Annotated[str, Path(min_length=1, max_length=200, description="Mention id")]

LATEST = 20  # the 360's mentions, interactions and orders: one screen's worth; more through /timeline
_EXAMPLE_CUSTOMER = {
    "id": "3f2a9c0d5b1e4f6a8c7d9e0b1a2c3d4e",
    "code": "C001",
    "name": "Ana Lima",
    "tier": "gold",
}

M = TypeVar("M", bound=BaseModel)


def _as(model: type[M], value: BaseModel) -> M:
    """`value` (a library model) as its API subclass `model`, its nested models taken as they are
    (not dumped and validated again: computed fields such as a customer's id read back)."""
    return model(**{name: getattr(value, name) for name in type(value).model_fields})


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class CustomerList(CustomerListPage):
    """A page of customers, by code."""

    model_config = _examples(
        {
            "rows": [
                {
                    **_EXAMPLE_CUSTOMER,
                    "category": "consumer",
                    "owner": "li.wei",
                    "city": "Lisbon",
                    "country": "PT",
                    "score": {
                        "value_tier": "key",
                        "segment": "champions",
                        "revenue": "7200.00",
                        "clv": 3120.5,
                        "churn_risk": 0.08,
                        "skipped": None,
                    },
                }
            ],
            "total": 1,
            "offset": 0,
            "limit": 20,
            "next_offset": None,
        }
    )


class CustomerView(Customer360):
    """Everything known about one customer: master data (sensitive fields masked), linked mentions and
    their sentiment, open cases with their SLA state and complaints, interactions, orders, the stored
    score (value tier, RFM, lifetime value, churn risk with reasons), dates coming up, link verdicts."""

    model_config = _examples(
        {
            "customer": {**_EXAMPLE_CUSTOMER, "bank": "ICBC", "bank_account": "****7890", "owner": "li.wei"},
            "order_numbers": ["A12345"],
            "mentions": 12,
            "sentiment": {"negative": 0.25, "positive": 0.75},
            "latest": [],
            "open_complaints": 1,
            "cases": [],
            "as_of": "2026-03-02T12:00:00Z",
            "reminders": [],
            "verdicts": [],
        }
    )


class CustomerTimeline(TimelinePage):
    """One page of a customer's history, newest first: mentions, interactions, orders, case changes and
    notes."""

    model_config = _examples(
        {
            "entries": [
                {
                    "kind": "mention",
                    "at": "2026-03-01T09:30:00Z",
                    "title": "weibo mention, negative, complaint",
                    "detail": "parcel lost again",
                    "ref": "9c1e0f2a7b3d4e5f",
                    "sentiment": "negative",
                }
            ],
            "offset": 0,
            "next_offset": 20,
        }
    )


class LinkVerdictOut(LinkJudgement):
    """What a confirm or reject did: the verdict recorded (who, when, about which author) and the
    mention's link afterwards."""

    model_config = _examples(
        {
            "verdict": "confirm",
            "mention_id": "9c1e0f2a7b3d4e5f",
            "customer_id": _EXAMPLE_CUSTOMER["id"],
            "customer_code": "C001",
            "author_key": "weibo:id:1234567",
            "by": "li.wei",
            "at": "2026-03-02T12:00:00Z",
            "link": {
                "customer_id": _EXAMPLE_CUSTOMER["id"],
                "confidence": 1.0,
                "method": "manual",
                "evidence": ["confirmed for weibo:id:1234567"],
            },
            "changed": True,
        }
    )


class CustomerCases(BaseModel):
    """A customer's cases, most recently changed first, each open one with its SLA state."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "customer_id": _EXAMPLE_CUSTOMER["id"],
                    "as_of": "2026-03-02T12:00:00Z",
                    "cases": [],
                    "sla": {},
                }
            ]
        },
    )

    customer_id: str
    as_of: AwareDatetime = Field(description="When the SLA states were computed")
    cases: list[Case]
    sla: dict[str, CaseSla] = Field(description="The SLA state of each open case, by case id")


def check_page(services: Services, limit: int, offset: int) -> None:
    """A page within the API's limits (`api.max_page_size`) and the stores' window."""
    most = services.settings.api.max_page_size
    if limit > most:
        raise InvalidInput(f"limit may not pass {most}", details={"limit": limit, "max": most})
    if offset + limit > MAX_WINDOW:
        raise InvalidInput(
            f"offset + limit may not pass {MAX_WINDOW}", details={"offset": offset, "limit": limit}
        )


def customer_query(
    services: Services,
    *,
    q: str | None,
    tier: ValueTier | None,
    master_tier: Tier | None,
    owner: str | None,
    segment: Segment | None,
    churn_min: float | None,
    limit: int,
    offset: int,
) -> CustomerListQuery:
    """The list's query, the API's limits checked (the page's too: `api.web.pages.customers`)."""
    most = services.settings.api.max_query_chars
    if q is not None and len(q) > most:
        raise InvalidInput(f"q may not pass {most} characters", details={"q_chars": len(q), "max": most})
    check_page(services, limit, offset)
    return CustomerListQuery(
        q=(q or "").strip()[:200] or None,
        tier=master_tier,
        owner=owner or None,
        value_tier=tier,
        segment=segment,
        churn_min=churn_min,
        limit=limit,
        offset=offset,
    )


def customer_view(services: Services, customer: Customer, *, latest: int = LATEST) -> Customer360:
    """The customer's 360 view from every store of the workspace, masked for people."""
    return build_customer360(
        customer,
        services.customers,
        services.mentions,
        latest=latest,
        interactions=services.interactions,
        orders=services.orders,
        cases=services.cases,
        scores=services.scores,
        feedback=services.customers,
    ).masked()


def record_verdict(
    services: Services,
    principal: Principal,
    customer_id: str,
    mention_id: str,
    verdict: Literal["confirm", "reject"],
) -> LinkJudgement:
    customer = find_customer(services.customers, customer_id)
    return judge_link(
        services.customers,
        services.mentions,
        mention_id=mention_id,
        customer=customer,
        verdict=verdict,
        by=principal.actor,
    )


def can_judge(principal: Principal | None) -> bool:
    """Whether the principal may confirm or reject links (agents and admins)."""
    return principal is not None and principal.can(Permission.CUSTOMERS_WRITE)


@router.get(
    "/customers",
    response_model=CustomerList,
    summary="List and search the workspace's customers, by code",
    description="`q` matches a name or code containing it, or an email, phone, handle or order number "
    "equal to it. `tier` is the value tier from the scores (`key`: the customers who bring 80% of the "
    "revenue), `master_tier` the master file's; `segment` the RFM segment; `churn_min` a minimum churn risk.",
    responses=error_responses(400, 401, 403, 422),
)
def list_customers_route(
    principal: Reader,
    services: Stores,
    q: Annotated[str | None, Query(description="Search text")] = None,
    tier: Annotated[ValueTier | None, Query(description="Value tier (key, growth, standard)")] = None,
    master_tier: Annotated[Tier | None, Query(description="Master-file tier")] = None,
    owner: Annotated[str | None, Query(max_length=200, description="Account owner")] = None,
    segment: Annotated[Segment | None, Query(description="RFM segment")] = None,
    churn_min: Annotated[float | None, Query(ge=0, le=1, description="Churn risk at least this")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size (at most api.max_page_size)")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_WINDOW)] = 0,
) -> CustomerList:
    query = customer_query(
        services,
        q=q,
        tier=tier,
        master_tier=master_tier,
        owner=owner,
        segment=segment,
        churn_min=churn_min,
        limit=limit,
        offset=offset,
    )
    return _as(CustomerList, list_customers(services.customers, query, scores=services.scores))


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerView,
    summary="A customer's 360 view",
    responses=error_responses(401, 403, 404),
)
def get_customer(customer_id: CustomerId, principal: Reader, services: Stores) -> CustomerView:
    customer = find_customer(services.customers, customer_id)
    return _as(CustomerView, customer_view(services, customer))


@router.get(
    "/customers/{customer_id}/timeline",
    response_model=CustomerTimeline,
    summary="A customer's history, newest first: mentions, interactions, orders, cases and their notes",
    responses=error_responses(400, 401, 403, 404, 422),
)
def get_timeline(
    customer_id: CustomerId,
    principal: Reader,
    services: Stores,
    limit: Annotated[int, Query(ge=1, description="Entries per page (at most api.max_page_size)")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_WINDOW)] = 0,
) -> CustomerTimeline:
    check_page(services, limit, offset)
    customer = find_customer(services.customers, customer_id)
    page = timeline(
        customer.id,
        mentions=services.mentions,
        interactions=services.interactions,
        orders=services.orders,
        sources=(case_entries(services.cases),),
        limit=limit,
        offset=offset,
    )
    return _as(CustomerTimeline, page)


@router.get(
    "/customers/{customer_id}/cases",
    response_model=CustomerCases,
    summary="A customer's cases, open ones with their SLA state",
    responses=error_responses(401, 403, 404, 422),
)
def get_cases(
    customer_id: CustomerId,
    principal: Reader,
    services: Stores,
    open_only: Annotated[bool, Query(description="Only cases in an open status")] = False,
) -> CustomerCases:
    customer = find_customer(services.customers, customer_id)
    cases = services.cases.list(CaseFilter(customer_id=customer.id, open_only=open_only))
    now = utcnow()
    return CustomerCases(
        customer_id=customer.id,
        as_of=now,
        cases=cases,
        sla={case.id: case.sla(now) for case in cases if case.is_open},
    )


@router.post(
    "/customers/{customer_id}/links/{mention_id}/{verdict}",
    response_model=LinkVerdictOut,
    summary="Confirm (the mention is linked to them) or reject (unlinked, never linked to them again) "
    "that a mention's author is this customer",
    description="`verdict` is `confirm` or `reject`. The verdict is stored under the mention's author with "
    "who gave it and when; linking respects it from the next mention on.",
    responses=error_responses(401, 403, 404, 422),
)
def judge_link_route(
    customer_id: CustomerId,
    mention_id: MentionId,
    verdict: Annotated[Literal["confirm", "reject"], Path(description="confirm or reject")],
    principal: Writer,
    services: Stores,
) -> LinkVerdictOut:
    return _as(LinkVerdictOut, record_verdict(services, principal, customer_id, mention_id, verdict))


__all__ = ["can_judge", "check_page", "customer_query", "customer_view", "record_verdict", "router"]
