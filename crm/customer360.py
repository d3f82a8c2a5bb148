"""A customer's 360 view: master data and order numbers, linked mentions (count, sentiment share, latest),
open cases and their complaints. Built here from the customer directory, the mention store and the case
store; the CLI, the demo (and later the API) only render it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, Field

from core.errors import InvalidInput
from core.models import Customer, CustomerLink, EnrichedMention, Frozen, IntentLabel, SentimentLabel
from crm.cases import Case, CaseFilter
from index.base import MentionFilter, SearchPage, SearchRequest

if TYPE_CHECKING:
    from index.base import MentionStore

LATEST = 5
EXCERPT_CHARS = 160


class OrderNumbers(Protocol):
    """What the view needs of the customer directory (both stores in crm/customers.py provide it)."""

    @property
    def workspace(self) -> str: ...

    def order_numbers(self, customer_id: str) -> tuple[str, ...]: ...


class OpenCases(Protocol):
    """What the view needs of the case store (`crm.cases.CaseStore` provides it)."""

    @property
    def workspace(self) -> str: ...

    def list(self, filters: CaseFilter | None = None, *, limit: int | None = None) -> list[Case]: ...


class MentionSummary(Frozen):
    """One linked mention as the view shows it: its text cut to an excerpt."""

    id: str
    published_at: AwareDatetime
    platform: str
    sentiment: SentimentLabel
    intents: tuple[IntentLabel, ...] = ()
    excerpt: str = Field(description=f"The text, cut to {EXCERPT_CHARS} characters")
    link: CustomerLink | None = Field(None, description="How the mention was linked to the customer")

    @classmethod
    def of(cls, mention: EnrichedMention) -> MentionSummary:
        text = mention.text
        return cls(
            id=mention.id,
            published_at=mention.published_at,
            platform=mention.platform,
            sentiment=mention.sentiment.label,
            intents=tuple(i.label for i in mention.intents),
            excerpt=text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…",
            link=mention.customer,
        )


class Customer360(Frozen):
    """Everything known about one customer, at one moment."""

    customer: Customer
    order_numbers: tuple[str, ...] = ()
    mentions: int = Field(ge=0, description="Mentions linked to the customer")
    sentiment: dict[SentimentLabel, float] = Field(
        default_factory=dict, description="Share of the linked mentions per sentiment label present"
    )
    latest: tuple[MentionSummary, ...] = Field((), description="The latest linked mentions, newest first")
    open_complaints: int = Field(
        0,
        ge=0,
        description="Complaint mentions on the customer's open cases (without a case store: every "
        "linked complaint)",
    )
    latest_complaints: tuple[MentionSummary, ...] = Field((), description="The latest of them, newest first")
    cases: tuple[Case, ...] = Field((), description="The customer's open cases, most recently changed first")


def build_customer360(
    customer: Customer,
    directory: OrderNumbers,
    store: MentionStore,
    *,
    latest: int = LATEST,
    cases: OpenCases | None = None,
) -> Customer360:
    """The 360 view of `customer` from `directory` (order numbers), `store` (linked mentions) and
    `cases` (open cases).

    Open complaints are the complaint mentions on the customer's open cases: a complaint whose case is
    resolved is answered. Without a case store (`cases` None) every linked complaint counts as open, as
    before cases existed. The stores must be scoped to the same workspace: a view mixing two tenants is
    refused."""
    workspaces = {"directory": directory.workspace, "store": store.workspace}
    if cases is not None:
        workspaces["cases"] = cases.workspace
    if len(set(workspaces.values())) > 1:
        raise InvalidInput("the customer's stores belong to different workspaces", details=workspaces)
    linked = MentionFilter(customer_ids=(customer.id,))
    share = store.sentiment_share(linked)
    newest = store.search(SearchRequest(filters=linked, sort="newest", limit=latest)).hits
    open_cases = cases.list(CaseFilter(customer_id=customer.id, open_only=True)) if cases is not None else []
    on_cases = tuple(dict.fromkeys(m for case in open_cases for m in case.mention_ids))
    complaints = MentionFilter(customer_ids=(customer.id,), intents=(IntentLabel.complaint,), ids=on_cases)
    if cases is not None and not on_cases:
        complaint_page = SearchPage(hits=(), total=0)
    else:
        complaint_page = store.search(SearchRequest(filters=complaints, sort="newest", limit=latest))
    return Customer360(
        customer=customer,
        order_numbers=directory.order_numbers(customer.id),
        mentions=share.total,
        sentiment={
            label: round(share.share(label), 4) for label in SentimentLabel if share.counts.get(label)
        },
        latest=tuple(MentionSummary.of(m) for m in newest),
        open_complaints=complaint_page.total,
        latest_complaints=tuple(MentionSummary.of(m) for m in complaint_page.hits),
        cases=tuple(open_cases),
    )
