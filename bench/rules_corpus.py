"""Deterministic alert rules and mentions for bench/match_rules.py: fictional brands, products and
complaint vocabulary in English and Chinese (nothing read from disk, nothing real).

Mentions are tweet- or review-length; rules look like what a marketing team writes: brand phrases,
OR groups of product names, complaints NEAR a product (with wildcards), field filters.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from core.models import (
    Author,
    EnrichedMention,
    Intent,
    IntentLabel,
    RawMention,
    Sentiment,
    SentimentLabel,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BRANDS = _words(
    "zentro aurora kestrel nimbus orbitel quillo vantor pelagic lumisk brightfox corvane tidewell "
    "hexabit sundry marlow fennix glimmer juniper oakhurst rivenna solace tarsio umbrex velmora "
    "wrenfield yarrow zephyra alderic bramble cobaltix"
)
_SYLLABLES = _words("bel cor dax fen gal hol jun kel lum mar nor pax quin ros")
_ENDINGS = ("ix", "on", "ora", "ly", "ent", "ico", "ar", "us")
BRANDS = (*BRANDS, *(a + b + c for a in _SYLLABLES for b in _SYLLABLES[:10] for c in _ENDINGS[:3] if a != b))
"""30 named fictional brands plus ~390 generated ones: a mention names one or two of them."""
PRODUCTS = _words(
    "phone earbuds headphones charger laptop tablet watch speaker router camera app subscription "
    "blender vacuum kettle scooter drone keyboard mouse monitor x2 pro max mini ultra lite air one go "
    "plus"
)
COMPLAINTS = _words(
    "broken broke crack cracked refund refunds late slow slower slowly dead overheating overheats "
    "scam faulty defective return returned cancel cancelled disappointed useless awful terrible worst "
    "leaking stuck crashing crashes frozen delayed missing lost damaged noisy drains draining"
)
PRAISE = _words(
    "love great amazing excellent perfect recommend fantastic smooth fast happy best solid reliable "
    "gorgeous comfortable"
)
TOPICS = _words(
    "battery delivery shipping support screen sound bluetooth wifi update firmware warranty price "
    "order courier packaging charging pairing login"
)
FILLER = _words(
    "the a my is was and but so it this just really after days again today week with for of to on not "
    "very still got new i we they"
)
PHRASES = (
    "money back", "customer service", "battery life", "out of stock", "never again", "well done",
    "waste of money", "sound quality", "customer support", "screen protector",
)  # fmt: skip
ZH_BRANDS = tuple(a + b for a in "星飞云青海极白麒金银" for b in "辰鱼雀竹豚光鹭麟")
ZH_PRODUCTS = ("手机", "耳机", "充电器", "平板", "手表", "音箱", "路由器", "相机")
ZH_COMPLAINTS = _words("电池 充电 退款 发货 质量 客服 屏幕 卡顿 发热 坏了 太慢 投诉")
ZH_PRAISE = _words("喜欢 推荐 满意 好用 不错 很棒 流畅 值得")
ZH_FILLER = _words("这个 我的 真的 非常 今天 已经 还是 一直 很 的 了 不 又 都")
PLATFORMS = ("twitter", "reddit", "appstore", "weibo", "web", "mastodon")
COUNTRIES = ("US", "GB", "DE", "FR", "CN", "JP", "AU", "CA")
HANDLES = (*(f"user{i:03d}" for i in range(200)), "zentro_help", "aurora_audio", "kestrel_care")
WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def english_text(rng: random.Random, *, complaints: bool = True) -> str:
    """A tweet-length English post; without `complaints`, praise takes the complaint words' place."""
    words: list[str] = []
    for _ in range(rng.randint(8, 40)):
        roll = rng.random()
        if roll < 0.05:
            words.append(rng.choice(BRANDS).capitalize())
        elif roll < 0.24:
            words.append(rng.choice(PRODUCTS))
        elif roll < 0.34:
            words.append(rng.choice(COMPLAINTS if complaints else PRAISE))
        elif roll < 0.40:
            words.append(rng.choice(PRAISE))
        elif roll < 0.50:
            words.append(rng.choice(TOPICS))
        elif roll < 0.54:
            words.append(rng.choice(PHRASES))
        elif roll < 0.56:
            words.append(f"{rng.choice(BRANDS)}-{rng.choice(PRODUCTS)}")
        else:
            words.append(rng.choice(FILLER))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", "!", "?", "!!", " :(", ""))


def chinese_text(rng: random.Random, *, complaints: bool = True) -> str:
    """A Chinese post, brands sometimes in Latin letters; without `complaints`, no complaint words."""
    parts: list[str] = []
    for _ in range(rng.randint(6, 20)):
        roll = rng.random()
        if roll < 0.18:
            parts.append(rng.choice(ZH_BRANDS))
        elif roll < 0.36:
            parts.append(rng.choice(ZH_PRODUCTS))
        elif roll < 0.56:
            parts.append(rng.choice(ZH_COMPLAINTS if complaints else ZH_PRAISE))
        elif roll < 0.60:
            parts.append(rng.choice(BRANDS).capitalize())  # mixed-script posts name brands in Latin letters
        else:
            parts.append(rng.choice(ZH_FILLER))
        if rng.random() < 0.12:
            parts.append(rng.choice(("，", "。", "！", " ")))
    return "".join(parts)


_EN_COMPLAINTS = (
    "My {brand} {product} is {complaint} after two days and support ignores me. I want a refund!",
    "Worst purchase ever: the {brand} {product} arrived {complaint}. Nobody answers my emails, refund now.",
    "Still waiting for my {brand} {product} refund, it was {complaint} out of the box. Terrible service.",
    "{brand} {product} is {complaint} again. I am cancelling and I will never buy from you again.",
)
_ZH_COMPLAINTS = (
    "我的{brand}{product}用了两天就坏了，客服一直不回复，我要退款！",
    "{brand}{product}质量太差了，发货还慢，要求退款，投诉！",
    "买的{brand}{product}充电发热严重，联系客服三次都没人管，太失望了，要投诉。",
)


def complaint_text(rng: random.Random, *, chinese: bool = False) -> str:
    """An unmistakable complaint about a product (what a complaint rule is meant to catch)."""
    if chinese:
        return rng.choice(_ZH_COMPLAINTS).format(brand=rng.choice(ZH_BRANDS), product=rng.choice(ZH_PRODUCTS))
    return rng.choice(_EN_COMPLAINTS).format(
        brand=rng.choice(BRANDS).capitalize(),
        product=rng.choice(PRODUCTS),
        complaint=rng.choice(("broken", "cracked", "dead", "faulty", "defective", "damaged", "crashing")),
    )


def make_mentions(n: int, seed: int = 7) -> list[EnrichedMention]:
    """`n` mentions, about 70% English and 30% Chinese, with authors, hashtags, ratings and titles."""
    rng = random.Random(seed)
    out: list[EnrichedMention] = []
    for i in range(n):
        chinese = rng.random() < 0.3
        text = chinese_text(rng) if chinese else english_text(rng)
        platform = "weibo" if chinese and rng.random() < 0.7 else rng.choice(PLATFORMS)
        review = platform == "appstore" or rng.random() < 0.1
        label = rng.choice(list(SentimentLabel))
        intents = (Intent(label=rng.choice(list(IntentLabel)), confidence=0.8),) if rng.random() < 0.4 else ()
        brand = rng.choice(ZH_BRANDS if chinese else BRANDS)
        raw = RawMention(
            platform=platform,
            native_id=f"m{i}",
            source="bench",
            text=text,
            title=f"{brand} {rng.choice(ZH_PRODUCTS if chinese else PRODUCTS)} {rng.choice(COMPLAINTS)}"
            if review
            else None,
            author=Author(platform=platform, handle=rng.choice(HANDLES)),
            published_at=WHEN - timedelta(minutes=i),
            collected_at=WHEN,
            country=rng.choice(COUNTRIES),
            rating=float(rng.randint(1, 5)) if review else None,
            hashtags=tuple(rng.sample(BRANDS + TOPICS, rng.randint(0, 2))),
            mentions=(rng.choice(HANDLES),) if rng.random() < 0.2 else (),
        )
        out.append(
            EnrichedMention.from_raw(
                raw,
                lang="zh" if chinese else "en",
                sentiment=Sentiment(label=label, score=0.0, confidence=0.7),
                intents=intents,
                enriched_at=WHEN,
            )
        )
    return out


def _wild(rng: random.Random, words: tuple[str, ...]) -> str:
    word = rng.choice(words)
    return word[: rng.randint(3, len(word))] + "*" if len(word) > 3 and rng.random() < 0.6 else word


def _group(rng: random.Random, words: tuple[str, ...], k_max: int = 4, wild: bool = False) -> str:
    picked = rng.sample(words, rng.randint(1, k_max))
    items = [_wild(rng, (w,)) if wild else w for w in picked]
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


def _brand_expr(rng: random.Random) -> str:
    brand = rng.choice(BRANDS)
    roll = rng.random()
    if roll < 0.4:
        return f'"{brand} {rng.choice(PRODUCTS)}"'
    if roll < 0.7:
        return f"({brand} OR {rng.choice(BRANDS)} OR {brand}-{rng.choice(PRODUCTS)})"
    return brand


def make_rule(rng: random.Random) -> str:
    """One realistic rule (brand monitoring, complaints near products, Chinese, field filters)."""
    kind = rng.randrange(12)
    brand = _brand_expr(rng)
    if kind == 0:
        return f"{brand} NEAR/{rng.randint(2, 8)} {_group(rng, COMPLAINTS, wild=True)}"
    if kind == 1:
        return f"{brand} AND {_group(rng, COMPLAINTS)} AND NOT {_group(rng, PRAISE, 2)}"
    if kind == 2:
        phrase = rng.choice(PHRASES)
        near = (
            f'("{phrase}" OR {rng.choice(COMPLAINTS)}) NEAR/5 ({rng.choice(TOPICS)} OR {_wild(rng, TOPICS)})'
        )
        return f"{near} AND {brand}"
    if kind == 3:
        return f"{brand} AND sentiment:negative AND {_group(rng, TOPICS)}"
    if kind == 4:
        return f"{rng.choice(ZH_BRANDS)} NEAR/{rng.randint(1, 6)} {_group(rng, ZH_COMPLAINTS, 3)}"
    if kind == 5:
        return (
            f"{rng.choice(ZH_BRANDS)} AND {_group(rng, ZH_PRODUCTS, 3)} AND {_group(rng, ZH_COMPLAINTS, 3)}"
        )
    if kind == 6:
        return f"{rng.choice(BRANDS)} ONEAR/{rng.randint(1, 5)} {_wild(rng, COMPLAINTS)}"
    if kind == 7:
        return f"{brand} AND rating:[1 TO {rng.randint(1, 3)}]"
    if kind == 8:
        return f"(#{rng.choice(BRANDS)} OR @{rng.choice(HANDLES)}) AND {_group(rng, COMPLAINTS, 3)}"
    if kind == 9:
        return f'"{rng.choice(TOPICS)} {rng.choice(COMPLAINTS)}"~{rng.randint(1, 4)} AND {brand} AND lang:en'
    if kind == 10:
        return f"title:{_group(rng, COMPLAINTS, 3, wild=True)} AND {rng.choice(BRANDS)}"
    field = rng.choice(
        (
            f"source:{rng.choice(PLATFORMS)}",
            f"country:{rng.choice(COUNTRIES).lower()}",
            f"author:{rng.choice(HANDLES)}",
            f"intent:{rng.choice(list(IntentLabel)).value}",
        )
    )
    return f"{brand} AND {field} AND -{rng.choice(FILLER[:10])}"


def make_rules(n: int, seed: int = 11) -> list[str]:
    """`n` rules (distinct texts where the vocabulary allows)."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < n and attempts < n * 20:
        seen.setdefault(make_rule(rng), None)
        attempts += 1
    return list(seen)
