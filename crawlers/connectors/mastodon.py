"""Mastodon: a hashtag's public timeline, or full-text search of statuses (needs a token).

Options: ``hashtag`` (without #) or ``query``; ``base_url`` of the instance (or
``connectors.mastodon.base_url``). Paging follows the ``Link: <...>; rel="next"`` header."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, html_to_text, parse_time

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class MastodonConnector(Connector):
    platform = "mastodon"
    settings_key = "mastodon"
    known_options: ClassVar[frozenset[str]] = frozenset({"hashtag", "query"})
    max_page_size = 40

    def configure(self) -> None:
        self.hashtag = (self.options.get("hashtag") or "").lstrip("#") or None
        self.query = self.options.get("query")
        self.require(self.hashtag or self.query, "a hashtag or a query")
        self.token = self.secret("access_token")
        if self.query and not self.hashtag:
            self.require(self.token, "an access_token (status search needs one)")

    async def prepare(self, client: ApiClient) -> None:
        if self.token:
            client.set_header("Authorization", f"Bearer {self.token}")

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        params: dict[str, Any] | None
        if token:
            url, params = token, None
        elif self.hashtag:
            url, params = f"api/v1/timelines/tag/{quote(self.hashtag)}", {"limit": self.page_size}
        else:
            url, params = "api/v2/search", {"q": self.query, "type": "statuses", "limit": self.page_size}
        data, response = await client.request_json("GET", url, params=params)
        statuses = data.get("statuses", []) if isinstance(data, dict) else (data or [])
        link = _NEXT.search(response.headers.get("link", ""))
        return Page(
            items=list(statuses),
            next_token=link.group(1) if link and statuses else None,
            locator=f"mastodon {token or url}",
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(raw["created_at"])

    def to_mention(self, raw: Any) -> RawMention:
        status = raw.get("reblog") or raw  # a boost: the original post is the mention
        account = status["account"]
        return RawMention(
            platform=self.platform,
            native_id=str(status.get("uri") or status["url"]),
            source=self.name,
            text=html_to_text(status.get("content")) or (status.get("spoiler_text") or ""),
            url=status.get("url"),
            site=_host(account.get("url")),
            author=Author(
                platform=self.platform,
                native_id=str(account["id"]),
                handle=account.get("acct"),
                display_name=account.get("display_name") or None,
                url=account.get("url"),
                followers=account.get("followers_count"),
            ),
            published_at=parse_time(status["created_at"]),
            lang_hint=status.get("language"),
            parent_native_id=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            hashtags=tuple(t["name"] for t in status.get("tags") or []),
            mentions=tuple(m["acct"] for m in status.get("mentions") or []),
            metadata={
                "status_id": str(status["id"]),
                "visibility": status.get("visibility"),
                "boosted_by": raw["account"]["acct"] if raw.get("reblog") else None,
            },
        )


def _host(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname if url else None
