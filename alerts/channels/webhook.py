"""Generic webhook: the :class:`AlertMessage` as JSON, signed so the receiver can trust and dedupe it.

Headers of every POST:

- ``X-Earful-Timestamp``: Unix time in seconds when the request was signed;
- ``X-Earful-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the shared secret, of
  ``f"{timestamp}.{body}"`` (the timestamp, a dot, then the raw body bytes);
- ``X-Earful-Delivery``: the alert id. A retried delivery carries the same one: dedupe on it.

The body is the message as JSON, less what is for e-mail only: a report's HTML document
(``html_body``) and where its files lie on Earful's machine (each attachment keeps its ``filename`` and
``media_type``; the message's link opens the report).

A receiver verifies with :func:`verify_webhook_signature` (or the same few lines in its own language):
recompute the HMAC over the raw body as received (before any JSON parsing), compare in constant time,
and reject a timestamp more than five minutes away from its clock, so a captured request cannot be
replayed later. Signing the timestamp with the body is what makes that check meaningful.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from alerts.channels.base import AlertMessage
from alerts.channels.config import WebhookChannelConfig
from alerts.channels.http import ChannelRequest, HttpChannel

TIMESTAMP_HEADER = "X-Earful-Timestamp"
SIGNATURE_HEADER = "X-Earful-Signature"
DELIVERY_HEADER = "X-Earful-Delivery"
REPLAY_WINDOW = 300.0  # seconds; the usual tolerance (Stripe, Slack's own request signing)


def webhook_signature(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The ``X-Earful-Signature`` value: ``sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance: float = REPLAY_WINDOW,
    now: float | None = None,
) -> bool:
    """True when `signature` signs `body` at `timestamp` with `secret`, and `timestamp` is within
    `tolerance` seconds of `now` (either side: a clock ahead is as suspicious as a replay)."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), signature)


def webhook_body(message: AlertMessage) -> bytes:
    body = message.model_dump_json(exclude={"html_body": True, "attachments": {"__all__": {"path"}}})
    return body.encode("utf-8")


class WebhookChannel(HttpChannel):
    kind = "webhook"
    config_model = WebhookChannelConfig

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        secret = self.signing_secret
        assert secret is not None  # the configuration requires one
        body = webhook_body(message)
        timestamp = int(time.time())
        return ChannelRequest(
            url=self.url,
            body=body,
            headers={
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
                DELIVERY_HEADER: message.alert_id,
            },
        )
