"""The configurable review and forum spider: a YAML site profile says where things are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse

from crawlers.dates import parse_date
from crawlers.items import MentionDraft
from crawlers.profiles import SiteProfile, load_profile
from crawlers.spiders.base import EarfulSpider, as_list, first, joined, select, texts, unique

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def read_rating(value: str | None, scale: float) -> tuple[float | None, str | None]:
    """(rating out of 5, problem). '4', '4.5/5', '80%' and '★★★★☆' are understood."""
    if value is None:
        return None, None
    value = value.strip()
    if value and set(value) <= {"★", "☆"}:
        return float(value.count("★")) * 5 / max(scale, len(value)), None
    match = _NUMBER.search(value)
    if not match:
        return None, f"unreadable rating {value!r}"
    number = float(match.group(0).replace(",", "."))
    if value.endswith("%"):
        number, scale = number / 100 * scale, scale
    if number > scale:
        return None, f"rating {number} above the site's scale {scale}"
    return round(number * 5 / scale, 3), None


class ReviewSpider(EarfulSpider):
    """Arguments: ``profile`` (shipped name or YAML path), optional ``start_urls``, ``base_url``,
    ``allowed_domains`` (default: the profile's, else the start URLs' hosts), ``since``. Follows
    pagination and the profile's `follow` links within the allowed domains."""

    name = "reviews"

    def __init__(self, profile: str, allowed_domains: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile: SiteProfile = load_profile(profile)
        starts = self.arg_start_urls or [self.absolute(u) for u in self.profile.start_urls]
        self.arg_start_urls = starts
        self.allowed_domains = (
            as_list(allowed_domains)
            or list(self.profile.allowed_domains)
            or unique(urlsplit(u).hostname or "" for u in starts)
        )
        self.pages = 0

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.pages += 1
        if not isinstance(response, TextResponse):
            yield self.reject(response.url, f"not a text page ({response.headers.get('Content-Type')!r})")
            return
        profile = self.profile
        blocks = select(response, profile.item)
        dates = []
        for index, block in enumerate(blocks):
            draft = self._draft(response, block, index)
            if draft.fields.get("published_at") is not None:
                dates.append(draft.fields["published_at"])
            yield draft
        links = [response.urljoin(u) for sel in profile.follow for u in texts(response, sel)]
        next_pages = (
            [response.urljoin(u) for u in texts(response, profile.pagination)] if profile.pagination else []
        )
        if not blocks and not links and not next_pages:
            # a page with nothing the profile knows: the site probably changed; say so
            yield self.reject(
                response.url, f"no items or links matched profile {profile.name!r} (site changed?)"
            )
        for url in unique(links):
            yield self.request(url, self.parse)
        older = self.since is not None and dates and max(dates) < self.since
        if profile.newest_first and older:
            self.logger.debug("%s: page older than %s, not paging further", response.url, self.since)
            return
        if profile.max_pages and self.pages >= profile.max_pages:
            return
        for url in unique(next_pages):
            yield self.request(url, self.parse)

    def _draft(self, response: TextResponse, block: Any, index: int) -> MentionDraft:
        p = self.profile
        s = p.fields
        date_text = first(block, s.date)
        published = (
            parse_date(date_text, p.date_formats, now=self.now, timezone=p.timezone) if date_text else None
        )
        rating, rating_problem = read_rating(first(block, s.rating), p.rating_scale)
        url = first(block, s.url)
        author: dict[str, Any] | None = None
        name, author_id = first(block, s.author), first(block, s.author_id)
        handle, author_url = first(block, s.author_handle), first(block, s.author_url)
        if name or author_id or handle:
            author = {
                "platform": p.platform,
                "native_id": author_id,
                "handle": handle.lstrip("@") if handle else None,
                "display_name": name,
                "url": response.urljoin(author_url) if author_url else None,
            }
        metadata: dict[str, Any] = {"profile": p.name}
        if rating_problem:
            metadata["rating_problem"] = rating_problem
        fields: dict[str, Any] = {
            "platform": p.platform,
            "source": self.source,
            "text": joined(block, s.text) or "",
            "title": joined(block, s.title, " "),
            "url": response.urljoin(url) if url else None,
            "native_id": first(block, s.native_id),
            "site": p.site or urlsplit(response.url).hostname,
            "author": author,
            "published_at": published,
            "lang_hint": first(block, s.lang) or p.lang,
            "country": p.country,
            "rating": rating,
            "product": joined(block, s.product, " "),
            "thread_id": first(block, s.thread_id),
            "parent_native_id": first(block, s.parent_id),
            "metadata": metadata,
        }
        return MentionDraft(
            fields=fields,
            locator=f"{response.url} item {index + 1}",
            date_text=date_text,
            extra={"page_url": response.url},
        )
