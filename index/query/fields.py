"""The field operators of the query language: what each one reads from an `EnrichedMention`.

One table, used by the parser (which names exist, which values are valid), the printer, the evaluator
(the spec) and the rule matcher's prefilter. The Elasticsearch and SQLite compilers must index exactly
the values `FieldOperator.read` returns and compare them the way `compare` says.

Every read value and every query value of a `normalize=True` field goes through the shared
`index.analysis.normalize` (case, width, accents, Traditional -> Simplified), so `author:SAM` matches
the handle `sam` and `source:Reddit` the platform `reddit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from core.models import AspectLabel, EnrichedMention, IntentLabel, SentimentLabel, Tier
from index.analysis import normalize

Compare = Literal["equal", "suffix", "substring", "customer"]
Kind = Literal["keyword", "text", "raw", "range"]

# metadata key that carries the linked customer's tier until EnrichedMention has a field for it
TIER_METADATA_KEY = "customer_tier"


@dataclass(frozen=True, slots=True)
class FieldOperator:
    name: str
    kind: Kind
    description: str
    compare: Compare = "equal"
    values: tuple[str, ...] = ()  # the allowed values, for enumerations
    normalize: bool = True
    strip: str = ""  # leading characters removed from values: '@' for handles, '#' for hashtags
    read: Callable[[EnrichedMention], tuple[str, ...]] | None = None

    def canonical(self, value: str) -> str:
        """The value as the AST stores it (normalised, prefix stripped, lower-cased enumerations)."""
        value = value.strip()
        if self.strip:
            value = value.lstrip(self.strip)
        if self.values:
            return value.lower()
        return normalize(value) if self.normalize else value

    def values_of(self, mention: EnrichedMention) -> tuple[str, ...]:
        assert self.read is not None, f"{self.name}: is not a keyword field"
        return self.read(mention)

    def matches(self, value: str, mention: EnrichedMention) -> bool:
        """Does the mention satisfy `name:value`? `value` is canonical."""
        return any(compare_value(self.compare, value, have) for have in self.values_of(mention))


def compare_value(compare: Compare, wanted: str, have: str) -> bool:
    if compare == "equal":
        return have == wanted
    if compare == "suffix":  # a domain and its subdomains: site:bbc.co.uk matches news.bbc.co.uk
        return have == wanted or have.endswith("." + wanted)
    if compare == "substring":
        return wanted in have
    return wanted == "*" or have == wanted  # customer: an id, or * for any linked customer


def _norm(value: str | None, strip: str = "") -> tuple[str, ...]:
    if not value:
        return ()
    return _norm_cached(value, strip)


@lru_cache(maxsize=65536)  # keyword values (platforms, handles, sites) repeat across mentions
def _norm_cached(value: str, strip: str) -> tuple[str, ...]:
    folded = normalize(value.strip().lstrip(strip)) if strip else normalize(value.strip())
    return (folded,) if folded else ()


def _author(m: EnrichedMention) -> tuple[str, ...]:
    return _norm(m.author.handle, "@") if m.author else ()


def _tier(m: EnrichedMention) -> tuple[str, ...]:
    value = m.metadata.get(TIER_METADATA_KEY)
    return (str(value).strip().lower(),) if value not in (None, "") else ()


ASPECT_POLARITIES = ("negative", "neutral", "positive")
ASPECT_VALUES = (
    *(label.value for label in AspectLabel),
    *(f"{label.value}.{polarity}" for label in AspectLabel for polarity in ASPECT_POLARITIES),
)


def aspect_values(m: EnrichedMention) -> tuple[str, ...]:
    """``label`` and ``label.polarity`` of each aspect: aspect:price and aspect:price.negative."""
    return tuple(v for a in m.aspects for v in (a.label.value, f"{a.label.value}.{a.polarity.value}"))


def _hashtags(m: EnrichedMention) -> tuple[str, ...]:
    return tuple(v for tag in m.hashtags for v in _norm(tag, "#"))


def _mentions(m: EnrichedMention) -> tuple[str, ...]:
    return tuple(v for handle in m.mentions for v in _norm(handle, "@"))


FIELDS: dict[str, FieldOperator] = {
    op.name: op
    for op in (
        FieldOperator(
            "author", "keyword", "The author's handle (a leading @ is ignored).", strip="@", read=_author
        ),
        FieldOperator(
            "site",
            "keyword",
            "The mention's site: this domain or any subdomain of it "
            "(site:bbc.co.uk matches news.bbc.co.uk), or a community such as r/headphones.",
            compare="suffix",
            read=lambda m: _norm(m.site),
        ),
        FieldOperator(
            "url",
            "keyword",
            "A piece of the mention's URL (substring, case-insensitive).",
            compare="substring",
            read=lambda m: _norm(m.url),
        ),
        FieldOperator(
            "source",
            "keyword",
            "The platform: twitter, reddit, web, appstore...",
            read=lambda m: _norm(m.platform),
        ),
        FieldOperator(
            "lang", "keyword", "The detected language (ISO 639-1, or und).", read=lambda m: _norm(m.lang)
        ),
        FieldOperator(
            "country", "keyword", "The country (ISO 3166-1 alpha-2).", read=lambda m: _norm(m.country)
        ),
        FieldOperator(
            "sentiment",
            "keyword",
            "The sentiment label.",
            values=tuple(label.value for label in SentimentLabel),
            read=lambda m: (m.sentiment.label.value,),
        ),
        FieldOperator(
            "intent",
            "keyword",
            "Any of the mention's intent labels.",
            values=tuple(label.value for label in IntentLabel),
            read=lambda m: tuple(intent.label.value for intent in m.intents),
        ),
        FieldOperator(
            "aspect",
            "keyword",
            "An aspect the mention talks about (price, delivery, quality, service, app_or_website, "
            "other), or an aspect with its polarity: aspect:delivery.negative.",
            values=ASPECT_VALUES,
            read=aspect_values,
        ),
        FieldOperator(
            "customer",
            "keyword",
            "The linked customer's id, or * for any linked customer.",
            compare="customer",
            normalize=False,
            read=lambda m: (m.customer.customer_id,) if m.customer else (),
        ),
        FieldOperator(
            "tier",
            "keyword",
            f"The linked customer's tier, read from "
            f"metadata['{TIER_METADATA_KEY}'] (set by customer linking).",
            values=tuple(tier.value for tier in Tier),
            read=_tier,
        ),
        FieldOperator(
            "hashtag",
            "keyword",
            "A hashtag of the mention; #tag is the short form.",
            strip="#",
            read=_hashtags,
        ),
        FieldOperator(
            "mention",
            "keyword",
            "A handle the mention @mentions; @handle is the short form.",
            strip="@",
            read=_mentions,
        ),
        FieldOperator("title", "text", "Terms, phrases, wildcards or a group matched in the title."),
        FieldOperator("raw", "raw", "Case-sensitive exact substring of the original text.", normalize=False),
        FieldOperator(
            "rating",
            "range",
            "Review rating, an inclusive range: rating:[1 TO 2], rating:5, rating:[4 TO *].",
            normalize=False,
        ),
    )
}

KEYWORD_FIELDS = frozenset(name for name, op in FIELDS.items() if op.kind == "keyword")


def rating_of(mention: EnrichedMention) -> float | None:
    return mention.rating


def matches_range(low: float | None, high: float | None, mention: EnrichedMention) -> bool:
    rating = rating_of(mention)
    if rating is None:
        return False
    return (low is None or rating >= low) and (high is None or rating <= high)
