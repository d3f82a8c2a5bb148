"""bench/alert_latency.py: its statistics (percentiles, duplicates, lost alerts), what it computes as
expected, and the real parts it drives (the file source over an appended feed, the timed webhook
receiver, stopping the listener's process group)."""

from __future__ import annotations

import math
import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.channels import build_channel
from alerts.testing import make_alert_message
from bench.alert_latency import (
    CHANNEL,
    COMPLAINT_QUERY,
    Arrival,
    Emitter,
    Feed,
    StoreView,
    TimedWebhookReceiver,
    bench_rules,
    complaint_rule,
    cpu_seconds,
    feed_line,
    peak_rss_kib,
    percentile,
    read_store,
    stages,
    stop_process_group,
    stop_window,
    tally,
)
from core.ids import alert_hit_id
from core.models import DEFAULT_WORKSPACE, EnrichedMention, Intent, IntentLabel, RawMention
from core.settings import Settings
from crawlers.sources.file import FieldMapping, FileSource
from index.backends.sqlite import SQLiteMentionStore


# --- statistics ------------------------------------------------------------------------------------
def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)  # numpy.percentile(..., 95) gives the same
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="within 0 and 100"):
        percentile(values, 101)


def test_tally_counts_received_duplicated_lost_and_unexpected() -> None:
    expected = {"a": 100.0, "b": 100.5, "c": 101.0}
    arrivals = [
        Arrival("a", 101.0),
        Arrival("a", 103.0),  # a retry of a delivery that had arrived: a duplicate
        Arrival("b", 104.5),
        Arrival("b", 102.0),  # out of order: the first arrival counts, not the first recorded
        Arrival("x", 102.0),  # not expected
        Arrival("c", 102.0, verified=False),  # a bad signature counts as rejected, not as arrived
        Arrival("warm", 99.0),
    ]
    t = tally(expected, arrivals, ignore=frozenset({"warm"}))
    assert (t.expected, t.received, t.duplicated, t.lost, t.unexpected, t.rejected) == (3, 2, 2, 1, 1, 1)
    assert sorted(t.latencies) == [1.0, 1.5]
    assert t.lost_ids == ("c",)
    assert t.p(50) == 1.25


def test_tally_of_a_perfect_run() -> None:
    expected = {str(i): float(i) for i in range(100)}
    t = tally(expected, [Arrival(str(i), i + 0.01 * i) for i in range(100)])
    assert (t.received, t.duplicated, t.lost, t.unexpected, t.rejected) == (100, 0, 0, 0, 0)
    assert t.p(99) == pytest.approx(0.9801)
    empty = tally({}, [])
    assert (empty.expected, empty.lost) == (0, 0)
    assert math.isnan(empty.p(95))


def test_the_receiver_stops_in_the_middle_of_the_emission() -> None:
    assert stop_window(60, 20) == (20, 40)
    assert stop_window(10, 20) == (0, 10)  # never outside the emission
    with pytest.raises(ValueError, match="positive"):
        stop_window(60, 0)


# --- what is emitted and what is expected ----------------------------------------------------------
def test_feed_lines_carry_their_emission_time_and_the_mix() -> None:
    rng = random.Random(3)
    at = 1_765_000_000.25
    lines = [feed_line(rng, i, at, complaints=0.1, chinese=0.3) for i in range(2000)]
    assert lines[0]["id"] == "e0000000-1765000000250"
    assert datetime.fromisoformat(lines[0]["published_at"]) == datetime.fromtimestamp(at, UTC)
    complaints = sum(line["complaint"] for line in lines) / len(lines)
    chinese = sum(line["lang"] == "zh" for line in lines) / len(lines)
    assert 0.08 < complaints < 0.12
    assert 0.27 < chinese < 0.33
    assert len({line["id"] for line in lines}) == len(lines)


def test_the_file_source_reads_what_the_feed_appends(tmp_path: Path) -> None:
    """The bench's premise: the file source resumes from its cursor and sees lines appended since."""
    feed = Feed(tmp_path / "feed.jsonl")
    source = FileSource("bench-feed", feed.path, platform="bench", mapping=FieldMapping(**Feed.MAPPING))
    rng = random.Random(1)
    try:
        first = [feed.append(feed_line(rng, i, time.time(), complaints=0.5, chinese=0.3)) for i in range(3)]
        got = source.fetch(None, 100)
        assert [m.native_id for m in got.mentions] == [e.native_id for e in first]
        assert [m.id for m in got.mentions] == [e.mention_id for e in first]
        assert source.fetch(got.cursor, 100).mentions == ()  # nothing new yet
        more = [feed.append(feed_line(rng, i, time.time(), complaints=0.5, chinese=0.3)) for i in (3, 4)]
        again = source.fetch(got.cursor, 100)
        assert [m.native_id for m in again.mentions] == [e.native_id for e in more]
        assert again.rejected == ()
        # A new source object (a restarted listener) resumes from the saved cursor alone.
        fresh = FileSource("bench-feed", feed.path, platform="bench", mapping=FieldMapping(**Feed.MAPPING))
        assert [m.id for m in fresh.fetch(got.cursor, 100).mentions] == [m.id for m in again.mentions]
    finally:
        feed.close()


def test_the_emitter_keeps_its_rate(tmp_path: Path) -> None:
    feed = Feed(tmp_path / "feed.jsonl")
    emitter = Emitter(feed, rate=50, seconds=0.4, seed=1, complaints=0.1, chinese=0.3)
    emitter.start()
    emitter.join(timeout=10)
    feed.close()
    assert len(emitter.emitted) == 20
    assert len(feed.path.read_text(encoding="utf-8").splitlines()) == 20
    spread = emitter.emitted[-1].emitted_at - emitter.emitted[0].emitted_at
    assert 0.3 < spread < 1.5  # 19 intervals of 20 ms, on a busy machine


def test_only_the_complaint_rule_is_delivered() -> None:
    rules = bench_rules(25)
    assert len(rules) == len({r.id for r in rules}) == 25
    assert rules[0].id == complaint_rule().id
    assert rules[0].query == COMPLAINT_QUERY
    assert rules[0].channels == (CHANNEL,)
    assert all(r.channels == () and r.kind == "every_match" for r in rules[1:])


def test_expected_alerts_are_the_stored_mentions_the_rule_matches(tmp_path: Path) -> None:
    feed = Feed(tmp_path / "feed.jsonl")
    rng = random.Random(2)
    emitted = [feed.append(feed_line(rng, i, time.time(), complaints=0.5, chinese=0.3)) for i in range(4)]
    feed.close()
    complaint = (Intent(label=IntentLabel.complaint, confidence=0.9),)
    stored = [
        EnrichedMention.from_raw(
            RawMention(
                platform="bench",
                native_id=e.native_id,
                source="bench-feed",
                text="text",
                published_at=datetime.now(UTC),
            ),
            lang="en",
            intents=complaint if i % 2 == 0 else (),
        )
        for i, e in enumerate(emitted[:3])  # the fourth is not indexed (yet)
    ]
    other = EnrichedMention.from_raw(stored[0].to_raw().model_copy(update={"native_id": "elsewhere"}))
    settings = Settings(home=tmp_path / "home")
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        store.ensure_ready()
        store.upsert([*stored, other.model_copy(update={"intents": complaint})])
    rule = complaint_rule()
    view = read_store(settings.home, {e.mention_id: e for e in emitted}, rule)
    assert view.indexed == 3  # not `other`: it is not of this emission
    assert view.expected == {
        alert_hit_id(rule.id, "", emitted[0].mention_id): emitted[0].emitted_at,
        alert_hit_id(rule.id, "", emitted[2].mention_id): emitted[2].emitted_at,
    }
    assert set(view.collected) == set(view.expected)


# --- the real parts it drives ----------------------------------------------------------------------
def test_the_receiver_times_verified_deliveries_and_comes_back_on_its_port(tmp_path: Path) -> None:
    with TimedWebhookReceiver("bench-secret-0123456789") as receiver:
        channel = build_channel(receiver.channel_config(), Settings(home=tmp_path))
        try:
            before = time.time()
            assert channel.send(make_alert_message(alert_id="alert-1")).ok
            url = receiver.url
            receiver.stop()
            assert not channel.send(make_alert_message(alert_id="alert-2")).ok  # refused: retried later
            receiver.start()
            assert receiver.url == url
            assert channel.send(make_alert_message(alert_id="alert-2")).ok
        finally:
            channel.close()
        forged = build_channel({**receiver.channel_config(), "secret": "another-secret-0123456"}, Settings())
        try:
            assert not forged.send(make_alert_message(alert_id="alert-3")).ok
        finally:
            forged.close()
    arrivals = receiver.snapshot()
    assert [(a.alert_id, a.verified) for a in arrivals] == [
        ("alert-1", True),
        ("alert-2", True),
        ("alert-3", False),
    ]
    assert before <= arrivals[0].at <= arrivals[1].at <= time.time()


def test_peak_memory_is_read_from_proc() -> None:
    peak = peak_rss_kib(os.getpid())
    assert peak is not None
    assert peak > 10_000  # KiB: a Python process with pydantic loaded
    assert peak_rss_kib(2**22 + 12345) is None  # no such process


def test_stopping_the_listener_stops_its_whole_process_group() -> None:
    """A listener that ignores SIGINT and leaves a child behind: both end, nothing keeps running."""
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN);"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(child.pid, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    started = time.monotonic()
    stop_process_group(proc, grace=0.5)
    proc.stdout.close()
    assert proc.returncode is not None
    assert time.monotonic() - started < 15
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        state = (
            Path(f"/proc/{child}/stat").read_text().split()[2]
            if Path(f"/proc/{child}/stat").exists()
            else "X"
        )
        if state == "Z":  # killed, waiting for init to reap it
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"


@pytest.mark.slow
def test_the_whole_benchmark_with_tiny_numbers() -> None:
    """Both runs, end to end (a real `earful listen --follow`, the quick tagger, the receiver stopped for a
    second): every expected alert arrives once, the last line is the normal run's p95, and nothing the
    benchmark started is left running."""
    script = Path(__file__).resolve().parents[2] / "bench" / "alert_latency.py"
    args = ["--rate", "5", "--seconds", "3", "--rules", "10", "--tagger", "lexicon", "--complaints", "0.5"]
    done = subprocess.run(
        [sys.executable, str(script), *args, "--stop-receiver", "1", "--drain", "30"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "EARFUL_ALERTS__DISPATCH__BASE_DELAY=0.5" in out.splitlines()[0]
    runs = re.findall(
        r"alerts: expected=(\d+) received=(\d+) duplicated=(\d+) lost=(\d+) unexpected=(\d+)", out
    )
    assert len(runs) == 2, out
    for expected, received, duplicated, lost, unexpected in runs:
        assert int(expected) > 0, out
        assert (received, duplicated, lost, unexpected) == (expected, "0", "0", "0"), out
    assert out.count("lost=0 duplicated=0") == 2
    assert "receiver back on the same port" in out
    assert re.search(r"peak memory \(VmHWM\): \d+ MiB", out)
    p95 = re.fullmatch(r"alert_p95_s=(\d+\.\d+)", out.strip().splitlines()[-1])
    assert p95 is not None, out
    normal = re.search(r"== normal run\n.*\n  latency emission -> receipt: .*p95 (\d+\.\d+) s", out)
    assert normal is not None, out
    assert float(p95.group(1)) == pytest.approx(float(normal.group(1)), abs=0.01)
    homes = set(re.findall(r"\(log (\S+)/listener\.log\)", out))
    assert len(homes) == 2
    for home in homes:
        assert not Path(home).exists()  # removed
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                assert home not in cmdline.read_text(errors="replace"), cmdline
            except OSError:  # the process ended meanwhile
                continue


def test_the_receiver_adds_no_delayed_ack_stall(tmp_path: Path) -> None:
    """A reply in two writes without TCP_NODELAY waits 40 ms for the client's delayed ACK: on a burst of
    alerts that would be the receiver's latency, not Earful's."""
    with TimedWebhookReceiver("bench-secret-0123456789") as receiver:
        channel = build_channel(receiver.channel_config(), Settings(home=tmp_path))
        try:
            assert channel.send(make_alert_message(alert_id="warm")).ok
            started = time.perf_counter()
            for i in range(20):
                assert channel.send(make_alert_message(alert_id=f"a{i}")).ok
            elapsed = time.perf_counter() - started
        finally:
            channel.close()
    assert elapsed < 0.6  # 20 x 40 ms = 0.8 s with the stall; about 2 ms a request without


def test_latency_is_cut_at_the_fetch_and_the_tagging() -> None:
    view = StoreView(
        indexed=2,
        expected={"a": 100.0, "b": 100.0},
        collected={"a": 100.5, "b": 101.0},
        enriched={"a": 102.0, "b": 102.0},
    )
    cut = stages(view, {"a": 103.0})  # b never arrived: not in the stages
    assert cut == {"emission -> fetch": (0.5,), "fetch -> tagged": (1.5,), "tagged -> receipt": (1.0,)}


def test_cpu_time_is_read_from_proc() -> None:
    began = cpu_seconds(os.getpid())
    assert began is not None
    sum(i * i for i in range(2_000_000))  # some CPU
    now = cpu_seconds(os.getpid())
    assert now is not None
    assert now > began
    assert cpu_seconds(2**22 + 12345) is None
