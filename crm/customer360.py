"""A customer's 360 view: master data and order numbers, linked mentions (count, sentiment share, latest)
and open complaints. Built here from the customer directory and the mention store; the CLI, the demo
(and later the API) only render it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, Field

from core.errors import InvalidInput
from core.models import Customer, CustomerLink, EnrichedMention, Frozen, IntentLabel, SentimentLabel
from index.base import MentionFilter, SearchRequest

if TYPE_CHECKING:
    from index.base import MentionStore

LATEST = 5
EXCERPT_CHARS = 160


class OrderNumbers(Protocol):
    """What the view needs of the customer directory (both stores in crm/customers.py provide it)."""

    @property
    def workspace(self) -> str: ...

    def order_numbers(self, customer_id: str) -> tuple[str, ...]: ...


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
    open_complaints: int = Field(0, ge=0, description="Linked mentions with the complaint intent")
    latest_complaints: tuple[MentionSummary, ...] = Field((), description="The latest of them, newest first")


def build_customer360(
    customer: Customer, directory: OrderNumbers, store: MentionStore, *, latest: int = LATEST
) -> Customer360:
    """The 360 view of `customer` from `directory` (order numbers) and `store` (linked mentions).

    There is no case workflow yet, so every linked complaint counts as open. The directory and the store
    must be scoped to the same workspace: a view mixing two tenants is refused."""
    if directory.workspace != store.workspace:
        raise InvalidInput(
            "the customer directory and the mention store belong to different workspaces",
            details={"directory": directory.workspace, "store": store.workspace},
        )
    linked = MentionFilter(customer_ids=(customer.id,))
    complaints = MentionFilter(customer_ids=(customer.id,), intents=(IntentLabel.complaint,))
    share = store.sentiment_share(linked)
    newest = store.search(SearchRequest(filters=linked, sort="newest", limit=latest)).hits
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
    )
