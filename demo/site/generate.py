"""Deterministic generator of the demo site's items from the hand-written pieces in `corpus.py`.

Same seed, same pieces -> byte-identical ``data/items.jsonl`` (a test checks the checked-in file).
Dates are spread over the 30 days before a FIXED anchor, never relative to now.

    python -m demo.site generate   # rewrite data/items.jsonl
    python -m demo.site check      # exit 1 if the file is stale
    python -m demo.site summary    # counts by language, brand, type and label
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from crawlers.sources.file import extract_hashtags, extract_mentions
from demo.site.corpus import (
    AUTHORS,
    BODIES,
    BRANDS,
    CLOSERS,
    NEWS_AUTHORS,
    OPENERS,
    REPLIES,
    SITES,
    TITLES,
    Brand,
)

SEED = 20261115
ANCHOR = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
WINDOW_DAYS = 30
THREADS_AND_POSTS = 290  # primary items; forum replies come on top
FIRST_ID = 100_001
DATA_FILE = "items.jsonl"
MALFORMED_DATE = "31/02/2026 25:61"  # the one item whose date no parser accepts, on purpose

LANG_WEIGHTS = {"en": 55, "zh-Hans": 33, "zh-Hant": 12}
LABEL_WEIGHTS = {
    "complaint": 20,
    "praise": 18,
    "question": 12,
    "purchase_intent": 10,
    "churn_risk": 10,
    "bug_report": 11,
    "feature_request": 9,
    "news": 10,
}
# Which kinds of item each label appears as (reviews carry ratings, news come from newsdesks).
TYPE_WEIGHTS: dict[str, dict[str, int]] = {
    "praise": {"review": 7, "forum": 2, "social": 3},
    "complaint": {"review": 6, "forum": 2, "social": 4},
    "question": {"forum": 6, "social": 4},
    "purchase_intent": {"forum": 5, "social": 5},
    "churn_risk": {"review": 4, "forum": 2, "social": 5},
    "bug_report": {"review": 3, "forum": 4, "social": 3},
    "feature_request": {"review": 3, "forum": 4, "social": 3},
    "news": {"news": 1},
}
RATINGS = {
    "praise": (4, 5, 5),
    "complaint": (1, 1, 2),
    "churn_risk": (1,),
    "bug_report": (2, 3),
    "feature_request": (3, 4, 4),
}
API_LANG = {
    ("en", "GB"): "en-GB",
    ("en", "US"): "en-US",
    ("zh-Hans", "CN"): "zh-CN",
    ("zh-Hant", "TW"): "zh-TW",
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _join(lang: str, *parts: str) -> str:
    parts = tuple(p for p in parts if p)
    if lang == "en":
        return " ".join(parts)
    return "".join(parts)


def _product_of(rng: random.Random, template: str, brand: Brand) -> dict[str, str]:
    """The product a text is about: the one it names, else either."""
    for k, product in enumerate(brand.products):
        if f"{{p{k}}}" in template:
            return product
    return rng.choice(brand.products)


def _fill(template: str, brand: Brand, lang: str, product: dict[str, str], n: int) -> str:
    return template.format(
        brand=brand.names[lang],
        product=product[lang],
        p0=brand.products[0][lang],
        p1=brand.products[1][lang],
        rival=brand.rivals[lang],
        support="@" + brand.support,
        n=n,
    )


def _api_lang(lang: str, country: str) -> str:
    return API_LANG.get((lang, country), {"en": "en", "zh-Hans": "zh-CN", "zh-Hant": "zh-HK"}[lang])


def generate(seed: int = SEED) -> list[dict[str, Any]]:
    """All demo items, oldest first, with ids increasing with time like a platform's."""
    rng = random.Random(seed)
    drafts: list[dict[str, Any]] = []
    seen_texts: set[str] = set()
    # Regulars post often: the first authors of each list are picked more.
    author_weights = {lang: [1.0 / (k + 1) ** 0.7 for k in range(len(a))] for lang, a in AUTHORS.items()}

    for i in range(THREADS_AND_POSTS):
        brand = BRANDS[i % len(BRANDS)]
        lang = _pick(rng, LANG_WEIGHTS)
        label = _pick(rng, LABEL_WEIGHTS)
        kind = _pick(rng, TYPE_WEIGHTS[label])
        text = ""
        for _attempt in range(40):
            n = rng.choice(brand.numbers)
            template = rng.choice(BODIES[brand.key][label][lang])
            product = _product_of(rng, template, brand)
            body = _fill(template, brand, lang, product, n)
            opener = rng.choice(OPENERS[lang][label])
            closer = rng.choice(CLOSERS[lang][label])
            text = _join(lang, opener, body, closer)
            if kind == "social":
                text = _social(rng, text, brand, lang, label)
            if text not in seen_texts:
                break
        else:
            continue  # every combination is taken: fewer items rather than duplicates
        seen_texts.add(text)
        if kind == "news":
            handle, name, country = NEWS_AUTHORS[lang]
        else:
            handle, name, country = rng.choices(AUTHORS[lang], weights=author_weights[lang])[0]
        published = ANCHOR - timedelta(minutes=rng.randrange(WINDOW_DAYS * 24 * 60))
        item: dict[str, Any] = {
            "type": kind,
            "label": label,
            "brand": brand.key,
            "product": product["en"],
            "lang": lang,
            "site": SITES[kind][lang],
            "author": {"handle": handle, "name": name, "country": country},
            "published": published,
            "title": None,
            "text": text,
            "rating": rng.choice(RATINGS[label]) if kind == "review" else None,
        }
        if kind in ("review", "forum", "news"):
            n = rng.choice(brand.numbers)
            item["title"] = _fill(rng.choice(TITLES[lang][label]), brand, lang, product, n)
        drafts.append(item)
        if kind == "forum":
            drafts.extend(_replies(rng, item, brand, author_weights[lang]))

    drafts.append(_malformed(rng))
    drafts.sort(key=lambda d: (d["published"], d["text"]))
    return _finalise(drafts)


def _malformed(rng: random.Random) -> dict[str, Any]:
    """One post whose date no parser accepts, on purpose: the demo shows it rejected, with its reason."""
    handle, name, country = AUTHORS["en"][3]
    return {
        "type": "social",
        "label": "malformed",
        "brand": BRANDS[0].key,
        "product": BRANDS[0].products[0]["en"],
        "lang": "en",
        "site": SITES["social"]["en"],
        "author": {"handle": handle, "name": name, "country": country},
        "published": ANCHOR - timedelta(days=9, minutes=rng.randrange(60)),  # its place in the feed
        "title": None,
        "text": "Posting from the train, will write a proper review of my new buds later",
        "rating": None,
        "malformed_date": MALFORMED_DATE,
    }


def _social(rng: random.Random, text: str, brand: Brand, lang: str, label: str) -> str:
    """Social posts tag the brand's support and add hashtags, as people do."""
    if label in ("complaint", "bug_report", "question", "churn_risk") and rng.random() < 0.6:
        text = f"@{brand.support} {text}"
    tags = ["#" + brand.names[lang].replace(" ", "")]
    if lang == "en" and rng.random() < 0.5:
        tags.append("#" + rng.choice(brand.hashtags[1:]))
    return f"{text} {' '.join(tags)}"


def _replies(
    rng: random.Random, thread: dict[str, Any], brand: Brand, weights: list[float]
) -> list[dict[str, Any]]:
    lang = thread["lang"]
    replies = []
    when = thread["published"]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        when = when + timedelta(minutes=rng.randrange(10, 36 * 60))
        if when > ANCHOR:
            break
        handle, name, country = rng.choices(AUTHORS[lang], weights=weights)[0]
        replies.append(
            {
                **thread,
                "label": "reply",
                "author": {"handle": handle, "name": name, "country": country},
                "published": when,
                "title": None,
                "rating": None,
                "text": _fill(rng.choice(REPLIES[lang]), brand, lang, brand.products[0], 0),
                "reply_to": thread,
            }
        )
    return replies


def _finalise(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assign ids in time order, author ids by handle, thread links and URLs."""
    ids = {id(d): FIRST_ID + k for k, d in enumerate(drafts)}
    author_ids: dict[str, str] = {}
    items = []
    for draft in drafts:
        item_id = ids[id(draft)]
        author = draft["author"]
        author_id = author_ids.setdefault(author["handle"], f"u{5000 + len(author_ids)}")
        parent = draft.get("reply_to")
        thread_id = ids[id(parent)] if parent is not None else (item_id if draft["type"] == "forum" else None)
        url = {
            "review": f"/reviews/{item_id}",
            "forum": f"/forum/thread/{thread_id}#post-{item_id}",
            "social": f"/social/{item_id}",
            "news": f"/news/{item_id}",
        }[draft["type"]]
        created_at = draft.get("malformed_date") or draft["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append(
            {
                "id": item_id,
                "type": draft["type"],
                "label": draft["label"],
                "brand": draft["brand"],
                "product": draft["product"],
                "lang": draft["lang"],
                "api_lang": _api_lang(draft["lang"], author["country"]),
                "site": draft["site"],
                "url": url,
                "title": draft["title"],
                "text": draft["text"],
                "rating": draft["rating"],
                "created_at": created_at,
                "author": {"id": author_id, **author},
                "country": author["country"],
                "thread_id": thread_id,
                "reply_to": ids[id(parent)] if parent is not None else None,
                "hashtags": list(extract_hashtags(draft["text"])),
                "mentions": list(extract_mentions(draft["text"])),
            }
        )
    return items


def data_path() -> Path:
    return Path(str(resources.files("demo.site.data").joinpath(DATA_FILE)))


def dumps(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)


def load_items() -> list[dict[str, Any]]:
    """The checked-in items, as the demo site serves them."""
    text = resources.files("demo.site.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def summary(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {
        key: dict(sorted(Counter(str(item[key]) for item in items).items()))
        for key in ("lang", "brand", "type", "label", "site")
    }
