"""Weibo through the official open API (``search/topics.json``), with an OAuth2 access token.

Options: ``query`` (required). Credentials: ``connectors.weibo.access_token``. Weibo reports errors
in the body (``error_code``): 10022-10024 are rate limits, 213xx token problems."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx

from core.errors import PlatformApiError, RateLimited
from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, parse_time

RATE_LIMIT_CODES = {10022, 10023, 10024}
TOKEN_CODES = {21314, 21315, 21316, 21317, 21319, 21327, 21332}


class WeiboConnector(Connector):
    platform = "weibo"
    settings_key = "weibo"
    known_options: ClassVar[frozenset[str]] = frozenset({"query", "path"})
    max_page_size = 50

    def configure(self) -> None:
        self.query = str(self.require(self.options.get("query"), "a query"))
        self.token = self.require(self.secret("access_token"), "an access_token")
        self.path = str(self.options.get("path") or "search/topics.json")

    def classify(self, response: httpx.Response, payload: Any) -> Exception | None:
        if not isinstance(payload, dict) or "error_code" not in payload:
            return None
        code = int(payload.get("error_code") or 0)
        message = f"weibo: {payload.get('error')} (error_code {code})"
        if code in RATE_LIMIT_CODES:
            return RateLimited(message, retry_after=None, details={"error_code": code})
        kind = "credentials rejected: " if code in TOKEN_CODES else ""
        return PlatformApiError(
            f"weibo: {kind}{payload.get('error')} (error_code {code})", details={"error_code": code}
        )

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        number = int(token or 1)
        params = {"q": self.query, "count": self.page_size, "page": number, "access_token": self.token}
        data, _ = await client.request_json("GET", self.path, params=params)
        statuses = (data or {}).get("statuses") or []
        total = int((data or {}).get("total_number") or 0)
        more = bool(statuses) and number * self.page_size < total
        return Page(
            items=statuses,
            next_token=str(number + 1) if more else None,
            locator=f"weibo {self.path} page {number}",
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(raw["created_at"])

    def to_mention(self, raw: Any) -> RawMention:
        user = raw["user"]
        uid = str(user.get("idstr") or user["id"])
        sid = str(raw.get("idstr") or raw["id"])
        mid = raw.get("mid") or sid
        retweeted = raw.get("retweeted_status") or {}
        return RawMention(
            platform=self.platform,
            native_id=sid,
            source=self.name,
            text=raw["text"],
            url=f"https://weibo.com/{uid}/{mid}",
            site="weibo.com",
            author=Author(
                platform=self.platform,
                native_id=uid,
                handle=user.get("screen_name"),
                display_name=user.get("name") or user.get("screen_name"),
                location=user.get("location"),
                followers=user.get("followers_count"),
                url=f"https://weibo.com/u/{uid}",
            ),
            published_at=parse_time(raw["created_at"]),
            lang_hint="zh",
            country="CN",
            parent_native_id=str(retweeted.get("idstr") or retweeted.get("id")) if retweeted else None,
            metadata={
                "reposts": raw.get("reposts_count"),
                "comments": raw.get("comments_count"),
                "likes": raw.get("attitudes_count"),
            },
        )
