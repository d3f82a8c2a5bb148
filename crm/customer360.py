"""A customer's 360 view: master data and order numbers, linked mentions (count, sentiment share, latest),
open complaints, the company's interactions with them, a summary of their orders, their open cases with
their SLA state, their stored score (value tier, RFM, lifetime value, churn risk), their dates coming up
(birthday, anniversary, contract renewal) and the verdicts people gave on their links. Built here from
the customer directory, the mention store and (when given) the interaction, order, case and score
stores; the CLI, the demo, the alert explanations and the API only render it. The merged history is
`crm.timeline.timeline`.

Sensitive fields: whoever shows a view to people shows `Customer360.masked()` (the bank account reduced
to its last four characters, `core.models.mask_account`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Protocol

from pydantic import AwareDatetime, Field

from core.errors import InvalidInput
from core.models import (
    Customer,
    CustomerLink,
    EnrichedMention,
    Frozen,
    IntentLabel,
    SentimentLabel,
    mask_account,
    utcnow,
)
from crm.cases import Case, CaseFilter, CaseSla
from crm.customers import LinkVerdict
from crm.interactions import Interaction
from crm.orders import Order
from crm.reminders import Reminder, ReminderKind, due_reminders
from crm.scores import CustomerScore
from index.base import MentionFilter, SearchPage, SearchRequest

if TYPE_CHECKING:
    from crm.interactions import InteractionStore
    from crm.orders import OrderStore
    from index.base import MentionStore

LATEST = 5
EXCERPT_CHARS = 160
UPCOMING_DAYS: Final = 366  # the view shows each of the customer's dates once, within the coming year


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


class LinkVerdicts(Protocol):
    """What the view needs to show the verdicts on a customer's links (both directories provide it)."""

    @property
    def workspace(self) -> str: ...

    def feedback_of(self, customer_id: str) -> list[LinkVerdict]: ...


class StoredScores(Protocol):
    """What the view needs of the score store (`crm.scores.ScoreStore` provides it)."""

    @property
    def workspace(self) -> str: ...

    def get(self, customer_id: str) -> CustomerScore | None: ...


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


class OrderSummary(Frozen):
    """The customer's consumption record in brief."""

    count: int = Field(0, ge=0)
    totals: dict[str, Decimal] = Field(default_factory=dict, description="Amount spent, per currency")
    first_order: datetime | None = None
    last_order: datetime | None = None
    latest: tuple[Order, ...] = Field((), description="The latest orders, newest first")

    @classmethod
    def of(cls, orders: list[Order], *, latest: int) -> OrderSummary:
        """From all of one customer's orders, newest first (as `OrderStore.list` returns them)."""
        totals: dict[str, Decimal] = {}
        for order in orders:
            totals[order.currency] = totals.get(order.currency, Decimal(0)) + order.amount
        return cls(
            count=len(orders),
            totals=dict(sorted(totals.items())),
            first_order=orders[-1].ordered_at if orders else None,
            last_order=orders[0].ordered_at if orders else None,
            latest=tuple(orders[:latest]),
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
    interactions: int = Field(0, ge=0, description="The company's recorded contacts with the customer")
    latest_interactions: tuple[Interaction, ...] = Field((), description="The latest of them, newest first")
    orders: OrderSummary = OrderSummary()
    cases: tuple[Case, ...] = Field((), description="The customer's open cases, most recently changed first")
    score: CustomerScore | None = Field(
        None, description="The stored score (RFM, segment, value tier, CLV, churn risk), when there is one"
    )
    as_of: AwareDatetime = Field(
        description="When the view was built: what SLA states and dates are seen from"
    )
    sla: dict[str, CaseSla] = Field(
        default_factory=dict, description="Each open case's SLA state, by case id"
    )
    reminders: tuple[Reminder, ...] = Field(
        (), description="The customer's dates coming up (birthday, anniversary, renewal), soonest first"
    )
    verdicts: tuple[LinkVerdict, ...] = Field(
        (), description="Verdicts people gave on links to this customer (who, when), newest first"
    )

    def masked(self) -> Customer360:
        """The view as people may see it: the bank account masked (`core.models.mask_account`)."""
        customer = self.customer.model_copy(update={"bank_account": mask_account(self.customer.bank_account)})
        return self.model_copy(update={"customer": customer})

    def verdict_on(self, mention_id: str) -> LinkVerdict | None:
        """The newest verdict given on this mention's link, if any."""
        return next((v for v in self.verdicts if v.mention_id == mention_id), None)


def build_customer360(
    customer: Customer,
    directory: OrderNumbers,
    store: MentionStore,
    *,
    latest: int = LATEST,
    interactions: InteractionStore | None = None,
    orders: OrderStore | None = None,
    cases: OpenCases | None = None,
    scores: StoredScores | None = None,
    feedback: LinkVerdicts | None = None,
    now: datetime | None = None,
    upcoming: int | Mapping[ReminderKind, int] = UPCOMING_DAYS,
) -> Customer360:
    """The 360 view of `customer` from `directory` (order numbers), `store` (linked mentions) and, when
    given, the interaction, order, case and score stores and the link verdicts of `feedback` (usually
    the directory itself); without them those sections are empty. `now` (default: the current time)
    is what SLA states and the coming dates are seen from (its UTC date); `upcoming`: how many days
    ahead a date is shown, for every kind or per kind.

    Open complaints are the complaint mentions on the customer's open cases: a complaint whose case is
    resolved is answered. Without a case store (`cases` None) every linked complaint counts as open, as
    before cases existed. All stores must be scoped to the same workspace: a view mixing two tenants is
    refused."""
    scopes = {"directory": directory.workspace, "store": store.workspace}
    scopes |= {"interactions": interactions.workspace} if interactions is not None else {}
    scopes |= {"orders": orders.workspace} if orders is not None else {}
    scopes |= {"cases": cases.workspace} if cases is not None else {}
    scopes |= {"scores": scores.workspace} if scores is not None else {}
    scopes |= {"feedback": feedback.workspace} if feedback is not None else {}
    now = now or utcnow()
    if len(set(scopes.values())) > 1:
        names = "the customer directory and the mention store" if len(scopes) == 2 else "the stores"
        raise InvalidInput(f"{names} belong to different workspaces", details=scopes)
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
    score = scores.get(customer.id) if scores is not None else None
    value_tier = score.tier.value if score is not None and score.tier is not None else None
    coming = due_reminders(
        [customer], today=now.astimezone(UTC).date(), horizon=upcoming, value_tier=lambda _: value_tier
    )
    verdicts = feedback.feedback_of(customer.id) if feedback is not None else []
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
        interactions=interactions.count(customer.id) if interactions is not None else 0,
        latest_interactions=tuple(interactions.list(customer.id, limit=latest))
        if interactions is not None
        else (),
        orders=OrderSummary.of(orders.list(customer.id), latest=latest)
        if orders is not None
        else OrderSummary(),
        cases=tuple(open_cases),
        score=score,
        as_of=now,
        sla={case.id: case.sla(now) for case in open_cases},
        reminders=tuple(sorted(coming, key=lambda r: (r.on, r.kind.value))),
        verdicts=tuple(reversed(verdicts)),
    )
