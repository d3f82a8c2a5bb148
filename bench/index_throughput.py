"""Indexing throughput: Earful's Elasticsearch writer against raw `_bulk`, and the SQLite store.

    .venv/bin/python bench/index_throughput.py [-n 100000] [--es-url URL] [--batch 500] [--rounds 3]

In one run, on the same synthetic mentions (deterministic, generated in-process before any timing):

(a) raw `_bulk`: the exact request bodies Earful's writer would send (same NDJSON bytes, same chunking,
    serialised *before* the clock starts), POSTed one after the other with the client's
    `perform_request`: the ceiling, what Elasticsearch itself can take at this concurrency;
(b) Earful: `ElasticsearchMentionStore.upsert` in batches of ``--batch`` (as the listen flow calls it),
    so serialisation and text analysis are inside the clock;
(c) the SQLite store, same batches.

Both Elasticsearch runs send one request at a time, into fresh indices made from the same template
with the same settings (refresh off while loading: no periodic refresh, no refresh parameter), after
a common warm-up. The last line is ``ratio_vs_raw_bulk=<b/a>``. Without --es-url (or
EARFUL_TEST_ES_URL) a throwaway node is started with index/esnode.py and stopped after.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._support import add_es_url_argument, elasticsearch_url  # noqa: E402
from core.models import (  # noqa: E402
    DEFAULT_WORKSPACE,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    ModelRef,
    Sentiment,
    SentimentLabel,
)
from core.settings import ElasticsearchSettings, Settings  # noqa: E402

# --- synthetic mentions --------------------------------------------------------------------------
_SYLLABLES = ("ka", "lo", "mi", "ter", "on", "ba", "shi", "ru", "ven", "da", "pol", "ex", "qui", "zen", "ar")
_COMMON = (
    "the", "a", "is", "was", "and", "of", "to", "my", "this", "it", "for", "not", "with", "but", "very",
    "battery", "sound", "screen", "app", "support", "refund", "delivery", "love", "hate", "great",
    "terrible", "broken", "works", "again", "never", "always", "price", "quality", "headphones",
    "speaker", "charger", "watch", "update", "crashed", "pairing", "customer", "service", "waiting",
    "days", "weeks", "return", "order",
)  # fmt: skip
# 600 Han characters spread over the block: Chinese text draws on a small alphabet, like this one.
_HAN = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 20_000, 33))[:600]


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    words = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


def synthetic_mentions(n: int, seed: int = 42) -> list[EnrichedMention]:
    """``n`` deterministic mentions: 75% English-like (20-60 words), 25% Chinese (30-120 characters),
    with authors, hashtags, sentiments, intents, some customer links, over 90 days."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    model = ModelRef(name="lexicon", version="1.0")
    labels = list(SentimentLabel)
    intents = list(IntentLabel)
    out: list[EnrichedMention] = []
    for i in range(n):
        chinese = rng.random() < 0.25
        if chinese:
            text = "".join(rng.choice(_HAN) for _ in range(rng.randint(30, 120)))
            title = (
                "".join(rng.choice(_HAN) for _ in range(rng.randint(4, 12))) if rng.random() < 0.3 else None
            )
        else:
            words = [
                rng.choice(_COMMON) if rng.random() < 0.4 else rng.choice(vocab)
                for _ in range(rng.randint(20, 60))
            ]
            text = " ".join(words).capitalize() + "."
            title = (
                " ".join(rng.choice(vocab) for _ in range(rng.randint(2, 6))).title()
                if rng.random() < 0.3
                else None
            )
        platform = rng.choice(("twitter", "reddit", "weibo", "web", "appstore"))
        published = base + timedelta(seconds=rng.randrange(90 * 86400), microseconds=rng.randrange(10**6))
        handle = f"user{rng.randrange(20_000)}"
        out.append(
            EnrichedMention(
                platform=platform,
                native_id=f"bench-{seed}-{i}",
                source=f"{platform}-source",
                text=text,
                title=title,
                url=f"https://{platform}.example.com/p/{i}",
                site=f"{platform}.example.com",
                author=Author(
                    platform=platform, handle=handle, native_id=f"id-{handle}", followers=rng.randrange(10**5)
                ),
                published_at=published,
                collected_at=published + timedelta(minutes=rng.randrange(1, 600)),
                country=rng.choice(("US", "GB", "CN", "SG", None)),
                rating=float(rng.randrange(1, 6)) if platform == "appstore" else None,
                product=rng.choice(("headphones", "speaker", "watch", "charger")),
                hashtags=tuple(sorted({rng.choice(vocab) for _ in range(rng.randrange(4))})),
                mentions=tuple(f"brand{rng.randrange(50)}" for _ in range(rng.randrange(2))),
                metadata={"likes": rng.randrange(1000), "lang_source": "bench"},
                lang="zh" if chinese else "en",
                sentiment=Sentiment(
                    label=rng.choice(labels), score=round(rng.uniform(-1, 1), 3), confidence=0.8
                ),
                intents=tuple(
                    Intent(label=label, confidence=0.7) for label in rng.sample(intents, rng.randrange(3))
                ),
                customer=CustomerLink(customer_id=f"c{rng.randrange(500)}", confidence=0.9, method="handle")
                if rng.random() < 0.2
                else None,
                models=(model,),
                enriched_at=published + timedelta(hours=1),
            )
        )
    return out


def batches(items: Sequence[EnrichedMention], size: int) -> Iterator[Sequence[EnrichedMention]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the measurements ----------------------------------------------------------------------------
def _settings(url: str, prefix: str, chunk: int) -> Settings:
    es = ElasticsearchSettings(
        hosts=[url], index_prefix=prefix, refresh="false", bulk_chunk_size=chunk, request_timeout=120
    )
    return Settings(elasticsearch=es)


def _fresh_store(url: str, prefix: str, chunk: int) -> Any:
    from index.backends.elasticsearch import ElasticsearchMentionStore

    store = ElasticsearchMentionStore(_settings(url, prefix, chunk), workspace=DEFAULT_WORKSPACE)
    _drop(store, prefix)
    store.ensure_ready()
    # Refresh off while loading, as bulk loads are run: Elasticsearch's work then depends on the data
    # only, not on how long the run takes (a 1 s refresh interval makes a slower run pay for more,
    # smaller segments and their merges). The count afterwards refreshes, outside the clock.
    store.client.indices.put_settings(index=store.alias, settings={"index.refresh_interval": "-1"})
    return store


def _drop(store: Any, prefix: str) -> None:
    from index import schema

    client = store.client
    names = list(client.indices.get(index=f"{prefix}-*", expand_wildcards="all", allow_no_indices=True).body)
    if names:
        client.indices.delete(index=names)
    client.options(ignore_status=404).indices.delete_index_template(name=schema.template_name(prefix))


def _count(store: Any) -> int:
    store.refresh()
    return int(store.count())


def raw_bodies(mentions: Sequence[EnrichedMention], batch: int, es: ElasticsearchSettings) -> list[bytes]:
    """The request bodies the writer sends for these batches (same encoding, same chunking)."""
    from index.bulk import request_bodies

    return [
        body
        for group in batches(mentions, batch)
        for body in request_bodies(group, es, workspace=DEFAULT_WORKSPACE)
    ]


@dataclass(frozen=True)
class Measurement:
    wall: float  # seconds
    client_cpu: float  # seconds of this process's CPU
    server_cpu: float  # seconds of Elasticsearch's CPU (node stats), 0 for SQLite


def _server_cpu(store: Any) -> float:
    stats = store.client.nodes.stats(metric="process", filter_path="nodes.*.process.cpu.total_in_millis")
    millis: int = sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values())
    return millis / 1000


@contextmanager
def measured(store: Any, into: list[Measurement]) -> Iterator[None]:
    server = _server_cpu(store) if store is not None else 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    into.append(Measurement(wall, cpu, _server_cpu(store) - server if store is not None else 0.0))


def run_raw(url: str, bodies: list[bytes], expected: int, chunk: int, prefix: str) -> Measurement:
    store = _fresh_store(url, prefix, chunk)
    client = store.client
    headers = {"content-type": "application/x-ndjson", "accept": "application/json"}
    path = f"/{store.alias}/_bulk"
    result: list[Measurement] = []
    with measured(store, result):
        for body in bodies:
            response = client.perform_request("POST", path, headers=headers, body=body)
            if response.body["errors"]:
                raise SystemExit("raw _bulk reported item errors")
    assert _count(store) == expected, "raw _bulk lost documents"
    _drop(store, prefix)
    store.close()
    return result[0]


def run_earful(
    url: str, mentions: Sequence[EnrichedMention], batch: int, chunk: int, prefix: str
) -> Measurement:
    store = _fresh_store(url, prefix, chunk)
    written = 0
    result: list[Measurement] = []
    with measured(store, result):
        for group in batches(mentions, batch):
            written += store.upsert(group).written
    assert written == len(mentions), "the writer did not write everything"
    assert _count(store) == len({m.id for m in mentions}), "the writer lost documents"
    _drop(store, prefix)
    store.close()
    return result[0]


def run_sqlite(mentions: Sequence[EnrichedMention], batch: int) -> Measurement:
    from index.backends.sqlite import SQLiteMentionStore

    directory = Path(tempfile.mkdtemp(prefix="earful-bench-sqlite-"))
    try:
        store = SQLiteMentionStore(
            Settings(home=directory), workspace=DEFAULT_WORKSPACE, path=directory / "bench.db"
        )
        store.ensure_ready()
        result: list[Measurement] = []
        with measured(None, result):
            for group in batches(mentions, batch):
                store.upsert(group)
        assert store.count() == len(mentions), "SQLite lost documents"
        store.close()
        return result[0]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="Mentions to index (default 100000)")
    add_es_url_argument(parser)
    parser.add_argument("--batch", type=int, default=500, help="Mentions per upsert, as the flow (500)")
    parser.add_argument(
        "--chunk",
        type=int,
        default=ElasticsearchSettings().bulk_chunk_size,
        help="Documents per _bulk request (settings' bulk_chunk_size)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="Rounds of (a) and (b), in alternating order (default 3)"
    )
    parser.add_argument("--heap", default="1g", help="Heap of the throwaway node")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)

    log: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731
    started = time.perf_counter()
    mentions = synthetic_mentions(args.n, args.seed)
    es_settings = ElasticsearchSettings(bulk_chunk_size=args.chunk)
    bodies = raw_bodies(mentions, args.batch, es_settings)
    payload = sum(len(b) for b in bodies)
    log(
        f"mentions: {args.n} generated in {time.perf_counter() - started:.1f}s; batch {args.batch}, "
        f"{len(bodies)} _bulk requests of <= {args.chunk} docs, {payload / 2**20:.1f} MiB payload"
    )

    with elasticsearch_url(args.es_url, args.heap) as url:
        log(f"elasticsearch: {url}")
        # Warm-up, untimed: one full raw pass on a scratch index (a shorter one left the first timed run
        # of a fresh node up to 3x slower: JIT, heap growth, first merges of large segments).
        run_raw(url, bodies, args.n, args.chunk, "bench-warm")
        raws: list[Measurement] = []
        earfuls: list[Measurement] = []
        for round_ in range(args.rounds):
            # Alternate the order, so that drifting outside load favours neither.
            if round_ % 2 == 0:
                raws.append(run_raw(url, bodies, args.n, args.chunk, "bench-raw"))
                earfuls.append(run_earful(url, mentions, args.batch, args.chunk, "bench-earful"))
            else:
                earfuls.append(run_earful(url, mentions, args.batch, args.chunk, "bench-earful"))
                raws.append(run_raw(url, bodies, args.n, args.chunk, "bench-raw"))
            log(
                f"round {round_ + 1}: raw {_rate(args.n, raws[-1].wall):,.0f}/s, "
                f"earful {_rate(args.n, earfuls[-1].wall):,.0f}/s, "
                f"ratio {raws[-1].wall / earfuls[-1].wall:.3f}"
            )

    def report(label: str, runs: list[Measurement]) -> None:
        wall = statistics.median(r.wall for r in runs)
        client = statistics.median(r.client_cpu for r in runs) / args.n * 1e6
        server = statistics.median(r.server_cpu for r in runs) / args.n * 1e6
        cpu = (
            f"client {client:.0f} us, Elasticsearch {server:.0f} us CPU per mention"
            if server
            else (f"{client:.0f} us CPU per mention")
        )
        log(f"{label:<52} {_rate(args.n, wall):>9,.0f} mentions/s  ({wall:.1f}s; {cpu})")

    # Medians over the rounds; the ratio is the median of each round's own ratio (the two runs of a
    # round are measured back to back, under the same outside load).
    report("(a) raw _bulk (same bytes, pre-serialised, sequential)", raws)
    report(f"(b) Earful ES writer (upsert, batches of {args.batch})", earfuls)
    if not args.skip_sqlite:
        report(f"(c) SQLite store (upsert, batches of {args.batch})", [run_sqlite(mentions, args.batch)])
    ratio = statistics.median(r.wall / e.wall for r, e in zip(raws, earfuls, strict=True))
    log(f"ratio_vs_raw_bulk={ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
