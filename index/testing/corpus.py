"""A deterministic corpus of enriched mentions, and a small pure-Python reference of the store protocol's
semantics over it: the expected values of the contract suites (:mod:`index.testing.contracts`), and data
for other tests and benchmarks.

- :func:`enriched_mention` (one mention, sensible defaults), :func:`enriched_mentions` (``n`` varied
  ones, deterministic by seed), :func:`every_field_mention` (every optional field set, awkward values);
- :func:`reference_matches` (does a mention pass a `MentionFilter` and plain-text search),
  :func:`reference_terms` and :func:`facet_values` (terms aggregations), :func:`chronological` and
  :func:`newest_first` (the sort orders).

It imports no pytest, so benchmarks and scripts may use it too.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from core.ids import customer_id
from core.models import (
    Aspect,
    AspectLabel,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    ModelRef,
    Sentiment,
    SentimentLabel,
)
from index.analysis import analyze, is_cjk, query_words
from index.base import Bucket, FacetField, MentionFilter

__all__ = [
    "BASE_TIME",
    "CST",
    "CUSTOMER_CODES",
    "FACET_FIELDS",
    "MODEL",
    "NO_FILTER",
    "chronological",
    "enriched_mention",
    "enriched_mentions",
    "every_field_mention",
    "facet_values",
    "newest_first",
    "reference_matches",
    "reference_terms",
]

FACET_FIELDS: tuple[FacetField, ...] = (
    "platform",
    "source",
    "lang",
    "sentiment",
    "intent",
    "site",
    "country",
    "author",
    "customer",
    "hashtag",
)
BASE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
CST = timezone(timedelta(hours=8))
MODEL = ModelRef(name="lexicon", version="1.0")
NO_FILTER = MentionFilter()

# --- corpus ----------------------------------------------------------------------------------------
# (English, Simplified, Traditional)
_PRODUCTS = (
    ("headphones", "耳机", "耳機"),
    ("speaker", "音箱", "音箱"),
    ("watch", "手表", "手錶"),
    ("charger", "充电器", "充電器"),
)
_BRANDS = (("Acme", "艾可", "艾可"), ("Nimbus", "云朵", "雲朵"), ("Orbit", "轨道", "軌道"))
_L = SentimentLabel
_I = IntentLabel
# (text, title, sentiment, intents); {p} product, {b} brand.
_EN: tuple[tuple[str, str | None, SentimentLabel, tuple[IntentLabel, ...]], ...] = (
    (
        "The {p} battery died after two days, I want a refund.",
        "Battery problem",
        _L.negative,
        (_I.complaint,),
    ),
    ("Loving my new {p} from {b}! The sound is amazing.", None, _L.positive, (_I.praise,)),
    ("Does the {b} {p} support wireless charging?", None, _L.neutral, (_I.question,)),
    ("Thinking about buying the {p}, any deals this week?", None, _L.neutral, (_I.purchase_intent,)),
    (
        "Third time the app crashed while pairing my {p}. Fix it!",
        "App crashes",
        _L.negative,
        (_I.bug_report, _I.complaint),
    ),
    (
        "Cancelling my {b} subscription, support never answers.",
        None,
        _L.negative,
        (_I.churn_risk, _I.complaint),
    ),
    (
        "Would be great if {b} added a dark mode to the {p} app.",
        "Feature idea",
        _L.neutral,
        (_I.feature_request,),
    ),
    ("Flight delayed again, but the {p} kept me sane. Thanks {b}!", None, _L.positive, (_I.praise,)),
    (
        "Café staff recommended the {b} {p}; the battery lasts forever.",
        "Great battery",
        _L.positive,
        (_I.praise,),
    ),
    ("Shipping took three weeks and the {p} box was damaged.", None, _L.negative, (_I.complaint,)),
)
_ZH: tuple[tuple[str, str | None, SentimentLabel, tuple[IntentLabel, ...]], ...] = (
    ("{b}的{p}质量很好，物流也很快。", None, _L.positive, (_I.praise,)),
    ("{p}电池不行，用了两天就没电了，要求退款！", "电池问题", _L.negative, (_I.complaint,)),
    ("请问{b}{p}支持无线充电吗？", None, _L.unscored, (_I.question,)),
    ("打算买{b}的{p}，最近有优惠吗？", None, _L.neutral, (_I.purchase_intent,)),
    ("這個{p}的音質很好，推薦購買。", "開箱", _L.positive, (_I.praise,)),  # Traditional
    ("客服一直不回复，我要换别的牌子了。", None, _L.negative, (_I.churn_risk, _I.complaint)),
    ("{p}连接手机总是断开，希望尽快修复。", None, _L.unscored, (_I.bug_report,)),
)
_TRADITIONAL = frozenset({4})  # indices of _ZH written in Traditional characters
_EN_PLACES = (
    ("twitter", "twitter-api", None),
    ("reddit", "reddit-api", "r/headphones"),
    ("reddit", "reddit-api", "r/gadgets"),
    ("web", "demo", "reviews.example.com"),
    ("appstore", "file", "apps.example.com"),
)
_ZH_PLACES = (
    ("weibo", "weibo-scraper", None),
    ("web", "demo", "bbs.example.cn"),
    ("appstore", "file", "apps.example.com"),
)
_EN_COUNTRIES = ("US", "GB", "SG", None)
_ZH_COUNTRIES = ("CN", "TW", "SG", None)
_HANDLES = (*(f"user{i:02d}" for i in range(12)), "小明", "王芳")
_HASHTAGS = ("acme", "nimbus", "orbit", "fail", "love", "deal", "耳机", "wireless")
CUSTOMER_CODES = ("C001", "C002", "C003", "C004", "C005")


def enriched_mention(native_id: str, text: str = "hello world", **fields: Any) -> EnrichedMention:
    """One mention with sensible defaults; ``fields`` override any EnrichedMention field."""
    published = fields.pop("published_at", BASE_TIME)
    data: dict[str, Any] = {
        "platform": "web",
        "native_id": native_id,
        "source": "test",
        "text": text,
        "published_at": published,
        "collected_at": published + timedelta(minutes=5),
        "enriched_at": published + timedelta(minutes=10),
        "lang": "en",
        "sentiment": Sentiment(label=SentimentLabel.neutral, score=0.0, confidence=0.5),
        "models": (MODEL,),
    }
    data.update(fields)
    return EnrichedMention.model_validate(data)


def every_field_mention() -> EnrichedMention:
    """A mention with every optional field set (aspects included), awkward values in each: a store
    must give it back equal, and a schema must map every path of its document."""
    return enriched_mention(
        "全-1",
        "這個耳機的音質很好 Café ＦＬＩＧＨＴ",
        platform="Weibo",
        title="开箱 unboxing",
        url="https://weibo.example.com/1",
        site="weibo.com",
        author=Author(
            platform="weibo",
            native_id="42",
            handle="小明",
            display_name="Xiao Ming",
            url="https://weibo.example.com/u/42",
            location="上海",
            profile_text="爱音乐",
            followers=12,
        ),
        published_at=datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=CST),
        collected_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        lang_hint="zh",
        country="CN",
        rating=4.5,
        product="headphones",
        thread_id="t1",
        parent_native_id="p0",
        hashtags=("耳机", "love"),
        mentions=("acme_cn",),
        metadata={"likes": 3, "ratio": 0.25, "verified": True, "note": None, "tag": "x"},
        lang="zh",
        sentiment=Sentiment(label=SentimentLabel.positive, score=0.82, confidence=0.91),
        intents=(
            Intent(label=IntentLabel.praise, confidence=0.7),
            Intent(label=IntentLabel.purchase_intent, confidence=0.4),
        ),
        aspects=(
            Aspect(label=AspectLabel.quality, polarity=SentimentLabel.positive, confidence=0.93),
            Aspect(label=AspectLabel.delivery, polarity=SentimentLabel.negative, confidence=0.61),
        ),
        customer=CustomerLink(
            customer_id=customer_id("C001"),
            confidence=0.97,
            method="handle",
            evidence=("handle:小明", "platform:weibo"),
        ),
        models=(MODEL, ModelRef(name="linker", version="2026.11")),
        enriched_at=datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
    )


_ASPECT_SETS: tuple[tuple[Aspect, ...], ...] = (
    (),
    (Aspect(label=AspectLabel.delivery, polarity=SentimentLabel.negative, confidence=0.91),),
    (
        Aspect(label=AspectLabel.quality, polarity=SentimentLabel.positive, confidence=0.88),
        Aspect(label=AspectLabel.price, polarity=SentimentLabel.neutral, confidence=0.6),
    ),
)  # chosen by position, not by the generator: adding them left every other field as it was


def enriched_mentions(n: int, seed: int = 0) -> list[EnrichedMention]:
    """``n`` deterministic mentions, about 70% English and 30% Chinese (some Traditional), spread over
    ten days and every hour from 2026-11-01 UTC, with varied platforms, sources, sentiments, intents,
    customers, sites, authors, countries and hashtags. Ids depend on ``seed``: different seeds never
    collide. Every field is set explicitly (no wall-clock defaults), so two calls return equal lists."""
    rng = random.Random(seed)
    used = {False: 0, True: 0}
    out: list[EnrichedMention] = []
    for i in range(n):
        chinese = rng.random() < 0.3
        # templates in turn, so even a small corpus has every one of them
        pool = _ZH if chinese else _EN
        template = (seed + used[chinese]) % len(pool)
        used[chinese] += 1
        text, title, label, intents = pool[template]
        script = (2 if template in _TRADITIONAL else 1) if chinese else 0
        product, brand = rng.choice(_PRODUCTS)[script], rng.choice(_BRANDS)[script]
        platform, source, site = rng.choice(_ZH_PLACES if chinese else _EN_PLACES)
        published = BASE_TIME + timedelta(
            days=rng.randrange(10),
            hours=rng.randrange(24),
            minutes=rng.randrange(60),
            seconds=rng.randrange(60),
        )
        if chinese:
            published = published.astimezone(CST)  # an offset that must survive the round trip
        handle = rng.choice(_HANDLES) if rng.random() < 0.85 else None
        author = (
            None
            if handle is None
            else Author(
                platform=platform,
                handle=handle,
                native_id=f"u-{handle}",
                display_name=handle.title(),
                followers=rng.randrange(10_000),
            )
        )
        customer = None
        if rng.random() < 0.3:
            customer = CustomerLink(
                customer_id=customer_id(rng.choice(CUSTOMER_CODES)),
                confidence=round(rng.uniform(0.6, 1), 3),
                method="handle",
                evidence=(f"handle:{handle}",) if handle else (),
            )
        score = {_L.positive: 0.7, _L.negative: -0.6, _L.neutral: 0.0, _L.unscored: 0.0}[label]
        tags = tuple(sorted(set(rng.sample(_HASHTAGS, rng.randrange(4)))))
        out.append(
            EnrichedMention(
                platform=platform,
                native_id=f"s{seed}-{i:07d}",
                source=source,
                text=text.format(p=product, b=brand)
                + (f" #{tags[0]}" if tags and rng.random() < 0.5 else ""),
                title=title,
                url=f"https://{site or platform + '.example.com'}/p/{seed}/{i}",
                site=site,
                author=author,
                published_at=published,
                collected_at=published + timedelta(minutes=rng.randrange(1, 120)),
                lang_hint="zh" if chinese else None,
                country=rng.choice(_ZH_COUNTRIES if chinese else _EN_COUNTRIES),
                rating=float(rng.randrange(1, 6)) if platform == "appstore" else None,
                product=product if not chinese else None,
                hashtags=tags,
                metadata={"rank": i, "seed": seed},
                lang="zh" if chinese else "en",
                sentiment=Sentiment(
                    label=label, score=score, confidence=0.0 if label == _L.unscored else 0.8
                ),
                intents=tuple(Intent(label=intent, confidence=0.75) for intent in intents),
                aspects=_ASPECT_SETS[i % len(_ASPECT_SETS)] if label is not _L.unscored else (),
                customer=customer,
                models=(MODEL,),
                enriched_at=published + timedelta(hours=2),
            )
        )
    return out


# --- reference semantics ---------------------------------------------------------------------------
def facet_values(mention: EnrichedMention, field: FacetField) -> set[str]:
    """The values a mention contributes to a terms aggregation (a set: a document counts once)."""
    match field:
        case "platform":
            return {mention.platform}
        case "source":
            return {mention.source}
        case "lang":
            return {mention.lang}
        case "sentiment":
            return {mention.sentiment.label.value}
        case "intent":
            return {intent.label.value for intent in mention.intents}
        case "hashtag":
            return set(mention.hashtags)
        case "site":
            return {mention.site} if mention.site is not None else set()
        case "country":
            return {mention.country} if mention.country is not None else set()
        case "author":
            return {mention.author.handle} if mention.author and mention.author.handle is not None else set()
        case "customer":
            return {mention.customer.customer_id} if mention.customer else set()
    raise ValueError(field)


def _contains_run(tokens: Sequence[str], run: Sequence[str]) -> bool:
    width = len(run)
    return any(list(tokens[i : i + width]) == list(run) for i in range(len(tokens) - width + 1))


def _text_matches(mention: EnrichedMention, text: str) -> bool:
    fields = [analyze(value) for value in (mention.title, mention.text) if value]
    for unit in query_words(text):
        if len(unit) == 1 and not is_cjk(unit[0]):
            found = any(unit[0] in a.stems.split() for a in fields)
        else:
            found = any(_contains_run(a.terms.split(), unit) for a in fields)
        if not found:
            return False
    return True


def reference_matches(
    mention: EnrichedMention, filters: MentionFilter = NO_FILTER, text: str | None = None
) -> bool:
    """Whether ``mention`` matches, by the protocol's semantics (the reference the contract compares with)."""
    f = filters
    checks: list[tuple[tuple[Any, ...], Any]] = [
        (f.ids, mention.id),
        (f.platforms, mention.platform),
        (f.sources, mention.source),
        (f.langs, mention.lang),
        (f.sentiments, mention.sentiment.label),
        (f.sites, mention.site),
        (f.countries, mention.country),
        (f.authors, mention.author.handle if mention.author else None),
        (f.customer_ids, mention.customer.customer_id if mention.customer else None),
    ]
    if any(wanted and value not in wanted for wanted, value in checks):
        return False
    if f.intents and not {i.label for i in mention.intents} & set(f.intents):
        return False
    if f.linked is not None and (mention.customer is not None) != f.linked:
        return False
    if f.since is not None and mention.published_at < f.since:
        return False
    if f.until is not None and mention.published_at >= f.until:
        return False
    return not text or _text_matches(mention, text)


def chronological(mentions: Sequence[EnrichedMention]) -> list[EnrichedMention]:
    """Oldest first, ties by id: the order of `export` and of sort='oldest'."""
    return sorted(mentions, key=lambda m: (m.published_at, m.id))


def newest_first(mentions: Sequence[EnrichedMention]) -> list[EnrichedMention]:
    """Newest first, ties by id ascending: the order of sort='newest'."""
    return sorted(sorted(mentions, key=lambda m: m.id), key=lambda m: m.published_at, reverse=True)


def reference_terms(mentions: Sequence[EnrichedMention], field: FacetField, size: int = 10) -> list[Bucket]:
    counts: Counter[str] = Counter()
    for mention in mentions:
        counts.update(facet_values(mention, field))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Bucket(key=key, count=n) for key, n in ranked[:size]]
