"""`earful demo` as a newcomer runs it: the installed command, a fresh home, no configuration, offline."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from alerts.outbox import DeliveryState
from alerts.store import build_alert_stores
from core.ids import customer_id
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from demo.site.customers import data_path
from index.backends.sqlite import SQLiteMentionStore
from index.base import MentionFilter
from nlp.catalog import MODEL_NAME
from nlp.transformer_tagger import TransformerTagger
from tests.demo.helpers import demo_alerts, run_demo_cli

# The default tagger: the transformer, its real model (built into the model cache on a first run).
pytestmark = [pytest.mark.slow, pytest.mark.model]


def test_demo_indexes_the_site_and_shows_what_it_indexed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_demo_cli(home)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in out + done.stderr

    indexed = re.search(r"^(\d+) mentions in the sqlite store", out, re.MULTILINE)
    assert indexed is not None, out
    assert int(indexed.group(1)) >= 200
    for title in ("By source", "By language", "By sentiment", "By platform", "Top intents"):
        assert title in out
    cell = r"\s*\W\s*(\d+)"  # a rich table cell: a border character, then the count
    aspects = re.findall(rf"(price|delivery|quality|service|app_or_website|other){cell}{cell}{cell}", out)
    assert len(aspects) >= 3, out  # counted per polarity with aspect:<label>.<polarity>
    assert sum(int(n) for row in aspects for n in row[1:]) > 0
    rejected = re.search(r"Rejected input \((\d+)\)", out)
    assert rejected is not None
    assert int(rejected.group(1)) >= 1
    assert "unparseable created_at" in out  # the demo site's malformed item, with its reason
    # The review spider (a subprocess) and the replayed Hacker News API indexed items too; the
    # replica's broken item is reported with where and why.
    for source in ("demo-site", "demo-reviews", "hn-replay"):
        row = re.search(rf"^\s*{source}\s+ok\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out, re.MULTILINE)
        assert row is not None, out
        assert int(row.group(3)) > 0, row.group(0)  # indexed
    assert re.search(r"hn-replay: rejected hackernews .*missing field 'author'", out), out
    assert re.search(r"Done in [\d.]+s", out)
    english = re.search(r"Sample search \(English\): '[^']+': (\d+) mentions, top 3", out)
    chinese = re.search(r"Sample search \(Chinese\): '[^']+': (\d+) mentions, top 3", out)
    assert english is not None, out
    assert chinese is not None, out
    assert f"EARFUL_HOME={home}" in out  # how to query further, pointing at this home
    assert re.search(r"Done in [\d.]+s, of which Prefect start-up", out)
    # The web UI: the command that serves it over this home, its URL and the demo's login.
    assert re.search(rf"^  \.venv/bin/earful serve --home {re.escape(str(home))}$", out, re.MULTILINE), out
    login = re.search(
        r"^  then open http://127\.0\.0\.1:8000/ — log in as demo / (\w{16})$", out, re.MULTILINE
    )
    assert login is not None, out

    # What the output says is what the store holds.
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == int(indexed.group(1))
        langs = {b.key for b in store.terms("lang")}
        assert {"en", "zh"} <= langs
        for source in ("demo-site", "demo-reviews", "hn-replay"):
            assert store.load_cursor(source) is not None
        assert {"demo", "web", "hackernews"} <= {b.key for b in store.terms("platform")}
    assert sorted(p.stem for p in (home / "health" / "workspaces" / "default").glob("*.json")) == [
        "demo-reviews",
        "demo-site",
        "hn-replay",
    ]

    _assert_customers_linked(out, home)
    _assert_tagged_by_the_transformer(out, home, int(indexed.group(1)))
    delivered = _assert_alerts_delivered(out, home)
    reports = _assert_reports_written(out)

    # Again on the same home: nothing new is fetched (cursor), nothing doubles, the tables are the same.
    again = run_demo_cli(home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(rf"^{indexed.group(1)} mentions in the sqlite store", again.stdout, re.MULTILINE)
    assert "imported 40 customers (0 new, 0 updated, 40 unchanged)" in again.stdout  # idempotent
    assert f"log in as demo / {login.group(1)}\n" in again.stdout  # the same login
    linked = re.search(r"Linked customers: \d+ of 40 customers, \d+ mentions", out)
    assert linked is not None
    assert linked.group(0) in again.stdout
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == int(indexed.group(1))
    # The same alerts, all delivered by the first run: nothing is delivered twice.
    assert "Complaint from a VIP customer (intent:complaint AND tier:(gold OR platinum); already there)" in (
        again.stdout
    )
    assert demo_alerts(again.stdout) == (delivered, 0, delivered), again.stdout
    # The same reports, rebuilt in place: the brands and definitions were kept.
    assert "reports weekly, weekly-zh every Monday 09:00 UTC (already there)" in again.stdout
    assert _assert_reports_written(again.stdout) == reports

    _assert_another_workspace_starts_empty(home, int(indexed.group(1)))


def _assert_another_workspace_starts_empty(home: Path, in_default: int) -> None:
    """The demo in another workspace of the same home (the quick tagger): its own cursors, so it fetches
    everything again, its own customers, health and mentions; the default workspace's stay as they were."""
    done = run_demo_cli(home, "--workspace", "acme", "--tagger", "lexicon")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "workspace acme" in out
    indexed = re.search(r"^(\d+) mentions in the sqlite store", out, re.MULTILINE)
    assert indexed is not None, out
    assert int(indexed.group(1)) >= 200  # fetched again: the default workspace's cursors are not acme's
    assert "imported 40 customers (40 new, 0 updated, 0 unchanged)" in out
    assert re.search(r"EARFUL_WORKSPACE=acme .*earful customers show C\d{3}$", out, re.MULTILINE), out
    with SQLiteMentionStore(Settings(home=home), workspace="acme") as store:
        assert store.count() == int(indexed.group(1))
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == in_default
    assert len(list((home / "health" / "workspaces" / "acme").glob("*.json"))) == 3
    assert "tier:(gold OR platinum); created)" in out  # the presets are the workspace's own
    total, now, earlier = demo_alerts(out)
    assert (now, earlier) == (total, 0)


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _assert_reports_written(out: str) -> list[Path]:
    """The week's brand report, HTML and PDF: the printed files exist, the PDF is a PDF naming every demo
    brand, and the next steps say how to build it again and in Chinese."""
    brands = ("Quillfinch", "Munchbird", "Cobaltwing Air", "Kestrelle")
    assert re.search(
        r"^Brand reports: brands Quillfinch \(own\), Munchbird \(competitor\), "
        r"Cobaltwing Air \(competitor\), Kestrelle \(competitor\); "
        r"reports weekly, weekly-zh every Monday 09:00 UTC",
        out,
        re.MULTILINE,
    ), out
    built = re.search(
        r"^Weekly brand report, 2026-11-09\.\.2026-11-15: (\d+) mentions \(as its schedule", out, re.MULTILINE
    )
    assert built is not None, out
    assert int(built.group(1)) >= 40
    files = [Path(p) for p in re.findall(r"^  (?:HTML|PDF) +(/\S+\.(?:html|pdf))$", out, re.MULTILINE)]
    assert [p.suffix for p in files] == [".html", ".pdf"], out
    for path in files:
        assert path.stat().st_size > 1000, path
    assert files[1].read_bytes().startswith(b"%PDF")
    text = _pdf_text(files[1])
    assert "Weekly brand report" in text
    for brand in brands:
        assert brand in text, brand
    for report in ("weekly", "weekly-zh"):  # how to build them again, and the Chinese one
        assert re.search(
            rf"\.venv/bin/earful reports run {report} --period 2026-11-09\.\.2026-11-15$", out, re.MULTILINE
        ), out
    assert "/reports" in out  # where the web UI lists them
    return files


def _assert_alerts_delivered(out: str, home: Path) -> int:
    """The VIP complaint preset fired on the demo's data; each alert reached the demo's receiver once,
    with its explanation; the inbox and the outbox agree with the table."""
    assert "Complaint from a VIP customer (intent:complaint AND tier:(gold OR platinum); created)" in out
    total, now, earlier = demo_alerts(out)
    assert total >= 3
    assert (now, earlier) == (total, 0)
    assert "Query: intent:complaint AND tier:(gold OR" in out  # why (the cell may wrap after OR)
    assert re.search(r"Tier: (gold|platinum)", out)  # the customer's tier
    assert "repeated deliveries" not in out
    with build_alert_stores(Settings(home=home), workspace=DEFAULT_WORKSPACE) as stores:
        assert stores.alerts.count() == total
        records = stores.outbox.list(limit=1000)
        assert len(records) == total
        assert {r.state for r in records} == {DeliveryState.sent}
    return total


def _assert_customers_linked(out: str, home: Path) -> None:
    """The demo imports its master file and links authors to customers, except those who did not consent
    to profiling: the output says so and the store agrees."""
    with data_path().open(encoding="utf-8", newline="") as f:
        master = list(csv.DictReader(f))
    assert f"imported {len(master)} customers ({len(master)} new, 0 updated, 0 unchanged)" in out
    linked = re.search(r"Linked customers: (\d+) of (\d+) customers, (\d+) mentions", out)
    assert linked is not None, out
    assert int(linked.group(1)) >= 20
    assert int(linked.group(2)) == len(master)
    shown = re.search(r"Customer 360: .+ \((C\d{3})\), tier \w+", out)
    assert shown is not None, out
    assert re.search(r"\d+ linked mentions; sentiment .*negative \d+%", out)  # sentiment per customer
    assert re.search(rf"earful customers show {shown.group(1)}$", out, re.MULTILINE)

    refusing = [row for row in master if row["consent_profiling"] == "no"]
    consenting = [row for row in master if row["consent_profiling"] == "yes" and row["user_ids"]]
    assert 2 <= len(refusing) <= 3
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as store:
        assert store.count(MentionFilter(linked=True)) == int(linked.group(3))
        for row in consenting:
            assert store.count(MentionFilter(customer_ids=(customer_id(row["code"]),))) > 0, row["code"]
        authors = {m.author.native_id for m in store.export() if m.author is not None}
        for row in refusing:
            # They did write in the demo (their user id is in the store), yet nothing links to them.
            user_id = row["user_ids"].partition(":")[2]
            assert user_id in authors, row
            assert store.count(MentionFilter(customer_ids=(customer_id(row["code"]),))) == 0, row["code"]
            assert f"{row['code']} " not in out.split("Linked customers:")[1].split("Customer 360")[0]
        # Linked mentions keep how and how sure: the method, the confidence and the evidence.
        sample = next(store.export(MentionFilter(linked=True)))
        assert sample.customer is not None
        assert sample.customer.method in ("platform_user_id", "handle")
        assert sample.customer.confidence >= Settings().nlp.link_threshold
        assert sample.customer.evidence


def _assert_tagged_by_the_transformer(out: str, home: Path, total: int) -> None:
    """The demo says which model tagged the mentions, and every stored mention carries that model."""
    model = TransformerTagger().model
    assert model.name == MODEL_NAME
    assert f"Tagger transformer: model {model.name} {model.version} (loaded in" in out, out
    assert f"Tagged by model {model.name} {model.version}: {total} mentions" in out, out
    with SQLiteMentionStore(Settings(home=home), workspace=DEFAULT_WORKSPACE) as store:
        scored = 0
        for mention in store.export():
            assert mention.models[0] == model
            scored += mention.lang in ("en", "zh") and mention.sentiment.label != "unscored"
        assert scored >= total // 2
        assert store.terms("intent")  # the heads' intents reach the store
