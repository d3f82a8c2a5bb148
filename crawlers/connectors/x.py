"""X (Twitter) API v2 recent search, with the author expansion.

Options: ``query`` (X search syntax). Credentials: ``connectors.x.bearer_token``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, parse_time

TWEET_FIELDS = (
    "created_at,author_id,lang,conversation_id,in_reply_to_user_id,referenced_tweets,entities,public_metrics"
)
USER_FIELDS = "username,name,location,public_metrics"


class XConnector(Connector):
    platform = "x"
    settings_key = "x"
    known_options: ClassVar[frozenset[str]] = frozenset({"query"})
    max_page_size = 100

    def configure(self) -> None:
        self.query = str(self.require(self.options.get("query"), "a query"))
        self.token = self.require(self.secret("bearer_token"), "a bearer_token")

    async def prepare(self, client: ApiClient) -> None:
        client.set_header("Authorization", f"Bearer {self.token}")

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        params = {
            "query": self.query,
            "max_results": max(10, self.page_size),
            "next_token": token,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
            "start_time": _start_time(since),
        }
        data, _ = await client.request_json("GET", "tweets/search/recent", params=params)
        users = {u["id"]: u for u in ((data or {}).get("includes") or {}).get("users") or []}
        tweets = [{**t, "_user": users.get(t.get("author_id"))} for t in (data or {}).get("data") or []]
        return Page(
            items=tweets,
            next_token=((data or {}).get("meta") or {}).get("next_token"),
            locator=f"x recent search next_token={token}",
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(raw["created_at"])

    def to_mention(self, raw: Any) -> RawMention:
        user = raw.get("_user") or {}
        entities = raw.get("entities") or {}
        replied = next(
            (r["id"] for r in raw.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None
        )
        handle = user.get("username")
        return RawMention(
            platform=self.platform,
            native_id=str(raw["id"]),
            source=self.name,
            text=raw["text"],
            url=f"https://x.com/{handle or 'i'}/status/{raw['id']}",
            site="x.com",
            author=Author(
                platform=self.platform,
                native_id=str(raw["author_id"]),
                handle=handle,
                display_name=user.get("name"),
                location=user.get("location"),
                followers=(user.get("public_metrics") or {}).get("followers_count"),
                url=f"https://x.com/{handle}" if handle else None,
            ),
            published_at=parse_time(raw["created_at"]),
            lang_hint=raw.get("lang"),
            thread_id=raw.get("conversation_id"),
            parent_native_id=replied,
            hashtags=tuple(h["tag"] for h in entities.get("hashtags") or []),
            mentions=tuple(m["username"] for m in entities.get("mentions") or []),
            metadata={"likes": (raw.get("public_metrics") or {}).get("like_count")},
        )


def _start_time(since: datetime | None) -> str | None:
    # recent search covers the last 7 days and rejects an older start_time
    if since is None or datetime.now(UTC) - since > timedelta(days=6, hours=23):
        return None
    return since.strftime("%Y-%m-%dT%H:%M:%SZ")
