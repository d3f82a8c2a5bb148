"""Item pipelines: normalise → validate → dedupe → batch writer.

A draft that cannot become a RawMention is turned into a Rejected (page, reason) and still flows to
the writer, so the parent process reports it; nothing is dropped silently. Same-id repeats are the
only items dropped, and they are counted.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError
from scrapy import signals
from scrapy.exceptions import DropItem
from w3lib.url import canonicalize_url, url_query_cleaner

from core.errors import validation_reason
from core.ids import content_hash
from core.models import RawMention, Rejected
from crawlers.dedup import Deduplicator
from crawlers.items import MentionDraft
from crawlers.runner import encode_line

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_TEXT_FIELDS = ("title", "product", "site", "thread_id", "parent_native_id")


def clean_text(value: Any) -> str:
    """Collapse runs of spaces (incl. full-width and nbsp), keep paragraph breaks."""
    text = str(value or "").replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


TRACKING = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "fbclid",
    "gclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "spm",
)


def canonical_url(url: str) -> str:
    """One spelling per page: sorted query without tracking parameters, no fragment, normalised
    percent-encoding. Two paths to one page (a feed link with utm_*, a sitemap entry) meet here."""
    return canonicalize_url(url_query_cleaner(url, TRACKING, remove=True, keep_fragments=False))


def truncate(value: Any, limit: int = 2000) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


class NormalisePipeline:
    """Cleans text, canonicalises URLs and fills `source`, `platform` and a stable `native_id`.

    A web mention's native id is its canonical URL; several reviews on one page get the page URL plus
    their own anchor/id, or a hash of author and text, so the same review found through two listing
    pages keeps one id."""

    def __init__(self, source: str) -> None:
        self.source = source

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        return cls(crawler.settings.get("EARFUL_SOURCE") or "web")

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, MentionDraft):
            return item
        f = item.fields
        f.setdefault("source", self.source)
        f.setdefault("platform", "web")
        f["text"] = clean_text(f.get("text"))
        for name in _TEXT_FIELDS:
            if f.get(name) is not None:
                f[name] = clean_text(f[name]) or None
        if f.get("url"):
            f["url"] = canonical_url(str(f["url"]))
        if not f.get("native_id") and f.get("url"):
            f["native_id"] = f["url"]
        elif f.get("native_id") and "#" not in str(f["native_id"]) and item.extra.get("page_url"):
            # an in-page id ("r-123"): qualify it with the page it lives on
            f["native_id"] = f"{canonical_url(item.extra['page_url'])}#{f['native_id']}"
        if not f.get("native_id") and item.extra.get("page_url"):
            author = f.get("author") or {}
            handle = ""
            if isinstance(author, dict):
                handle = str(author.get("handle") or author.get("display_name") or "")
            f["native_id"] = (
                f"{canonical_url(item.extra['page_url'])}#{content_hash(handle + '|' + f['text'])[:16]}"
            )
        if f.get("url") is None and item.extra.get("page_url"):
            f["url"] = canonical_url(item.extra["page_url"])
        return item


class ValidatePipeline:
    """Draft → RawMention, or → Rejected with the page and the reason."""

    def __init__(self, source: str, min_chars: int) -> None:
        self.source = source
        self.min_chars = min_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(
            crawler.settings.get("EARFUL_SOURCE") or "web",
            crawler.settings.getint("EARFUL_MIN_TEXT_CHARS", 1),
        )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, MentionDraft):
            return item
        f = item.fields
        problems: list[str] = []
        if f.get("published_at") is None:
            problems.append(
                f"published_at: unreadable date {item.date_text!r}"
                if item.date_text
                else "published_at: no date"
            )
        if len(f.get("text") or "") < max(1, self.min_chars):
            problems.append("text: empty or too short")
        if not problems:
            try:
                return RawMention.model_validate(f)
            except ValidationError as exc:
                problems.append(validation_reason(exc))
        return Rejected(source=self.source, locator=item.locator, reason="; ".join(problems), raw=truncate(f))


class DedupePipeline:
    """Drops same-id repeats (counted) and flags cross-posts (metadata). Near-duplicates are judged by
    the parent's SpiderSource, which keeps the MinHash index across runs (see crawlers.dedup)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.dedup = Deduplicator(near_duplicates=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, RawMention):
            return item
        kept = self.dedup.apply(item)
        if kept is None:
            if self.crawler.stats:
                self.crawler.stats.inc_value("earful/duplicates_same_id")
            raise DropItem(f"same mention reached twice: {item.native_id}", log_level="DEBUG")
        if kept is not item and self.crawler.stats:
            self.crawler.stats.inc_value(f"earful/{kept.metadata['duplicate_kind']}")
        return kept


class BatchWriterPipeline:
    """Streams mentions and rejections to the parent process, a batch at a time.

    The runner passes a pipe's file descriptor as ``EARFUL_SINK_FD``; without one, lines go to stdout
    (handy with ``scrapy runspider``). It also reports what never reached a pipeline as an item:
    exceptions in callbacks and in earlier pipelines."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.source = settings.get("EARFUL_SOURCE") or "web"
        self.batch_size = settings.getint("EARFUL_BATCH_SIZE", 200)
        fd = settings.get("EARFUL_SINK_FD")
        self.stream: IO[bytes] = (
            os.fdopen(int(fd), "wb", buffering=1 << 16) if fd is not None else sys.stdout.buffer
        )
        self.pending: list[bytes] = []
        self.counts = {"mentions": 0, "rejected": 0}
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BatchWriterPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, RawMention):
            self._emit("mention", item.model_dump(mode="json", exclude={"id"}))
        elif isinstance(item, Rejected):
            self._emit("rejected", item.model_dump(mode="json"))
        else:
            self.reject(
                repr(type(item)), f"spider yielded an unexpected item type {type(item).__name__}", item
            )
        return item

    def reject(self, locator: str, reason: str, raw: Any = None) -> None:
        rejected = Rejected(
            source=self.source, locator=locator, reason=reason, raw=None if raw is None else truncate(raw)
        )
        self._emit("rejected", rejected.model_dump(mode="json"))

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        self.reject(
            response.url,
            f"parse error: {failure.getErrorMessage() or getattr(failure.type, '__name__', 'error')}",
        )

    def item_error(self, item: Any, response: Response | None, spider: Spider, failure: Failure) -> None:
        locator = (
            item.locator if isinstance(item, MentionDraft) else (response.url if response else "pipeline")
        )
        self.reject(
            locator,
            f"pipeline error: {failure.getErrorMessage() or getattr(failure.type, '__name__', 'error')}",
            item,
        )

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        self.counts["mentions" if kind == "mention" else "rejected"] += 1
        self.pending.append(encode_line(kind, data))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.pending.append(encode_line("batch", {}))
        self.stream.write(b"".join(self.pending))
        self.stream.flush()
        self.pending.clear()

    def close_spider(self) -> None:
        self.flush()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        summary = {
            k: v for k, v in stats.items() if isinstance(v, int | float | str) and not isinstance(v, bool)
        }
        summary.update(self.counts)
        self.stream.write(encode_line("done", {"stats": summary}))
        self.stream.flush()
