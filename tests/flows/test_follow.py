"""`listen --follow` (flows/follow.py) over in-test sources and the real SQLite store, on a fake clock
that never sleeps: a platform that publishes over time, per-source intervals, micro-batches flushed
by size and by age, a failing source, a store outage and its spool, the hooks, stopping."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from core.errors import ConfigError, SourceUnavailable
from core.models import DEFAULT_WORKSPACE, EnrichedMention, RawMention, SourceCursor
from core.settings import Settings
from crawlers.base import FetchResult
from crawlers.health import HealthStore
from flows.cli.run import listen_cmd
from flows.follow import FollowReport, run_follow, stop_on_signals
from flows.sources_config import SourcesConfig
from flows.spool import Spool
from flows.wiring import build_enricher
from index.backends.sqlite import SQLiteMentionStore
from tests.flows.helpers import MAPPING, REJECTED_LOCATORS, VALID, FlakyStore, make_settings, write_export

T0 = 1000.0
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """Time moves only when the loop waits (or a source says a fetch took a while); actions scheduled
    at a time run once the clock passes it."""

    def __init__(self) -> None:
        self.t = T0
        self.actions: list[tuple[float, Callable[[], None]]] = []

    def now(self) -> float:
        return self.t

    def at(self, seconds: float, action: Callable[[], None]) -> None:
        self.actions.append((T0 + seconds, action))

    def wait(self, stop: threading.Event, seconds: float | None) -> bool:
        if stop.is_set():
            return True
        assert seconds is not None, "the loop would wait forever"
        self.t += seconds
        for when, action in [a for a in self.actions if a[0] <= self.t]:
            self.actions.remove((when, action))
            action()
        return stop.is_set()


class Ticker:
    """A platform that has `initial` mentions and publishes one more every `every` seconds of the
    clock; the cursor is the number of mentions fetched. Records when it was polled."""

    def __init__(self, name: str, clock: FakeClock, *, initial: int = 0, every: float = 1e9) -> None:
        self.name, self.clock, self.initial, self.every = name, clock, initial, every
        self.polls: list[float] = []
        self.fetched_at: dict[str, float] = {}
        self.closed = False
        self.on_fetch: Callable[[int], None] | None = None

    def published(self) -> int:
        return self.initial + int((self.clock.now() - T0) // self.every)

    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        self.polls.append(self.clock.now())
        if self.on_fetch is not None:
            self.on_fetch(len(self.polls))
        after = int(cursor.value) if cursor and cursor.value else 0
        upto = min(self.published(), after + limit)
        mentions = tuple(self._mention(i) for i in range(after + 1, upto + 1))
        for mention in mentions:
            self.fetched_at[mention.id] = self.clock.now()
        return FetchResult(
            mentions=mentions,
            cursor=SourceCursor(source=self.name, value=str(upto)),
            exhausted=upto >= self.published(),
        )

    def _mention(self, i: int) -> RawMention:
        return RawMention(
            platform="test",
            native_id=f"{self.name}-{i}",
            source=self.name,
            text=f"the battery died again, refund please ({i})",
            published_at=EPOCH + timedelta(minutes=i),
        )

    def close(self) -> None:
        self.closed = True


class Broken:
    def __init__(self, name: str, clock: FakeClock) -> None:
        self.name, self.clock = name, clock
        self.polls: list[float] = []

    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        self.polls.append(self.clock.now())
        raise SourceUnavailable("the platform is down")


class Announced:
    """An after_write hook that records what it got and when."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.batches: list[list[str]] = []
        self.times: list[float] = []

    def __call__(self, mentions: Sequence[EnrichedMention]) -> None:
        self.batches.append([m.id for m in mentions])
        self.times.append(self.clock.now())

    @property
    def ids(self) -> list[str]:
        return [i for batch in self.batches for i in batch]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _settings(tmp_path: Path, **listen: Any) -> Settings:
    defaults = {"poll_interval": 5.0, "flush_age": 0.5, "flush_size": 200, "failure_backoff": 1.0}
    return make_settings(tmp_path / "home", listen={**defaults, **listen})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteMentionStore]:
    with SQLiteMentionStore(_settings(tmp_path), workspace=DEFAULT_WORKSPACE) as s:
        yield s


def _follow(
    settings: Settings, store: Any, clock: FakeClock, sources: dict[str, Any], **kwargs: Any
) -> FollowReport:
    enricher = build_enricher(settings, workspace=DEFAULT_WORKSPACE)
    try:
        return run_follow(sources, enricher, store, settings, clock=clock, **kwargs)
    finally:
        enricher.close()


def _stored(store: SQLiteMentionStore) -> list[str]:
    ids = [m.id for m in store.export()]
    assert len(ids) == len(set(ids))
    return sorted(ids)


def test_new_mentions_are_indexed_and_announced_within_flush_age(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path)
    ticker = Ticker("feed", clock, initial=7, every=10)  # batch_size 3: a backlog of 3 batches
    announced = Announced(clock)
    report = _follow(settings, store, clock, {"feed": ticker}, follow_for=60, after_write=announced)

    assert report.stopped_by == "limit"
    assert ticker.polls[:3] == [T0] * 3  # a full batch: polled again at once until caught up
    fetched = sorted(ticker.fetched_at)
    assert len(fetched) >= 7 + 5  # the backlog, then what it published while followed
    assert _stored(store) == fetched
    assert sorted(announced.ids) == fetched  # each stored mention announced once
    by_id = dict(
        zip(
            announced.ids,
            [t for b, t in zip(announced.batches, announced.times, strict=True) for _ in b],
            strict=True,
        )
    )
    latency = max(by_id[i] - ticker.fetched_at[i] for i in fetched)
    assert latency <= settings.listen.flush_age
    cursor = store.load_cursor("feed")
    assert cursor is not None
    assert cursor.value == str(len(fetched))
    assert report.source("feed").cursor == cursor.value
    assert (report.source("feed").indexed, report.source("feed").fetched) == (len(fetched), len(fetched))
    assert ticker.closed
    assert HealthStore(settings.home / "health", workspace=DEFAULT_WORKSPACE).get("feed").runs >= 2


def test_each_source_waits_its_own_interval_once_caught_up(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, poll_interval=2.0)
    fast, slow = Ticker("fast", clock), Ticker("slow", clock)
    _follow(settings, store, clock, {"fast": fast, "slow": slow}, intervals={"slow": 30.0}, follow_for=100)

    def gaps(polls: list[float]) -> list[float]:
        return [b - a for a, b in pairwise(polls)]

    assert set(gaps(slow.polls)) == {30.0}
    assert len(slow.polls) == 4  # at 0, 30, 60 and 90 s
    assert set(gaps(fast.polls)) == {2.0}
    assert len(fast.polls) == 50


def test_micro_batches_flush_by_size_at_once(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, flush_size=4, flush_age=100)
    announced = Announced(clock)
    _follow(
        settings,
        store,
        clock,
        {"feed": Ticker("feed", clock, initial=10)},
        follow_for=10,
        after_write=announced,
    )
    assert [len(b) for b in announced.batches] == [6, 4]  # 3+3 reach 4; then 3+1, caught up, reach 4
    assert announced.times == [T0, T0]


def test_micro_batches_flush_by_age_across_sources(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, flush_age=3)
    announced = Announced(clock)
    sources = {"a": Ticker("a", clock, initial=2), "b": Ticker("b", clock, initial=1)}
    _follow(settings, store, clock, sources, follow_for=10, after_write=announced)
    assert [sorted(b) for b in announced.batches] == [
        sorted([*sources["a"].fetched_at, *sources["b"].fetched_at])
    ]
    assert announced.times == [T0 + 3]  # one micro-batch of both sources, enriched and upserted once
    assert store.count() == 3


def test_a_failing_source_backs_off_and_never_stops_the_others(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, max_failure_backoff=8.0)
    broken, ticker = Broken("broken", clock), Ticker("feed", clock, initial=4, every=5)
    report = _follow(settings, store, clock, {"broken": broken, "feed": ticker}, follow_for=40)

    assert [b - a for a, b in pairwise(broken.polls)] == [1, 2, 4, 8, 8, 8, 8]
    failing = report.source("broken")
    assert (failing.status, failing.failures, failing.polls) == ("failing", 8, 8)
    assert "the platform is down" in (failing.last_error or "")
    health = HealthStore(settings.home / "health", workspace=DEFAULT_WORKSPACE).get("broken")
    assert health.consecutive_failures == 8
    assert _stored(store) == sorted(ticker.fetched_at)
    assert report.source("feed").indexed == len(ticker.fetched_at) >= 4 + 7


def test_stop_finishes_the_micro_batch_in_flight_saves_cursors_and_joins_background(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, flush_age=100)
    stop = threading.Event()
    ticker = Ticker("feed", clock, initial=5)
    ticker.on_fetch = lambda n: stop.set() if n == 2 else None  # Ctrl-C during the second fetch
    seen: list[object] = []

    def dispatcher(event: threading.Event) -> None:
        seen.append(threading.current_thread())
        assert event.wait(10), "never told to stop"
        seen.append(store.count())  # told to stop after the last flush: it can send what it produced

    def crashing(event: threading.Event) -> None:
        raise RuntimeError("background bug")

    report = _follow(settings, store, clock, {"feed": ticker}, stop=stop, background=[dispatcher, crashing])

    assert report.stopped_by == "stop"
    assert clock.now() == T0  # no waiting for flush_age: the buffer was flushed on the way out
    assert store.count() == 5
    assert store.load_cursor("feed").value == "5"  # type: ignore[union-attr]
    assert ticker.closed
    thread = seen[0]
    assert isinstance(thread, threading.Thread)
    assert not thread.is_alive()
    assert thread.daemon
    assert seen[1] == 5
    assert report.background_errors == 1


def test_sigterm_stops_the_loop_like_the_stop_event(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, flush_age=100)
    ticker = Ticker("feed", clock, initial=4)
    ticker.on_fetch = lambda n: signal.raise_signal(signal.SIGTERM) if n == 1 else None
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(threading.Event()) as stop:
        report = _follow(settings, store, clock, {"feed": ticker}, stop=stop, follow_for=60)
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back
    assert report.stopped_by == "stop"
    assert len(ticker.polls) == 1
    assert store.load_cursor("feed").value == "3"  # type: ignore[union-attr]


def test_a_failing_after_write_is_counted_and_loses_nothing(
    tmp_path: Path, store: SQLiteMentionStore, clock: FakeClock
) -> None:
    settings = _settings(tmp_path)
    calls: list[int] = []

    def hook(mentions: Sequence[EnrichedMention]) -> None:
        calls.append(len(mentions))
        raise RuntimeError("alerting bug")

    ticker = Ticker("feed", clock, initial=2, every=10)
    report = _follow(settings, store, clock, {"feed": ticker}, follow_for=30, after_write=hook)
    assert report.hook_errors == len(calls) == 3  # t=0, 10, 20: the loop went on after each
    assert _stored(store) == sorted(ticker.fetched_at)
    assert store.load_cursor("feed").value == "4"  # type: ignore[union-attr]


def test_store_outage_spools_moves_cursors_then_drains_everything_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = _settings(tmp_path, max_failure_backoff=4.0)
    announced = Announced(clock)
    ticker = Ticker("feed", clock, initial=4, every=3)
    with FlakyStore(settings, fail_always=True) as flaky:
        spool = Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE)
        states: list[tuple[int, str | None]] = []

        def back() -> None:
            states.append((len(spool.pending()), flaky.load_cursor("feed").value))  # type: ignore[union-attr]
            flaky.fail_always = False

        clock.at(20, back)
        report = _follow(settings, flaky, clock, {"feed": ticker}, follow_for=40, after_write=announced)

        spooled, cursor_while_down = states[0]
        assert spooled >= 3  # one file per micro-batch while the store was down
        assert int(cursor_while_down or 0) >= 4 + 5  # durably spooled: the cursor moved on
        assert report.source("feed").spooled > 0
        assert report.drained_files >= spooled  # and any spooled behind them before the drain
        assert report.spool_waiting == 0
        assert not spool.pending()
        fetched = sorted(ticker.fetched_at)
        assert _stored(flaky) == fetched  # nothing lost
        assert sorted(announced.ids) == fetched  # each announced once: spooled ones when drained
        assert flaky.load_cursor("feed").value == str(len(fetched))  # type: ignore[union-attr]
        assert report.source("feed").failures == 0  # a store outage is not the source's failure


def test_while_the_spool_waits_newer_batches_queue_behind_it(tmp_path: Path, clock: FakeClock) -> None:
    """A batch written before older spooled ones would be overwritten by them when they are replayed."""
    settings = _settings(tmp_path, failure_backoff=10.0)
    upserts: list[list[str]] = []

    class Recording(FlakyStore):
        def upsert(self, mentions: Sequence[EnrichedMention], policy: Any = None) -> Any:
            upserts.append([m.native_id for m in mentions])
            return super().upsert(mentions) if policy is None else super().upsert(mentions, policy)

    with Recording(settings, fail_on={1}) as store:  # down for the first upsert only
        ticker = Ticker("feed", clock, initial=2, every=3)
        report = _follow(settings, store, clock, {"feed": ticker}, follow_for=12)
        # t=0.5: the upsert fails, spooled, next drain at 10.5. t=5.5: feed-3 is spooled behind it
        # without trying the store. t=10.5: both files drained, oldest first, then the new batch.
        assert upserts == [["feed-1", "feed-2"], ["feed-1", "feed-2"], ["feed-3"], ["feed-4", "feed-5"]]
        assert (report.drained_files, report.drained_mentions) == (2, 3)
        assert _stored(store) == sorted(ticker.fetched_at)


def test_store_down_to_the_end_keeps_the_spool_for_the_next_run(tmp_path: Path, clock: FakeClock) -> None:
    settings = _settings(tmp_path)
    with FlakyStore(settings, fail_always=True) as flaky:
        first = _follow(settings, flaky, clock, {"feed": Ticker("feed", clock, initial=5)}, follow_for=5)
        assert first.spool_waiting == 1
        assert flaky.count() == 0
        flaky.fail_always = False
        announced = Announced(clock)
        again = _follow(
            settings,
            flaky,
            clock,
            {"feed": Ticker("feed", clock, initial=5)},
            follow_for=5,
            after_write=announced,
        )
        assert again.drained_mentions == 5
        assert again.source("feed").fetched == 0
        assert flaky.count() == 5
        assert len(announced.ids) == 5


# --- the sources file and the command --------------------------------------------------------------
def test_poll_interval_is_the_flows_not_a_source_option(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {name: a, type: file, path: a.csv, poll_interval: 30s}\n"
        "  - {name: b, type: file, path: b.csv, poll_interval: 5m}\n"
        "  - {name: c, type: file, path: c.csv, poll_interval: 45}\n"
        "  - {name: d, type: file, path: d.csv}\n",
        encoding="utf-8",
    )
    config = SourcesConfig.load(path)
    assert config.poll_intervals == {"a": 30.0, "b": 300.0, "c": 45.0}
    assert "poll_interval" not in config.sources[0].options
    path.write_text("sources:\n  - {name: a, type: file, poll_interval: soon}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="poll_interval"):
        SourcesConfig.load(path)


def test_listen_follow_for_a_few_seconds_from_the_command_line(tmp_path: Path) -> None:
    write_export(tmp_path)
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: export\n    type: file\n    path: export.csv\n    poll_interval: 0.2s\n"
        f"    mapping: {json.dumps(MAPPING)}\n",
        encoding="utf-8",
    )
    app = typer.Typer()
    app.command("listen")(listen_cmd)
    app.command("other")(lambda: None)  # a group, as under the `earful` root
    home = tmp_path / "h"
    args = ["listen", "--follow", "--for", "1.5", "--config", str(config), "--home", str(home), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stopped_by"] == "limit"
    (source,) = report["sources"]
    assert (source["indexed"], source["rejected"], source["failures"]) == (VALID, len(REJECTED_LOCATORS), 0)
    assert source["polls"] >= 4  # 3 batches at once, then every 0.2 s
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as stored:
        assert stored.count() == VALID

    result = CliRunner().invoke(app, ["listen", "--for", "2", "--config", str(config), "--home", str(home)])
    assert result.exit_code == 2
    assert "--follow" in result.output
