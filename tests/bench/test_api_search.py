"""bench/api_search.py: its timed loop and rounds, and the whole benchmark with tiny numbers (a real
`earful serve`, real HTTP, the SQLite store)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.api_search import Run, merged, search_body, store_request, timed_loop


def test_the_timed_loop_times_every_call_and_counts_wrong_answers() -> None:
    calls = [0]

    def make() -> Callable[[], bool]:
        def call() -> bool:
            calls[0] += 1
            return calls[0] % 3 != 0  # every third answer is wrong

        return call

    run = timed_loop("x", 3, 0.2, make)
    assert len(run.latencies) == calls[0] > 0
    assert run.errors == calls[0] // 3
    assert 0.2 <= run.wall < 5
    assert run.cpu > 0
    assert run.client_cpu == 0  # no server: the loop's own CPU is the side's


def test_rounds_merge_into_one_run_per_side() -> None:
    a = Run("api", (0.01, 0.02), 1.0, 0, cpu=0.5, client_cpu=0.1)
    b = Run("api", (0.03,), 2.0, 1, cpu=0.25, client_cpu=0.2)
    both = merged("api", [a, b])
    assert both.latencies == (0.01, 0.02, 0.03)
    assert (both.wall, both.errors, both.cpu) == (3.0, 1, 0.75)
    assert both.client_cpu == pytest.approx(0.3)
    assert both.rate == 1.0
    assert both.ms(50) == pytest.approx(20.0)
    assert both.cpu_ms(both.cpu) == pytest.approx(250.0)


def test_the_api_and_the_store_run_the_same_search() -> None:
    body, request = search_body("battery NEAR/3 dead"), store_request("battery NEAR/3 dead")
    assert (request.query, request.limit, list(request.facets), request.highlight) == (
        body["query"],
        body["size"],
        body["facets"],
        body["highlight"],
    )
    assert len(request.facets) == 3


@pytest.mark.slow
def test_the_whole_benchmark_with_tiny_numbers() -> None:
    script = Path(__file__).resolve().parents[2] / "bench" / "api_search.py"
    done = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=300, check=False
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    matches = re.search(r"^matches: (\d+); `earful serve` at (http://127\.0\.0\.1:\d+/)$", out, re.MULTILINE)
    assert matches is not None, out
    assert int(matches.group(1)) > 0
    for side in ("store", "api"):
        line = re.search(
            rf"^{side}: (\d+) requests in [\d.]+s, [\d.]+ requests/s; p50 [\d.]+ ms, p95 [\d.]+ ms, "
            r"p99 [\d.]+ ms; errors 0; load average",
            out,
            re.MULTILINE,
        )
        assert line is not None, out
        assert int(line.group(1)) > 0
    assert re.search(r"CPU per request: [\d.]+ ms in the server, [\d.]+ ms in the clients", out)
    ratio = re.fullmatch(r"api_overhead_ratio=(\d+\.\d+)", out.strip().splitlines()[-1])
    assert ratio is not None, out
    assert float(ratio.group(1)) > 0
    # the server is gone with the benchmark (its command line names the temporary home)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert "earful-bench-api-" not in cmdline.read_text(errors="replace"), cmdline
        except OSError:  # the process ended meanwhile
            continue
