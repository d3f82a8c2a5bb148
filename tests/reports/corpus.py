"""A hand-built corpus for the report tests: three brands over one week in America/New_York (the week of
the spring daylight-saving change) and the week before it, with mentions on the period's bounds, at
23:30 local time, in Chinese, of two brands at once, of no brand, and a few around the autumn change.

Brand queries are plain words, so which mention is whose is obvious: `BRAND_WORDS` (a mention is a
brand's when its lower-cased text contains one of the brand's words; no text holds a brand word inside
a longer word). The tests compute what a report must say from `CORPUS` in plain Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.models import (
    Aspect,
    AspectLabel,
    Author,
    Consent,
    Customer,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    ModelRef,
    Sentiment,
    SentimentLabel,
    Tier,
)
from crm.scores.pareto import ValueTier
from crm.scores.score import CustomerScore, ValueScore
from reports.brands import Brand, BrandRole

TZ = "America/New_York"
NEW_YORK = ZoneInfo(TZ)
#: `last-week` at this moment is Monday 2026-03-02 to Sunday 2026-03-08 in New York, whose clocks move
#: from 02:00 EST to 03:00 EDT on Sunday 2026-03-08 (a 23-hour day); the previous week is 2026-02-23 to
#: 2026-03-01.
NOW = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
START = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 2026-03-02 00:00 EST
END = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # 2026-03-09 00:00 EDT (exclusive)
PREVIOUS_START = datetime(2026, 2, 23, 5, 0, tzinfo=UTC)  # 2026-02-23 00:00 EST
#: The day buckets of the period: every local midnight, the offset changing after Sunday's midnight.
WEEK_KEYS = (
    "2026-03-02T00:00:00-05:00",
    "2026-03-03T00:00:00-05:00",
    "2026-03-04T00:00:00-05:00",
    "2026-03-05T00:00:00-05:00",
    "2026-03-06T00:00:00-05:00",
    "2026-03-07T00:00:00-05:00",
    "2026-03-08T00:00:00-05:00",
)
#: The autumn week: Monday 2026-10-26 to Sunday 2026-11-01 (02:00 EDT becomes 01:00 EST on Sunday).
AUTUMN_KEYS = (
    "2026-10-26T00:00:00-04:00",
    "2026-10-27T00:00:00-04:00",
    "2026-10-28T00:00:00-04:00",
    "2026-10-29T00:00:00-04:00",
    "2026-10-30T00:00:00-04:00",
    "2026-10-31T00:00:00-04:00",
    "2026-11-01T00:00:00-04:00",
)

BRANDS = (
    Brand(name="Acme", query="acme", role=BrandRole.own),
    Brand(name="Nimbus", query="nimbus", role=BrandRole.competitor),
    Brand(name="Orbit", query="orbit OR 轨道", role=BrandRole.product_line),
)
EMPTY_BRAND = Brand(name="Zephyr", query="zephyr", role=BrandRole.competitor)
BRAND_WORDS: dict[str, tuple[str, ...]] = {
    "Acme": ("acme",),
    "Nimbus": ("nimbus",),
    "Orbit": ("orbit", "轨道"),
    "Zephyr": ("zephyr",),
}

# --- customers -------------------------------------------------------------------------------------
ANA = Customer(code="C001", name="Ana Lima", tier=Tier.gold, consent=Consent(profiling=True))
BO = Customer(code="C002", name="Bo Chen", consent=Consent(profiling=True))
WANG = Customer(code="C003", name="王芳", tier=Tier.platinum, consent=Consent(profiling=True))
CUSTOMERS = (ANA, BO, WANG)
#: A customer id that mentions link to but the directory does not know (deleted since).
UNKNOWN_CUSTOMER = "cust-unknown-7"
SCORED_AT = datetime(2026, 3, 1, tzinfo=UTC)
SCORES = (
    CustomerScore(
        customer_id=ANA.id,
        customer_code=ANA.code,
        customer_name=ANA.name,
        computed_at=SCORED_AT,
        value=ValueScore(tier=ValueTier.key, rank=1, revenue=Decimal("900"), share=0.6, cumulative_share=0.6),
    ),
    CustomerScore(
        customer_id=WANG.id,
        customer_code=WANG.code,
        customer_name=WANG.name,
        computed_at=SCORED_AT,
        value=ValueScore(
            tier=ValueTier.growth, rank=2, revenue=Decimal("400"), share=0.3, cumulative_share=0.9
        ),
    ),
)

# --- the mentions ------------------------------------------------------------------------------------
_MODEL = ModelRef(name="hand", version="1")
_PLATFORMS = ("twitter", "reddit", "weibo", "web", "appstore")
_SITES = {"twitter": "twitter.com", "reddit": "reddit.com/r/headphones", "weibo": "weibo.com", "web": None}
_HANDLES = ("ana", "bo", "小明", "王芳", "dave", "eve", "frank")
_SENTIMENTS = (
    SentimentLabel.positive,
    SentimentLabel.negative,
    SentimentLabel.neutral,
    SentimentLabel.negative,
    SentimentLabel.unscored,
    SentimentLabel.positive,
    SentimentLabel.negative,
)
_CUSTOMERS = (ANA.id, None, BO.id, None, UNKNOWN_CUSTOMER, WANG.id, ANA.id, None)
_LONG = (
    "Acme finally shipped the firmware update that everyone on the forum has been waiting for since the "
    "autumn, and the difference is remarkable: the noise cancelling is quieter in the subway, the battery "
    "lasts a full transatlantic flight with hours to spare, the app no longer forgets the equaliser "
    "settings, and the case hinge that used to squeak is fixed too. Support answered my ticket in minutes."
)


def _midnight(day: date) -> datetime:
    """The UTC instant of local midnight in New York on `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).astimezone(UTC)


def _intents(i: int) -> tuple[Intent, ...]:
    if i % 9 == 1:
        return (
            Intent(label=IntentLabel.churn_risk, confidence=0.8),
            Intent(label=IntentLabel.complaint, confidence=0.7),
        )
    if i % 4 == 0:
        return (Intent(label=IntentLabel.complaint, confidence=0.9),)
    if i % 5 == 2:
        return (Intent(label=IntentLabel.question, confidence=0.6),)
    if i % 7 == 5:
        return (Intent(label=IntentLabel.praise, confidence=0.6),)
    if i % 11 == 3:
        return (Intent(label=IntentLabel.churn_risk, confidence=0.6),)
    return ()


def _aspects(i: int) -> tuple[Aspect, ...]:
    a = AspectLabel
    s = SentimentLabel
    if i % 3 == 0:
        return (Aspect(label=a.price, polarity=s.negative, confidence=0.8),)
    if i % 4 == 1:
        return (
            Aspect(label=a.delivery, polarity=s.negative, confidence=0.7),
            Aspect(label=a.quality, polarity=s.positive, confidence=0.7),
        )
    if i % 5 == 2:  # the same aspect twice: the mention counts once
        return (
            Aspect(label=a.quality, polarity=s.negative, confidence=0.6),
            Aspect(label=a.quality, polarity=s.neutral, confidence=0.5),
        )
    if i % 7 == 4:
        return (Aspect(label=a.service, polarity=s.negative, confidence=0.9),)
    if i % 7 == 6:
        return (Aspect(label=a.app_or_website, polarity=s.positive, confidence=0.9),)
    return ()


def _mention(i: int, at: datetime, text: str, **fields: object) -> EnrichedMention:
    """Mention number `i`, its attributes varied by `i` (every cycle has a different length)."""
    platform = _PLATFORMS[i % len(_PLATFORMS)]
    chinese = platform == "weibo"
    handle = _HANDLES[i % len(_HANDLES)]
    customer = _CUSTOMERS[i % len(_CUSTOMERS)]
    data: dict[str, object] = {
        "platform": platform,
        "native_id": f"m{i:03d}",
        "source": "fixture",
        "text": text,
        "url": f"https://{platform}.example.com/{i}",
        "site": _SITES.get(platform, "example.com" if i % 2 else "news.example.org"),
        "author": None
        if i % 13 == 12
        else Author(platform=platform, handle=handle, display_name=handle.title()),
        "published_at": at,
        "collected_at": at,
        "enriched_at": at,
        "lang": "zh" if chinese else ("de" if i % 6 == 3 else "en"),
        "sentiment": Sentiment(label=_SENTIMENTS[i % len(_SENTIMENTS)], score=0.0, confidence=0.8),
        "intents": _intents(i),
        "aspects": _aspects(i),
        "customer": None
        if customer is None
        else CustomerLink(customer_id=customer, confidence=0.9, method="handle"),
        "title": "耳机测评" if chinese else None,
        "models": (_MODEL,),
    }
    data.update(fields)
    return EnrichedMention.model_validate(data)


def _text(brand: str, i: int, platform: str) -> str:
    if platform == "weibo":
        word = "轨道" if brand == "Orbit" and i % 2 else brand
        return f"{word} 的耳机 第{i}条 音质不错"
    if brand == "Acme" and i % 10 == 4:
        return f"Acme vs Nimbus: which headphones? post {i}"
    return f"{brand} headphones, post {i}: the sound is fine"


# Mentions per day of the week, Monday first: the period (offset 0) and the week before (offset -7).
_SCHEDULE: dict[str, dict[int, tuple[int, ...]]] = {
    "Acme": {0: (3, 2, 14, 2, 3, 2, 3), -7: (3, 3, 2, 4, 3, 2, 3)},
    "Nimbus": {0: (2, 3, 2, 2, 3, 2, 4), -7: (4, 3, 3, 3, 3, 3, 3)},
    "Orbit": {0: (1, 0, 2, 1, 0, 1, 2)},
}


def _scheduled() -> list[EnrichedMention]:
    mentions: list[EnrichedMention] = []
    i = 0
    for b, (brand, weeks) in enumerate(_SCHEDULE.items()):
        for offset, days in weeks.items():
            for weekday, count in enumerate(days):
                midnight = _midnight(date(2026, 3, 2) + timedelta(days=offset + weekday))
                for k in range(count):
                    # distinct instants from 01:07 local on, an hour apart (the 23-hour Sunday has room)
                    at = midnight + timedelta(hours=1 + k, minutes=7 + 13 * b)
                    platform = _PLATFORMS[i % len(_PLATFORMS)]
                    mentions.append(_mention(i, at, _text(brand, i, platform)))
                    i += 1
    return mentions


def _edges() -> list[EnrichedMention]:
    """The mentions on the bounds, late at night, outside both periods, of no brand; and the autumn week."""
    second = timedelta(seconds=1)
    ny = NEW_YORK
    at_end = {"published_at": END}
    return [
        # on the bounds: the period's first instant is in it, its end is not; the previous period's
        # first instant is in that one, and its last microsecond too
        _mention(500, START, "Acme at the very start of the week"),
        _mention(501, END, "Acme at the very end of the week, already the next one", **at_end),
        _mention(502, PREVIOUS_START, "Nimbus at the start of the week before"),
        _mention(503, START - timedelta(microseconds=1), "Nimbus in the last microsecond of the week before"),
        # 23:30 local: Saturday (EST, 04:30 UTC on Sunday) and Sunday (EDT, 03:30 UTC on Monday)
        _mention(504, datetime(2026, 3, 7, 23, 30, tzinfo=ny), "Orbit late on Saturday night"),
        _mention(
            505,
            datetime(2026, 3, 8, 23, 30, tzinfo=ny),
            _LONG,
            sentiment=Sentiment(label=SentimentLabel.positive),
        ),
        _mention(
            506, datetime(2026, 3, 8, 23, 31, tzinfo=ny), "轨道 周日深夜 很差", lang="zh", platform="weibo"
        ),
        # the clock jumps from 02:00 to 03:00 on Sunday: 03:15 EDT is 07:15 UTC
        _mention(507, datetime(2026, 3, 8, 3, 15, tzinfo=ny), "Nimbus just after the clocks moved"),
        # outside both periods
        _mention(508, PREVIOUS_START - second, "Acme before the week before"),
        _mention(509, END + timedelta(days=1), "Nimbus the week after"),
        # of no brand
        _mention(510, START + timedelta(days=1, hours=3), "The weather is nice today"),
        _mention(511, START + timedelta(days=3, hours=9), "headphones in general are expensive"),
        _mention(512, START - timedelta(days=2), "no brand in the week before"),
        # the autumn week: 23:30 local on Saturday (EDT) and Sunday (EST), both 01:30s of Sunday, the end
        _mention(520, datetime(2026, 10, 31, 23, 30, tzinfo=ny), "Acme on Saturday night before the change"),
        _mention(521, datetime(2026, 11, 1, 1, 30, tzinfo=ny), "Acme at the first 01:30"),
        _mention(522, datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ny), "Acme at the second 01:30"),
        _mention(523, datetime(2026, 11, 1, 23, 30, tzinfo=ny), "Acme on Sunday night after the change"),
        _mention(524, datetime(2026, 11, 2, 0, 0, tzinfo=ny), "Acme on the Monday after"),
        _mention(525, datetime(2026, 10, 26, 0, 0, tzinfo=ny), "Acme on the first Monday midnight"),
    ]


CORPUS: tuple[EnrichedMention, ...] = (*_scheduled(), *_edges())


def brand_of(mention: EnrichedMention, brand: str) -> bool:
    """Whether a mention is a brand's, as its query says (plain words, so a substring test)."""
    text = mention.text.lower()
    return any(word in text for word in BRAND_WORDS[brand])


__all__ = [
    "AUTUMN_KEYS",
    "BRANDS",
    "BRAND_WORDS",
    "CORPUS",
    "CUSTOMERS",
    "EMPTY_BRAND",
    "END",
    "NEW_YORK",
    "NOW",
    "PREVIOUS_START",
    "SCORES",
    "START",
    "TZ",
    "UNKNOWN_CUSTOMER",
    "WEEK_KEYS",
    "brand_of",
]
