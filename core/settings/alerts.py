"""Settings of alert delivery: how channels reach webhooks and the SMTP server (`EARFUL_ALERTS__*`).

Channel-specific configuration (a Slack webhook URL, a DingTalk secret) is data, stored with each
channel (``alerts.channels.config``); what is shared by every channel of an installation (timeouts,
the one SMTP relay) lives here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from core.settings.base import Section


class SmtpSettings(Section):
    """The SMTP relay every e-mail channel sends through."""

    host: str | None = Field(None, description="SMTP server host; e-mail channels are disabled without it")
    port: int = Field(587, ge=1, le=65535, description="SMTP server port (587 submission, 465 implicit TLS)")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before logging in")
    ssl: bool = Field(
        False, description="Connect with implicit TLS (SMTPS, usually port 465); starttls is then moot"
    )
    username: str | None = Field(None, description="Login user, when the server requires authentication")
    password: SecretStr | None = Field(None, description="Login password")
    timeout: float = Field(10.0, gt=0, description="Seconds before a connection or reply times out")
    ca_file: Path | None = Field(
        None, description="CA certificates that verify the server (default: the system's trust store)"
    )


class AlertsSettings(Section):
    http_timeout: float = Field(
        10.0, gt=0, description="Seconds before a channel's HTTP request (connect, send, read) times out"
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="The SMTP relay of e-mail channels")
