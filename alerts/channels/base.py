"""What every channel shares: the message it renders, the delivery it reports, the protocol it meets.

The alert engine builds one :class:`AlertMessage` per alert (its explanation goes in ``sections``); the
outbox hands it to :meth:`Channel.send` for each (alert, channel) pair and records the
:class:`Delivery`. ``send`` never raises for a delivery problem: a down or throttling endpoint is
``retry`` (with the wait it asked for), a refusal that retrying cannot fix is ``failed`` with its
reason. Nothing in a message, a delivery, a log line or a repr carries a channel's secrets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from core.errors import ChannelError, ChannelUnavailable

log = logging.getLogger(__name__)


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MessageField(_Frozen):
    """One labelled value: a number of the window, a customer's tier, a top term list."""

    label: str = Field(min_length=1)
    value: str


class MessageSection(_Frozen):
    """A titled group of fields ("Why", "Customer", "Top terms"); the explanation is a list of these."""

    title: str = ""
    fields: tuple[MessageField, ...] = ()


class Link(_Frozen):
    label: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        # A javascript: or data: link in an e-mail or a card would be an injection, never a feature.
        if not re.match(r"https?://[^\s/]+", url):
            raise ValueError("a link must be an absolute http(s) URL")
        return url


class Attachment(_Frozen):
    """A file that goes with a message: e-mail attaches it, chat channels name it. ``path`` is where the
    file lies (a report's archived copy), read when the message is sent: the outbox record stays small,
    and the archive stays the one copy of the file."""

    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")
    media_type: str = Field(pattern=r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
    path: str = Field(min_length=1, description="The file on this machine, read at send time")


class AlertMessage(_Frozen):
    """What a channel renders: platform-neutral, complete, and safe to show (no secrets in it).

    ``snippet`` is the matched text as ``index.query.highlight`` gives it: HTML-escaped text with
    ``<em>...</em>`` around the matched spans. Each channel renders the marks its own way (bold in
    Markdown, ``<b>`` in HTML, plain elsewhere) and never passes other markup through.
    """

    alert_id: str = Field(min_length=1, description="The alert's id: the idempotency key of every delivery")
    workspace: str = Field(min_length=1)
    rule: str = Field(min_length=1, description="Name of the rule that fired")
    title: str = Field(min_length=1)
    severity: Severity = Severity.warning
    summary: str = ""
    snippet: str | None = None
    sections: tuple[MessageSection, ...] = ()
    links: tuple[Link, ...] = ()
    created_at: AwareDatetime
    attachments: tuple[Attachment, ...] = Field((), description="Files e-mail attaches (a report's PDF)")
    html_body: str | None = Field(
        None,
        description="A complete HTML document e-mail sends as its HTML part instead of the rendered "
        "message (a report); chat channels show the rest of the message",
    )


class Outcome(StrEnum):
    sent = "sent"
    retry = "retry"  # the endpoint is down, timed out or throttles: try again (after retry_after)
    failed = "failed"  # refused for a reason retrying will not fix (bad URL, secret or payload)


class Delivery(_Frozen):
    """The result of one send. ``status``: the HTTP status or SMTP reply code, when there was one."""

    outcome: Outcome
    status: int | None = None
    reason: str = ""
    retry_after: float | None = Field(None, ge=0, description="Seconds the endpoint asked us to wait")

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.sent

    def raise_for_outcome(self) -> None:
        """For callers that prefer the error tree (a Prefect task, `earful alerts test-channel`)."""
        details: dict[str, Any] = {"status": self.status, "retry_after": self.retry_after}
        if self.outcome is Outcome.retry:
            raise ChannelUnavailable(self.reason or "channel unavailable", details=details)
        if self.outcome is Outcome.failed:
            raise ChannelError(self.reason or "channel refused the message", details=details)


@runtime_checkable
class Channel(Protocol):
    """A configured destination. ``name`` is the user's ("support-slack"), ``kind`` the implementation's
    entry point in ``earful.channels`` ("slack")."""

    name: str
    kind: str

    def send(self, message: AlertMessage) -> Delivery: ...

    def close(self) -> None: ...


class BaseChannel:
    """Common plumbing of the built-in channels: a subclass implements :meth:`deliver`; :meth:`send`
    scrubs the reason of the channel's secrets and logs the outcome (alert id, never a URL)."""

    kind: ClassVar[str]

    def __init__(self, name: str, secrets: Iterable[str] = ()) -> None:
        self.name = name
        # A URL's token may come back alone (an error page echoing its path): scrub its pieces too.
        self._secrets = [piece for s in secrets if s for piece in (s, *secret_fragments(s))]

    def deliver(self, message: AlertMessage) -> Delivery:
        raise NotImplementedError

    def send(self, message: AlertMessage) -> Delivery:
        try:
            delivery = self.deliver(message)
        except Exception as exc:  # a bug or an unforeseen library error: reported, never raised with
            # its text unscrubbed (an exception may quote the URL), and not retried forever
            reason = f"unexpected {type(exc).__name__}: {exc}"
            delivery = Delivery(outcome=Outcome.failed, reason=reason)
        if delivery.reason:
            delivery = delivery.model_copy(update={"reason": scrub(delivery.reason, self._secrets)})
        level = logging.INFO if delivery.ok else logging.WARNING
        log.log(
            level,
            "%s channel %r: alert %s %s %s",
            self.kind,
            self.name,
            message.alert_id,
            delivery.outcome.value,
            delivery.reason,
        )
        return delivery

    def close(self) -> None:
        """Release connections; nothing is reopened after this."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


_MIN_FRAGMENT = 6  # shorter URL pieces ("v2", "send") are not secrets and would mangle reasons


def secret_fragments(url: str) -> list[str]:
    """The pieces of a webhook URL that may be its token: its path and query, and the segments and
    values that look random (long, or with digits: words like "services" or "send" are kept)."""
    if not url.startswith(("http://", "https://")):
        return []
    parts = urlsplit(url)
    pieces = [p for p in (parts.path, parts.query) if len(p) > 1]
    candidates = [*parts.path.split("/"), *(value for _, value in parse_qsl(parts.query))]
    pieces += [
        p for p in candidates if len(p) >= 20 or (len(p) >= _MIN_FRAGMENT and any(c.isdigit() for c in p))
    ]
    return pieces


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


__all__ = [
    "AlertMessage",
    "Attachment",
    "BaseChannel",
    "Channel",
    "Delivery",
    "Link",
    "MessageField",
    "MessageSection",
    "Outcome",
    "Severity",
]
