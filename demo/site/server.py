"""The demo site's HTTP server: stdlib only, in a background thread, on loopback.

    with DemoSite() as site:          # port 0: a free port
        httpx.get(site.url + "/api/posts?limit=5")

Routes: ``/`` · ``/reviews?page=N`` · ``/reviews/<id>`` · ``/forum/page/N`` · ``/forum/thread/<id>`` ·
``/social/<id>`` · ``/news/<id>`` · ``/api/posts?since_id=&limit=`` · ``/robots.txt`` · ``/static/site.css``.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from crawlers.local_server import LocalServer
from demo.site import pages
from demo.site.generate import load_items

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

PAGE_SIZE = 20
API_DEFAULT_LIMIT = 20
API_MAX_LIMIT = 100
# What the API shows of an item: the generator's ground truth ("label") and internal fields stay out.
API_FIELDS = (
    "id", "type", "site", "title", "text", "rating", "created_at", "author", "country", "product", "brand",
    "thread_id", "reply_to", "hashtags", "mentions",
)  # fmt: skip


class _Content:
    """Indexes over the items, built once per site."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = sorted(items, key=lambda item: int(item["id"]))
        self.by_id = {int(item["id"]): item for item in self.items}
        newest_first = sorted(
            self.items, key=lambda item: (str(item["created_at"]), item["id"]), reverse=True
        )
        self.reviews = [item for item in newest_first if item["type"] == "review"]
        self.threads: dict[int, list[dict[str, Any]]] = {}
        for item in self.items:  # oldest first within a thread
            if item["type"] == "forum":
                self.threads.setdefault(int(item["thread_id"]), []).append(item)
        self.thread_order = [
            int(item["id"]) for item in newest_first if item["type"] == "forum" and not item["reply_to"]
        ]
        self.counts = Counter(str(item["type"]) for item in self.items)


class DemoSite(LocalServer):
    """Serves the demo items over HTTP on ``host:port`` (port 0 picks a free port)."""

    not_started = "the demo site is not started"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, items: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(host, port)
        self._content = _Content(load_items() if items is None else items)

    @classmethod
    def from_settings(cls, settings: Settings) -> DemoSite:
        return cls(settings.demo.host, settings.demo.port)

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self._content.items)

    def start(self) -> Self:
        if self._server is not None:
            return self
        content = self._content

        class Handler(_Handler):
            site = content

        # A short poll interval makes stop() quick (shutdown waits for the serve loop's next poll).
        self._serve(ThreadingHTTPServer((self.host, self.port), Handler), "earful-demo-site", 0.05)
        log.info("demo site serving %d items at %s", len(content.items), self.url)
        return self


class _Handler(BaseHTTPRequestHandler):
    site: _Content
    server_version = "EarfulDemo/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        try:
            self._route(segments, query)
        except _HttpError as exc:
            self._error(exc.status, exc.message, api=segments[:1] == ["api"])

    def _route(self, seg: list[str], query: dict[str, str]) -> None:
        site = self.site
        if not seg:
            self._html(pages.index_page(dict(site.counts)))
        elif seg == ["robots.txt"]:
            self._send(HTTPStatus.OK, "text/plain; charset=utf-8", "User-agent: *\nAllow: /\n")
        elif seg == ["static", "site.css"]:
            self._send(HTTPStatus.OK, "text/css; charset=utf-8", pages.CSS)
        elif seg == ["reviews"]:
            page, count = _page(query.get("page", "1"), len(site.reviews))
            chunk = site.reviews[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            self._html(pages.reviews_page(chunk, page, count))
        elif seg == ["forum"]:
            self._redirect("/forum/page/1")
        elif len(seg) == 3 and seg[:2] == ["forum", "page"]:
            page, count = _page(seg[2], len(site.thread_order))
            ids = site.thread_order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            threads = [(site.threads[i][0], len(site.threads[i]) - 1) for i in ids]
            self._html(pages.forum_page(threads, page, count))
        elif len(seg) == 3 and seg[:2] == ["forum", "thread"]:
            posts = site.threads.get(_int(seg[2]))
            if not posts:
                raise _HttpError(HTTPStatus.NOT_FOUND, "no such thread")
            self._html(pages.thread_page(posts))
        elif len(seg) == 2 and seg[0] in ("reviews", "social", "news"):
            item = site.by_id.get(_int(seg[1]))
            if item is None or item["type"] != seg[0].rstrip("s"):
                raise _HttpError(HTTPStatus.NOT_FOUND, "no such item")
            self._html(pages.review_page(item) if item["type"] == "review" else pages.item_page(item))
        elif seg == ["api", "posts"]:
            self._json(HTTPStatus.OK, self._posts(query))
        else:
            raise _HttpError(HTTPStatus.NOT_FOUND, "not found")

    def _posts(self, query: dict[str, str]) -> dict[str, Any]:
        since_id = _int(query.get("since_id") or "0", "since_id")
        limit = _int(query.get("limit") or str(API_DEFAULT_LIMIT), "limit")
        if not 1 <= limit <= API_MAX_LIMIT:
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"limit must be between 1 and {API_MAX_LIMIT}")
        newer = [item for item in self.site.items if int(item["id"]) > since_id]
        page = newer[:limit]
        base = f"http://{self.headers.get('Host') or '127.0.0.1'}"
        return {
            "items": [self._api_item(item, base) for item in page],
            "next_since_id": int(page[-1]["id"]) if page else since_id,
            "has_more": len(newer) > limit,
        }

    @staticmethod
    def _api_item(item: dict[str, Any], base: str) -> dict[str, Any]:
        out = {key: item.get(key) for key in API_FIELDS}
        out["platform"] = "demo"
        out["lang"] = item.get("api_lang") or item.get("lang")
        out["url"] = base + str(item["url"])
        return out

    # --- responses --------------------------------------------------------------------------------
    def _send(
        self, status: HTTPStatus, content_type: str, body: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _html(self, body: str) -> None:
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", body)

    def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(payload, ensure_ascii=False))

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, "text/plain; charset=utf-8", location, {"Location": location})

    def _error(self, status: HTTPStatus, message: str, *, api: bool) -> None:
        if api:
            self._json(
                status, {"error": {"code": status.phrase.lower().replace(" ", "_"), "message": message}}
            )
        else:
            self._send(
                status, "text/html; charset=utf-8", pages.layout(status.phrase, f"<h1>{status.phrase}</h1>")
            )


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(value: str, name: str = "id") -> int:
    try:
        return int(value)
    except ValueError:
        raise _HttpError(
            HTTPStatus.BAD_REQUEST if name != "id" else HTTPStatus.NOT_FOUND, f"{name} must be an integer"
        ) from None


def _page(value: str, total: int) -> tuple[int, int]:
    """(page, page count) for a 1-based page number; out of range is a 404 like real sites."""
    page = _int(value, "page")
    count = max(1, math.ceil(total / PAGE_SIZE))
    if not 1 <= page <= count:
        raise _HttpError(HTTPStatus.NOT_FOUND, f"page {page} out of range 1..{count}")
    return page, count
