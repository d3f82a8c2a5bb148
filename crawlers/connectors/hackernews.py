"""Hacker News through the Algolia search API (``search_by_date``): stories and comments, no key.

Options: ``query`` (required), ``tags`` (default ``(story,comment)``). Paging is by time (keyset on
``created_at_i``) rather than by page number, so it goes past Algolia's 1,000-hit page window."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, html_to_text, parse_time


class HackerNewsConnector(Connector):
    platform = "hackernews"
    settings_key = "hackernews"
    known_options: ClassVar[frozenset[str]] = frozenset({"query", "tags"})
    max_page_size = 100

    def configure(self) -> None:
        self.query = str(self.require(self.options.get("query"), "a query"))
        self.tags = str(self.options.get("tags") or "(story,comment)")

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        # token: {"before": epoch, "seen": [ids at that second]}; items at the boundary second are re-read
        state: dict[str, Any] = json.loads(token) if token else {}
        filters = []
        if state.get("before") is not None:
            filters.append(f"created_at_i<={state['before']}")
        if since is not None:
            filters.append(f"created_at_i>={int(since.timestamp())}")
        params = {
            "query": self.query,
            "tags": self.tags,
            "hitsPerPage": self.page_size,
            "numericFilters": ",".join(filters) or None,
        }
        data, _ = await client.request_json("GET", "search_by_date", params=params)
        seen = set(state.get("seen") or [])
        hits = [h for h in data.get("hits") or [] if h.get("objectID") not in seen]
        dated = [h for h in data.get("hits") or [] if isinstance(h.get("created_at_i"), int)]
        next_token = None
        if len(data.get("hits") or []) >= self.page_size and dated:
            oldest = min(h["created_at_i"] for h in dated)
            boundary = [h["objectID"] for h in dated if h["created_at_i"] == oldest]
            carry = seen if oldest == state.get("before") else set()
            next_token = json.dumps({"before": oldest, "seen": sorted(carry | set(boundary))})
        if not hits:  # a whole page inside one second, all seen: nothing more can be reached this way
            next_token = None
        return Page(
            items=hits, next_token=next_token, locator=f"hackernews search_by_date {token or 'first page'}"
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(raw["created_at_i"])

    def to_mention(self, raw: Any) -> RawMention:
        tags = raw.get("_tags") or []
        is_comment = "comment" in tags
        text = html_to_text(raw.get("comment_text") or raw.get("story_text")) or (raw.get("title") or "")
        object_id = str(raw["objectID"])
        return RawMention(
            platform=self.platform,
            native_id=object_id,
            source=self.name,
            text=text,
            title=None if is_comment else raw.get("title"),
            url=f"https://news.ycombinator.com/item?id={object_id}",
            site="news.ycombinator.com",
            author=Author(
                platform=self.platform,
                native_id=raw["author"],
                handle=raw["author"],
                url=f"https://news.ycombinator.com/user?id={raw['author']}",
            ),
            published_at=parse_time(raw["created_at_i"]),
            thread_id=str(raw["story_id"]) if raw.get("story_id") else object_id,
            parent_native_id=str(raw["parent_id"]) if raw.get("parent_id") else None,
            metadata={
                "kind": "comment" if is_comment else "story",
                "points": raw.get("points"),
                "link": raw.get("url"),
            },
        )
