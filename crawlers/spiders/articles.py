"""Article pages (news, blogs) → mentions, with trafilatura doing the text extraction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from scrapy.http import Response, TextResponse

from core.models import parse_datetime
from crawlers.items import MentionDraft
from crawlers.pipelines import canonical_url
from crawlers.spiders.base import EarfulSpider


def canonical_of(response: TextResponse) -> str:
    """The page's declared canonical URL when it stays on the same site, else the URL fetched.

    Two paths to one article (a feed link with tracking parameters, a sitemap entry) meet here."""
    declared = response.css('link[rel="canonical"]::attr(href)').get()
    if declared:
        absolute = response.urljoin(declared.strip())
        if urlsplit(absolute).hostname == urlsplit(response.url).hostname:
            return canonical_url(absolute)
    return canonical_url(response.url)


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None


class ArticleSpider(EarfulSpider):
    """Shared by the feed and sitemap spiders: fetch a page, extract its article."""

    def parse_article(self, response: Response, hint: dict[str, Any] | None = None) -> Any:
        hint = hint or {}
        if not isinstance(response, TextResponse):
            yield self.reject(response.url, f"not a text page ({response.headers.get('Content-Type')!r})")
            return
        doc = trafilatura.bare_extraction(
            response.text, url=response.url, with_metadata=True, include_comments=False, include_tables=False
        )
        text = getattr(doc, "text", None) or ""
        if not text.strip() and hint.get("summary"):
            text = hint["summary"]  # extraction found no article: the feed's summary is better than nothing
        published = hint.get("published_at") or _date(getattr(doc, "date", None))
        url = canonical_of(response)
        yield MentionDraft(
            fields={
                "platform": "web",
                "source": self.source,
                "native_id": url,
                "url": url,
                "text": text,
                "title": getattr(doc, "title", None) or hint.get("title"),
                "site": getattr(doc, "sitename", None) or urlsplit(url).hostname,
                "author": {"platform": "web", "display_name": a}
                if (a := getattr(doc, "author", None) or hint.get("author"))
                else None,
                "published_at": published,
                "lang_hint": getattr(doc, "language", None) or hint.get("lang"),
                "metadata": {
                    "extracted_by": f"trafilatura {trafilatura.__version__}",
                    **hint.get("metadata", {}),
                },
            },
            locator=response.url,
            date_text=str(getattr(doc, "date", None) or hint.get("date_text") or "") or None,
        )

    def fallback(self, hint: dict[str, Any], url: str, reason: str | None = None) -> MentionDraft:
        """The feed's own entry (no article fetched, or its page failed: then flagged with why)."""
        metadata = {**hint.get("metadata", {}), "text_from": "feed summary"}
        if reason:
            metadata["article_error"] = reason
        return MentionDraft(
            fields={
                "platform": "web",
                "source": self.source,
                "native_id": canonical_url(url),
                "url": canonical_url(url),
                "text": hint.get("summary") or "",
                "title": hint.get("title"),
                "site": urlsplit(url).hostname,
                "author": {"platform": "web", "display_name": hint["author"]} if hint.get("author") else None,
                "published_at": hint.get("published_at"),
                "lang_hint": hint.get("lang"),
                "metadata": metadata,
            },
            locator=url,
            date_text=hint.get("date_text"),
        )
