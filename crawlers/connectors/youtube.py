"""YouTube Data API v3: videos matching a query (``search.list``, newest first) with their comment
threads, or the comment threads of one video (``commentThreads.list``).

Options: ``query`` (with ``comments``: true by default) or ``video_id``. Credentials:
``connectors.youtube.api_key``. Quota errors raise RateLimited (the quota resets daily)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx

from core.errors import PlatformApiError, RateLimited
from core.models import Author, RawMention
from crawlers.connectors.base import ApiClient, Connector, Page, parse_time

_QUOTA = {"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"}


class YouTubeConnector(Connector):
    platform = "youtube"
    settings_key = "youtube"
    known_options: ClassVar[frozenset[str]] = frozenset(
        {"query", "video_id", "comments", "comments_per_video"}
    )
    max_page_size = 50

    def configure(self) -> None:
        self.query = self.options.get("query")
        self.video_id = self.options.get("video_id")
        self.require(self.query or self.video_id, "a query or a video_id")
        self.with_comments = bool(self.options.get("comments", True))
        self.comments_per_video = int(self.options.get("comments_per_video") or 100)
        self.key = self.require(self.secret("api_key"), "an api_key")

    def classify(self, response: httpx.Response, payload: Any) -> Exception | None:
        errors = ((payload or {}).get("error") or {}).get("errors") or [] if isinstance(payload, dict) else []
        reasons = {e.get("reason") for e in errors}
        if reasons & _QUOTA:
            return RateLimited(
                "youtube: quota exceeded", retry_after=3600.0, details={"reasons": sorted(reasons)}
            )
        return None

    async def page(self, client: ApiClient, token: str | None, since: datetime | None) -> Page:
        if self.video_id:
            return await self._comments(client, str(self.video_id), token, self.page_size * 2)
        params = {
            "part": "snippet",
            "q": self.query,
            "type": "video",
            "order": "date",
            "key": self.key,
            "maxResults": self.page_size,
            "pageToken": token,
            "publishedAfter": since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None,
        }
        data, _ = await client.request_json("GET", "search", params=params)
        items: list[Any] = []
        for video in (data or {}).get("items") or []:
            items.append(video)
            video_id = (video.get("id") or {}).get("videoId")
            if self.with_comments and video_id:
                try:
                    comments = await self._comments(client, video_id, None, self.comments_per_video)
                except PlatformApiError as exc:  # comments disabled, private video...: say so, keep going
                    items.append({"_earful_error": f"comments of {video_id} unavailable: {exc}"})
                    continue
                items.extend({**c, "_earful_kind": "comment_of_search"} for c in comments.items)
        return Page(
            items=items, next_token=(data or {}).get("nextPageToken"), locator=f"youtube search {token}"
        )

    async def _comments(self, client: ApiClient, video_id: str, token: str | None, size: int) -> Page:
        params = {
            "part": "snippet",
            "videoId": video_id,
            "order": "time",
            "textFormat": "plainText",
            "maxResults": min(100, size),
            "pageToken": token,
            "key": self.key,
        }
        data, _ = await client.request_json("GET", "commentThreads", params=params)
        return Page(
            items=(data or {}).get("items") or [],
            next_token=(data or {}).get("nextPageToken"),
            locator=f"youtube commentThreads {video_id} {token}",
        )

    def item_time(self, raw: Any) -> datetime | None:
        if raw.get("_earful_kind") or raw.get("_earful_error"):
            return None  # comments under a new video are not a sign of reaching the watermark
        if raw.get("kind") == "youtube#commentThread":
            return parse_time(raw["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
        return parse_time(raw["snippet"]["publishedAt"])

    def to_mention(self, raw: Any) -> RawMention:
        if raw.get("_earful_error"):
            raise ValueError(raw["_earful_error"])
        if raw.get("kind") == "youtube#commentThread":
            top = raw["snippet"]["topLevelComment"]
            s = top["snippet"]
            channel = (s.get("authorChannelId") or {}).get("value")
            return RawMention(
                platform=self.platform,
                native_id=f"comment:{top['id']}",
                source=self.name,
                text=s.get("textOriginal") or s["textDisplay"],
                url=f"https://www.youtube.com/watch?v={s['videoId']}&lc={top['id']}",
                site="youtube.com",
                author=Author(
                    platform=self.platform,
                    native_id=channel,
                    handle=(s.get("authorDisplayName") or "").lstrip("@") or None,
                    display_name=s.get("authorDisplayName"),
                    url=s.get("authorChannelUrl"),
                ),
                published_at=parse_time(s["publishedAt"]),
                thread_id=f"video:{s['videoId']}",
                parent_native_id=f"video:{s['videoId']}",
                metadata={
                    "kind": "comment",
                    "likes": s.get("likeCount"),
                    "replies": raw["snippet"].get("totalReplyCount"),
                },
            )
        s = raw["snippet"]
        video_id = raw["id"]["videoId"]
        return RawMention(
            platform=self.platform,
            native_id=f"video:{video_id}",
            source=self.name,
            text="\n\n".join(p for p in (s.get("title"), s.get("description")) if p),
            title=s.get("title"),
            url=f"https://www.youtube.com/watch?v={video_id}",
            site="youtube.com",
            author=Author(
                platform=self.platform,
                native_id=s.get("channelId"),
                display_name=s.get("channelTitle"),
                url=f"https://www.youtube.com/channel/{s.get('channelId')}",
            ),
            published_at=parse_time(s["publishedAt"]),
            thread_id=f"video:{video_id}",
            metadata={"kind": "video"},
        )
