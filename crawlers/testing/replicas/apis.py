# ruff: noqa: E501 - fixture data: long literal lines are the data
"""Replicas of the platform APIs, written from their public documentation: response shapes, paging,
authentication and rate-limit headers. Each API is mounted under its own prefix of one server:

    with ApiReplicas() as apis:
        apis.base("hackernews")   # -> http://127.0.0.1:PORT/hackernews  (the connector's base_url)
        apis.faults.add("/hackernews", Fault(429, headers={"Retry-After": "1"}), Fault(kind="truncated"))

Every platform serves the same small corpus (English and Chinese, newest first, deterministic) plus
one item that breaks the documented shape, which connectors must report as Rejected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from crawlers.testing.replicas.server import Fault, ReplicaServer, Reply, Request

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
TOKENS = {
    "reddit": "reddit-token",
    "mastodon": "masto-token",
    "bluesky": "bsky-jwt",
    "youtube": "yt-key",
    "x": "x-bearer",
    "weibo": "weibo-token",
}
CREDENTIALS = {"reddit": ("reddit-id", "reddit-secret"), "bluesky": ("earful.bsky.social", "app-pass")}


@dataclass(frozen=True)
class Post:
    n: int
    text: str
    author: str
    lang: str
    minutes_ago: int
    tags: tuple[str, ...] = ()

    @property
    def at(self) -> datetime:
        return T0 - timedelta(minutes=self.minutes_ago)

    @property
    def iso(self) -> str:
        return self.at.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @property
    def epoch(self) -> int:
        return int(self.at.timestamp())


CORPUS: tuple[Post, ...] = (
    Post(
        1,
        "Quillfinch support replaced my Q3 headphones in two days, impressed #quillfinch",
        "dana",
        "en",
        5,
        ("quillfinch",),
    ),
    Post(
        2,
        "Cobaltwing Air lost my bag again. Third time this year. @cobaltwing please fix this",
        "marco",
        "en",
        30,
    ),
    Post(3, "雀鸣Q3耳机降噪效果很好，推荐购买 #雀鸣", "xiaowang", "zh", 30, ("雀鸣",)),
    Post(4, "Is the Munchbird blender worth it? Mine leaks from the jug after a month", "priya", "en", 90),
    Post(5, "钴翼航空又延误了五个小时，客服也联系不上", "lijie", "zh", 180),
    Post(6, "Kestrelle phone battery easily lasts two days, best purchase this year", "noor", "en", 600),
    Post(
        7,
        "Quillfinch Q3 left ear cup died after two weeks, anyone else? #quillfinch",
        "mika",
        "en",
        1440,
        ("quillfinch",),
    ),
)
BROKEN_AFTER = 4  # the broken item sits after this many good ones


def _limit(req: Request, default: int, maximum: int, name: str = "limit") -> int:
    try:
        return max(1, min(maximum, int(req.arg(name, str(default)) or default)))
    except ValueError:
        return default


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps(data, ensure_ascii=False), "application/json; charset=utf-8", headers or {}
    )


def _bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def _offset_page(items: list[Any], offset: int, size: int) -> tuple[list[Any], int | None]:
    chunk = items[offset : offset + size]
    return chunk, (offset + size if offset + size < len(items) else None)


class ApiReplicas:
    def __init__(self) -> None:
        self.server = ReplicaServer(self.route)
        self.faults = self.server.faults
        self.rate_limit_headers: dict[str, dict[str, str]] = {}  # per platform, added to every answer

    def __enter__(self) -> ApiReplicas:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def base(self, platform: str) -> str:
        return {
            "bluesky": f"{self.url}/bluesky/xrpc",
            "x": f"{self.url}/x/2",
            "weibo": f"{self.url}/weibo/2",
            "youtube": f"{self.url}/youtube/v3",
        }.get(platform, f"{self.url}/{platform}")

    def requests_to(self, prefix: str) -> list[Request]:
        return [r for r in self.server.log if r.path.startswith(prefix)]

    def route(self, req: Request) -> Reply:
        platform = req.path.split("/")[1] if req.path.count("/") >= 1 else ""
        handler = getattr(self, f"_{platform.replace('-', '_')}", None)
        if handler is None:
            return _json({"error": "not found"}, 404)
        reply: Reply = handler(req)
        reply.headers.update(self.rate_limit_headers.get(platform, {}))
        return reply

    # --- Reddit (OAuth app-only; Listing objects; fullname paging with `after`) -------------------
    def _reddit_auth(self, req: Request) -> Reply:
        import base64

        expected = "Basic " + base64.b64encode(":".join(CREDENTIALS["reddit"]).encode()).decode()
        if req.headers.get("authorization") != expected or b"grant_type=client_credentials" not in req.body:
            return _json({"error": 401, "message": "Unauthorized"}, 401)
        return _json(
            {"access_token": TOKENS["reddit"], "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def _reddit(self, req: Request) -> Reply:
        if _bearer(req) != TOKENS["reddit"]:
            return _json({"message": "Unauthorized", "error": 401}, 401)
        comments = req.path.endswith("/comments")
        kind = "t1" if comments else "t3"
        children: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            data: dict[str, Any] = {
                "id": f"x{p.n}",
                "name": f"{kind}_x{p.n}",
                "author": p.author,
                "author_fullname": f"t2_{p.author}",
                "subreddit": "headphones",
                "subreddit_name_prefixed": "r/headphones",
                "created_utc": float(p.epoch),
                "permalink": f"/r/headphones/comments/x{p.n}/",
                "score": 10 - p.n,
            }
            if comments:
                data.update(body=p.text, link_id="t3_root1", parent_id="t3_root1")
            else:
                title, _, rest = p.text.partition(". ")
                data.update(
                    title=title,
                    selftext=rest,
                    url=f"https://www.reddit.com/r/headphones/comments/x{p.n}/",
                    num_comments=p.n,
                    over_18=False,
                    is_self=True,
                )
            children.append({"kind": kind, "data": data})
            if i + 1 == BROKEN_AFTER:  # documented fields missing: no created_utc, no id
                children.append({"kind": kind, "data": {"author": "[deleted]", "title": "broken"}})
        after = req.arg("after")
        start = next((i + 1 for i, c in enumerate(children) if after and c["data"].get("name") == after), 0)
        chunk, _ = _offset_page(children, start, _limit(req, 25, 100))
        has_more = start + len(chunk) < len(children)
        last_name = next((c["data"].get("name") for c in reversed(chunk) if c["data"].get("name")), None)
        listing = {
            "kind": "Listing",
            "data": {
                "after": last_name if has_more else None,
                "before": None,
                "dist": len(chunk),
                "children": chunk,
            },
        }
        return _json(
            listing,
            headers={"x-ratelimit-remaining": "598.0", "x-ratelimit-used": "2", "x-ratelimit-reset": "420"},
        )

    # --- Hacker News (Algolia search_by_date; numericFilters on created_at_i) ----------------------
    def _hackernews(self, req: Request) -> Reply:
        hits: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            is_story = p.n % 2 == 1
            hits.append(
                {
                    "objectID": str(40000000 + p.n),
                    "created_at": p.iso,
                    "created_at_i": p.epoch,
                    "author": p.author,
                    "title": p.text[:60] if is_story else None,
                    "url": None,
                    "story_text": p.text if is_story else None,
                    "comment_text": None if is_story else f"<p>{p.text}</p>",
                    "story_id": None if is_story else 39999999,
                    "parent_id": None if is_story else 39999999,
                    "points": p.n if is_story else None,
                    "num_comments": 0,
                    "_tags": ["story" if is_story else "comment", f"author_{p.author}"],
                }
            )
            if i + 1 == BROKEN_AFTER:
                hits.append(
                    {"objectID": "40000099", "created_at_i": p.epoch, "_tags": ["comment"]}
                )  # no author
        for flt in (req.arg("numericFilters") or "").split(","):
            m = re.fullmatch(r"created_at_i(<=|>=|<|>|=)(\d+)", flt.strip())
            if m:
                op, value = m.group(1), int(m.group(2))
                hits = [h for h in hits if "created_at_i" not in h or _cmp(h["created_at_i"], op, value)]
        size, page = _limit(req, 20, 1000, "hitsPerPage"), int(req.arg("page", "0") or 0)
        chunk = hits[page * size : (page + 1) * size]
        pages = (len(hits) + size - 1) // size
        return _json(
            {
                "hits": chunk,
                "nbHits": len(hits),
                "page": page,
                "nbPages": pages,
                "hitsPerPage": size,
                "query": req.arg("query", ""),
                "params": urlencode(req.query),
            }
        )

    # --- Mastodon (hashtag timeline and v2 search; Link header paging with max_id) -----------------
    def _status(self, p: Post) -> dict[str, Any]:
        sid = str(113000000000000000 + p.epoch * 10 - p.n)  # snowflake-like: grows with time
        return {
            "id": sid,
            "created_at": p.iso,
            "in_reply_to_id": None,
            "sensitive": False,
            "visibility": "public",
            "language": p.lang,
            "uri": f"https://social.example/users/{p.author}/statuses/{sid}",
            "url": f"https://social.example/@{p.author}/{sid}",
            "replies_count": 0,
            "reblogs_count": 0,
            "content": f"<p>{p.text}</p>",
            "reblog": None,
            "account": {
                "id": f"10{p.n}",
                "username": p.author,
                "acct": p.author,
                "display_name": p.author.title(),
                "url": f"https://social.example/@{p.author}",
                "followers_count": 100 * p.n,
            },
            "mentions": [],
            "tags": [{"name": t, "url": f"https://social.example/tags/{t}"} for t in p.tags],
        }

    def _mastodon(self, req: Request) -> Reply:
        statuses: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            statuses.append(self._status(p))
            if i + 1 == BROKEN_AFTER:
                statuses.append(
                    {"id": str(int(statuses[-1]["id"]) - 1), "content": "<p>no date, no account</p>"}
                )
        if req.path.startswith("/mastodon/api/v2/search") and _bearer(req) != TOKENS["mastodon"]:
            return _json({"error": "The access token is invalid"}, 401)
        max_id = req.arg("max_id")
        if max_id:
            statuses = [s for s in statuses if int(s["id"]) < int(max_id)]
        chunk = statuses[: _limit(req, 20, 40)]
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "299",
            "X-RateLimit-Reset": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
        }
        if len(chunk) < len(statuses) and chunk:
            query = {**req.query, "max_id": chunk[-1]["id"]}
            headers["Link"] = f'<{self.url}{req.path}?{urlencode(query)}>; rel="next"'
        if req.path.startswith("/mastodon/api/v2/search"):
            return _json({"accounts": [], "statuses": chunk, "hashtags": []}, headers=headers)
        return _json(chunk, headers=headers)

    # --- Bluesky (createSession, then app.bsky.feed.searchPosts with an opaque cursor) -------------
    def _bluesky(self, req: Request) -> Reply:
        if req.path.endswith("com.atproto.server.createSession"):
            body = json.loads(req.body or b"{}")
            if (body.get("identifier"), body.get("password")) != CREDENTIALS["bluesky"]:
                return _json(
                    {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401
                )
            return _json(
                {
                    "accessJwt": TOKENS["bluesky"],
                    "refreshJwt": "refresh",
                    "handle": body["identifier"],
                    "did": "did:plc:earful",
                }
            )
        if _bearer(req) != TOKENS["bluesky"]:
            return _json({"error": "AuthMissing", "message": "Authentication Required"}, 401)
        posts: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            did = f"did:plc:{p.author}"
            record: dict[str, Any] = {
                "$type": "app.bsky.feed.post",
                "text": p.text,
                "createdAt": p.iso,
                "langs": [p.lang],
            }
            if p.tags:
                record["facets"] = [
                    {
                        "index": {"byteStart": 0, "byteEnd": 1},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t} for t in p.tags],
                    }
                ]
            posts.append(
                {
                    "uri": f"at://{did}/app.bsky.feed.post/3k{p.n}",
                    "cid": f"bafy{p.n}",
                    "author": {
                        "did": did,
                        "handle": f"{p.author}.bsky.social",
                        "displayName": p.author.title(),
                    },
                    "record": record,
                    "indexedAt": p.iso,
                    "replyCount": 0,
                    "repostCount": 0,
                    "likeCount": p.n,
                }
            )
            if i + 1 == BROKEN_AFTER:
                posts.append(
                    {"uri": "at://did:plc:ghost/app.bsky.feed.post/3kx", "cid": "bafyx", "record": {}}
                )
        start = int(req.arg("cursor", "0") or 0)
        chunk, nxt = _offset_page(posts, start, _limit(req, 25, 100))
        data: dict[str, Any] = {"posts": chunk, "hitsTotal": len(posts)}
        if nxt is not None:
            data["cursor"] = str(nxt)
        now = int(datetime.now(UTC).timestamp())
        return _json(
            data,
            headers={
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "2999",
                "ratelimit-reset": str(now + 300),
                "ratelimit-policy": "3000;w=300",
            },
        )

    # --- YouTube Data API v3 (search.list and commentThreads.list; pageToken) ----------------------
    def _youtube(self, req: Request) -> Reply:
        if req.arg("key") != TOKENS["youtube"]:
            return _json(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "errors": [
                            {"message": "API key not valid.", "domain": "global", "reason": "badRequest"}
                        ],
                    }
                },
                400,
            )
        size = _limit(req, 5, 50 if req.path.endswith("/search") else 100, "maxResults")
        start = int((req.arg("pageToken") or "P0")[1:] or 0)
        if req.path.endswith("/search"):
            items: list[dict[str, Any]] = [
                {
                    "kind": "youtube#searchResult",
                    "etag": f"e{p.n}",
                    "id": {"kind": "youtube#video", "videoId": f"vid{p.n}"},
                    "snippet": {
                        "publishedAt": p.iso,
                        "channelId": f"UC{p.author}",
                        "title": p.text[:50],
                        "description": p.text,
                        "channelTitle": p.author.title(),
                        "liveBroadcastContent": "none",
                        "publishTime": p.iso,
                    },
                }
                for p in CORPUS[:3]
            ]
            kind = "youtube#searchListResponse"
        else:
            video = req.arg("videoId") or "vid0"
            items = []
            for i, p in enumerate(CORPUS):
                items.append(
                    {
                        "kind": "youtube#commentThread",
                        "etag": f"c{p.n}",
                        "id": f"Ug{video}{p.n}",
                        "snippet": {
                            "channelId": "UCowner",
                            "videoId": video,
                            "canReply": True,
                            "totalReplyCount": 0,
                            "isPublic": True,
                            "topLevelComment": {
                                "kind": "youtube#comment",
                                "etag": f"t{p.n}",
                                "id": f"Ug{video}{p.n}",
                                "snippet": {
                                    "channelId": "UCowner",
                                    "videoId": video,
                                    "textDisplay": p.text,
                                    "textOriginal": p.text,
                                    "authorDisplayName": f"@{p.author}",
                                    "authorChannelUrl": f"http://www.youtube.com/@{p.author}",
                                    "authorChannelId": {"value": f"UC{p.author}"},
                                    "canRate": True,
                                    "viewerRating": "none",
                                    "likeCount": p.n,
                                    "publishedAt": p.iso,
                                    "updatedAt": p.iso,
                                },
                            },
                        },
                    }
                )
                if i + 1 == BROKEN_AFTER:
                    items.append(
                        {
                            "kind": "youtube#commentThread",
                            "id": f"Ug{video}bad",
                            "snippet": {"videoId": video},
                        }
                    )
            kind = "youtube#commentThreadListResponse"
        chunk, nxt = _offset_page(items, start, size)
        data: dict[str, Any] = {
            "kind": kind,
            "etag": "etag",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
            "items": chunk,
        }
        if nxt is not None:
            data["nextPageToken"] = f"P{nxt}"
        return _json(data)

    # --- X API v2 (recent search; next_token; includes.users) --------------------------------------
    def _x(self, req: Request) -> Reply:
        if _bearer(req) != TOKENS["x"]:
            return _json(
                {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, 401
            )
        tweets: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            tweet: dict[str, Any] = {
                "id": str(1850000000000000000 + p.epoch * 10 + p.n),
                "text": p.text,
                "created_at": p.iso,
                "author_id": f"9{p.n}",
                "lang": p.lang,
                "conversation_id": str(1850000000000000000 + p.epoch * 10 + p.n),
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": p.n, "quote_count": 0},
            }
            entities: dict[str, Any] = {}
            if p.tags:
                entities["hashtags"] = [{"start": 0, "end": 1, "tag": t} for t in p.tags]
            if "@" in p.text:
                entities["mentions"] = [
                    {"start": 0, "end": 1, "username": m, "id": "1"} for m in re.findall(r"@(\w+)", p.text)
                ]
            if entities:
                tweet["entities"] = entities
            tweets.append(tweet)
            if i + 1 == BROKEN_AFTER:
                tweets.append({"id": "1850000000000000001", "author_id": "90"})  # no text, no created_at
        since_id = req.arg("since_id")
        if since_id:
            tweets = [t for t in tweets if int(t["id"]) > int(since_id)]
        start = int(req.arg("next_token", "0") or 0)
        chunk, nxt = _offset_page(tweets, start, _limit(req, 10, 100, "max_results"))
        if not chunk:
            return _json({"meta": {"result_count": 0}})
        users = [
            {
                "id": f"9{p.n}",
                "name": p.author.title(),
                "username": p.author,
                "public_metrics": {
                    "followers_count": 10 * p.n,
                    "following_count": 1,
                    "tweet_count": 5,
                    "listed_count": 0,
                },
            }
            for p in CORPUS
        ]
        meta: dict[str, Any] = {
            "newest_id": chunk[0]["id"],
            "oldest_id": chunk[-1]["id"],
            "result_count": len(chunk),
        }
        if nxt is not None:
            meta["next_token"] = str(nxt)
        reset = str(int(datetime.now(UTC).timestamp()) + 900)
        return _json(
            {"data": chunk, "includes": {"users": users}, "meta": meta},
            headers={
                "x-rate-limit-limit": "450",
                "x-rate-limit-remaining": "449",
                "x-rate-limit-reset": reset,
            },
        )

    # --- Apple App Store customer reviews (RSS as JSON; label objects; up to 10 pages) -------------
    def _appstore(self, req: Request) -> Reply:
        m = re.fullmatch(
            r"/appstore/(\w\w)/rss/customerreviews/(?:page=(\d+)/)?id=(\d+)/sortby=mostrecent/json", req.path
        )
        if not m:
            return Reply(404, "Not Found", "text/plain")
        country, page, app = m.group(1), int(m.group(2) or 1), m.group(3)
        entries: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            entries.append(
                {
                    "author": {
                        "uri": {"label": f"https://itunes.apple.com/{country}/reviewer/id{700 + p.n}"},
                        "name": {"label": p.author},
                        "label": "",
                    },
                    "updated": {"label": p.at.astimezone(PACIFIC).isoformat()},
                    "im:rating": {"label": str(p.n % 5 + 1)},
                    "im:version": {"label": "3.2.1"},
                    "id": {"label": str(11000000000 + p.n)},
                    "title": {"label": p.text[:30]},
                    "content": {"label": p.text, "attributes": {"type": "text"}},
                    "link": {
                        "attributes": {
                            "rel": "related",
                            "href": f"https://itunes.apple.com/{country}/review?id={app}",
                        }
                    },
                    "im:voteSum": {"label": "0"},
                    "im:voteCount": {"label": "0"},
                    "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
                }
            )
            if i + 1 == BROKEN_AFTER:
                entries.append({"id": {"label": "11000000099"}, "im:rating": {"label": "nine"}})
        per_page = 3
        pages = (len(entries) + per_page - 1) // per_page
        chunk = entries[(page - 1) * per_page : page * per_page]
        feed: dict[str, Any] = {
            "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/itunes/"}},
            "updated": {"label": T0.isoformat()},
            "title": {"label": "iTunes Store: Customer Reviews"},
            "link": [
                {"attributes": {"rel": "self", "href": f"{self.url}{req.path}"}},
                {
                    "attributes": {
                        "rel": "last",
                        "href": f"{self.url}/appstore/{country}/rss/customerreviews/page={pages}/id={app}/sortby=mostrecent/json",
                    }
                },
            ],
            "id": {"label": f"{self.url}{req.path}"},
        }
        if page < pages:
            feed["link"].append(
                {
                    "attributes": {
                        "rel": "next",
                        "href": f"{self.url}/appstore/{country}/rss/customerreviews/page={page + 1}/id={app}/sortby=mostrecent/json",
                    }
                }
            )
        if len(chunk) == 1:
            feed["entry"] = chunk[0]  # the XML-to-JSON conversion turns a single entry into an object
        elif chunk:
            feed["entry"] = chunk
        return _json({"feed": feed})

    # --- Weibo open API (search/topics.json; page/count; error_code bodies) ------------------------
    def _weibo(self, req: Request) -> Reply:
        if req.arg("access_token") != TOKENS["weibo"]:
            return _json({"error": "invalid_access_token", "error_code": 21332, "request": req.path}, 403)
        statuses: list[dict[str, Any]] = []
        for i, p in enumerate(CORPUS):
            sid = 5100000000000000 + p.epoch * 10 + p.n
            statuses.append(
                {
                    "created_at": p.at.astimezone(CHINA).strftime("%a %b %d %H:%M:%S +0800 %Y"),
                    "id": sid,
                    "idstr": str(sid),
                    "mid": str(sid),
                    "text": p.text,
                    "source": '<a href="https://weibo.com">微博 weibo.com</a>',
                    "reposts_count": 0,
                    "comments_count": p.n,
                    "attitudes_count": 2,
                    "user": {
                        "id": 2000 + p.n,
                        "idstr": str(2000 + p.n),
                        "screen_name": p.author,
                        "name": p.author,
                        "location": "北京 海淀区",
                        "followers_count": 50 * p.n,
                        "profile_url": f"u/{2000 + p.n}",
                    },
                }
            )
            if i + 1 == BROKEN_AFTER:
                statuses.append({"id": 5100000000000001, "text": "缺少用户和时间"})
        count, page = _limit(req, 10, 50, "count"), int(req.arg("page", "1") or 1)
        chunk = statuses[(page - 1) * count : page * count]
        return _json({"statuses": chunk, "total_number": len(statuses)})


CHINA = ZoneInfo("Asia/Shanghai")
PACIFIC = ZoneInfo("America/Los_Angeles")


def _cmp(left: int, op: str, right: int) -> bool:
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "=": left == right,
    }[op]


def weibo_rate_limited() -> Fault:
    """Weibo signals rate limits in the body (error_code 10023), with HTTP 403."""
    return Fault(
        403,
        json.dumps(
            {
                "error": "User requests out of rate limit!",
                "error_code": 10023,
                "request": "/2/search/topics.json",
            }
        ),
    )


def youtube_quota_exceeded() -> Fault:
    return Fault(
        403,
        json.dumps(
            {
                "error": {
                    "code": 403,
                    "message": "The request cannot be completed because you have exceeded your quota.",
                    "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
                }
            }
        ),
    )
