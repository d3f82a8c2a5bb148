"""The demo's alerting: the alert presets that fit the demo's data, a webhook receiver on loopback that
the demo's channel points at while it runs, and the delivered alerts shown with their explanations.

Which presets: only ``vip_complaint`` (a complaint from a gold or platinum customer, every match). The
demo replays posts from the past weeks, and the windowed presets judge windows of publication time
around now: a spike, a dip or a silent source needs live traffic over hours, which a one-shot demo
does not have (its posts would be late for every window, and a silent-source rule would fire on the
next run, hours after the last one). The VIP preset fires on the demo's own data: several gold and
platinum customers of the master file complain.

Idempotent: a preset already in the workspace's rule store is left as it is (a user may have edited or
disabled it); alert ids are deterministic and the outbox holds one delivery per (alert, channel), so a
second run delivers nothing again and shows the same alerts, from the outbox.

The demo's channel, ``demo-webhook``, is one entry of the workspace's ``channels.yaml``: the demo adds or
replaces that entry each run (the receiver's port changes) and keeps every other channel as it was.
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from alerts.channels.base import AlertMessage, MessageSection
from alerts.channels.catalog import channels_file
from alerts.channels.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_webhook_signature,
)
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.presets import preset
from alerts.rules import Rule
from alerts.store import build_alert_stores
from core.settings import Settings

DEMO_CHANNEL = "demo-webhook"
DEMO_OWNER = "demo"
DEMO_PRESETS = ("vip_complaint",)
SHOWN_ALERTS = 10  # rows of the table; `earful alerts list` shows them all
_SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


# --- rules and channel ---------------------------------------------------------------------------
def demo_rules() -> list[Rule]:
    """The demo's presets, delivered to the demo's channel."""
    return [preset(name, owner=DEMO_OWNER, overrides={"channels": [DEMO_CHANNEL]}) for name in DEMO_PRESETS]


def ensure_presets(settings: Settings, *, workspace: str) -> list[tuple[Rule, bool]]:
    """Save each demo preset that the workspace's rule store does not hold yet; (rule as stored, created
    now) for each."""
    out: list[tuple[Rule, bool]] = []
    with build_alert_stores(settings, workspace=workspace) as stores:
        stores.ensure_ready()
        for rule in demo_rules():
            existing = stores.rules.get(rule.id)
            if existing is None:
                stores.rules.save(rule)
            out.append((existing or rule, existing is None))
    return out


def write_demo_channel(settings: Settings, *, workspace: str, url: str, secret: str) -> Path:
    """Point the demo's webhook entry of the workspace's channels file at `url`, signed with `secret`;
    the file's other entries stay as they are (as written: ``${VAR}`` references are not expanded)."""
    path = channels_file(settings, workspace=workspace)
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if isinstance(data, list):
        data = {"channels": data}
    if not isinstance(data, dict):
        data = {}
    entries = [
        c for c in data.get("channels") or [] if not (isinstance(c, dict) and c.get("name") == DEMO_CHANNEL)
    ]
    entries.append({"name": DEMO_CHANNEL, "kind": "webhook", "url": url, "secret": secret})
    data["channels"] = entries
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- the receiver --------------------------------------------------------------------------------
@dataclass
class Received:
    """What the receiver accepted (by alert id), and what it refused or saw twice."""

    messages: dict[str, AlertMessage] = field(default_factory=dict)
    duplicates: int = 0
    refused: int = 0


class DemoReceiver:
    """A webhook endpoint on loopback, as a team would run one: it verifies Earful's signature and
    timestamp (``verify_webhook_signature``), answers 401 to anything else, and keeps each alert once
    (a retry carries the same ``X-Earful-Delivery``). Started and stopped as a context manager."""

    def __init__(self, host: str = "127.0.0.1", secret: str | None = None) -> None:
        self.host = host
        self.secret = secret or secrets.token_urlsafe(24)
        self.received = Received()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "receiver not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/alerts"

    def _accept(self, headers: Any, body: bytes) -> int:
        if not verify_webhook_signature(
            self.secret, body, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        ):
            with self._lock:
                self.received.refused += 1
            return 401
        try:
            message = AlertMessage.model_validate_json(body)
        except ValidationError:
            with self._lock:
                self.received.refused += 1
            return 400
        alert_id = headers.get(DELIVERY_HEADER) or message.alert_id
        with self._lock:
            if alert_id in self.received.messages:
                self.received.duplicates += 1
            else:
                self.received.messages[alert_id] = message
        return 200

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms delayed-ACK stall

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._accept(self.headers, body) if self.path == "/alerts" else 404
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # the demo's output is its tables
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- what was delivered --------------------------------------------------------------------------
def delivered_records(settings: Settings, *, workspace: str) -> tuple[list[OutboxRecord], int]:
    """The demo channel's sent deliveries, oldest first, and how many of its deliveries still wait."""
    with build_alert_stores(settings, workspace=workspace) as stores:
        records = stores.outbox.list(limit=10_000)
    mine = [r for r in records if r.channel == DEMO_CHANNEL]
    return [r for r in mine if r.state is DeliveryState.sent], sum(
        r.state is DeliveryState.pending for r in mine
    )


def snippet_text(snippet: str | None, limit: int = 220) -> Text:
    """A message's snippet (HTML-escaped, matched words in ``<em>``) as rich text, matches in bold."""
    text = Text()
    if not snippet:
        return text
    bold = False
    for part in re.split(r"(</?em>)", snippet):
        if part in ("<em>", "</em>"):
            bold = part == "<em>"
        elif part:
            text.append(html.unescape(part), style="bold magenta" if bold else "")
    text.truncate(limit, overflow="ellipsis")
    return text


_HIDDEN = frozenset({"Rule", "Key"})  # the rule has its column; the key repeats the customer's id


def _value(label: str, value: str, limit: int = 160) -> str:
    if label == "Last mentions":  # mention ids: how many is what a table can say
        return str(len(value.split(",")))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fields(sections: Iterator[MessageSection]) -> str:
    return "\n".join(
        f"{escape(f.label)}: {escape(_value(f.label, f.value))}"
        for section in sections
        for f in section.fields
        if f.label not in _HIDDEN
    )


def _delivered_table(records: list[OutboxRecord], this_run: set[str]) -> Table:
    table = Table(show_lines=True)
    for column in ("sent", "alert", "why", "customer", "mention"):
        table.add_column(column, overflow="fold")
    for record in records:
        message = record.message
        style = _SEVERITY_STYLES.get(str(message.severity), "")
        sent = record.sent_at.strftime("%Y-%m-%d %H:%M:%S") if record.sent_at else "-"
        table.add_row(
            f"{sent}\n{'this run' if record.alert_id in this_run else 'earlier run'}",
            f"[{style}]{escape(str(message.severity))}[/]\n{escape(message.title)}",
            _fields(s for s in message.sections if s.title.lower() != "customer"),
            _fields(s for s in message.sections if s.title.lower() == "customer") or "-",
            snippet_text(message.snippet),
        )
    return table


def show_delivered(
    settings: Settings, console: Console, *, workspace: str, received: Received | None = None
) -> list[OutboxRecord]:
    """The alerts delivered to the demo's channel, each with its explanation: the rule and why (its
    query, its numbers), the customer and tier, the matched snippet; and whether this run sent it."""
    records, pending = delivered_records(settings, workspace=workspace)
    this_run = set(received.messages) if received is not None else set()
    now = sum(r.alert_id in this_run for r in records)
    title = (
        f"Alerts delivered to the {DEMO_CHANNEL} webhook: {len(records)} ({now} in this run, "
        f"{len(records) - now} in an earlier run; each alert is delivered once)"
    )
    console.print()
    console.print(f"[bold]{title}[/]", soft_wrap=True, highlight=False)  # one line, whatever the width
    if records:
        console.print(_delivered_table(records[:SHOWN_ALERTS], this_run))
    if len(records) > SHOWN_ALERTS:
        console.print(f"[dim]… {len(records) - SHOWN_ALERTS} more: earful alerts list[/]")
    if pending:
        console.print(f"[yellow]{pending} deliveries still pending: they go out on the next run[/]")
    if received is not None and (received.duplicates or received.refused):
        console.print(
            f"[red]The receiver saw {received.duplicates} repeated deliveries and refused "
            f"{received.refused} requests[/]"
        )
    return records


def describe_presets(created: list[tuple[Rule, bool]]) -> str:
    """One line: the presets the demo uses, created now or found."""
    parts = [
        f"{escape(rule.name)} ({escape(rule.query)}; {'created' if new else 'already there'})"
        for rule, new in created
    ]
    return f"Alert rules from the presets: {'; '.join(parts)}; delivered to the {DEMO_CHANNEL} webhook"
