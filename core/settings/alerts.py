"""Settings of alert delivery: how channels reach webhooks and the SMTP server (`EARFUL_ALERTS__*`).

Channel-specific configuration (a Slack webhook URL, a DingTalk secret) is data, stored with each
channel (``alerts.channels.config``); what is shared by every channel of an installation (timeouts,
the one SMTP relay) lives here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

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


class DispatchSettings(Section):
    """How the outbox's dispatcher retries a delivery its channel could not make."""

    base_delay: float = Field(
        5.0, gt=0, description="Seconds before the first retry of a delivery; doubles with each attempt"
    )
    max_delay: float = Field(
        900.0,
        gt=0,
        description="Longest backoff between two attempts, in seconds (a longer Retry-After is still "
        "honoured)",
    )
    jitter: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Fraction of each backoff drawn at random (the wait is between (1 - jitter) and 1 times "
        "the backoff), so that retries of many deliveries spread out",
    )
    max_attempts: int = Field(
        10, ge=1, description="Attempts after which a delivery still refused is marked failed with its reason"
    )
    lease: float = Field(
        120.0,
        gt=0,
        description="Seconds a dispatcher holds a delivery while sending it; a dispatcher that dies leaves "
        "it to be retried after this",
    )
    batch_size: int = Field(100, ge=1, description="Due deliveries a dispatcher reads per round")
    poll_interval: float = Field(
        1.0, gt=0, description="Seconds a continuously running dispatcher waits between rounds"
    )


class AlertsSettings(Section):
    channels_file: Path | None = Field(
        None,
        description="The channels rules deliver to (YAML); default 'channels.yaml' in the workspace's "
        "directory under home (home/workspaces/<workspace>/channels.yaml)",
    )
    http_timeout: float = Field(
        10.0, gt=0, description="Seconds before a channel's HTTP request (connect, send, read) times out"
    )
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+",
        description="Base URL of Earful's web UI (https://earful.example.com); alerts then link to the "
        "customer at <public_url>/customers/<id>",
    )
    assignment_channels: list[str] = Field(
        default_factory=list,
        description="Channels (names in the workspace's channels.yaml) that hear when a mention is "
        "assigned to someone; empty: the assignment is recorded in the mention's history only",
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="The SMTP relay of e-mail channels")
    dispatch: DispatchSettings = Field(
        default_factory=DispatchSettings, description="Retries of the outbox's dispatcher"
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> AlertsSettings:
        longest = max(self.http_timeout, self.smtp.timeout)
        if self.dispatch.lease <= 2 * longest:
            raise ValueError(
                f"dispatch.lease ({self.dispatch.lease:g} s) must exceed twice the longest channel timeout "
                f"({longest:g} s), or a slow send could be taken over and sent twice"
            )
        return self
