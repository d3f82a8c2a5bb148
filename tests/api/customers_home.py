"""A small CRM home for the customer API and page tests, built through the crm library (no demo run):
six customers with orders (scored by `recompute_scores`: Ana is a key customer), Ana's linked mentions
(one a complaint on an open, late case), a mention by an unknown author to confirm, an interaction,
Ana's birthday three days ahead and her bank account (which must come out masked).

    home = crm_home(settings)            # settings from api.testing.api_settings(tmp_path)
    home.ana.id, home.stranger_id, home.complaint_id, home.case_id
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from core.models import (
    DEFAULT_WORKSPACE,
    Author,
    Consent,
    Contact,
    Customer,
    CustomerLink,
    EnrichedMention,
    Handle,
    Intent,
    IntentLabel,
    RawMention,
    Sentiment,
    SentimentLabel,
    Tier,
    utcnow,
)
from core.settings import Settings
from crm.cases import assign_to_cases, build_case_store
from crm.customers import CustomerRecord, build_customer_directory
from crm.interactions import InteractionChannel, build_interaction_store
from crm.orders import Order, build_order_store
from crm.records_testing import interaction
from crm.scores import recompute_scores
from index.backends import build_mention_store

BANK_ACCOUNT = "6222 0212 3456 7890"


@dataclass(frozen=True)
class CrmHome:
    ana: Customer
    bo: Customer
    now: datetime
    complaint_id: str  # Ana's complaint, on her open case
    praise_id: str  # Ana's praise, linked by handle
    stranger_id: str  # a mention by an author nobody linked
    case_id: str


def _mention(
    n: int,
    text: str,
    *,
    handle: str,
    at: datetime,
    customer: Customer | None = None,
    sentiment: SentimentLabel = SentimentLabel.neutral,
    intents: tuple[IntentLabel, ...] = (),
) -> EnrichedMention:
    raw = RawMention(
        platform="weibo",
        native_id=f"home-{n}",
        source="test",
        text=text,
        published_at=at,
        author=Author(platform="weibo", handle=handle),
    )
    link = (
        CustomerLink(customer_id=customer.id, confidence=0.9, method="handle", evidence=("handle",))
        if customer
        else None
    )
    return EnrichedMention.from_raw(
        raw,
        lang="en",
        sentiment=Sentiment(label=sentiment, score=0.0, confidence=0.9),
        intents=tuple(Intent(label=i, confidence=0.9) for i in intents),
        customer=link,
    )


def crm_home(settings: Settings, *, workspace: str = DEFAULT_WORKSPACE) -> CrmHome:
    now = utcnow()
    birthday = (now + timedelta(days=3)).date()
    ana = Customer(
        code="C001",
        name="Ana Lima",
        tier=Tier.gold,
        owner="amy",
        birthday=date(1986, birthday.month, min(birthday.day, 28)),
        consent=Consent(marketing=True, profiling=True),
        city="Hangzhou",
        bank="ICBC",
        bank_account=BANK_ACCOUNT,
        contacts=(Contact(kind="email", value="ana@example.com"),),
        handles=(Handle(platform="weibo", handle="ana_l"),),
    )
    bo = Customer(code="C002", name="Bo Chen", consent=Consent(profiling=True), owner="li.wei")
    others = [
        Customer(code=f"C00{n}", name=f"Customer {n}", consent=Consent(profiling=True)) for n in range(3, 7)
    ]
    customers = [ana, bo, *others]
    spend = {ana.id: "5000.00", bo.id: "300.00", **{c.id: "100.00" for c in others}}
    orders = [
        Order(
            order_id=f"{c.code}-{k}",
            customer_id=c.id,
            customer_code=c.code,
            ordered_at=now - timedelta(days=10 + 30 * k),
            amount=Decimal(spend[c.id]),
            currency="CNY",
            products=("tea",),
            channel="tmall",
        )
        for c in customers
        for k in range(3)
    ]
    complaint = _mention(
        1,
        "My parcel is lost again, <b>nobody</b> answers",
        handle="ana_l",
        at=now - timedelta(days=2),
        customer=ana,
        sentiment=SentimentLabel.negative,
        intents=(IntentLabel.complaint,),
    )
    praise = _mention(
        2,
        "Lovely tea, thanks!",
        handle="ana_l",
        at=now - timedelta(days=5),
        customer=ana,
        sentiment=SentimentLabel.positive,
    )
    stranger = _mention(
        3, "Is this the shop with the green tea?", handle="tea_fan", at=now - timedelta(days=1)
    )
    with (
        build_customer_directory(settings, workspace=workspace) as directory,
        build_order_store(settings, workspace=workspace) as order_store,
        build_interaction_store(settings, workspace=workspace) as interactions,
        build_case_store(settings, workspace=workspace) as cases,
    ):
        directory.upsert([CustomerRecord(customer=c) for c in customers])
        order_store.upsert(orders)
        interactions.upsert(
            [
                interaction(
                    0,
                    ana.id,
                    at=now - timedelta(days=1),
                    channel=InteractionChannel.phone,
                    staff="amy",
                    outcome="refund promised",
                )
            ]
        )
        store = build_mention_store(settings, workspace=workspace, ensure_ready=True)
        try:
            store.upsert([complaint, praise, stranger])
            store.refresh()
            (case_id,) = assign_to_cases([complaint], cases, now=complaint.published_at).opened
        finally:
            store.close()
    recompute_scores(settings, workspace=workspace, now=now)
    return CrmHome(
        ana=ana,
        bo=bo,
        now=now,
        complaint_id=complaint.id,
        praise_id=praise.id,
        stranger_id=stranger.id,
        case_id=case_id,
    )
