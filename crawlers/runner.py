"""Run one spider per subprocess and stream its items back; :class:`SpiderSource` adapts that to the
:class:`crawlers.base.Source` protocol the listen flow consumes.

Why a subprocess: Twisted's reactor cannot be restarted, so a long-lived process (the flow, a test
session) cannot run a second crawl in-process. The child writes JSON lines to a pipe, a batch at a
time; a reader thread in the parent drains the pipe into the run's journal (so the child never
stalls while the flow enriches and indexes) and fetches serve batches from the journal.

Cursors. A crawl's order is not a stable sequence, so resuming "after item n" only means something
inside one run. Mid-run cursors name the run and an offset into its journal; a fresh Source object in
the same process continues that run exactly. If the run is gone (a crashed process), the crawl starts
again from the last completed watermark: duplicates (harmless: ids are deterministic), never a gap.
When a run completes the cursor becomes ``{"since": newest date seen, "finished_at": ...}``; fetching
with it returns nothing until ``recrawl_after`` seconds have passed, then crawls for what is newer.

The child's entry point is ``python -m crawlers.runner`` with a :class:`RunSpec` as JSON on stdin.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError, SourceError, SourceUnavailable
from core.models import DEFAULT_WORKSPACE, RawMention, Rejected, SourceCursor
from crawlers.base import FetchResult
from crawlers.config import CrawlSettings, crawl_settings
from crawlers.dedup import Deduplicator
from crawlers.health import HealthStore, RunRecord

log = logging.getLogger(__name__)

SPIDERS = {
    "reviews": "crawlers.spiders.review:ReviewSpider",
    "feed": "crawlers.spiders.feed:FeedSpider",
    "sitemap": "crawlers.spiders.sitemap:ArticleSitemapSpider",
    "structured": "crawlers.spiders.structured:StructuredReviewSpider",
}


ERROR_MARK = "EARFUL-ERROR: "


# --- wire format -----------------------------------------------------------------------------------
def encode_line(kind: str, data: Mapping[str, Any]) -> bytes:
    """One JSON line: ``{"kind": "mention"|"rejected"|"batch"|"done", "data": {...}}``."""
    return (
        json.dumps({"kind": kind, "data": data}, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    )


class RunSpec(BaseModel):
    """What the child process runs."""

    model_config = ConfigDict(extra="forbid")

    spider: str = Field(description="A name in SPIDERS or 'module:Class'")
    source: str
    args: dict[str, Any] = Field(default_factory=dict, description="Spider arguments")
    crawl: dict[str, Any] = Field(default_factory=dict, description="CrawlSettings as a dict")
    scrapy: dict[str, Any] = Field(default_factory=dict, description="Raw Scrapy settings that win over ours")
    sink_fd: int | None = None


def load_spider(name: str) -> type[Any]:
    import importlib

    target = SPIDERS.get(name, name)
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ConfigError(f"unknown spider {name!r}; known: {', '.join(SPIDERS)} or 'module:Class'")
    spider: type[Any] = getattr(importlib.import_module(module_name), attr)
    return spider


def _child_main() -> int:
    spec = RunSpec.model_validate_json(sys.stdin.read())
    from scrapy.crawler import CrawlerProcess
    from twisted.python.failure import Failure

    crawl = CrawlSettings.model_validate(spec.crawl)
    settings: dict[str, Any] = {
        "ADDONS": {"crawlers.addon.EarfulAddon": 0},
        "EARFUL_CRAWL": crawl.model_dump(mode="json"),
        "EARFUL_SOURCE": spec.source,
        "EARFUL_SINK_FD": spec.sink_fd,
        "LOG_LEVEL": crawl.log_level,
        **spec.scrapy,
    }
    process = CrawlerProcess(settings)
    failures: list[str] = []

    def failed(failure: Failure) -> None:
        failures.append(f"{getattr(failure.type, '__name__', 'Error')}: {failure.getErrorMessage()}")

    deferred = process.crawl(load_spider(spec.spider), source=spec.source, **spec.args)
    deferred.addErrback(failed)
    process.start()
    if failures:  # e.g. the spider could not be created: say why on the last line, for the parent
        sys.stderr.write(f"\n{ERROR_MARK}{failures[0]}\n")
        return 2
    return 0


# --- one run in a child process -----------------------------------------------------------------
@dataclass
class SpiderRun:
    """A spider running in a child process; its items accumulate in `journal` as they arrive."""

    spec: RunSpec
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    start_since: str | None = None
    idle_timeout: float = 600.0
    dedup: Callable[[RawMention], RawMention | None] | None = None
    journal: list[RawMention | Rejected] = field(default_factory=list)
    stats: dict[str, Any] | None = None  # set when the child reports it is done
    error: str | None = None  # set when the child died without finishing
    finished_at: datetime | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _proc: subprocess.Popen[bytes] | None = None
    _stderr: Any = None
    _thread: threading.Thread | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _last_activity: float = field(default_factory=time.monotonic)

    def start(self) -> SpiderRun:
        read_fd, write_fd = os.pipe()
        spec = self.spec.model_copy(update={"sink_fd": write_fd})
        # a file, not a pipe: a chatty child cannot deadlock; closed in close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "crawlers.runner"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                pass_fds=(write_fd,),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            os.close(write_fd)
        assert self._proc.stdin is not None
        self._proc.stdin.write(spec.model_dump_json().encode())
        self._proc.stdin.close()
        self._thread = threading.Thread(
            target=self._drain, args=(read_fd,), daemon=True, name=f"spider-{self.run_id}"
        )
        self._thread.start()
        return self

    def _drain(self, read_fd: int) -> None:
        pending: list[RawMention | Rejected] = []
        with os.fdopen(read_fd, "rb") as stream:
            for line in stream:
                self._last_activity = time.monotonic()
                try:
                    message = json.loads(line)
                    kind, data = message["kind"], message["data"]
                    if kind == "mention":
                        mention: RawMention | None = RawMention.model_validate(data)
                        if mention is not None and self.dedup is not None:
                            mention = self.dedup(mention)
                        if mention is not None:
                            pending.append(mention)
                    elif kind == "rejected":
                        pending.append(Rejected.model_validate(data))
                    elif kind in ("batch", "done"):
                        with self._cond:
                            self.journal.extend(pending)
                            if kind == "done":
                                self.stats = dict(data.get("stats") or {})
                            self._cond.notify_all()
                        pending = []
                except (ValueError, KeyError, TypeError, ValidationError) as exc:
                    pending.append(
                        Rejected(
                            source=self.spec.source,
                            locator=f"run {self.run_id}",
                            reason=f"undecodable item from the spider: {exc}",
                            raw=line[:500].decode(errors="replace"),
                        )
                    )
        code = self._proc.wait() if self._proc else -1
        with self._cond:
            self.journal.extend(pending)
            if self.stats is None:
                tail = self.stderr_tail()
                reason = tail.rsplit(ERROR_MARK, 1)[-1].strip() if ERROR_MARK in tail else tail
                self.error = f"spider process exited with code {code} before finishing: {reason}"
            self.finished_at = datetime.now(UTC)
            self._cond.notify_all()

    def stderr_tail(self, chars: int = 2000) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - chars))
            return str(self._stderr.read().decode("utf-8", errors="replace")).strip()
        except (OSError, ValueError):
            return ""

    @property
    def done(self) -> bool:
        return self.finished_at is not None

    def wait_for(self, count: int, timeout: float | None = None) -> None:
        """Block until the journal holds `count` entries or the run is over; raise if the child hangs."""
        idle = self.idle_timeout if timeout is None else timeout
        with self._cond:
            while len(self.journal) < count and not self.done:
                self._cond.wait(timeout=min(1.0, idle))
                if not self.done and time.monotonic() - self._last_activity > idle:
                    self.kill()
                    raise SourceUnavailable(
                        f"spider for {self.spec.source!r} sent nothing for {idle:.0f}s; stopped",
                        details={"source": self.spec.source, "run": self.run_id},
                    )

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def close(self) -> None:
        self.kill()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def run_spider(spec: RunSpec, *, idle_timeout: float = 600.0) -> SpiderRun:
    """Run a spider to completion and return the finished run (tests, benchmark, one-off crawls)."""
    run = SpiderRun(spec, idle_timeout=idle_timeout).start()
    try:
        run.wait_for(sys.maxsize)
    finally:
        run.close()
    return run


def iter_batches(spec: RunSpec, *, idle_timeout: float = 600.0) -> Iterator[list[RawMention | Rejected]]:
    """Yield items in the batches the child sends, as they arrive."""
    run = SpiderRun(spec, idle_timeout=idle_timeout).start()
    offset = 0
    try:
        while True:
            run.wait_for(offset + 1)
            with run._cond:
                batch = run.journal[offset:]
            offset += len(batch)
            if batch:
                yield batch
            elif run.done:
                break
        if run.error:
            raise SourceUnavailable(run.error, details={"source": spec.source})
    finally:
        run.close()


# --- the Source adapter ---------------------------------------------------------------------------
class _Cursor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    since: datetime | None = None
    run: str | None = None
    offset: int = 0
    finished_at: datetime | None = None


class SpiderSource:
    """A spider as a Source: ``fetch`` serves the current run's items in order, `limit` at a time."""

    # Runs live at class level so that a fresh SpiderSource (after a failed task, in the same
    # process) continues a run instead of crawling again. Keyed by run id.
    _runs: ClassVar[dict[str, SpiderRun]] = {}
    _lock = threading.Lock()

    def __init__(
        self,
        name: str,
        spider: str,
        *,
        args: Mapping[str, Any] | None = None,
        crawl: CrawlSettings | None = None,
        scrapy: Mapping[str, Any] | None = None,
        health: HealthStore | None = None,
        recrawl_after: float = 1800.0,
        overlap: float = 86400.0,
        idle_timeout: float = 600.0,
    ) -> None:
        load_spider(spider)  # fail at configuration time, not in the child
        self.name = name
        self.spider = spider
        self.args = dict(args or {})
        self.crawl = crawl or crawl_settings()
        self.scrapy = dict(scrapy or {})
        self.health = health
        self.recrawl_after = recrawl_after
        self.overlap = overlap  # re-read this much before the watermark: relative dates are coarse
        self.idle_timeout = idle_timeout
        self.dedup = Deduplicator(self.crawl.near_duplicate_threshold)

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Any], settings: Any = None) -> SpiderSource:
        """A ``sources.yaml`` entry of type ``spider``::

        - name: acme-forum
          type: spider
          spider: reviews            # reviews | feed | sitemap | structured | module:Class
          profile: demo-reviews      # spider arguments: profile, start_urls, feed_urls, ...
          recrawl_after: 3600        # seconds before a completed crawl runs again
          crawl: {download_delay: 1} # overrides of the crawl settings for this source
        """
        options = {k: v for k, v in config.items() if k not in ("type", "enabled", "name")}
        crawl_data = crawl_settings().model_dump()
        core_crawl = getattr(settings, "crawl", None)
        if core_crawl is not None:
            crawl_data = core_crawl.model_dump()
        crawl_data.update(options.pop("crawl", None) or {})
        try:
            crawl = CrawlSettings.model_validate(crawl_data)
        except ValidationError as exc:
            raise ConfigError(
                f"source {name!r}: invalid crawl settings: {exc}", details={"source": name}
            ) from exc
        health_dir = crawl.health_dir or (
            Path(settings.home) / "health" if getattr(settings, "home", None) else None
        )
        spider = str(options.pop("spider", "reviews"))
        recrawl_after = float(options.pop("recrawl_after", 1800.0))
        overlap = float(options.pop("overlap", 86400.0))
        if spider == "reviews" and "profile" not in options:
            raise ConfigError(
                f"source {name!r}: the reviews spider needs a 'profile'", details={"source": name}
            )
        if "profile" in options:
            from crawlers.profiles import load_profile

            load_profile(str(options["profile"]))  # a bad profile is a configuration error, found now
        return cls(
            name,
            spider,
            args=options,
            crawl=crawl,
            health=HealthStore(health_dir, workspace=DEFAULT_WORKSPACE) if health_dir else None,
            recrawl_after=recrawl_after,
            overlap=overlap,
        )

    # --- Source protocol ---------------------------------------------------------------------------
    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        state = self._parse(cursor)
        run = self._runs.get(state.run) if state.run else None
        if run is None:
            if state.finished_at is not None and cursor is not None:
                age = (datetime.now(UTC) - state.finished_at).total_seconds()
                if age < self.recrawl_after:  # crawled recently: nothing more right now
                    return FetchResult(cursor=cursor, exhausted=True)
            run = self._run_for(state.since)
            offset = 0 if state.run is None or state.run != run.run_id else state.offset
        else:
            offset = state.offset
        return self._serve(run, state.since, offset, limit)

    def _serve(self, run: SpiderRun, since: datetime | None, offset: int, limit: int) -> FetchResult:
        mentions: list[RawMention] = []
        rejected: list[Rejected] = []
        position = offset
        while len(mentions) < limit:
            run.wait_for(position + 1)
            with run._cond:
                available = run.journal[position:]
            if not available:
                break
            for item in available:
                if isinstance(item, RawMention):
                    if len(mentions) == limit:
                        break
                    mentions.append(item)
                else:
                    rejected.append(item)
                position += 1
        with run._cond:
            finished = run.done and position >= len(run.journal)
        if finished and run.error:
            self._record(run, since)
            self._forget(run)
            raise SourceUnavailable(run.error, details={"source": self.name, "run": run.run_id})
        if finished:
            self._record(run, since)
            value: dict[str, Any] = {
                "since": _iso(self._watermark(run, since)),
                "finished_at": _iso(run.finished_at),
            }
        else:
            value = {"since": _iso(since), "run": run.run_id, "offset": position}
        cursor = SourceCursor(source=self.name, value=json.dumps(value, sort_keys=True))
        return FetchResult(
            mentions=tuple(mentions), rejected=tuple(rejected), cursor=cursor, exhausted=finished
        )

    # --- runs --------------------------------------------------------------------------------------
    def _run_for(self, since: datetime | None) -> SpiderRun:
        """The run crawling from `since`: one in flight (or finished recently) is reused."""
        start = _iso(since)
        now = datetime.now(UTC)
        with self._lock:
            for run_id, run in list(self._runs.items()):
                if run.finished_at and (now - run.finished_at).total_seconds() > self.recrawl_after:
                    run.close()
                    del self._runs[run_id]
            for run in self._runs.values():
                if run.spec.source == self.name and run.start_since == start and not run.error:
                    return run
            args = dict(self.args)
            if since is not None:
                args["since"] = _iso(since - timedelta(seconds=self.overlap))
            spec = RunSpec(
                spider=self.spider,
                source=self.name,
                args=args,
                crawl=self.crawl.model_dump(mode="json"),
                scrapy=self.scrapy,
            )
            run = SpiderRun(
                spec, start_since=start, idle_timeout=self.idle_timeout, dedup=self.dedup.apply
            ).start()
            self._runs[run.run_id] = run
            return run

    def _forget(self, run: SpiderRun) -> None:
        with self._lock:
            self._runs.pop(run.run_id, None)
        run.close()

    def _watermark(self, run: SpiderRun, since: datetime | None) -> datetime | None:
        ceiling = run.finished_at or datetime.now(UTC)  # a misread future date must not stall the source
        dates = [
            m.published_at for m in run.journal if isinstance(m, RawMention) and m.published_at <= ceiling
        ]
        return max([d for d in (since, *dates) if d is not None], default=None)

    def _record(self, run: SpiderRun, since: datetime | None) -> None:
        if self.health is None or getattr(run, "_recorded", False):
            return
        run._recorded = True  # type: ignore[attr-defined]
        stats = run.stats or {}
        mentions = [m for m in run.journal if isinstance(m, RawMention)]
        # pages that failed (errback), pages given up after rate limits, exceptions in callbacks
        errors = int(stats.get("earful/page_errors", 0)) + int(stats.get("spider_exceptions/count", 0))
        self.health.record(
            self.name,
            RunRecord(
                started_at=run.started_at,
                finished_at=run.finished_at or datetime.now(UTC),
                ok=run.error is None,
                items=len(mentions),
                rejected=len(run.journal) - len(mentions),
                errors=errors,
                pages=int(stats.get("response_received_count", 0)),
                newest_item_at=self._watermark(run, None),
                error=run.error[:1000] if run.error else None,
            ),
        )

    def _parse(self, cursor: SourceCursor | None) -> _Cursor:
        if cursor is None or not cursor.value:
            return _Cursor()
        try:
            return _Cursor.model_validate_json(cursor.value)
        except ValidationError as exc:
            raise SourceError(f"source {self.name!r}: unreadable cursor {cursor.value!r}") from exc

    def close(self) -> None:
        """Stop this source's runs (a flow calls it when it is done with the source)."""
        with self._lock:
            mine = [r for r in self._runs.values() if r.spec.source == self.name]
            for run in mine:
                del self._runs[run.run_id]
        for run in mine:
            run.close()

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            runs = list(cls._runs.values())
            cls._runs.clear()
        for run in runs:
            run.close()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


if __name__ == "__main__":
    sys.exit(_child_main())
