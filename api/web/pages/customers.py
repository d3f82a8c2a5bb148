"""Customer pages: `/customers` (search and filter the workspace's customers; htmx swaps the results)
and `/customers/{id}` (the Customer 360), whose link confirm/reject buttons swap in place.

The data comes from the same functions as the JSON routes (`api.routes.customers`); this module only
turns query strings into their arguments and picks the template: the whole page, or the `_partial` an
htmx request asks for.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, require_page
from api.routes.customers import (
    CustomerId,
    MentionId,
    can_judge,
    customer_query,
    customer_view,
    record_verdict,
)
from api.web.render import is_htmx, render
from core.errors import InvalidInput
from core.models import Tier
from crm.cases import CaseSla
from crm.customer_list import list_customers
from crm.customers import MAX_WINDOW, find_customer
from crm.link_feedback import verdict_at
from crm.scores import Segment, ValueTier

router = APIRouter(tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(Permission.READ))]
Writer = Annotated[Principal, Depends(require_page(Permission.CUSTOMERS_WRITE))]

PAGE_SIZE = 20
AT_RISK = 0.5  # the "at risk" filter: churn risk at least this (crm.scores.churn: a lapsed customer is 0.73)
E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], value: str | None, name: str) -> E | None:
    """A select's or radio's value: empty is no choice; anything not offered is a 400, never a 500."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"unknown {name} {value!r}", details={name: value}) from None


def sla_state(sla: CaseSla) -> tuple[str, float | None]:
    """A case's SLA as one label key and the hours it speaks of: late, the first response due, the
    resolution due, or met (responded and resolved in time)."""
    if sla.breached:
        return "customers.sla.breached", None
    for key, left in (
        ("customers.sla.response_due", sla.first_response_left),
        ("customers.sla.resolution_due", sla.resolution_left),
    ):
        if left is not None:
            return key, round(left / 3600, 1)
    return "customers.sla.met", None


@router.get("/customers", summary="Customers: search and filter")
def customers_page(
    request: Request,
    principal: Reader,
    services: Stores,
    q: Annotated[str | None, Query()] = None,
    tier: Annotated[str | None, Query(description="Value tier: key, growth, standard")] = None,
    master_tier: Annotated[str | None, Query()] = None,
    segment: Annotated[str | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    at_risk: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=MAX_WINDOW // PAGE_SIZE)] = 1,
) -> Response:
    query = customer_query(
        services,
        q=q,
        tier=_choice(ValueTier, tier, "tier"),
        master_tier=_choice(Tier, master_tier, "master_tier"),
        owner=owner,
        segment=_choice(Segment, segment, "segment"),
        churn_min=AT_RISK if at_risk else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    result = list_customers(services.customers, query, scores=services.scores)
    context: dict[str, Any] = {
        "result": result,
        "query": query,
        "at_risk": at_risk,
        "page": page,
        "pages": max(1, -(-min(result.total, MAX_WINDOW) // PAGE_SIZE)),
        "value_tiers": list(ValueTier),
        "master_tiers": list(Tier),
        "segments": list(Segment),
    }
    return render(request, "_customer_rows.html" if is_htmx(request) else "customers.html", context)


@router.get("/customers/{customer_id}", summary="A customer's 360 view")
def customer_page(request: Request, customer_id: CustomerId, principal: Reader, services: Stores) -> Response:
    customer = find_customer(services.customers, customer_id)
    view = customer_view(services, customer)
    context: dict[str, Any] = {
        "view": view,
        "c": view.customer,
        "score": view.score,
        "can_judge": can_judge(principal),
        "sla_state": sla_state,
        "verdict_time": verdict_at,
    }
    return render(request, "customer.html", context)


@router.post("/customers/{customer_id}/links/{mention_id}/{verdict}", summary="Confirm or reject a link")
def judge_link_page(
    request: Request,
    customer_id: CustomerId,
    mention_id: MentionId,
    verdict: Literal["confirm", "reject"],
    principal: Writer,
    services: Stores,
) -> Response:
    judged = record_verdict(services, principal, customer_id, mention_id, verdict)
    if not is_htmx(request):  # a plain form: back to the 360, at the mention
        return RedirectResponse(
            f"/customers/{judged.customer_id}#mention-{judged.mention_id}", status_code=303
        )
    context: dict[str, Any] = {
        "customer_id": judged.customer_id,
        "mention_id": judged.mention_id,
        "link": judged.link if judged.link and judged.link.customer_id == judged.customer_id else None,
        "verdict": judged.verdict,
        "verdict_by": judged.by,
        "verdict_at": judged.at,
        "can_judge": True,
    }
    return render(request, "_link.html", context)
