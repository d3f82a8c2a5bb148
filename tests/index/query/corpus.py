"""A small hand-written corpus in English and Chinese for the query-language tests.

Each mention has a short name (its native id) so tests can say which ones a query must return.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.models import (
    Aspect,
    AspectLabel,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    RawMention,
    Sentiment,
    SentimentLabel,
)

WHEN = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def mention(name: str, text: str, **fields: Any) -> EnrichedMention:
    """An enriched mention named `name`; raw fields and enrichment fields may both be given."""
    enrichment_keys = {"lang", "sentiment", "intents", "aspects", "customer", "models", "enriched_at"}
    enrichment = {k: fields.pop(k) for k in list(fields) if k in enrichment_keys}
    raw: dict[str, Any] = {
        "platform": "twitter",
        "native_id": name,
        "source": "test",
        "text": text,
        "published_at": WHEN,
        "collected_at": WHEN,
    }
    raw.update(fields)
    return EnrichedMention.from_raw(RawMention.model_validate(raw), enriched_at=WHEN, **enrichment)


def _sentiment(label: str) -> Sentiment:
    return Sentiment(label=SentimentLabel(label), score=-0.5 if label == "negative" else 0.5, confidence=0.9)


def _aspect(label: str, polarity: str) -> Aspect:
    return Aspect(label=AspectLabel(label), polarity=SentimentLabel(polarity), confidence=0.8)


def _customer(cid: str) -> CustomerLink:
    return CustomerLink(customer_id=cid, confidence=1.0, method="handle")


CORPUS: tuple[EnrichedMention, ...] = (
    mention(
        "refund-late",
        "I want a refund, the delivery was so late.",
        lang="en",
        sentiment=_sentiment("negative"),
        intents=(Intent(label=IntentLabel.complaint, confidence=0.9),),
        aspects=(_aspect("price", "negative"), _aspect("delivery", "negative")),
        author=Author(platform="twitter", handle="Sam_R"),
        country="GB",
    ),
    mention(
        "money-back-slow",
        "Money back please: shipping was slow and slower still.",
        lang="en",
        sentiment=_sentiment("negative"),
        author=Author(platform="twitter", handle="jo"),
    ),
    mention("late-refund", "So late again. Refund me now!", lang="en", sentiment=_sentiment("negative")),
    mention(
        "refund-far",
        "Refund requested on Monday; after many days of waiting and waiting and waiting "
        "and waiting the parcel finally came, but late.",
        lang="en",
    ),
    mention("apple-pie", "Apple pie is the best dessert.", lang="en", sentiment=_sentiment("positive")),
    mention(
        "apple-phone",
        "My Apple iPhone battery life is terrible.",
        lang="en",
        sentiment=_sentiment("negative"),
        hashtags=("#Bluetooth",),
        mentions=("aurora_audio",),
        site="forums.example.com",
        url="https://forums.example.com/t/123?ref=Home",
        rating=1.0,
        platform="web",
    ),
    mention(
        "battery-life",
        "The life of this battery is great, battery really lasts.",
        lang="en",
        sentiment=_sentiment("positive"),
        hashtags=("bluetooth", "audio"),
        rating=5.0,
        platform="appstore",
        customer=_customer("cust-1"),
        metadata={"customer_tier": "Gold"},
    ),
    mention(
        "life-battery",
        "Life is short; my battery is long-lived.",
        lang="en",
        rating=2.0,
        platform="appstore",
        customer=_customer("cust-2"),
        metadata={"customer_tier": "silver"},
    ),
    mention(
        "wifi",
        "The Wi-Fi keeps dropping; wifi is bad, Don't buy.",
        lang="en",
        title="Wi-Fi problems with Aurora X2",
        site="reddit.com",
        platform="reddit",
        author=Author(platform="reddit", handle="@Kim"),
    ),
    mention(
        "colour",
        "Love the colour and the color options. Women and woman alike.",
        lang="en",
        sentiment=_sentiment("positive"),
        title="Refund policy explained",
    ),
    mention("case", "IPHONE or iphone or iPhone: all the same to the index.", lang="en"),
    mention("accents", "Café crème at the CAFÉ, naïve résumé.", lang="fr", country="fr"),
    mention("operators", "rock and roll or not, near the end", lang="en"),
    mention(
        "zh-battery",
        "这个手机的电池很差，充电也慢。",
        lang="zh",
        sentiment=_sentiment("negative"),
        country="CN",
        platform="weibo",
        aspects=(_aspect("quality", "negative"),),
    ),
    mention("zh-traditional", "這個手機電池不耐用", lang="zh", country="TW", platform="weibo"),
    mention(
        "zh-far",
        "手机很好，但是过了很久很久以后电池坏了",
        lang="zh",
        platform="weibo",
        aspects=(_aspect("quality", "positive"), _aspect("delivery", "neutral")),
    ),
    mention("zh-charge", "充电器和手机都不错", lang="zh", sentiment=_sentiment("positive"), platform="weibo"),
    mention("mixed", "新款iPhone手机的battery续航 is ok", lang="zh"),
    mention("fullwidth", "ＲＥＦＵＮＤ ｐｌｅａｓｅ，ｓｌｏｗ ｓｈｉｐｐｉｎｇ", lang="en"),
    mention("repeat", "very very good, very", lang="en"),
    mention("empty-title", "Nothing here matches much.", lang="en", title=""),
)

BY_NAME = {m.native_id: m for m in CORPUS}


def names(mentions: list[EnrichedMention] | tuple[EnrichedMention, ...]) -> set[str]:
    return {m.native_id for m in mentions}
