"""E-mail over SMTP: ``multipart/alternative`` with a text and an HTML part, through the installation's
relay (settings ``alerts.smtp``): implicit TLS or STARTTLS, certificate verified, login when set.

A message with its own ``html_body`` (a report) sends that document as the HTML part; one with
``attachments`` becomes ``multipart/mixed``, the files read from their paths when the mail is built (a
file that cannot be read fails the delivery with its name and path: retrying will not bring it back).

The ``Message-ID`` derives from the alert id, so a retried delivery is recognisably the same mail
(clients and archives dedupe on it). SMTP replies classify like HTTP statuses: 4xx and dropped or
timed-out connections are ``retry``, 5xx (unknown recipient, refused login, message refused) is
``failed`` with the server's words; a server that cannot do the STARTTLS it was asked for, or whose
certificate does not verify, is ``failed`` (fix the settings, do not fall back to plain text).
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formatdate
from pathlib import Path

from alerts.channels.base import AlertMessage, Attachment, BaseChannel, Delivery, Outcome
from alerts.channels.config import EmailChannelConfig
from alerts.channels.render import headline, render_html, render_text
from core.errors import NotConfigured
from core.settings import Settings, SmtpSettings


def message_id(alert_id: str, sender: str) -> str:
    digest = hashlib.sha256(alert_id.encode("utf-8")).hexdigest()[:32]
    return f"<alert.{digest}@{sender.rpartition('@')[2]}>"


def build_email(
    message: AlertMessage, config: EmailChannelConfig, files: Sequence[tuple[Attachment, bytes]] = ()
) -> EmailMessage:
    """The mail of `message`, with `files` (each attachment and its bytes) attached."""
    mail = EmailMessage()
    subject = f"{config.subject_prefix} {headline(message)}".strip()
    mail["Subject"] = " ".join(subject.split())  # a title with a newline must not fold into new headers
    mail["From"] = config.from_
    mail["To"] = ", ".join(config.to)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(message.alert_id, config.from_)
    mail["X-Earful-Delivery"] = message.alert_id
    mail["X-Earful-Created"] = format_datetime(message.created_at)
    mail.set_content(render_text(message))
    mail.add_alternative(message.html_body or render_html(message), subtype="html")
    for attachment, data in files:
        maintype, _, subtype = attachment.media_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return mail


class EmailChannel(BaseChannel):
    kind = "email"
    config_model = EmailChannelConfig

    def __init__(self, config: EmailChannelConfig, settings: Settings) -> None:
        smtp = settings.alerts.smtp
        super().__init__(config.name, [smtp.password.get_secret_value()] if smtp.password else [])
        self.config = config
        self.smtp: SmtpSettings = smtp
        if not smtp.host:
            raise NotConfigured("e-mail channels need an SMTP server: set EARFUL_ALERTS__SMTP__HOST")

    def deliver(self, message: AlertMessage) -> Delivery:
        files: list[tuple[Attachment, bytes]] = []
        for attachment in message.attachments:
            try:
                files.append((attachment, Path(attachment.path).read_bytes()))
            except OSError as exc:
                reason = f"attachment {attachment.filename!r} cannot be read at {attachment.path}"
                return Delivery(outcome=Outcome.failed, reason=f"{reason}: {exc.strerror or exc}")
        return self._submit(build_email(message, self.config, files))

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.smtp.ca_file) if self.smtp.ca_file else None)

    def _submit(self, mail: EmailMessage) -> Delivery:
        smtp = self.smtp
        assert smtp.host is not None  # checked when built
        try:
            client: smtplib.SMTP
            if smtp.ssl:
                client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=self._tls())
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            with client:
                if smtp.starttls and not smtp.ssl:
                    client.starttls(context=self._tls())
                if smtp.username:
                    password = smtp.password.get_secret_value() if smtp.password else ""
                    client.login(smtp.username, password)
                refused = client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return _refused(exc.recipients)
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, login refused...
            return _reply(exc.smtp_code, exc.smtp_error, type(exc).__name__)
        except smtplib.SMTPNotSupportedError:
            return Delivery(
                outcome=Outcome.failed, reason="the SMTP server does not support STARTTLS or AUTH"
            )
        except ssl.SSLCertVerificationError as exc:
            return Delivery(
                outcome=Outcome.failed, reason=f"SMTP certificate not trusted: {exc.verify_message}"
            )
        except TimeoutError:
            return Delivery(outcome=Outcome.retry, reason=f"SMTP server silent for {smtp.timeout:g} s")
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, reset, TLS failure
            return Delivery(outcome=Outcome.retry, reason=f"SMTP connection failed ({type(exc).__name__})")
        if refused:  # some recipients accepted: the mail went out; say who did not get it
            return Delivery(outcome=Outcome.sent, status=250, reason=_refused_text(refused))
        return Delivery(outcome=Outcome.sent, status=250)


def _reply(code: int, text: bytes | str, what: str) -> Delivery:
    words = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
    outcome = Outcome.retry if 400 <= code < 500 or code < 0 else Outcome.failed
    return Delivery(
        outcome=outcome, status=code if code > 0 else None, reason=f"SMTP {code} ({what}): {words}"
    )


def _refused(recipients: dict[str, tuple[int, bytes]]) -> Delivery:
    codes = [code for code, _ in recipients.values()]
    # All were refused: retry only when every refusal was temporary.
    outcome = Outcome.retry if codes and all(400 <= c < 500 for c in codes) else Outcome.failed
    return Delivery(outcome=outcome, status=max(codes) if codes else None, reason=_refused_text(recipients))


def _refused_text(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: SMTP {code} {text.decode('utf-8', errors='replace')}"
        for address, (code, text) in sorted(recipients.items())
    )
