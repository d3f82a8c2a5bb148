"""The CRM part of `earful demo`: the demo customers' orders and interactions, imported like any file
(`earful crm import`), their scores recomputed, then four views: the key customers (80/20) and their
share of revenue, the three customers most at risk and why, this week's birthdays, and an open case
(opened by the listen flow from a linked customer's complaint) with the customer's timeline.

The orders and interactions files are generated at demo time, deterministically from `SEED` and the
run's date: amounts, products and ids never change, and every date is "N days before today". Static
files would age: a year on, every demo customer would be lapsed and at risk. Two runs on one day write
the same files, so the second imports nothing new. The birthdays are the master file's (static): the
view shows the next seven days and, when that week holds fewer than `BIRTHDAY_ROWS`, the nearest next
ones (each with how many days away), so it is never empty.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from core.models import Customer
    from core.settings import Settings
    from crm.cases import Case, CaseStore
    from crm.scores import CustomerScore
    from crm.timeline import TimelineEntry, TimelineSource
    from index.base import MentionStore

SEED = 20261207
ORDER_DAYS = 730  # about two years of orders
NO_ORDERS = 5  # customers who never bought (every eighth)
LAPSED = 4  # good customers who stopped buying months ago: the churn model should see them
PRODUCTS = ("earbuds", "charger", "phone case", "smart watch", "耳机", "充电宝", "蓝牙音箱", "数据线")
CHANNELS = ("tmall", "jd", "shop", "wechat")
STAFF = ("li.wei", "wang.fang", "chen.jing")
NOTES = (
    ("phone", "客户询问退款进度，已告知三个工作日内到账", "已解决"),
    ("wechat", "回访：对新耳机很满意，推荐给了朋友", "满意"),
    ("visit", "上门拜访，介绍新款智能手表", "有兴趣"),
    ("email", "Sent the warranty terms and the repair form", "waiting"),
    ("phone", "投诉物流太慢，已安排优惠券补偿", "补偿"),
    ("in_store", "门店试听蓝牙音箱，留下联系方式", "跟进"),
)
KEY_ROWS = 8
RISK_ROWS = 3
BIRTHDAY_ROWS = 3
TIMELINE_ROWS = 10
DEMO_NOTE = "演示：已电话联系客户，安排换货并致歉 (demo note)"


@dataclass(frozen=True)
class DemoRecords:
    orders: Path
    interactions: Path


def _codes(master: Path) -> list[str]:
    with master.open(encoding="utf-8", newline="") as f:
        return [row["code"] for row in csv.DictReader(f)]


def _at(today: date, days_ago: int, hour: int) -> str:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, 0), tzinfo=UTC).isoformat()


def order_rows(codes: list[str], today: date) -> list[dict[str, str]]:
    """Orders over `ORDER_DAYS` before `today`: Pareto-distributed customer weights drive how often and
    how much each customer buys, so a fifth of the buyers bring most of the revenue."""
    rng = random.Random(SEED)
    rows: list[dict[str, str]] = []
    buyers = [code for i, code in enumerate(codes) if i % 8 != 7][: len(codes) - NO_ORDERS]
    lapsed = set(rng.sample(buyers, LAPSED))
    for i, code in enumerate(buyers):
        weight = min(rng.paretovariate(1.16), 20.0)
        count = max(1, min(40, round(weight * rng.uniform(1.0, 3.0))))
        basket = 120.0 * weight**0.5 * rng.uniform(0.7, 1.3)
        first = rng.randint(120, ORDER_DAYS)
        last = rng.randint(200, 400) if code in lapsed else rng.randint(1, min(60, first))
        if code in lapsed:
            count = max(count, 6)  # a habit that stopped
            first = max(first, last + 180)
        days = [*sorted((rng.randint(last, first) for _ in range(count - 1)), reverse=True), last]
        for k, days_ago in enumerate(days):
            amount = Decimal(str(round(basket * rng.lognormvariate(0.0, 0.35), 2)))
            rows.append(
                {
                    "customer_code": code,
                    "order_id": f"DM{i:02d}{k:03d}",
                    "ordered_at": _at(today, days_ago, 10 + k % 10),
                    "amount": f"{amount:.2f}",
                    "currency": "CNY",
                    "products": ";".join(rng.sample(PRODUCTS, rng.randint(1, 2))),
                    "channel": rng.choice(CHANNELS),
                }
            )
    return rows


def interaction_rows(codes: list[str], today: date) -> list[dict[str, str]]:
    """One to three contacts each for half the customers, the notes mostly in Chinese."""
    rng = random.Random(SEED + 1)
    rows: list[dict[str, str]] = []
    for i, code in enumerate(codes[::2]):
        for k in range(rng.randint(1, 3)):
            channel, notes, outcome = rng.choice(NOTES)
            rows.append(
                {
                    "id": f"DI{i:02d}{k}",
                    "customer_code": code,
                    "at": _at(today, rng.randint(1, 300), 9 + k),
                    "channel": channel,
                    "staff": rng.choice(STAFF),
                    "outcome": outcome,
                    "notes": notes,
                }
            )
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_demo_records(folder: Path, master: Path, today: date) -> DemoRecords:
    """orders.csv and interactions.csv in `folder` for the customers of `master` (module docstring)."""
    codes = _codes(master)
    return DemoRecords(
        orders=_write(folder / "orders.csv", order_rows(codes, today)),
        interactions=_write(folder / "interactions.csv", interaction_rows(codes, today)),
    )


def import_demo_records(settings: Settings, console: Console, workspace: str) -> None:
    """Generate and import the demo's orders and interactions (idempotent by order and interaction id)."""
    from crm.customers import build_customer_directory
    from crm.imports import import_interactions, import_orders
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from demo.site.customers import data_path

    with tempfile.TemporaryDirectory(prefix="earful-demo-") as tmp:
        files = write_demo_records(Path(tmp), data_path(), datetime.now(UTC).date())
        with (
            build_customer_directory(settings, workspace=workspace) as directory,
            build_order_store(settings, workspace=workspace) as orders,
            build_interaction_store(settings, workspace=workspace) as interactions,
        ):
            for name, report in (
                ("orders", import_orders(files.orders, orders, directory)),
                ("interactions", import_interactions(files.interactions, interactions, directory)),
            ):
                console.print(
                    f"Demo {name}: imported {report.imported} ({report.created} new, {report.updated} "
                    f"updated, {report.unchanged} unchanged; {len(report.rejected)} rejected)",
                    highlight=False,
                )


def show_crm(settings: Settings, mentions: MentionStore, console: Console) -> None:
    """Recompute the workspace's scores, then the four views (module docstring)."""
    from time import perf_counter

    from crm.cases import build_case_store
    from crm.customers import build_customer_directory
    from crm.scores import build_score_store, recompute_scores

    workspace = mentions.workspace
    started = perf_counter()
    report = recompute_scores(settings, workspace=workspace)
    console.print(
        f"\nScores recomputed in {perf_counter() - started:.2f}s: {report.scored} customers scored, "
        f"{report.skipped} skipped (no profiling consent)",
        highlight=False,
    )
    with (
        build_score_store(settings, workspace=workspace) as score_store,
        build_customer_directory(settings, workspace=workspace) as directory,
        build_case_store(settings, workspace=workspace) as cases,
    ):
        scores = [s for s in score_store.list() if not s.skipped]
        customers = list(directory.iter_all())
        _key_customers(scores, console)
        _at_risk(scores, console)
        _birthdays(customers, {s.customer_id: s for s in scores}, console)
        _open_case(settings, cases, mentions, {c.id: c for c in customers}, console)


def _key_customers(scores: list[CustomerScore], console: Console) -> None:
    from crm.scores import ValueTier

    buyers = [s for s in scores if s.value is not None]
    key = sorted((s for s in buyers if s.tier is ValueTier.key), key=lambda s: s.value.rank if s.value else 0)
    share = sum(s.value.share for s in key if s.value)
    table = Table(
        title=f"Key customers (80/20): {len(key)} of {len(buyers)} buyers bring {share:.0%} of revenue",
        title_justify="left",
    )
    for column in ("rank", "code", "name", "revenue", "share", "cumulative", "segment"):
        table.add_column(
            column, justify="right" if column in ("rank", "revenue", "share", "cumulative") else "left"
        )
    for s in key[:KEY_ROWS]:
        assert s.value is not None
        table.add_row(
            str(s.value.rank),
            escape(s.customer_code),
            escape(s.customer_name),
            f"¥{s.value.revenue:,.2f}",
            f"{s.value.share:.1%}",
            f"{s.value.cumulative_share:.0%}",
            s.segment.value if s.segment else "-",
        )
    console.print(table)


def _at_risk(scores: list[CustomerScore], console: Console) -> None:
    risky = sorted(
        (s for s in scores if s.churn is not None),
        key=lambda s: (-(s.churn.risk if s.churn else 0), s.customer_code),
    )
    table = Table(title="Most at risk of churning, and why", title_justify="left")
    for column in ("code", "name", "risk", "value tier", "reasons"):
        table.add_column(column, justify="right" if column == "risk" else "left")
    for s in risky[:RISK_ROWS]:
        assert s.churn is not None
        reasons = "; ".join(r.text for r in s.churn.reasons) or "-"
        table.add_row(
            escape(s.customer_code),
            escape(s.customer_name),
            f"{s.churn.risk:.2f}",
            s.tier.value if s.tier else "-",
            escape(reasons),
        )
    console.print(table)


def _birthdays(customers: Iterable[Customer], scores: dict[str, CustomerScore], console: Console) -> None:
    from crm.reminders import KEY_VALUE_TIER, next_occurrence

    today = datetime.now(UTC).date()
    upcoming = sorted(
        ((next_occurrence(c.birthday, today), c) for c in customers if c.birthday is not None),
        key=lambda pair: (
            pair[0],
            0 if (s := scores.get(pair[1].id)) and s.tier == KEY_VALUE_TIER else 1,  # key customers first
            pair[1].code,
        ),
    )
    week = [pair for pair in upcoming if (pair[0] - today).days < 7]
    shown = week if len(week) >= BIRTHDAY_ROWS else upcoming[:BIRTHDAY_ROWS]
    title = f"Birthdays this week: {len(week)}" + (
        "" if len(week) >= BIRTHDAY_ROWS else f" (and the next ones, to show {BIRTHDAY_ROWS})"
    )
    table = Table(title=title, title_justify="left")
    for column in ("date", "in", "code", "name", "value tier", "owner"):
        table.add_column(column)
    for day, c in shown:
        s = scores.get(c.id)
        table.add_row(
            day.isoformat(),
            "today" if day == today else f"{(day - today).days} day{'s' if (day - today).days > 1 else ''}",
            escape(c.code),
            escape(c.name),
            s.tier.value if s and s.tier else "-",
            escape(c.owner or "-"),
        )
    console.print(table)


def case_note_entries(case: Case) -> TimelineSource:
    """The case's changes and notes as timeline entries, for `crm.timeline.timeline`'s `sources`."""
    from crm.cases.timeline import newest_entries

    def entries(customer_id: str, n: int) -> list[TimelineEntry]:
        return newest_entries([case], n) if customer_id == case.customer_id else []

    return entries


def _open_case(
    settings: Settings,
    cases: CaseStore,
    mentions: MentionStore,
    customers: dict[str, Customer],
    console: Console,
) -> None:
    from core.models import utcnow
    from crm.cases import CaseFilter
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from crm.timeline import timeline

    found = cases.list(CaseFilter(open_only=True))
    if not found:
        console.print("Open cases: none (no complaint of a linked customer)")
        return
    # the case with the most complaints: the same one on every run
    case = min(found, key=lambda c: (-len(c.mention_ids), c.id))
    if not case.notes:  # the demo's own note, once: a second run shows the same case
        case = cases.update(case.id, lambda c: c.add_note(DEMO_NOTE, by="demo", now=utcnow()))
    customer = customers.get(case.customer_id)
    who = f"{customer.name} ({customer.code})" if customer else case.customer_id
    workspace = mentions.workspace
    with (
        build_interaction_store(settings, workspace=workspace) as interactions,
        build_order_store(settings, workspace=workspace) as orders,
    ):
        page = timeline(
            case.customer_id,
            mentions=mentions,
            interactions=interactions,
            orders=orders,
            sources=(case_note_entries(case),),
            limit=TIMELINE_ROWS,
        )
    table = Table(
        title=f"Open case {case.id}: {escape(case.title[:60])}, {who}, {case.status.value}, "
        f"{len(case.mention_ids)} complaints (of {len(found)} open cases); the customer's timeline",
        title_justify="left",
    )
    for column in ("when", "what", "", "ref"):
        table.add_column(column)
    for entry in page.entries:
        text = f"{entry.title}: {entry.detail}" if entry.detail else entry.title  # notes: text in detail
        table.add_row(_when(entry), entry.kind, escape(text[:100]), escape(entry.ref[:12]))
    console.print(table)


def _when(entry: TimelineEntry) -> str:
    return entry.at.isoformat(sep=" ")[:16]
