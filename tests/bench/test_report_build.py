"""bench/report_build.py: its corpus (deterministic, mixed, each brand's query finding what names it), its
naive baseline as a check that catches a wrong number, and the whole benchmark with tiny numbers (SQLite;
SQLite and Elasticsearch)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bench.report_build import brands, compare, month, naive_report, sqlite_store
from bench.report_corpus import BRANDS, DAYS, SPIKE, START, make_mentions
from core.models import SentimentLabel
from index.base import SearchRequest
from reports.build import build_report

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "report_build.py"


def test_the_corpus_is_deterministic_and_holds_what_a_report_counts() -> None:
    mentions = list(make_mentions(3_000))
    again = list(make_mentions(3_000))
    assert [(m.id, m.text, m.published_at) for m in mentions] == [
        (m.id, m.text, m.published_at) for m in again
    ]
    assert len({m.id for m in mentions}) == 3_000
    langs = Counter(m.lang for m in mentions)
    assert set(langs) == {"en", "zh", "es", "de"}
    assert 0.25 < langs["zh"] / 3_000 < 0.45
    assert len({m.platform for m in mentions}) >= 8
    assert {m.sentiment.label for m in mentions} == {
        SentimentLabel.positive,
        SentimentLabel.neutral,
        SentimentLabel.negative,
    }
    assert sum(1 for m in mentions if m.intents) > 1_500
    assert sum(1 for m in mentions if any(a.polarity == SentimentLabel.negative for a in m.aspects)) > 300
    assert 150 < sum(1 for m in mentions if m.customer is not None) < 350
    assert all(START <= m.published_at < START + timedelta(days=DAYS) for m in mentions)
    burst = [m for m in mentions if SPIKE[0] <= m.published_at < SPIKE[0] + SPIKE[1]]
    assert len(burst) > 3_000 * 0.04  # the own brand's firmware trouble, on top of the usual days
    authors = Counter(m.author.handle for m in mentions if m.author is not None)
    assert authors.most_common(1)[0][1] > 20  # regulars and a long tail
    assert len(authors) > 1_000


def test_each_brand_query_finds_the_mentions_naming_it(tmp_path: Path) -> None:
    mentions = list(make_mentions(2_000))
    with sqlite_store(mentions) as loaded:
        for brand in BRANDS:
            page = loaded.store.search(SearchRequest(query=brand.query, limit=2_000))
            named = {m.id for m in mentions if brand.name in m.text or brand.zh in m.text}
            assert {h.id for h in page.hits} == named
            assert 0.1 * 2_000 < len(named) < 0.6 * 2_000


def test_the_naive_counts_agree_with_the_report_and_catch_a_wrong_number() -> None:
    mentions = list(make_mentions(1_500))
    period = month("Europe/London")
    with sqlite_store(mentions) as loaded:
        data = build_report(loaded.store, brands(), period, customers=loaded.customers)
        naive = naive_report(loaded.store, brands(), period)
    assert naive.read > 1_000
    assert compare(data, naive) == []
    own = data.brands[0]
    wrong_total = data.model_copy(
        update={"brands": (own.model_copy(update={"total": own.total + 1}), *data.brands[1:])}
    )
    assert compare(wrong_total, naive) == [f"Lumora total: report {own.total + 1}, counted {own.total}"]
    row = own.top_sites[0]
    sites = (row.model_copy(update={"count": row.count - 1}), *own.top_sites[1:])
    wrong_site = data.model_copy(
        update={"brands": (own.model_copy(update={"top_sites": sites}), *data.brands[1:])}
    )
    assert compare(wrong_site, naive) == [
        f"Lumora top_sites {row.key}: report {row.count - 1}, counted {row.count}"
    ]


def _last_value(out: str, name: str) -> float:
    found = re.fullmatch(rf"{name}=(\d+\.\d+)", out.strip().splitlines()[-1])
    assert found is not None, out
    return float(found.group(1))


@pytest.mark.slow
def test_the_whole_benchmark_with_tiny_numbers() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300, check=False
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"^mentions: 2,000 generated", out, re.MULTILINE), out
    assert re.search(r"^sqlite: indexed 2,000 mentions", out, re.MULTILINE), out
    line = re.search(
        r"^sqlite: build ([\d.]+)s, render HTML ([\d.]+)s \(\d+ KiB\), render PDF ([\d.]+)s \((\d+) pages",
        out,
        re.MULTILINE,
    )
    assert line is not None, out
    assert int(line.group(4)) >= 2
    assert re.search(r"^sqlite: baseline: naive build [\d.]+s \(read [\d,]+ mentions", out, re.MULTILINE)
    assert re.search(r"^sqlite: ratio_vs_naive=[\d.]+", out, re.MULTILINE)
    assert "sqlite: every number checked equals the naive count" in out
    total = float(line.group(1)) + float(line.group(3))
    assert _last_value(out, "report_pdf_s") == pytest.approx(total, abs=0.02)


@pytest.mark.slow
@pytest.mark.integration
def test_the_whole_benchmark_on_both_stores(es_url: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--stores", "sqlite,elasticsearch", "--es-url", es_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for store in ("sqlite", "elasticsearch"):
        assert f"{store}: every number checked equals the naive count" in out, out
        assert re.search(rf"^{store}: build [\d.]+s, render HTML", out, re.MULTILINE), out
    assert "sqlite and elasticsearch reports: the same numbers" in out
    assert _last_value(out, "report_pdf_s") > 0
