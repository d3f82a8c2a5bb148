"""A workspace's customers as a list people page through: searched by name, code, email, phone, handle
or order number, filtered by master-file tier, account owner, value tier (the 20% of customers who bring
80% of the revenue: `crm.scores.pareto`), RFM segment and churn risk; each row with the customer's
score in brief. What the API's customer list and the web page show.

The master-file conditions are the directory's (`crm.customers.DirectoryQuery`); the score conditions
are read from the score store first and handed to the directory as the ids they allow, so the page and
its total stay exact. Rows carry no sensitive field (`CustomerBrief`: no contacts, no bank).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from pydantic import Field

from core.errors import InvalidInput
from core.models import Customer, Frozen, Tier
from crm.customers import MAX_WINDOW, DirectoryQuery
from crm.scores import CustomerScore, Segment, ValueTier

if TYPE_CHECKING:
    from crm.customers import CustomerMatches


class CustomerSearch(Protocol):
    """What the list needs of the directory (both stores in crm/customers.py provide it)."""

    @property
    def workspace(self) -> str: ...

    def find(self, query: DirectoryQuery) -> CustomerMatches: ...


class ListedScores(Protocol):
    """What the list needs of the score store (`crm.scores.ScoreStore` provides it)."""

    @property
    def workspace(self) -> str: ...

    def get(self, customer_id: str) -> CustomerScore | None: ...

    def list(
        self, *, segment: Segment | None = None, tier: ValueTier | None = None, limit: int | None = None
    ) -> list[CustomerScore]: ...


class CustomerListQuery(Frozen):
    """Every given condition must hold."""

    q: str | None = Field(
        None,
        max_length=200,
        description="Name or code containing it, or an email, phone, handle or order number equal to it",
    )
    tier: Tier | None = Field(None, description="Master-file tier")
    owner: str | None = Field(None, description="Account owner")
    value_tier: ValueTier | None = Field(None, description="Value tier from the scores (key: the 80/20 ones)")
    segment: Segment | None = Field(None, description="RFM segment from the scores")
    churn_min: float | None = Field(None, ge=0, le=1, description="Churn risk at least this")
    limit: int = Field(20, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_WINDOW)

    @property
    def by_score(self) -> bool:
        return self.value_tier is not None or self.segment is not None or self.churn_min is not None


class ScoreBrief(Frozen):
    """A customer's stored score, as a list row shows it."""

    value_tier: ValueTier | None = None
    segment: Segment | None = None
    revenue: Decimal | None = None
    clv: float | None = None
    churn_risk: float | None = None
    skipped: str | None = Field(None, description="Why the customer has no score (no profiling consent)")

    @classmethod
    def of(cls, score: CustomerScore) -> ScoreBrief:
        return cls(
            value_tier=score.tier,
            segment=score.segment,
            revenue=score.value.revenue if score.value else None,
            clv=score.lifetime.clv if score.lifetime else None,
            churn_risk=score.churn.risk if score.churn else None,
            skipped=score.skipped,
        )


class CustomerBrief(Frozen):
    """A list row: who the customer is and how they score, nothing sensitive."""

    id: str
    code: str
    name: str
    tier: Tier
    category: str | None = None
    owner: str | None = None
    city: str | None = None
    country: str | None = None
    score: ScoreBrief | None = None

    @classmethod
    def of(cls, customer: Customer, score: CustomerScore | None) -> CustomerBrief:
        return cls(
            id=customer.id,
            code=customer.code,
            name=customer.name,
            tier=customer.tier,
            category=customer.category,
            owner=customer.owner,
            city=customer.city,
            country=customer.country,
            score=ScoreBrief.of(score) if score is not None else None,
        )


class CustomerListPage(Frozen):
    rows: tuple[CustomerBrief, ...]
    total: int = Field(ge=0, description="Customers matching, on every page")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="The next page's offset; None on the last page")


def list_customers(
    directory: CustomerSearch, query: CustomerListQuery, *, scores: ListedScores | None = None
) -> CustomerListPage:
    """One page of the customers matching `query`, by code. Without a score store the score conditions
    match nobody (no customer has a score to meet them) and rows carry no score."""
    if scores is not None and scores.workspace != directory.workspace:
        raise InvalidInput(
            "the customer directory and the score store belong to different workspaces",
            details={"directory": directory.workspace, "scores": scores.workspace},
        )
    limit = min(query.limit, MAX_WINDOW - query.offset)
    by_id: dict[str, CustomerScore] = {}
    allowed: tuple[str, ...] | None = None
    if query.by_score:
        found = scores.list(segment=query.segment, tier=query.value_tier) if scores is not None else []
        if query.churn_min is not None:
            found = [s for s in found if s.churn is not None and s.churn.risk >= query.churn_min]
        by_id = {s.customer_id: s for s in found}
        allowed = tuple(by_id)
    matches = directory.find(
        DirectoryQuery(
            text=query.q,
            tiers=(query.tier,) if query.tier else (),
            owner=query.owner,
            ids=allowed,
            limit=limit,
            offset=query.offset,
        )
    )
    rows = []
    for customer in matches.customers:
        score = by_id.get(customer.id) if query.by_score else None
        if score is None and scores is not None and not query.by_score:
            score = scores.get(customer.id)
        rows.append(CustomerBrief.of(customer, score))
    end = query.offset + len(rows)
    return CustomerListPage(
        rows=tuple(rows),
        total=matches.total,
        offset=query.offset,
        limit=query.limit,
        next_offset=end if end < matches.total and end < MAX_WINDOW and rows else None,
    )


__all__ = [
    "CustomerBrief",
    "CustomerListPage",
    "CustomerListQuery",
    "CustomerSearch",
    "ListedScores",
    "ScoreBrief",
    "list_customers",
]
