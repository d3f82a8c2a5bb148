"""Bluesky: ``app.bsky.feed.searchPosts`` (sort=latest), authenticated with an app password.

Options: ``query`` (required), ``lang``. Credentials: ``connectors.bluesky.identifier`` and
``app_password`` (a session is created with ``com.atproto.server.createSession``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from core.errors import PlatformApiError
from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, parse_time


class BlueskyConnector(Connector):
    platform = "bluesky"
    settings_key = "bluesky"
    known_options: ClassVar[frozenset[str]] = frozenset({"query", "lang"})
    max_page_size = 100

    def configure(self) -> None:
        self.query = str(self.require(self.options.get("query"), "a query"))
        self.identifier = self.require(self.section.identifier, "identifier (handle or DID)")
        self.password = self.require(self.secret("app_password"), "app_password")
        self._jwt: str | None = None

    async def prepare(self, client: ApiClient) -> None:
        if self._jwt is None:
            data, _ = await client.request_json(
                "POST",
                "com.atproto.server.createSession",
                json_body={"identifier": self.identifier, "password": self.password},
            )
            self._jwt = (data or {}).get("accessJwt")
            if not self._jwt:
                raise PlatformApiError("bluesky: createSession returned no accessJwt")
        client.set_header("Authorization", f"Bearer {self._jwt}")

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        params = {
            "q": self.query,
            "sort": "latest",
            "limit": self.page_size,
            "cursor": token,
            "lang": self.options.get("lang"),
            "since": since.isoformat().replace("+00:00", "Z") if since else None,
        }
        data, _ = await client.request_json("GET", "app.bsky.feed.searchPosts", params=params)
        posts = (data or {}).get("posts") or []
        return Page(
            items=posts,
            next_token=(data or {}).get("cursor") if posts else None,
            locator=f"bluesky searchPosts cursor={token}",
        )

    def item_time(self, raw: Any) -> datetime | None:
        return parse_time(raw["record"]["createdAt"])

    def to_mention(self, raw: Any) -> RawMention:
        record, author = raw["record"], raw["author"]
        uri = str(raw["uri"])
        rkey = uri.rsplit("/", 1)[-1]
        features = [f for facet in record.get("facets") or [] for f in facet.get("features") or []]
        reply = record.get("reply") or {}
        langs = record.get("langs") or []
        return RawMention(
            platform=self.platform,
            native_id=uri,
            source=self.name,
            text=record["text"],
            url=f"https://bsky.app/profile/{author['handle']}/post/{rkey}",
            site="bsky.app",
            author=Author(
                platform=self.platform,
                native_id=author["did"],
                handle=author.get("handle"),
                display_name=author.get("displayName") or None,
                url=f"https://bsky.app/profile/{author.get('handle') or author['did']}",
            ),
            published_at=parse_time(record["createdAt"]),
            lang_hint=langs[0] if langs else None,
            thread_id=(reply.get("root") or {}).get("uri") or uri,
            parent_native_id=(reply.get("parent") or {}).get("uri"),
            hashtags=tuple(f["tag"] for f in features if f.get("$type", "").endswith("#tag")),
            metadata={
                "cid": raw.get("cid"),
                "likes": raw.get("likeCount"),
                "reposts": raw.get("repostCount"),
            },
        )
