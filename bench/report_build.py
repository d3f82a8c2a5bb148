"""A month report of three brands over 100,000 mentions, on the embedded SQLite store and on Elasticsearch.

    .venv/bin/python bench/report_build.py                      # 100,000 mentions; SQLite, then ES
    .venv/bin/python bench/report_build.py --stores sqlite      # SQLite only
    .venv/bin/python bench/report_build.py --es-url http://127.0.0.1:9200 -n 50000 --rounds 1
    .venv/bin/python bench/report_build.py --quick              # 2,000 mentions, SQLite, one round

In one run, over the same deterministic mentions (`bench/report_corpus.py`: the own brand and two
competitors plus the category's noise, two months, English, Chinese, Spanish, German, every field a
report counts) indexed into each store with its customers:

- **build**: `reports.build.build_report` for the last calendar month (October 2026, in ``--tz``, compared
  with September): every section of the three brands, from the store's aggregations;
- **html**, **pdf**: `reports.render.render_report` of that data (WeasyPrint for the PDF);
- **baseline, naive**: what the report library must never do, run beside it: read every mention of the
  month and of the previous month that each brand's query matches (search pages of 1,000 with
  ``search_after``) and count the same numbers in Python (totals, sentiment, platforms, languages,
  intents, complaint reasons, authors, sites, customers, the volume per day). Its counts must equal the
  report's, which the run checks: the benchmark is also a correctness check at 100,000 mentions;
- **floor**: one plain `count` of the month's mentions (what any report costs at least).

Each of build, html, pdf and naive runs ``--rounds`` times (3), build and naive in alternating order, and
the medians are printed; ``ratio_vs_naive`` is naive / build (how much the aggregations save). With both
stores, the two reports' numbers must be equal, and the second store's report is not rendered again
(rendering reads the report's numbers, never a store): both lines show the first one's render times.
Elasticsearch is ``--es-url`` (or EARFUL_TEST_ES_URL),
else a throwaway node that the run starts and stops. The last line is ``report_pdf_s=<x>``: the SQLite
store's month report to PDF, build plus PDF rendering (median seconds). Target: at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._support import add_es_url_argument, elasticsearch_url  # noqa: E402
from bench.report_corpus import BRANDS, make_customers, make_mentions  # noqa: E402
from core.models import DEFAULT_WORKSPACE, EnrichedMention, SentimentLabel  # noqa: E402
from core.settings import ElasticsearchSettings, Settings  # noqa: E402
from index.aggregations import zone  # noqa: E402
from index.base import MentionFilter, MentionStore, SearchRequest  # noqa: E402
from reports.brands import Brand, BrandRole  # noqa: E402
from reports.period import ReportPeriod, resolve_period  # noqa: E402

BATCH = 500
PAGE = 1_000
NOW = datetime(2026, 11, 5, 12, tzinfo=UTC)  # "last-month" is then October 2026
TARGET_S = 10.0
QUICK_MENTIONS = 2_000


def brands() -> list[Brand]:
    return [Brand(name=b.name, query=b.query, role=BrandRole(b.role)) for b in BRANDS]


def month(tz: str) -> ReportPeriod:
    return resolve_period("last-month", tz=tz, now=NOW)


# --- the stores ----------------------------------------------------------------------------------
@dataclass
class Loaded:
    """A store filled with the corpus and the customers, and how long the mentions took."""

    name: str
    store: MentionStore
    customers: Any  # crm.customers.CustomerStore
    seconds: float
    count: int


def _fill(name: str, settings: Settings, mentions: Sequence[EnrichedMention]) -> Loaded:
    from crm.customers import build_customer_directory
    from index.backends import build_mention_store

    store = build_mention_store(settings, workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    started = time.perf_counter()
    for start in range(0, len(mentions), BATCH):
        store.upsert(mentions[start : start + BATCH])
    store.refresh()
    seconds = time.perf_counter() - started
    directory = build_customer_directory(settings, workspace=DEFAULT_WORKSPACE)
    directory.ensure_ready()
    directory.upsert(make_customers())
    return Loaded(name, store, directory, seconds, store.count())


@contextmanager
def sqlite_store(mentions: Sequence[EnrichedMention]) -> Iterator[Loaded]:
    home = Path(tempfile.mkdtemp(prefix="earful-bench-report-"))
    try:
        settings = Settings(home=home)
        settings = settings.model_copy(
            update={"store": settings.store.model_copy(update={"backend": "sqlite"})}
        )
        loaded = _fill("sqlite", settings, mentions)
        try:
            yield loaded
        finally:
            loaded.store.close()
            loaded.customers.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def es_store(url: str, mentions: Sequence[EnrichedMention]) -> Iterator[Loaded]:
    prefix = f"bench-report-{os.getpid()}"
    es = ElasticsearchSettings(hosts=[url], index_prefix=prefix, refresh="false", request_timeout=120)
    home = Path(tempfile.mkdtemp(prefix="earful-bench-report-es-"))
    settings = Settings(home=home, elasticsearch=es)
    settings = settings.model_copy(
        update={"store": settings.store.model_copy(update={"backend": "elasticsearch"})}
    )
    loaded: Loaded | None = None
    try:
        loaded = _fill("elasticsearch", settings, mentions)
        yield loaded
    finally:
        if loaded is not None:
            loaded.store.close()
            loaded.customers.close()
        _drop_indices(url, prefix)
        shutil.rmtree(home, ignore_errors=True)


def _drop_indices(url: str, prefix: str) -> None:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=120)
    try:
        names = list(
            client.indices.get(index=f"{prefix}-*", expand_wildcards="all", allow_no_indices=True).body
        )
        if names:
            client.indices.delete(index=names)
        templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}*")
        for template in templates.body.get("index_templates", []) if templates.meta.status == 200 else []:
            client.indices.delete_index_template(name=template["name"])
    finally:
        client.close()


# --- the baseline: counting by reading every mention ---------------------------------------------
@dataclass
class NaiveBrand:
    """What reading a brand's mentions one by one gives."""

    total: int = 0
    previous: int = 0
    sentiment: Counter[str] = field(default_factory=Counter)
    previous_sentiment: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    intents: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    authors: Counter[str] = field(default_factory=Counter)
    sites: Counter[str] = field(default_factory=Counter)
    negative_customers: Counter[str] = field(default_factory=Counter)
    days: Counter[str] = field(default_factory=Counter)


@dataclass
class Naive:
    brands: dict[str, NaiveBrand]
    distinct: int  # mentions of any brand in the period
    read: int  # mentions read, both periods, every brand


def _read(store: MentionStore, query: str, since: datetime, until: datetime) -> Iterator[EnrichedMention]:
    cursor: str | None = None
    filters = MentionFilter(since=since, until=until)
    while True:
        page = store.search(
            SearchRequest(query=query, filters=filters, sort="newest", limit=PAGE, search_after=cursor)
        )
        yield from page.hits
        if page.next_cursor is None or not page.hits:
            return
        cursor = page.next_cursor


def naive_report(store: MentionStore, brand_list: Sequence[Brand], period: ReportPeriod) -> Naive:
    """The report's headline numbers from every mention of both periods, read one page at a time."""
    local = zone(period.timezone)
    out: dict[str, NaiveBrand] = {}
    seen: set[str] = set()
    read = 0
    for brand in brand_list:
        counts = NaiveBrand()
        for mention in _read(store, brand.query, period.start, period.end):
            read += 1
            seen.add(mention.id)
            counts.total += 1
            counts.sentiment[mention.sentiment.label.value] += 1
            counts.platforms[mention.platform] += 1
            counts.languages[mention.lang] += 1
            counts.intents.update(i.label.value for i in mention.intents)
            counts.reasons.update(
                {a.label.value for a in mention.aspects if a.polarity == SentimentLabel.negative}
            )
            if mention.author is not None and mention.author.handle:
                counts.authors[mention.author.handle] += 1
            if mention.site:
                counts.sites[mention.site] += 1
            if mention.customer is not None and mention.sentiment.label == SentimentLabel.negative:
                counts.negative_customers[mention.customer.customer_id] += 1
            counts.days[mention.published_at.astimezone(local).date().isoformat()] += 1
        for mention in _read(store, brand.query, period.previous_start, period.previous_end):
            read += 1
            counts.previous += 1
            counts.previous_sentiment[mention.sentiment.label.value] += 1
        out[brand.name] = counts
    return Naive(out, len(seen), read)


def compare(data: Any, naive: Naive) -> list[str]:
    """Where the report's numbers differ from the naive counts (empty: every number checked agrees)."""
    wrong: list[str] = []

    def check(what: str, got: object, expected: object) -> None:
        if got != expected:
            wrong.append(f"{what}: report {got!r}, counted {expected!r}")

    check("distinct mentions", data.total, naive.distinct)
    for report in data.brands:
        counts = naive.brands[report.brand]
        name = report.brand
        check(f"{name} total", report.total, counts.total)
        check(f"{name} previous", report.previous, counts.previous)
        for label in SentimentLabel:
            check(f"{name} {label.value}", report.sentiment.of(label), counts.sentiment[label.value])
            check(
                f"{name} previous {label.value}",
                report.previous_sentiment.of(label),
                counts.previous_sentiment[label.value],
            )
        check(f"{name} volume", sum(p.count for p in report.volume), counts.total)
        if data.interval == "day":  # each day's bar (the key is the local midnight, ISO)
            for point in report.volume:
                check(f"{name} volume {point.key[:10]}", point.count, counts.days[point.key[:10]])
        for section, counter in (
            ("platforms", counts.platforms),
            ("languages", counts.languages),
            ("intents", counts.intents),
            ("complaint_reasons", counts.reasons),
            ("top_authors", counts.authors),
            ("top_sites", counts.sites),
        ):
            rows = getattr(report, section)
            if not rows and counter:
                wrong.append(f"{name} {section}: empty, counted {len(counter)} keys")
            for row in rows:
                check(f"{name} {section} {row.key}", row.count, counter[row.key.lstrip("@")])
        check(f"{name} complaints", report.complaints, counts.intents["complaint"])
        check(f"{name} churn_risk", report.churn_risk, counts.intents["churn_risk"])
        for row in report.negative_customers:
            check(f"{name} customer {row.name}", row.negative, counts.negative_customers[row.customer_id])
    for row in data.share_of_voice:
        counts = naive.brands[row.brand]
        check(f"share of voice {row.brand}", row.mentions, counts.total)
        check(f"share of voice {row.brand} negative", row.negative, counts.sentiment["negative"])
    return wrong


# --- the measurements ----------------------------------------------------------------------------
@dataclass
class Timings:
    build: list[float] = field(default_factory=list)
    html: list[float] = field(default_factory=list)
    pdf: list[float] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    count: list[float] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # this process's CPU seconds, by step

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(self, name)))

    def cpu_median(self, name: str) -> float:
        return float(statistics.median(self.cpu[name]))


@dataclass
class Outcome:
    loaded: Loaded
    timings: Timings
    data: Any  # reports.data.ReportData
    naive: Naive
    html_bytes: int
    pdf_bytes: int
    pdf_pages: int
    rendered_by: str = ""  # the store whose report was rendered, when not this one's (the same numbers)

    def renders_of(self, other: Outcome) -> None:
        """Take `other`'s render timings: rendering depends on the report's numbers, not the store."""
        for step in ("html", "pdf"):
            setattr(self.timings, step, getattr(other.timings, step))
            self.timings.cpu[step] = other.timings.cpu[step]
        self.html_bytes, self.pdf_bytes, self.pdf_pages = other.html_bytes, other.pdf_bytes, other.pdf_pages
        self.rendered_by = other.loaded.name


def _timed(call: Callable[[], Any], into: list[float], cpu: list[float] | None = None) -> Any:
    """Call, appending its wall seconds to `into` and this process's CPU seconds (every thread, so
    vl-convert's and SQLite's too; not Elasticsearch's) to `cpu`."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = call()
    into.append(time.perf_counter() - started)
    if cpu is not None:
        cpu.append(time.process_time() - cpu_started)
    return result


def measure(
    loaded: Loaded, period: ReportPeriod, rounds: int, log: Callable[[str], None], *, render: bool = True
) -> Outcome:
    """`rounds` of build and naive (and of both renders, with `render`), their timings and last results."""
    from reports.build import build_report
    from reports.definitions import ReportFormat
    from reports.render import render_report

    brand_list = brands()
    store = loaded.store

    def build() -> Any:
        return build_report(
            store, brand_list, period, name="bench", title="Lumora: October", customers=loaded.customers
        )

    def naive() -> Naive:
        return naive_report(store, brand_list, period)

    timings = Timings()
    month_filter = MentionFilter(since=period.start, until=period.end)
    data: Any = None
    counted: Naive | None = None
    html = pdf = b""
    for round_ in range(rounds):
        _timed(lambda: store.count(month_filter), timings.count)
        cpu = timings.cpu
        if round_ % 2 == 0:  # alternate, so that drifting outside load favours neither
            data = _timed(build, timings.build, cpu.setdefault("build", []))
            counted = _timed(naive, timings.naive, cpu.setdefault("naive", []))
        else:
            counted = _timed(naive, timings.naive, cpu.setdefault("naive", []))
            data = _timed(build, timings.build, cpu.setdefault("build", []))
        rendered = ""
        if render:
            html = _timed(
                partial(render_report, data, ReportFormat.html), timings.html, cpu.setdefault("html", [])
            )
            pdf = _timed(
                partial(render_report, data, ReportFormat.pdf), timings.pdf, cpu.setdefault("pdf", [])
            )
            rendered = f"html {timings.html[-1]:.2f}s, pdf {timings.pdf[-1]:.2f}s, "
        log(
            f"{loaded.name}: round {round_ + 1}: build {timings.build[-1]:.2f}s, {rendered}"
            f"naive {timings.naive[-1]:.2f}s, count {timings.count[-1] * 1000:.1f} ms"
        )
    assert data is not None
    assert counted is not None
    return Outcome(loaded, timings, data, counted, len(html), len(pdf), _pages(pdf) if pdf else 0)


def _pages(pdf: bytes) -> int:
    """The PDF's page count, as poppler's pdfinfo reads it (0 when pdfinfo is missing)."""
    import re
    import subprocess

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        try:
            info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, timeout=60, check=True)
        except (OSError, subprocess.CalledProcessError):
            return 0
    found = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def report_numbers(data: Any) -> dict[str, Any]:
    """The report's numbers, without when it was made and the sample mentions (engines may order ties
    differently; every count must be equal)."""
    exclude: Any = {"generated_at": True, "brands": {"__all__": {"samples"}}}
    dumped: dict[str, Any] = data.model_dump(mode="json", exclude=exclude)
    return dumped


def print_outcome(outcome: Outcome, log: Callable[[str], None]) -> None:
    t, name = outcome.timings, outcome.loaded.name
    data = outcome.data
    build, html, pdf, naive = (t.median(k) for k in ("build", "html", "pdf", "naive"))
    log(
        f"{name}: month report of {len(data.brands)} brands, {data.period.first_day}..{data.period.last_day} "
        f"({data.period.timezone}, by {data.interval}): {data.total:,} mentions of {outcome.loaded.count:,}"
    )
    whose = f", the {outcome.rendered_by} report's (the same numbers)" if outcome.rendered_by else ""
    log(
        f"{name}: build {build:.2f}s, render HTML {html:.2f}s ({outcome.html_bytes / 1024:.0f} KiB), "
        f"render PDF {pdf:.2f}s ({outcome.pdf_pages} pages, {outcome.pdf_bytes / 1024:.0f} KiB{whose}); "
        f"build + PDF {build + pdf:.2f}s"
    )
    log(
        f"{name}: baseline: naive build {naive:.2f}s (read {outcome.naive.read:,} mentions of both periods, "
        f"counted in Python); floor: one count of the month {t.median('count') * 1000:.1f} ms"
    )
    cpu = ", ".join(f"{step} {t.cpu_median(step):.2f}s" for step in ("build", "html", "pdf", "naive"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    log(f"{name}: CPU of this process: {cpu}; load average {load}")
    log(f"{name}: ratio_vs_naive={naive / build:.1f} (the naive build's time over the report build's)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--mentions", type=int, default=100_000, help="Mentions (default 100000)")
    parser.add_argument(
        "--stores", default="sqlite,elasticsearch", help="Comma-separated: sqlite, elasticsearch"
    )
    add_es_url_argument(parser)
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of each measurement (default 3)")
    parser.add_argument(
        "--tz", default="Europe/London", help="The report's time zone (default Europe/London)"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_MENTIONS:,} mentions, one round: a smoke run"
    )
    args = parser.parse_args(argv)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - {"sqlite", "elasticsearch"}
    if unknown or not stores:
        parser.error(f"--stores: sqlite and/or elasticsearch, not {', '.join(sorted(unknown)) or 'nothing'}")
    if args.quick:
        args.mentions, args.rounds = QUICK_MENTIONS, 1
        if args.stores == parser.get_default("stores") and not args.es_url:
            stores = ["sqlite"]

    def log(line: str) -> None:
        print(line, flush=True)

    period = month(args.tz)
    started = time.perf_counter()
    mentions = list(make_mentions(args.mentions))
    log(
        f"mentions: {len(mentions):,} generated in {time.perf_counter() - started:.1f}s "
        f"(3 brands and noise, {mentions and min(m.published_at for m in mentions).date()}.."
        f"{mentions and max(m.published_at for m in mentions).date()}); report period "
        f"{period.first_day}..{period.last_day} {period.timezone}, compared with "
        f"{period.previous_start.date()}..{(period.previous_end - timedelta(days=1)).date()}"
    )
    outcomes: dict[str, Outcome] = {}
    failed = False
    for name in stores:
        with _opened(name, args.es_url, mentions, log) as loaded:
            log(
                f"{name}: indexed {loaded.count:,} mentions in {loaded.seconds:.1f}s "
                f"({loaded.count / loaded.seconds:,.0f}/s) and {len(make_customers()):,} customers"
            )
            first = next(iter(outcomes.values()), None)
            same_numbers = first is not None  # checked below: else this store's report is rendered too
            outcome = measure(loaded, period, args.rounds, log, render=not same_numbers)
            if first is not None:
                same_numbers = report_numbers(outcome.data) == report_numbers(first.data)
                if same_numbers:
                    outcome.renders_of(first)
                else:
                    outcome = measure(loaded, period, args.rounds, log)
            print_outcome(outcome, log)
            wrong = compare(outcome.data, outcome.naive)
            if wrong:
                failed = True
                log(f"{name}: {len(wrong)} numbers differ from the naive counts:")
                for line in wrong[:20]:
                    log(f"  {line}")
            else:
                log(f"{name}: every number checked equals the naive count")
            outcomes[name] = outcome
    if len(outcomes) == 2:
        same = report_numbers(outcomes["sqlite"].data) == report_numbers(outcomes["elasticsearch"].data)
        log(f"sqlite and elasticsearch reports: {'the same numbers' if same else 'DIFFERENT numbers'}")
        failed = failed or not same
    if "sqlite" in outcomes:
        t = outcomes["sqlite"].timings
        total = t.median("build") + t.median("pdf")
        verdict = "met" if total <= TARGET_S else "NOT met"
        log(f"target: the SQLite month report to PDF in <= {TARGET_S:.0f} s: {verdict}")
        log(f"report_pdf_s={total:.2f}")
    return 1 if failed else 0


@contextmanager
def _opened(
    name: str, es_url: str | None, mentions: Sequence[EnrichedMention], log: Callable[[str], None]
) -> Iterator[Loaded]:
    if name == "sqlite":
        with sqlite_store(mentions) as loaded:
            yield loaded
        return
    with elasticsearch_url(es_url) as url:
        log(f"elasticsearch: {url}")
        with es_store(url, mentions) as loaded:
            yield loaded


if __name__ == "__main__":
    sys.exit(main())
