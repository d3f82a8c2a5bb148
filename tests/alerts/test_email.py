"""E-mail: MIME structure, escaping, Message-ID, STARTTLS and AUTH against a real aiosmtpd server."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from alerts.channels import EmailChannelConfig, Outcome, build_channel
from alerts.channels.email import build_email, message_id
from alerts.testing import SmtpReceiver, channel_settings, make_alert_message
from core.errors import NotConfigured

CONFIG = EmailChannelConfig.model_validate(
    {
        "name": "mail",
        "to": ["a@example.com", "b@example.com"],
        "from": "earful@alerts.example",
        "subject_prefix": "[Acme]",
    }
)


def test_multipart_alternative_with_text_and_escaped_html() -> None:
    message = make_alert_message(
        title="Refund <script>alert(1)</script>", summary="Tom & Jerry said <b>hi</b>"
    )
    mail = build_email(message, CONFIG)
    assert mail.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in mail.iter_parts())
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert "Refund <script>alert(1)</script>" in text  # plain text shows it as typed
    assert "<script>" not in html
    assert "Refund &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Tom &amp; Jerry said &lt;b&gt;hi&lt;/b&gt;" in html
    assert "<b>refund</b>" in html  # the highlight is the only markup that survives
    assert "*refund*" in text
    assert '<a href="https://earful.example/m/123">Mention</a>' in html
    assert mail["Subject"] == "[Acme] [CRITICAL] Refund <script>alert(1)</script>"
    assert mail["To"] == "a@example.com, b@example.com"


def test_message_id_derives_from_the_alert_id() -> None:
    first = build_email(make_alert_message(), CONFIG)["Message-ID"]
    assert first == build_email(make_alert_message(), CONFIG)["Message-ID"]
    assert first == message_id("alert-7f3a9c", "earful@alerts.example")
    assert first.endswith("@alerts.example>")
    assert build_email(make_alert_message(alert_id="other"), CONFIG)["Message-ID"] != first


def test_a_title_with_newlines_cannot_add_headers() -> None:
    mail = build_email(make_alert_message(title="hi\r\nBcc: victim@example.com"), CONFIG)
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"]


@pytest.mark.parametrize(
    "field", [{"to": ["a@example.com\r\nBcc: x@y.z"]}, {"from": "no-at-sign"}, {"to": []}]
)
def test_bad_addresses_are_refused(field: dict[str, object]) -> None:
    data = {"name": "mail", "to": ["a@example.com"], "from": "e@example.com", **field}
    with pytest.raises(ValueError, match="validation error"):
        EmailChannelConfig.model_validate(data)


def test_starttls_and_auth(tmp_path: Path) -> None:
    with SmtpReceiver(starttls=True, username="alerts", password="pw-123456", cert_dir=tmp_path) as receiver:
        settings = channel_settings(tmp_path, receiver.smtp_settings())
        with closing(build_channel(CONFIG, settings)) as channel:
            delivery = channel.send(make_alert_message())
    assert delivery.outcome is Outcome.sent
    (mail,) = receiver.received
    assert mail.tls
    assert mail.login == "alerts"
    assert mail.mail_from == "earful@alerts.example"
    assert mail.rcpt_tos == ("a@example.com", "b@example.com")
    assert mail.message["X-Earful-Delivery"] == "alert-7f3a9c"
    assert set(mail.parts()) == {"text/plain", "text/html"}


def test_plain_server_without_tls_or_auth(tmp_path: Path) -> None:
    with SmtpReceiver() as receiver:
        settings = channel_settings(tmp_path, receiver.smtp_settings(starttls=False))
        assert build_channel(CONFIG, settings).send(make_alert_message()).ok
    assert not receiver.received[0].tls


def test_wrong_password_is_failed_with_the_servers_words(tmp_path: Path) -> None:
    with SmtpReceiver(starttls=True, username="alerts", password="right-pw", cert_dir=tmp_path) as receiver:
        settings = channel_settings(tmp_path, receiver.smtp_settings(password="wrong-pw"))
        delivery = build_channel(CONFIG, settings).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.status == 535
    assert "wrong-pw" not in delivery.reason
    assert receiver.rejected_logins >= 1  # smtplib tries each mechanism the server offers


def test_server_requiring_starttls_refuses_plain_text(tmp_path: Path) -> None:
    with SmtpReceiver(starttls=True, cert_dir=tmp_path) as receiver:
        settings = channel_settings(tmp_path, receiver.smtp_settings(starttls=False))
        delivery = build_channel(CONFIG, settings).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.status == 530
    assert receiver.received == []


def test_untrusted_certificate_is_failed_not_downgraded(tmp_path: Path) -> None:
    with SmtpReceiver(starttls=True, cert_dir=tmp_path) as receiver:
        settings = channel_settings(tmp_path, receiver.smtp_settings(ca_file=None))
        delivery = build_channel(CONFIG, settings).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert "certificate" in delivery.reason
    assert receiver.received == []


def test_no_smtp_host_means_not_configured(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="EARFUL_ALERTS__SMTP__HOST"):
        build_channel(CONFIG, channel_settings(tmp_path))
