"""Delivering a built report through the alert channels and their outbox.

A report is a message like an alert: e-mail sends its HTML as the body and attaches its files (PDF...),
read from the report archive when the mail goes out; chat channels show its title, its summary, the names
of its files and a link to it in the web UI. Built from primitives (ids, titles, paths), since alerts and
reports may not import each other; `flows.reports` joins them::

    message = report_message(workspace=ws, run_id=archived.id, report=definition.name, title=...,
                             summary=..., html_body=html, attachments=files, link=url, created_at=now)
    enqueue_report(stores.outbox, message, definition.channels, now=now)

The message's id is ``report:<run id>``, and a run id names (workspace, report, period, language): the
outbox keeps one delivery per (run, channel), so a schedule that fires twice for a period, or a rerun,
delivers the report once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from alerts.channels.base import AlertMessage, Attachment, Link, MessageField, MessageSection, Severity
from alerts.channels.catalog import channels_file, workspace_channels
from alerts.channels.config import ChannelConfig
from alerts.inbox import Alert
from alerts.store.base import AlertFilter, AlertStore, ListMark, OutboxStore
from core.errors import InvalidInput
from core.settings import Settings

REPORT_ID_PREFIX = "report:"
ALERTS_PAGE = 500
Language = Literal["en", "zh"]
_LABELS: dict[str, dict[Language, str]] = {
    "rule": {"en": "Report", "zh": "报告"},
    "files": {"en": "Files", "zh": "文件"},
    "open": {"en": "Open the report", "zh": "打开报告"},
}


def report_alert_id(run_id: str) -> str:
    """The outbox id of a report run's deliveries."""
    return f"{REPORT_ID_PREFIX}{run_id}"


def _file_label(attachment: Attachment) -> str:
    suffix = attachment.filename.rpartition(".")[2]
    return suffix.upper() if suffix and suffix != attachment.filename else attachment.media_type


def report_message(
    *,
    workspace: str,
    run_id: str,
    report: str,
    title: str,
    summary: str,
    html_body: str | None = None,
    attachments: Sequence[Attachment] = (),
    link: str | None = None,
    language: Language = "en",
    created_at: datetime,
) -> AlertMessage:
    """The message of one archived report run. `report` is the definition's name (the footer's "rule"
    line names it), `summary` the lines the chat channels show, `link` the report in the web UI."""
    files = tuple(MessageField(label=_file_label(a), value=a.filename) for a in attachments)
    sections = (MessageSection(title=_LABELS["files"][language], fields=files),) if files else ()
    links = (Link(label=_LABELS["open"][language], url=link),) if link else ()
    return AlertMessage(
        alert_id=report_alert_id(run_id),
        workspace=workspace,
        rule=f"{_LABELS['rule'][language]} {report}",
        title=title,
        severity=Severity.info,
        summary=summary,
        sections=sections,
        links=links,
        created_at=created_at,
        attachments=tuple(attachments),
        html_body=html_body,
    )


def enqueue_report(outbox: OutboxStore, message: AlertMessage, channels: Iterable[str], now: datetime) -> int:
    """One pending delivery of `message` per channel; how many are new (an earlier run of the same
    report and period enqueued the others: they are not sent again)."""
    return sum(outbox.enqueue(message, channel, now=now) for channel in dict.fromkeys(channels))


def fired_between(store: AlertStore, start: datetime, end: datetime) -> list[Alert]:
    """The alerts that fired in [start, end) (a report's period), newest first, every page of them."""
    found: list[Alert] = []
    after: ListMark | None = None
    while True:
        page = store.list(AlertFilter(since=start), limit=ALERTS_PAGE, after=after)
        found += [alert for alert in page if alert.fired_at < end]
        if len(page) < ALERTS_PAGE:
            return found
        after = ListMark(fired_at=page[-1].fired_at, id=page[-1].id)


def report_channels(
    settings: Settings, *, workspace: str, report: str, channels: Sequence[str]
) -> dict[str, ChannelConfig]:
    """The workspace's channel configurations (what delivering `report` builds its channels from), when
    it defines every one of `channels`; InvalidInput naming the others and the channels file otherwise.
    Checked before a report is built, so a typo in a definition costs nothing and loses nothing."""
    known = workspace_channels(settings, workspace=workspace)
    missing = [name for name in channels if name not in known]
    if missing:
        source = str(channels_file(settings, workspace=workspace))
        raise InvalidInput(
            f"report {report!r} is delivered through channels that {source} does not define: "
            f"{', '.join(missing)} (channels: {', '.join(known) or 'none'})",
            details={"report": report, "channels": missing, "file": source},
        )
    return known


__all__ = [
    "REPORT_ID_PREFIX",
    "enqueue_report",
    "fired_between",
    "report_alert_id",
    "report_channels",
    "report_message",
]
