"""The CRM part of `earful demo` (demo/crm.py): its generated orders and interactions, and the four
views of a real run (the quick lexicon tagger), twice: the second run imports nothing new."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from demo.crm import order_rows, write_demo_records
from demo.site.customers import data_path

EARFUL = Path(sys.executable).with_name("earful")
TODAY = date(2026, 12, 7)


def _codes() -> list[str]:
    with data_path().open(encoding="utf-8", newline="") as f:
        return [row["code"] for row in csv.DictReader(f)]


def test_the_generated_records_are_deterministic_relative_to_today_and_pareto(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = write_demo_records(tmp_path / "a", data_path(), TODAY)
    again = write_demo_records(tmp_path / "b", data_path(), TODAY)
    assert files.orders.read_bytes() == again.orders.read_bytes()
    assert files.interactions.read_bytes() == again.interactions.read_bytes()

    rows = order_rows(_codes(), TODAY)
    later = order_rows(_codes(), TODAY + timedelta(days=30))
    # the same orders a month on, each dated 30 days later: the data never ages
    assert [(r["order_id"], r["amount"]) for r in rows] == [(r["order_id"], r["amount"]) for r in later]
    days = [(TODAY - datetime.fromisoformat(r["ordered_at"]).date()).days for r in rows]
    assert min(days) >= 1
    assert max(days) <= 731
    revenue: dict[str, Decimal] = {}
    for r in rows:
        revenue[r["customer_code"]] = revenue.get(r["customer_code"], Decimal(0)) + Decimal(r["amount"])
    assert len(revenue) == 35  # five of the forty never bought
    top = sorted(revenue.values(), reverse=True)
    assert sum(top[: len(top) // 5]) / sum(top) >= Decimal("0.6")  # a fifth brings most of the revenue
    with files.interactions.open(encoding="utf-8") as f:
        notes = [row["notes"] for row in csv.DictReader(f)]
    assert notes
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in notes)


def _run_demo(home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EARFUL_", "PREFECT_"))}
    env["COLUMNS"] = "200"  # rich wraps to the terminal width; keep lines whole for the assertions
    done = subprocess.run(
        [str(EARFUL), "demo", "--home", str(home), "--tagger", "lexicon"],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def _sections(out: str) -> dict[str, str]:
    """The four CRM views' titles and bodies, as the run printed them."""
    key = re.search(r"Key customers \(80/20\): (\d+) of (\d+) buyers bring (\d+)% of revenue", out)
    assert key is not None, out
    assert 1 <= int(key.group(1)) <= int(key.group(2)) // 2  # a minority
    assert 70 <= int(key.group(3)) <= 90
    assert re.search(r"│\s+1 │ C\d{3} │ .+ │\s+¥[\d,]+\.\d\d │\s+[\d.]+% │", out), out
    risk = out.split("Most at risk of churning, and why")[1].split("Birthdays this week")[0]
    rows = re.findall(r"│ (C\d{3}) │ .+? │ (0\.\d\d|1\.00) │", risk)
    assert len(rows) == 3, risk
    assert "days without an order" in risk or "recent mentions" in risk  # the reasons
    birthdays = out.split("Birthdays this week: ")[1].split("Open case")[0]
    found = re.findall(r"│ (\d{4}-\d\d-\d\d) │ (today|\d+ days?)\s+│ (C\d{3}) │", birthdays)
    assert len(found) >= 3, birthdays
    case = re.search(r"Open case (\w+): .+?, .+ \((C\d{3})\), \w+, (\d+) complaints", out)
    assert case is not None, out
    timeline = out.split(case.group(0))[1].split("Query further")[0]
    kinds = set(
        re.findall(r"│ \d{4}-\d\d-\d\d \d\d:\d\d │ (mention|order|interaction|case note)\s", timeline)
    )
    assert {"mention", "case note"} <= kinds, timeline
    assert "演示" in timeline  # the demo's note on the case
    return {
        "key": key.group(0),
        "risk": " ".join(code for code, _ in rows),
        "birthdays": str(found),
        "case": case.group(0),
    }


@pytest.mark.slow
def test_the_demo_shows_key_customers_risk_birthdays_and_an_open_case(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _run_demo(home)
    assert re.search(r"Demo orders: imported (\d+) \(\1 new, 0 updated, 0 unchanged; 0 rejected\)", first)
    assert re.search(r"Demo interactions: imported (\d+) \(\1 new, 0 updated", first)
    assert re.search(r"Scores recomputed in [\d.]+s: 37 customers scored, 3 skipped", first)
    shown = _sections(first)

    second = _run_demo(home)
    assert re.search(r"Demo orders: imported (\d+) \(0 new, 0 updated, \1 unchanged", second), second
    assert re.search(r"Demo interactions: imported (\d+) \(0 new, 0 updated, \1 unchanged", second), second
    assert _sections(second) == shown  # the same views
