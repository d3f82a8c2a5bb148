"""The demo's brand reports: its brands, two report definitions, and the week's report built into the
archive (HTML and PDF), its files' paths printed.

Brands: the demo site's four fictional brands, Quillfinch as the workspace's own (earbuds and
headphones; the replayed Hacker News source listens for it too) and Munchbird, Cobaltwing Air and
Kestrelle as its competitors, so that share of voice compares four brands of about the same volume
(their trades differ: in a real workspace competitors share a market). Each brand's query matches the
posts that name it, its products, support handle or hashtags, in English and both Chinese scripts, and
no post of another (`tests/demo/test_reports.py` checks that against the demo's items); replies that
name nothing ("Same here") belong to no brand, as a real listening query would have it.

Reports: ``weekly`` (English) and ``weekly-zh`` (Chinese), the last calendar week, scheduled on Monday
09:00 in the reports' zone (`settings.reports.timezone`), HTML and PDF, with no channel: the demo
delivers nothing by e-mail.

The demo builds ``weekly`` only (`DEMO_BUILDS`): a report's charts and PDF cost several seconds of CPU
(measured: 7 to 9 s for this four-brand week on the development machine, most of it the nine charts
through vl-convert and WeasyPrint's layout of 15-odd pages), which the demo should not pay twice;
``earful reports run weekly-zh --period <the week>`` builds the Chinese one.

The demo's posts are dated in the 30 days before a fixed moment (`demo.site.generate.ANCHOR`, a Sunday),
never relative to now, so the week the demo builds is the one its schedule would have built next after
that moment: ``last-week`` at the schedule's first fire after the anchor (Monday 2026-11-16 09:00), the
week of 9 to 15 November 2026. ``earful reports run weekly --period <that week>`` builds it again.

Idempotent: a brand or definition already in the workspace is left as it is (a user may have edited
it); a report of the same period and language replaces its archived files (`reports.archive`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from core.settings import Settings
from demo.site.generate import ANCHOR
from reports.brands import Brand, BrandRole
from reports.definitions import ReportDefinition, ReportFormat
from reports.period import ReportPeriod, resolve_period
from reports.schedule import ReportSchedule, next_fire

if TYPE_CHECKING:
    from index.base import MentionStore
    from reports.archive import ArchivedReport

WEEKLY = "weekly"
WEEKLY_ZH = "weekly-zh"
SCHEDULE = ReportSchedule(cron="0 9 * * 1")  # Monday 09:00, in the report's zone
FORMATS = (ReportFormat.html, ReportFormat.pdf)
DEMO_BUILDS = (WEEKLY,)  # the definitions the demo builds (see the module's docstring)

DEMO_BRANDS: tuple[Brand, ...] = (
    Brand(
        name="Quillfinch",
        query='Quillfinch* OR 鹊鸣 OR 鵲鳴 OR Aria OR AriaBuds OR "Halo 700" OR Halo700',
        role=BrandRole.own,
        description="Earbuds (Aria Buds) and headphones (Halo 700); fictional",
    ),
    Brand(
        name="Munchbird",
        query="Munchbird* OR 馋鸟 OR 饞鳥",
        role=BrandRole.competitor,
        description="Food delivery (Munchbird app, Munchbird Plus); fictional",
    ),
    Brand(
        name="Cobaltwing Air",
        query="Cobaltwing* OR 钴翼 OR 鈷翼",
        role=BrandRole.competitor,
        description="An airline (Cobaltwing Miles); fictional",
    ),
    Brand(
        name="Kestrelle",
        query="Kestrelle* OR 隼星",
        role=BrandRole.competitor,
        description="Phones (Kestrelle K7, K7 Pro); fictional",
    ),
)


def demo_definitions(timezone: str) -> tuple[ReportDefinition, ...]:
    """The weekly report in English and in Chinese, every demo brand, in `timezone`."""
    brands = tuple(b.name for b in DEMO_BRANDS)
    common = {
        "brands": brands,
        "period": "last-week",
        "timezone": timezone,
        "formats": FORMATS,
        "schedule": SCHEDULE,
    }
    return (
        ReportDefinition(name=WEEKLY, title="Weekly brand report", language="en", **common),
        ReportDefinition(name=WEEKLY_ZH, title="每周品牌报告", language="zh", **common),
    )


def demo_run_time(timezone: str) -> datetime:
    """When the schedule would have run the report first after the demo's newest post (UTC)."""
    fire = next_fire(SCHEDULE, timezone, ANCHOR)
    assert fire is not None  # a weekly cron always fires again
    return fire


def demo_period(timezone: str) -> ReportPeriod:
    """The week the demo's report covers: ``last-week`` at `demo_run_time`."""
    return resolve_period("last-week", tz=timezone, now=demo_run_time(timezone))


def period_range(period: ReportPeriod) -> str:
    """The period as ``--period`` takes it: ``YYYY-MM-DD..YYYY-MM-DD``."""
    return f"{period.first_day.isoformat()}..{period.last_day.isoformat()}"


@dataclass(frozen=True)
class DemoReports:
    """What `write_demo_reports` did: the definitions (created now or kept), the archived runs."""

    created: tuple[str, ...]  # names of the brands and definitions saved by this run
    runs: tuple[ArchivedReport, ...]
    seconds: float


def ensure_brands_and_reports(
    settings: Settings, *, workspace: str
) -> tuple[list[ReportDefinition], list[str]]:
    """Save each demo brand and definition the workspace does not hold yet; (the definitions as stored,
    the names saved now)."""
    from reports.store import build_report_store

    created: list[str] = []
    definitions: list[ReportDefinition] = []
    store = build_report_store(settings, workspace=workspace)
    try:
        store.ensure_ready()
        for brand in DEMO_BRANDS:
            if store.get_brand(brand.name) is None:
                store.save_brand(brand)
                created.append(brand.name)
        for definition in demo_definitions(settings.reports.timezone):
            stored = store.get_report(definition.name)
            if stored is None:
                stored = store.save_report(definition)
                created.append(definition.name)
            definitions.append(stored)
    finally:
        store.close()
    return definitions, created


def write_demo_reports(
    settings: Settings, mentions: MentionStore, *, workspace: str, build: Sequence[str] = DEMO_BUILDS
) -> DemoReports:
    """Save the brands and definitions (once), then build those named in `build` for the demo's week into
    the workspace's archive, as their schedule would have on its first run after the demo's posts."""
    from alerts.report_delivery import fired_between
    from alerts.store import build_alert_stores
    from crm.customers import build_customer_directory
    from crm.scores import build_score_store
    from reports.archive import ReportArchive
    from reports.produce import produce
    from reports.store import build_report_store

    started = time.monotonic()
    definitions, created = ensure_brands_and_reports(settings, workspace=workspace)
    archive = ReportArchive(settings, workspace=workspace)
    runs = []
    with (
        build_report_store(settings, workspace=workspace) as report_store,
        build_alert_stores(settings, workspace=workspace) as alert_stores,
        closing(build_customer_directory(settings, workspace=workspace)) as customers,
        closing(build_score_store(settings, workspace=workspace)) as scores,
    ):
        for definition in (d for d in definitions if d.name in build):
            period = demo_period(definition.timezone)
            runs.append(
                produce(
                    mentions,
                    report_store,
                    archive,
                    definition,
                    now=demo_run_time(definition.timezone),
                    customers=customers,
                    scores=scores,
                    # As the report flow does: the alerts fired in the period. The demo's own fire as it
                    # runs, long after its posts' week, so its report lists none.
                    alerts=fired_between(alert_stores.alerts, period.start, period.end),
                    top=settings.reports.top,
                    samples=settings.reports.samples,
                ).archived
            )
    return DemoReports(
        created=tuple(created),
        runs=tuple(runs),
        seconds=time.monotonic() - started,
    )


def show_demo_reports(settings: Settings, done: DemoReports, console: Console, *, workspace: str) -> None:
    """The brands, the week, and each report's files (their paths, one a line, whole)."""
    from reports.archive import ReportArchive

    roles = ", ".join(f"{b.name} ({b.role.value})" for b in DEMO_BRANDS)
    saved = f"saved {', '.join(done.created)}" if done.created else "already there"
    console.print(
        f"[bold]Brand reports[/]: brands {escape(roles)}; reports {WEEKLY}, {WEEKLY_ZH} every Monday "
        f"09:00 {escape(settings.reports.timezone)} ({escape(saved)})",
        soft_wrap=True,
        highlight=False,
    )
    archive = ReportArchive(settings, workspace=workspace)
    for run in done.runs:
        console.print(
            f"{escape(run.title)}, {period_range(demo_period(run.timezone))}: {run.total} mentions "
            f"(as its schedule would have built it on {_local(demo_run_time(run.timezone), run.timezone)})",
            soft_wrap=True,
            highlight=False,
        )
        for file in run.files:
            path = archive.file_path(run.id, file.format)
            console.print(f"  {file.format.value.upper():<4} {path}", soft_wrap=True, highlight=False)
    console.print(f"[dim]Reports built in {done.seconds:.1f}s.[/]", highlight=False)


def _local(moment: datetime, timezone: str) -> str:
    from index.aggregations import zone

    return moment.astimezone(zone(timezone)).strftime("%A %Y-%m-%d %H:%M ") + timezone


__all__ = [
    "DEMO_BRANDS",
    "DEMO_BUILDS",
    "SCHEDULE",
    "WEEKLY",
    "WEEKLY_ZH",
    "DemoReports",
    "demo_definitions",
    "demo_period",
    "demo_run_time",
    "ensure_brands_and_reports",
    "period_range",
    "show_demo_reports",
    "write_demo_reports",
]
