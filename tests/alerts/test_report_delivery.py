"""A report through the alert channels: its message, its one delivery per (run, channel), and its e-mail
against a real SMTP server (the HTML body, the PDF attached as archived), through an outage that the
outbox rides out without losing the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from alerts.channels import EmailChannelConfig, Outcome, build_channel
from alerts.channels.base import AlertMessage, Attachment, Delivery
from alerts.dispatch import Dispatcher
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.report_delivery import enqueue_report, report_alert_id, report_message
from alerts.store import AlertStores, build_alert_stores
from alerts.testing import (
    REPORT_HTML,
    REPORT_PDF,
    ManualClock,
    SmtpReceiver,
    channel_settings,
    make_report_message,
)
from core.settings import DispatchSettings

MAIL = EmailChannelConfig.model_validate(
    {"name": "brand-team", "to": ["brand@example.com"], "from": "reports@earful.example"}
)
T0 = datetime(2026, 3, 9, 9, tzinfo=UTC)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[AlertStores]:
    built = build_alert_stores(channel_settings(tmp_path), workspace="acme")
    built.ensure_ready()
    yield built
    built.close()


def send(message: AlertMessage, receiver: SmtpReceiver, tmp_path: Path) -> Delivery:
    with closing(build_channel(MAIL, channel_settings(tmp_path, receiver.smtp_settings()))) as channel:
        return channel.send(message)


def attachments_of(mail: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    found = []
    for part in mail.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_content()
        assert isinstance(payload, bytes)
        found.append((part.get_filename(), part.get_content_type(), payload))
    return found


def html_part(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("html",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


# --- the message ---------------------------------------------------------------------------------
def test_the_message_names_its_run_files_and_link(tmp_path: Path) -> None:
    message = make_report_message(tmp_path)
    assert message.alert_id == report_alert_id("r7f3a9c") == "report:r7f3a9c"
    assert message.severity.value == "info"
    assert message.rule == "Report weekly"
    (files,) = message.sections
    assert files.title == "Files"
    assert [(f.label, f.value) for f in files.fields] == [
        ("PDF", "weekly-2026-03-02-2026-03-08.pdf"),
        ("ZIP", "weekly-2026-03-02-2026-03-08.zip"),
    ]
    assert [(link.label, link.url) for link in message.links] == [
        ("Open the report", "https://earful.example/reports/runs/r7f3a9c")
    ]
    assert message.html_body == REPORT_HTML


def test_in_chinese_and_without_link_or_files() -> None:
    message = report_message(
        workspace="acme",
        run_id="r1",
        report="weekly",
        title="品牌周报",
        summary="Acme：1,234 条提及",
        language="zh",
        created_at=T0,
    )
    assert message.rule == "报告 weekly"
    assert (message.sections, message.links, message.attachments, message.html_body) == ((), (), (), None)
    with_link = report_message(
        workspace="acme",
        run_id="r1",
        report="weekly",
        title="品牌周报",
        summary="",
        attachments=(
            Attachment(filename="周报.pdf", media_type="application/pdf", path="/archive/周报.pdf"),
        ),
        link="https://earful.example/reports/runs/r1",
        language="zh",
        created_at=T0,
    )
    assert with_link.sections[0].title == "文件"
    assert with_link.links[0].label == "打开报告"


@pytest.mark.parametrize(
    "attachment",
    [
        {"filename": "../etc/passwd", "media_type": "application/pdf", "path": "/a"},
        {"filename": "a.pdf\r\nBcc: x@y.z", "media_type": "application/pdf", "path": "/a"},
        {"filename": "a.pdf", "media_type": "pdf", "path": "/a"},
        {"filename": "a.pdf", "media_type": "application/pdf", "path": ""},
    ],
)
def test_a_bad_attachment_is_refused(attachment: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        Attachment.model_validate(attachment)


def test_a_record_written_before_reports_existed_still_loads(tmp_path: Path) -> None:
    record = OutboxRecord(
        alert_id="a1",
        channel="mail",
        message=make_report_message(tmp_path),
        next_attempt_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    data = json.loads(record.model_dump_json())
    del data["message"]["attachments"], data["message"]["html_body"]
    old = OutboxRecord.model_validate(data)
    assert (old.message.attachments, old.message.html_body) == ((), None)


def test_each_run_is_enqueued_once_per_channel(tmp_path: Path, stores: AlertStores) -> None:
    message = make_report_message(tmp_path)
    assert enqueue_report(stores.outbox, message, ["brand-team", "brand-chat", "brand-team"], T0) == 2
    # the schedule fires again for the same period, or someone reruns it: nothing new to deliver
    again = make_report_message(tmp_path, created_at=T0 + timedelta(minutes=5))
    assert enqueue_report(stores.outbox, again, ["brand-team", "brand-chat"], T0 + timedelta(minutes=5)) == 0
    assert stores.outbox.counts()[DeliveryState.pending] == 2
    assert enqueue_report(stores.outbox, make_report_message(tmp_path, run_id="r2"), ["brand-team"], T0) == 1


# --- e-mail, against a real SMTP server ----------------------------------------------------------
def test_the_mail_has_the_reports_html_and_its_files_attached(tmp_path: Path) -> None:
    message = make_report_message(tmp_path)
    with SmtpReceiver() as receiver:
        delivery = send(message, receiver, tmp_path)
    assert delivery.outcome is Outcome.sent, delivery
    (received,) = receiver.received
    mail = received.message
    assert mail.get_content_type() == "multipart/mixed"
    assert mail["Subject"] == "[Earful] [INFO] Weekly brands: 2-8 March 2026"
    assert html_part(mail).strip() == REPORT_HTML
    text = received.parts()["text/plain"]
    assert "Globex: 987 mentions (-3.1%)" in text
    assert "https://earful.example/reports/runs/r7f3a9c" in text
    pdf_path = Path(message.attachments[0].path)
    assert attachments_of(mail) == [
        ("weekly-2026-03-02-2026-03-08.pdf", "application/pdf", pdf_path.read_bytes()),
        ("weekly-2026-03-02-2026-03-08.zip", "application/zip", b"PK\x05\x06" + bytes(18)),
    ]
    assert pdf_path.read_bytes() == REPORT_PDF


def test_a_missing_file_fails_the_delivery_clearly(tmp_path: Path) -> None:
    message = make_report_message(tmp_path)
    Path(message.attachments[1].path).unlink()
    with SmtpReceiver() as receiver:
        delivery = send(message, receiver, tmp_path)
    assert delivery.outcome is Outcome.failed
    assert delivery.reason == (
        f"attachment 'weekly-2026-03-02-2026-03-08.zip' cannot be read at {message.attachments[1].path}: "
        "No such file or directory"
    )
    assert receiver.received == []  # nothing half-sent


def test_an_smtp_outage_is_retried_and_the_report_delivered_once_it_is_back(
    tmp_path: Path, stores: AlertStores
) -> None:
    message = make_report_message(tmp_path)
    pdf = Path(message.attachments[0].path)
    clock = ManualClock(T0)
    rules = DispatchSettings(base_delay=30, max_delay=600, jitter=0, max_attempts=5)
    with SmtpReceiver() as receiver:
        channel = build_channel(MAIL, channel_settings(tmp_path, receiver.smtp_settings()))
        dispatcher = Dispatcher(stores.outbox, {MAIL.name: channel}, clock, settings=rules)
        assert enqueue_report(stores.outbox, message, [MAIL.name], T0) == 1
        receiver.stop()  # the mail server is down

        first = dispatcher.run_once()
        assert (first.sent, first.retried) == (0, 1)
        record = stores.outbox.get(message.alert_id, MAIL.name)
        assert record is not None
        assert (record.state, record.attempts) == (DeliveryState.pending, 1)
        assert record.next_attempt_at == T0 + timedelta(seconds=30)
        assert "SMTP connection failed" in record.last_reason
        assert dispatcher.run_once().handled == 0  # not due again before its backoff
        assert pdf.read_bytes() == REPORT_PDF  # the report waits in the archive, untouched

        receiver.start()  # back, on the same port
        clock.advance(30)
        second = dispatcher.run_once()
        assert (second.sent, second.retried) == (1, 0)
        clock.advance(3600)
        assert dispatcher.run_once().handled == 0  # delivered once, never again
        channel.close()
    record = stores.outbox.get(message.alert_id, MAIL.name)
    assert record is not None
    assert (record.state, record.attempts, record.sent_at) == (
        DeliveryState.sent,
        2,
        T0 + timedelta(seconds=30),
    )
    (received,) = receiver.received
    assert attachments_of(received.message)[0] == (
        "weekly-2026-03-02-2026-03-08.pdf",
        "application/pdf",
        REPORT_PDF,
    )
