"""Reddit through its OAuth API (app-only token): search, or a subreddit's newest comments.

Options: ``query`` (search; with ``subreddit`` restricted to it) or ``subreddit`` with
``mode: comments``. Credentials: ``connectors.reddit.client_id`` / ``client_secret``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, ClassVar

from core.errors import NotConfigured, PlatformApiError
from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, parse_time


class RedditConnector(Connector):
    platform = "reddit"
    settings_key = "reddit"
    known_options: ClassVar[frozenset[str]] = frozenset({"query", "subreddit", "mode", "auth_url"})
    max_page_size = 100

    def configure(self) -> None:
        self.mode = str(self.options.get("mode") or ("search" if self.options.get("query") else "comments"))
        if self.mode not in ("search", "comments"):
            raise NotConfigured(f"source {self.name!r}: reddit mode must be 'search' or 'comments'")
        self.query = self.options.get("query")
        self.subreddit = self.options.get("subreddit")
        if self.mode == "search":
            self.require(self.query, "a query")
        else:
            self.require(self.subreddit, "a subreddit")
        self.client_id = self.require(self.section.client_id, "client_id")
        self.client_secret = self.require(self.secret("client_secret"), "client_secret")
        self.auth_url = str(self.options.get("auth_url") or self.section.auth_url)
        self._token: tuple[str, float] | None = None

    async def prepare(self, client: ApiClient) -> None:
        if not (self._token and self._token[1] > time.time() + 60):
            data, _ = await client.request_json(
                "POST",
                self.auth_url,
                data={"grant_type": "client_credentials"},
                auth=(str(self.client_id), str(self.client_secret)),
            )
            token = (data or {}).get("access_token")
            if not token:
                raise PlatformApiError(f"reddit: no access token in the OAuth answer: {data!r}"[:300])
            self._token = (token, time.time() + float(data.get("expires_in") or 3600))
        client.set_header("Authorization", f"Bearer {self._token[0]}")

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        if self.mode == "search":
            path = f"r/{self.subreddit}/search" if self.subreddit else "search"
            params = {
                "q": self.query,
                "sort": "new",
                "type": "link",
                "limit": self.page_size,
                "after": token,
                "restrict_sr": "true" if self.subreddit else None,
                "raw_json": 1,
            }
        else:
            path = f"r/{self.subreddit}/comments"
            params = {"limit": self.page_size, "after": token, "raw_json": 1}
        data, _ = await client.request_json("GET", path, params=params)
        listing = (data or {}).get("data") or {}
        children = [c.get("data") or {} for c in listing.get("children") or []]
        return Page(items=children, next_token=listing.get("after"), locator=f"reddit {path} after={token}")

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(float(raw["created_utc"]))

    def to_mention(self, raw: Any) -> RawMention:
        is_comment = str(raw["name"]).startswith("t1_")
        text = (
            raw.get("body")
            if is_comment
            else "\n\n".join(p for p in (raw.get("title"), raw.get("selftext")) if p)
        )
        author = raw.get("author")
        return RawMention(
            platform=self.platform,
            native_id=str(raw["name"]),
            source=self.name,
            text=text or "",
            title=None if is_comment else raw.get("title"),
            url=f"https://www.reddit.com{raw['permalink']}" if raw.get("permalink") else None,
            site=raw.get("subreddit_name_prefixed")
            or (f"r/{raw['subreddit']}" if raw.get("subreddit") else None),
            author=Author(
                platform=self.platform,
                native_id=raw.get("author_fullname"),
                handle=author,
                url=f"https://www.reddit.com/user/{author}",
            )
            if author and author != "[deleted]"
            else None,
            published_at=parse_time(float(raw["created_utc"])),
            thread_id=raw.get("link_id") if is_comment else raw["name"],
            parent_native_id=raw.get("parent_id") if is_comment else None,
            metadata={
                "kind": "comment" if is_comment else "post",
                "score": raw.get("score"),
                "num_comments": raw.get("num_comments"),
                "over_18": raw.get("over_18"),
            },
        )
