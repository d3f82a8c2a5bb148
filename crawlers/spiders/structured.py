"""Reviews published as schema.org data (JSON-LD, microdata), read with extruct.

Arguments: ``start_urls``, ``follow`` (a CSS/XPath selector of links to follow, e.g. product pages),
``max_depth`` (default 2). Each schema.org ``Review`` becomes a mention; a ``Product``'s
``AggregateRating`` is recorded on its reviews' metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import extruct  # type: ignore[import-untyped,unused-ignore]
from scrapy.http import Response, TextResponse

from core.ids import content_hash
from crawlers.dates import parse_date
from crawlers.items import MentionDraft
from crawlers.pipelines import canonical_url
from crawlers.spiders.base import EarfulSpider, texts, unique


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type") or node.get("type") or []
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values}


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value not in (None, "") else None


def _number(value: Any) -> float | None:
    try:
        return float(str(_text(value)).replace(",", "."))
    except (TypeError, ValueError):
        return None


def walk(
    node: Any, product: dict[str, Any] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(review, the product it belongs to) for every Review in a JSON-LD/microdata tree."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child, product)
        return
    if not isinstance(node, dict):
        return
    kinds = _types(node)
    if "Review" in kinds or "CriticReview" in kinds or "UserReview" in kinds:
        yield node, product
        return
    if kinds & {
        "Product",
        "SoftwareApplication",
        "Book",
        "LocalBusiness",
        "Organization",
        "Movie",
        "Service",
    }:
        product = node
    for key in ("@graph", "review", "reviews", "itemListElement", "item", "mainEntity"):
        if key in node:
            yield from walk(node[key], product)


class StructuredReviewSpider(EarfulSpider):
    name = "structured"

    def __init__(self, follow: str | None = None, max_depth: Any = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.follow = follow
        self.max_depth = int(max_depth)
        self.allowed_domains = unique(urlsplit(u).hostname or "" for u in self.arg_start_urls)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield self.reject(response.url, "not a text page")
            return
        try:
            data = extruct.extract(
                response.text,
                base_url=response.url,
                syntaxes=["json-ld", "microdata"],
                uniform=True,
                errors="log",
            )
        except Exception as exc:  # extruct surfaces parser errors of several kinds
            yield self.reject(response.url, f"structured data unreadable: {exc}")
            data = {}
        found = 0
        for syntax in ("json-ld", "microdata"):
            for review, product in walk(data.get(syntax, [])):
                found += 1
                yield self._draft(response, review, product, syntax, found)
        depth = int(response.meta.get("depth", 0))
        if self.follow and depth < self.max_depth:
            for url in unique(response.urljoin(u) for u in texts(response, self.follow)):
                yield self.request(url, self.parse)

    def _draft(
        self,
        response: TextResponse,
        review: dict[str, Any],
        product: dict[str, Any] | None,
        syntax: str,
        n: int,
    ) -> MentionDraft:
        rating = review.get("reviewRating") or {}
        value, best = _number(rating.get("ratingValue")), _number(rating.get("bestRating")) or 5.0
        stars = round(value * 5 / best, 3) if value is not None and 0 <= value <= best else None
        text = _text(review.get("reviewBody")) or _text(review.get("description")) or ""
        author = _text(review.get("author"))
        own_url = review.get("url") or review.get("@id")
        url = (
            canonical_url(response.urljoin(str(own_url))) if own_url and "#" not in str(own_url)[:1] else None
        )
        page = canonical_url(response.url)
        native_id = url or (
            f"{page}{own_url}" if own_url else f"{page}#{content_hash(f'{author}|{text}')[:16]}"
        )
        date_text = _text(review.get("datePublished")) or _text(review.get("dateCreated"))
        metadata: dict[str, Any] = {"structured_data": syntax}
        if value is not None:
            metadata.update(rating_value=value, best_rating=best)
        aggregate = (product or {}).get("aggregateRating") or {}
        if aggregate:
            metadata["aggregate_rating"] = _number(aggregate.get("ratingValue"))
            metadata["review_count"] = _number(aggregate.get("reviewCount") or aggregate.get("ratingCount"))
        item_reviewed = _text(review.get("itemReviewed")) or _text((product or {}).get("name"))
        return MentionDraft(
            fields={
                "platform": "web",
                "source": self.source,
                "native_id": native_id,
                "url": url or page,
                "text": text,
                "title": _text(review.get("name")) or _text(review.get("headline")),
                "site": urlsplit(response.url).hostname,
                "author": {"platform": "web", "display_name": author} if author else None,
                "published_at": parse_date(date_text, now=self.now) if date_text else None,
                "lang_hint": _text(review.get("inLanguage")),
                "rating": stars,
                "product": item_reviewed,
                "metadata": metadata,
            },
            locator=f"{response.url} {syntax} review {n}",
            date_text=date_text,
        )
