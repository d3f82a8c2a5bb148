"""Search through the HTTP API against the same search through the store, on the embedded SQLite store.

    .venv/bin/python bench/api_search.py [--mentions 100000] [--clients 16] [--seconds 30]
    .venv/bin/python bench/api_search.py --quick       # 1,000 mentions, 4 clients, 2 s: a smoke run

In one run, over the same deterministic mentions (`bench/rules_corpus.make_mentions`: tweet- and
review-length, about 70% English and 30% Chinese) indexed into a temporary home's SQLite store:

(a) the store: ``--clients`` threads, each calling `SQLiteMentionStore.search` in a loop for
    ``--seconds`` seconds on one store (a connection per thread, as the API's services use it);
(b) the API: `earful serve` in a subprocess (uvicorn on a free loopback port, the app as users run it),
    ``--clients`` threads each with its own keep-alive httpx client posting ``/api/v1/search`` with an
    analyst's API key, for ``--seconds`` seconds.

Both sides run the same search, the one the Explore page sends: a NEAR query (``--query``), three facets,
a page of 20 hits with highlights. The API's answer is checked against the store's (same total, same
hit ids) before the clock starts, and every timed answer must be a 200. Each side prints requests/s and
the latency's p50/p95/p99; the load average is printed beside them (on a shared machine, other work
takes its share of the cores). The last line is ``api_overhead_ratio=<api p50 / store p50>``.
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.accounts.models import Role  # noqa: E402
from api.accounts.store import open_account_store  # noqa: E402
from bench.alert_latency import cpu_seconds, percentile, stop_process_group  # noqa: E402
from bench.rules_corpus import make_mentions  # noqa: E402
from core.models import DEFAULT_WORKSPACE  # noqa: E402
from core.settings import Settings  # noqa: E402
from index.backends.sqlite import SQLiteMentionStore  # noqa: E402
from index.base import FacetField, SearchRequest  # noqa: E402

QUERY = "(battery OR charging) NEAR/5 (dead OR drain* OR overheat*)"
FACETS: tuple[FacetField, ...] = ("sentiment", "platform", "lang")
PAGE = 20
BATCH = 500
TARGET_P95_MS = 150.0
TARGET_RATIO = 1.3
SERVE_TIMEOUT = 120.0  # seconds for `earful serve` to print its URL


@dataclass(frozen=True)
class Run:
    """One side's timed loop: every request's latency (seconds) and the wall time it ran."""

    name: str
    latencies: tuple[float, ...]
    wall: float
    errors: int
    cpu: float = 0.0  # CPU seconds of the side's process: the store's, or the API server's
    client_cpu: float = 0.0  # the API's clients (this process)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per request."""
        return seconds / len(self.latencies) * 1000 if self.latencies else 0.0


def search_body(query: str) -> dict[str, Any]:
    """The API's request body: what the Explore page sends for a query."""
    return {"query": query, "size": PAGE, "facets": list(FACETS), "highlight": True}


def store_request(query: str) -> SearchRequest:
    """The store's request for the same search (what the API's route builds from `search_body`)."""
    return SearchRequest(query=query, limit=PAGE, facets=FACETS, highlight=True)


def load(settings: Settings, n: int, seed: int, log: Callable[[str], None]) -> None:
    started = time.perf_counter()
    mentions = make_mentions(n, seed)
    generated = time.perf_counter()
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        for start in range(0, len(mentions), BATCH):
            store.upsert(mentions[start : start + BATCH])
        count = store.count()
    assert count == n, f"the store holds {count} mentions, not {n}"
    log(
        f"mentions: {n} generated in {generated - started:.1f}s, indexed into SQLite in "
        f"{time.perf_counter() - generated:.1f}s"
    )


def analyst_key(settings: Settings) -> str:
    with open_account_store(settings) as accounts:
        return accounts.create_key("bench", DEFAULT_WORKSPACE, Role.ANALYST).secret


def timed_loop(
    name: str,
    clients: int,
    seconds: float,
    make: Callable[[], Callable[[], bool]],
    server: int | None = None,
) -> Run:
    """`clients` threads, each calling its own `make()` function until `seconds` have passed (it returns
    whether the answer was right); every call's latency, and the CPU time this process used (that of
    process `server` too, when the calls go to it)."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline: list[float] = []

    def client(i: int) -> None:
        call = make()
        barrier.wait()
        out = results[i]
        end = deadline[0]
        while (began := time.perf_counter()) < end:
            ok = call()
            out.append(time.perf_counter() - began)
            errors[i] += not ok

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.perf_counter() + seconds)
    began, cpu_began = time.perf_counter(), time.process_time()
    server_began = cpu_seconds(server) if server is not None else None
    barrier.wait()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    server_ended = cpu_seconds(server) if server is not None else None
    latencies = tuple(x for r in results for x in r)
    if server_began is None or server_ended is None:
        return Run(name, latencies, wall, sum(errors), cpu=cpu)
    return Run(name, latencies, wall, sum(errors), cpu=server_ended - server_began, client_cpu=cpu)


def merged(name: str, runs: list[Run]) -> Run:
    """The rounds of one side as one run (all of their latencies)."""
    return Run(
        f"{name} (all rounds)",
        tuple(x for run in runs for x in run.latencies),
        sum(run.wall for run in runs),
        sum(run.errors for run in runs),
        cpu=sum(run.cpu for run in runs),
        client_cpu=sum(run.client_cpu for run in runs),
    )


def warm_up(call: Callable[[], bool], times: int) -> None:
    for _ in range(times):
        assert call(), "a warm-up request failed"


@contextmanager
def serving(home: Path) -> Iterator[tuple[str, int]]:
    """`earful serve` over `home` on a free loopback port (its own process group, stopped on exit)."""
    earful = Path(sys.executable).with_name("earful")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARFUL_")}
    env["EARFUL_HOME"] = str(home)
    proc = subprocess.Popen(
        [str(earful), "serve", "--port", "0", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        url = _served_url(proc.stdout)
        # keep reading (the access log): a full pipe would stall the server
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        yield url, proc.pid
    finally:
        stop_process_group(proc, grace=30.0)  # type: ignore[arg-type]  # text mode: same process


def _served_url(out: IO[str]) -> str:
    deadline = time.monotonic() + SERVE_TIMEOUT
    seen: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(out, selectors.EVENT_READ)
        while selector.select(timeout=max(0.0, deadline - time.monotonic())):
            line = out.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("Earful is serving at "):
                return line.split()[4]
    raise RuntimeError("earful serve did not start:\n" + "".join(seen))


def _drain(out: IO[str]) -> None:
    for _ in out:
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=100_000, help="Mentions in the store (100000)")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients on each side (16)")
    parser.add_argument("--seconds", type=float, default=30.0, help="Seconds each side runs a round (30)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="Rounds, each side once a round, in alternating order (2)"
    )
    parser.add_argument("--query", default=QUERY, help=f"The query (default: {QUERY})")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--quick", action="store_true", help="1,000 mentions, 4 clients, 2 s, one round: a smoke run"
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary home (its path is printed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.mentions, args.clients, args.seconds, args.rounds = 1000, 4, 2.0, 1
    return args


def report(run: Run, log: Callable[[str], None]) -> None:
    load1, load5, _ = os.getloadavg()
    log(
        f"{run.name}: {len(run.latencies)} requests in {run.wall:.1f}s, {run.rate:.1f} requests/s; "
        f"p50 {run.ms(50):.1f} ms, p95 {run.ms(95):.1f} ms, p99 {run.ms(99):.1f} ms; "
        f"errors {run.errors}; load average {load1:.2f} {load5:.2f} on {os.cpu_count()} CPUs"
    )
    cpu = f"  CPU per request: {run.cpu_ms(run.cpu):.1f} ms"
    if run.client_cpu:
        cpu += f" in the server, {run.cpu_ms(run.client_cpu):.1f} ms in the clients"
    log(cpu)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731
    home = Path(tempfile.mkdtemp(prefix="earful-bench-api-"))
    try:
        settings = Settings(home=home)
        load(settings, args.mentions, args.seed, log)
        key = analyst_key(settings)
        body, request = search_body(args.query), store_request(args.query)
        log(f"search: {body}; {args.clients} clients, {args.seconds:g} s each side")

        with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store, serving(home) as (url, pid):
            expected = store.search(request)
            log(f"matches: {expected.total}; `earful serve` at {url}")
            headers = {"Authorization": f"Bearer {key}"}
            clients: list[httpx.Client] = []

            def store_client() -> Callable[[], bool]:
                return lambda: store.search(request).total == expected.total

            def api_client() -> Callable[[], bool]:
                client = httpx.Client(base_url=url, headers=headers, timeout=120)
                clients.append(client)
                return lambda: client.post("api/v1/search", json=body).status_code == 200

            try:
                answer = httpx.post(f"{url}api/v1/search", json=body, headers=headers, timeout=120)
                assert answer.status_code == 200, answer.text
                got = answer.json()
                assert got["total"] == expected.total, (got["total"], expected.total)
                assert [h["id"] for h in got["hits"]] == [m.id for m in expected.hits], "other hits"
                warm_up(store_client(), 3)
                warm_up(api_client(), 3)
                runs: dict[str, list[Run]] = {"store": [], "api": []}
                # store, api, api, store, ...: outside load that drifts during the run favours neither
                for round_ in range(args.rounds):
                    order = ("store", "api") if round_ % 2 == 0 else ("api", "store")
                    for side in order:
                        if side == "store":
                            run = timed_loop(side, args.clients, args.seconds, store_client)
                        else:
                            run = timed_loop(side, args.clients, args.seconds, api_client, server=pid)
                        report(run, log)
                        runs[side].append(run)
            finally:
                for client in clients:
                    client.close()
        direct, api = merged("store", runs["store"]), merged("api", runs["api"])
        if args.rounds > 1:
            report(direct, log)
            report(api, log)

        failed = direct.errors + api.errors
        p95 = api.ms(95)
        ratio = api.ms(50) / direct.ms(50)
        log(
            f"target: api p95 <= {TARGET_P95_MS:g} ms ({'met' if p95 <= TARGET_P95_MS else 'NOT met'}: "
            f"{p95:.1f}), ratio <= {TARGET_RATIO:g} ({'met' if ratio <= TARGET_RATIO else 'NOT met'})"
        )
        if args.keep:
            log(f"home kept: {home}")
        log(f"api_overhead_ratio={ratio:.3f}")
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
