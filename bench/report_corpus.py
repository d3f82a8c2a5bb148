"""Deterministic enriched mentions for bench/report_build.py: three FICTIONAL brands of earbuds and
speakers (the own brand Lumora, the competitors Vantix and Orbelle) and the chatter around them, over two
months, in English, Chinese, Spanish and German; with platforms, sites, authors, sentiments, intents,
aspects, customer links and ratings as a listening store holds them after enrichment.

Nothing is read from disk and nothing is real. The same seed gives the same mentions, in the same order.

The mix, roughly: 44% name the own brand, 21% Vantix, 14% Orbelle, 6% compare two of them, 15% name none
(the category's noise). Sentiment leans per brand; the own brand has a burst of firmware complaints
for three days in the second month (a spike for the report to find). Authors and sites are Zipf-like
(a few regulars post a lot); 8% of mentions are linked to one of `CUSTOMERS` customers.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.ids import customer_id
from core.models import (
    Aspect,
    AspectLabel,
    Author,
    Contact,
    Customer,
    CustomerLink,
    EnrichedMention,
    Handle,
    Intent,
    IntentLabel,
    ModelRef,
    Sentiment,
    SentimentLabel,
    Tier,
)


@dataclass(frozen=True)
class BenchBrand:
    name: str
    zh: str
    role: str  # reports.brands.BrandRole's value
    query: str
    products: tuple[str, ...]
    zh_products: tuple[str, ...]
    support: str
    share: float  # of all mentions, naming this brand alone
    sentiment: tuple[int, int, int]  # weights of positive, neutral, negative


BRANDS: tuple[BenchBrand, ...] = (
    BenchBrand(
        "Lumora",
        "璐摩",
        "own",
        "Lumora* OR 璐摩",
        ("Lumora Pods", "Lumora Arc speaker", "Lumora Pods Pro"),
        ("璐摩耳机", "璐摩音箱", "璐摩 Pods Pro"),
        "LumoraCare",
        0.44,
        (45, 25, 30),
    ),
    BenchBrand(
        "Vantix",
        "梵提",
        "competitor",
        "Vantix* OR 梵提",
        ("Vantix Buds", "Vantix Dome"),
        ("梵提耳机", "梵提音箱"),
        "VantixHelp",
        0.21,
        (40, 30, 30),
    ),
    BenchBrand(
        "Orbelle",
        "欧蓓",
        "competitor",
        "Orbelle* OR 欧蓓",
        ("Orbelle One", "Orbelle Max"),
        ("欧蓓耳机", "欧蓓 Max"),
        "OrbelleSupport",
        0.14,
        (35, 30, 35),
    ),
)
COMPARISONS = 0.06  # name two brands
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 61  # September and October 2026
SPIKE = (datetime(2026, 10, 14, tzinfo=UTC), timedelta(days=3))  # the own brand's firmware trouble
SPIKE_EXTRA = 0.04  # of all mentions: the burst's complaints, on top
CUSTOMERS = 2_000
LINKED = 0.08
MODEL = ModelRef(name="bench-report-corpus", version="1")
SEED = 13

LANGS = {"en": 56, "zh": 34, "es": 5, "de": 5}
PLATFORMS: dict[str, dict[str, int]] = {
    "en": {"twitter": 30, "reddit": 16, "appstore": 10, "youtube": 8, "web": 24, "news": 6, "instagram": 6},
    "zh": {"weibo": 38, "xiaohongshu": 22, "douyin": 10, "web": 20, "appstore": 6, "news": 4},
    "es": {"twitter": 40, "web": 30, "youtube": 15, "instagram": 15},
    "de": {"twitter": 30, "web": 45, "youtube": 10, "news": 15},
}
SITE_OF = {
    "twitter": "x.com",
    "weibo": "weibo.com",
    "xiaohongshu": "xiaohongshu.com",
    "douyin": "douyin.com",
    "youtube": "youtube.com",
    "instagram": "instagram.com",
    "appstore": "apps.apple.com",
}
SUBREDDITS = ("r/headphones", "r/audiophile", "r/earbuds", "r/BudgetAudiophile", "r/gadgets", "r/android")
COUNTRIES = {
    "en": ("US", "US", "US", "GB", "GB", "CA", "AU", "IN", "SG"),
    "zh": ("CN", "CN", "CN", "CN", "TW", "HK", "SG"),
    "es": ("ES", "MX", "AR"),
    "de": ("DE", "DE", "AT", "CH"),
}
AUTHORS_PER_LANG = {"en": 12_000, "zh": 8_000, "es": 1_000, "de": 1_000}

ASPECT_WORDS: dict[str, dict[AspectLabel, tuple[str, ...]]] = {
    "en": {
        AspectLabel.price: ("price", "the price", "value for money"),
        AspectLabel.delivery: ("delivery", "shipping", "the courier"),
        AspectLabel.quality: ("sound quality", "battery life", "build quality", "noise cancelling"),
        AspectLabel.service: ("customer service", "support", "the warranty claim"),
        AspectLabel.app_or_website: ("the app", "the firmware update", "the website"),
        AspectLabel.other: ("the case", "the colour", "the box"),
    },
    "zh": {
        AspectLabel.price: ("价格", "性价比"),
        AspectLabel.delivery: ("物流", "快递", "发货"),
        AspectLabel.quality: ("音质", "续航", "降噪", "做工"),
        AspectLabel.service: ("客服", "售后", "保修"),
        AspectLabel.app_or_website: ("App", "固件更新", "官网"),
        AspectLabel.other: ("充电盒", "颜色", "包装"),
    },
    "es": {
        AspectLabel.price: ("el precio",),
        AspectLabel.delivery: ("el envío",),
        AspectLabel.quality: ("el sonido", "la batería"),
        AspectLabel.service: ("el servicio",),
        AspectLabel.app_or_website: ("la app",),
        AspectLabel.other: ("el estuche",),
    },
    "de": {
        AspectLabel.price: ("der Preis",),
        AspectLabel.delivery: ("der Versand",),
        AspectLabel.quality: ("der Klang", "der Akku"),
        AspectLabel.service: ("der Kundendienst",),
        AspectLabel.app_or_website: ("die App",),
        AspectLabel.other: ("die Hülle",),
    },
}
# {p}: a product, {a}: an aspect's words, {o}: another brand (comparisons), {s}: the support handle.
TEMPLATES: dict[str, dict[SentimentLabel, tuple[str, ...]]] = {
    "en": {
        SentimentLabel.positive: (
            "Really happy with my {p}, {a} is excellent.",
            "The {p} just keep getting better, {a} is great after the update.",
            "Honest review: {a} on the {p} is the best I have had. Recommend!",
            "Switched from {o} to the {p} and {a} is so much better.",
            "Shout-out to @{s}, {a} sorted in a day. Love the {p}.",
        ),
        SentimentLabel.neutral: (
            "Does anyone know if {a} on the {p} works with Android?",
            "Thinking about the {p}, how is {a} compared to {o}?",
            "Unboxing the {p} today, first impressions of {a} tomorrow.",
            "Is {a} on the {p} different in the new batch?",
            "@{s} when will {a} for the {p} be available in Canada?",
        ),
        SentimentLabel.negative: (
            "My {p} broke after two weeks and {a} is terrible. Want a refund.",
            "@{s} {a} is awful, the {p} keep disconnecting. Fix it.",
            "Returning the {p}. {a} is worse than {o}, never again.",
            "Third time contacting support about the {p}, {a} is a joke.",
            "The {p} overheat while charging and {a} is disappointing.",
        ),
    },
    "zh": {
        SentimentLabel.positive: (
            "{p}真的很好用，{a}非常满意，推荐！",
            "用了一个月{p}，{a}超出预期，好评。",
            "从{o}换成{p}，{a}好太多了。",
        ),
        SentimentLabel.neutral: (
            "请问{p}的{a}怎么样？和{o}比哪个好？",
            "刚入手{p}，{a}还在体验中。",
            "{p}的{a}有人了解吗？",
        ),
        SentimentLabel.negative: (
            "{p}用了两周就坏了，{a}太差了，要退款！",
            "{p}一直断连，{a}很失望，投诉。",
            "{a}太差，{p}不如{o}，再也不买了。",
        ),
    },
    "es": {
        SentimentLabel.positive: ("Me encantan mis {p}, {a} es excelente.",),
        SentimentLabel.neutral: ("¿Alguien sabe cómo es {a} de los {p}?",),
        SentimentLabel.negative: ("Mis {p} se rompieron, {a} es horrible.",),
    },
    "de": {
        SentimentLabel.positive: ("Meine {p} sind super, {a} ist hervorragend.",),
        SentimentLabel.neutral: ("Weiß jemand, wie {a} bei den {p} ist?",),
        SentimentLabel.negative: ("Meine {p} sind kaputt, {a} ist schrecklich.",),
    },
}
NOISE: dict[str, tuple[str, ...]] = {
    "en": (
        "Which earbuds have the best {a} under 100 dollars?",
        "Anyone else think {a} matters more than brand names?",
        "New headphone reviews are out, {a} is the theme this year.",
        "My old earbuds finally died, {a} was never great anyway.",
    ),
    "zh": ("百元耳机哪个{a}最好？", "耳机{a}真的重要吗？", "今年耳机测评都在说{a}。"),
    "es": ("¿Qué auriculares tienen el mejor {a}?",),
    "de": ("Welche Kopfhörer haben den besten {a}?",),
}
FIRMWARE: dict[str, tuple[str, ...]] = {
    "en": (
        "@{s} the new firmware bricked my {p}, they won't turn on. Refund now.",
        "After the firmware update my {p} disconnect every minute. Awful.",
    ),
    "zh": ("{p}更新固件后开不了机了，客服也不回，要退款！", "固件更新后{p}一直断连，太差了。"),
    "es": ("La actualización rompió mis {p}.",),
    "de": ("Das Update hat meine {p} kaputt gemacht.",),
}
INTENTS: dict[SentimentLabel, tuple[tuple[IntentLabel, ...], tuple[int, ...]]] = {
    SentimentLabel.positive: (
        (IntentLabel.praise, IntentLabel.purchase_intent, IntentLabel.feature_request),
        (70, 20, 10),
    ),
    SentimentLabel.neutral: (
        (IntentLabel.question, IntentLabel.purchase_intent, IntentLabel.feature_request),
        (55, 25, 20),
    ),
    SentimentLabel.negative: (
        (IntentLabel.complaint, IntentLabel.bug_report, IntentLabel.churn_risk),
        (60, 25, 15),
    ),
}
TIERS = (Tier.platinum, Tier.gold, Tier.silver, Tier.bronze, Tier.standard)
TIER_WEIGHTS = (3, 8, 20, 29, 40)
FIRST_NAMES = ("Ava", "Ben", "Chen", "Dana", "Eli", "Fatima", "Grace", "Hiro", "Ines", "Jun", "Kai", "Lena")
LAST_NAMES = ("Adams", "Brook", "Cruz", "Dietz", "Evans", "Fang", "Garcia", "Huang", "Iyer", "Jansen")
SENTIMENTS = (SentimentLabel.positive, SentimentLabel.neutral, SentimentLabel.negative)


class _Zipf:
    """Picks 0..n-1, rank k with weight 1 / (k + 1) ** s: a few regulars, a long tail."""

    def __init__(self, n: int, s: float = 1.05) -> None:
        self.cumulative = list(itertools.accumulate(1.0 / (k + 1) ** s for k in range(n)))

    def __call__(self, rng: random.Random) -> int:
        return bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def customer_code(k: int) -> str:
    return f"B{k:05d}"


def make_customers(n: int = CUSTOMERS, seed: int = SEED) -> list[Customer]:
    """The customers mentions are linked to: codes B00000..., Zipf-ranked (B00000 is linked most)."""
    rng = random.Random(seed + 1)
    out = []
    for k in range(n):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        out.append(
            Customer(
                code=customer_code(k),
                name=name,
                tier=rng.choices(TIERS, weights=TIER_WEIGHTS)[0],
                contacts=(Contact(kind="email", value=f"c{k}@mail.example"),),
                handles=(Handle(platform="twitter", handle=f"cust{k}"),),
            )
        )
    return out


@dataclass(frozen=True)
class _Pick:
    brand: BenchBrand | None
    other: BenchBrand | None


def _pick_brands(rng: random.Random) -> _Pick:
    roll = rng.random()
    for brand in BRANDS:
        if roll < brand.share:
            return _Pick(brand, None)
        roll -= brand.share
    if roll < COMPARISONS:
        first, second = rng.sample(BRANDS, 2)
        return _Pick(first, second)
    return _Pick(None, None)


def _moment(rng: random.Random) -> datetime:
    """A time in the two months, busier in the evening and on weekends (UTC)."""
    while True:
        moment = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
        busy = 1.0 + 0.6 * (moment.hour >= 17) + 0.3 * (moment.weekday() >= 5)
        if rng.random() * 1.9 < busy:
            return moment


def make_mentions(n: int, seed: int = SEED) -> Iterator[EnrichedMention]:
    """`n` mentions, the burst's (`SPIKE_EXTRA` of them) last; times mixed; ids m0, m1, ..."""
    rng = random.Random(seed)
    authors = {lang: _Zipf(count) for lang, count in AUTHORS_PER_LANG.items()}
    sites = _Zipf(400)
    customers = _Zipf(CUSTOMERS, 0.9)
    burst = round(n * SPIKE_EXTRA)
    for i in range(n):
        in_burst = i >= n - burst
        lang = _weighted(rng, LANGS)
        pick = _Pick(BRANDS[0], None) if in_burst else _pick_brands(rng)
        brand, other = pick.brand, pick.other
        if in_burst:
            label = SentimentLabel.negative
            when = SPIKE[0] + timedelta(seconds=rng.randrange(int(SPIKE[1].total_seconds())))
        else:
            weights = brand.sentiment if brand is not None else (30, 50, 20)
            label = rng.choices(SENTIMENTS, weights=weights)[0]
            when = _moment(rng)
        aspect_labels = rng.sample(list(AspectLabel), rng.choice((0, 1, 1, 1, 2)))
        if in_burst:
            aspect_labels = [AspectLabel.app_or_website]
        words = ASPECT_WORDS[lang]
        aspect_text = " / ".join(rng.choice(words[a]) for a in aspect_labels) or rng.choice(
            words[AspectLabel.quality]
        )
        text = _text(rng, lang, label, brand, other, aspect_text, in_burst)
        platform = _weighted(rng, PLATFORMS[lang])
        site = _site(rng, platform, lang, sites)
        author_rank = authors[lang](rng)
        handle = f"{lang}_fan{author_rank}"
        linked = rng.random() < LINKED
        review = platform == "appstore" or (platform == "web" and rng.random() < 0.5)
        polarity = label
        aspects = tuple(
            Aspect(
                label=a,
                polarity=polarity if rng.random() < 0.85 else rng.choice(SENTIMENTS),
                confidence=round(rng.uniform(0.55, 0.99), 2),
            )
            for a in aspect_labels
        )
        intent_labels, intent_weights = INTENTS[label]
        intent_count = rng.choice((0, 1, 1, 1, 2))
        intents = tuple(
            Intent(label=lab, confidence=round(rng.uniform(0.5, 0.98), 2))
            for lab in dict.fromkeys(rng.choices(intent_labels, weights=intent_weights, k=intent_count))
        )
        if in_burst:
            intents = (Intent(label=IntentLabel.bug_report, confidence=0.9),)
        score = {
            SentimentLabel.positive: rng.uniform(0.3, 0.95),
            SentimentLabel.neutral: rng.uniform(-0.2, 0.2),
            SentimentLabel.negative: rng.uniform(-0.95, -0.3),
        }[label]
        yield EnrichedMention(
            platform=platform,
            native_id=f"m{i}",
            source=f"bench-{platform}",
            text=text,
            title=_title(rng, lang, brand) if platform in ("web", "news", "reddit", "youtube") else None,
            url=f"https://{site}/p/{i}",
            site=site,
            author=Author(
                platform=platform,
                native_id=f"u{lang}{author_rank}",
                handle=handle,
                display_name=f"{lang.upper()} fan {author_rank}",
                followers=int(50_000 / (author_rank + 1)) + rng.randrange(50),
            ),
            published_at=when,
            collected_at=when + timedelta(minutes=rng.randrange(1, 120)),
            lang_hint=lang,
            country=rng.choice(COUNTRIES[lang]),
            rating=_rating(rng, label) if review else None,
            product=_product_name(brand, rng) if brand is not None else None,
            hashtags=(brand.name,) if brand is not None and rng.random() < 0.2 else (),
            mentions=(brand.support,) if brand is not None and "@" in text else (),
            lang=lang,
            sentiment=Sentiment(
                label=label, score=round(score, 3), confidence=round(rng.uniform(0.6, 0.99), 2)
            ),
            intents=intents,
            aspects=aspects,
            customer=CustomerLink(
                customer_id=customer_id(customer_code(customers(rng))),
                confidence=round(rng.uniform(0.9, 1.0), 2),
                method="handle",
                evidence=(f"handle {handle}",),
            )
            if linked
            else None,
            models=(MODEL,),
            enriched_at=when + timedelta(minutes=130),
        )


def _product_name(brand: BenchBrand, rng: random.Random) -> str:
    return rng.choice(brand.products)


def _text(
    rng: random.Random,
    lang: str,
    label: SentimentLabel,
    brand: BenchBrand | None,
    other: BenchBrand | None,
    aspect_text: str,
    in_burst: bool,
) -> str:
    if brand is None:
        return rng.choice(NOISE[lang]).format(a=aspect_text)
    zh = lang == "zh"
    product = rng.choice(brand.zh_products if zh else brand.products)
    # A template naming a rival names the other brand of a comparison, else an unbranded one.
    unbranded = "别的牌子" if zh else "my old pair"
    rival = unbranded if other is None else other.zh if zh else other.name
    template = rng.choice(FIRMWARE[lang] if in_burst else TEMPLATES[lang][label])
    if other is not None and "{o}" not in template:
        template += " 也看过{o}。" if zh else " Also looked at {o}."
    text = template.format(p=product, a=aspect_text, o=rival, s=brand.support)
    if rng.random() < 0.15:
        text += f" #{brand.zh if zh else brand.name}"
    return text


def _title(rng: random.Random, lang: str, brand: BenchBrand | None) -> str:
    name = "耳机" if brand is None and lang == "zh" else "Earbuds" if brand is None else brand.name
    return f"{name}: {rng.choice(('review', 'question', 'news', 'thoughts', 'update'))}"


def _site(rng: random.Random, platform: str, lang: str, sites: _Zipf) -> str:
    if platform in SITE_OF:
        return SITE_OF[platform]
    if platform == "reddit":
        return SUBREDDITS[sites(rng) % len(SUBREDDITS)]
    kind = "news" if platform == "news" else "reviews"
    return f"{kind}{sites(rng)}.{lang}.example"


def _rating(rng: random.Random, label: SentimentLabel) -> float:
    low, high = {
        SentimentLabel.positive: (4, 5),
        SentimentLabel.neutral: (3, 4),
        SentimentLabel.negative: (1, 2),
    }[label]
    return float(rng.randint(low, high))


def batches(items: Iterator[EnrichedMention], size: int) -> Iterator[Sequence[EnrichedMention]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


__all__ = [
    "BRANDS",
    "CUSTOMERS",
    "DAYS",
    "SEED",
    "SPIKE",
    "START",
    "BenchBrand",
    "batches",
    "customer_code",
    "make_customers",
    "make_mentions",
]
