"""Apple App Store customer reviews, from the public RSS feed as JSON (no key; 10 pages at most).

Options: ``app_id`` (required), ``country`` (default 'us'). Ratings are 1-5 stars."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, listify, parse_time

MAX_PAGES = 10  # Apple serves at most ten pages of the most recent reviews


def _label(node: Any, key: str) -> Any:
    value = (node or {}).get(key)
    return value.get("label") if isinstance(value, dict) else value


class AppStoreConnector(Connector):
    platform = "appstore"
    settings_key = "appstore"
    known_options: ClassVar[frozenset[str]] = frozenset({"app_id", "country"})
    max_page_size = 50

    def configure(self) -> None:
        self.app_id = str(self.require(self.options.get("app_id"), "an app_id"))
        self.country = str(self.options.get("country") or "us").lower()

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        number = int(token or 1)
        path = f"{self.country}/rss/customerreviews/page={number}/id={self.app_id}/sortby=mostrecent/json"
        data, _ = await client.request_json("GET", path)
        feed = (data or {}).get("feed") or {}
        entries = [e for e in listify(feed.get("entry")) if isinstance(e, dict)]
        # old feeds put the app itself first: it has no rating and no review content
        entries = [e for e in entries if "im:rating" in e or "content" in e]
        rels = {
            (link.get("attributes") or {}).get("rel")
            for link in listify(feed.get("link"))
            if isinstance(link, dict)
        }
        has_next = (
            bool(entries) and number < MAX_PAGES and ("next" in rels or len(entries) >= self.max_page_size)
        )
        return Page(
            items=entries, next_token=str(number + 1) if has_next else None, locator=f"appstore {path}"
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(_label(raw, "updated"))

    def to_mention(self, raw: Any) -> RawMention:
        rating = float(_label(raw, "im:rating"))
        author = raw.get("author") or {}
        author_uri = _label(author, "uri")
        reviewer_id = (
            author_uri.rstrip("/").rsplit("/id", 1)[-1] if author_uri and "/id" in author_uri else None
        )
        review_id = str(_label(raw, "id"))
        return RawMention(
            platform=self.platform,
            native_id=f"{self.app_id}:{review_id}",
            source=self.name,
            text=str(_label(raw, "content")),
            title=_label(raw, "title"),
            url=f"https://apps.apple.com/{self.country}/app/id{self.app_id}?see-all=reviews",
            site=f"apps.apple.com/{self.country}",
            author=Author(
                platform=self.platform,
                native_id=reviewer_id,
                display_name=_label(author, "name"),
                url=author_uri,
            )
            if author
            else None,
            published_at=parse_time(_label(raw, "updated")),
            rating=rating,
            country=self.country.upper(),
            product=self.app_id,
            metadata={"app_version": _label(raw, "im:version"), "votes": _label(raw, "im:voteCount")},
        )
