"""One way to POST to a channel endpoint and one classification of what came back, for every HTTP
channel (webhook, Slack, WeCom, DingTalk, Feishu).

Classification (:func:`classify_response`):

==============================================  =========  ==============================================
Answer                                          Outcome    Why
==============================================  =========  ==============================================
2xx (and the platform's success code, if any)   sent
429, 408, 5xx                                   retry      throttled or down; ``Retry-After`` honoured
a platform's documented rate-limit/busy code    retry      even inside a 200 or a 400 (Feishu sends 9499
                                                           with HTTP 400)
timeout, refused or reset connection            retry
any other 4xx, any other platform code          failed     bad URL, token, secret or payload: retrying
                                                           would fail forever, so the reason is kept
3xx                                             failed     webhooks do not move; following a redirect
                                                           would send the signed body elsewhere
==============================================  =========  ==============================================

Secrets: webhook URLs carry their token in the path or query, so nothing here logs or returns a URL.
Requests go straight to an ``httpx.HTTPTransport`` rather than through ``httpx.Client``, whose INFO
log line prints every request's full URL; each reason is also scrubbed of the channel's secret
fragments, in case an endpoint echoes its own URL in an error page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from alerts.channels.base import AlertMessage, BaseChannel, Delivery, Outcome
from core.http import Headers, retry_after_seconds
from core.settings import Settings

MAX_REPLY_BYTES = 64 * 1024  # a reply is read for its status and error code only
REASON_CHARS = 300


@dataclass(frozen=True)
class PlatformReply:
    """How a platform reports success and errors inside the body of its answer.

    ``code_keys``: JSON keys holding the numeric code (0 is success), tried in order.
    ``rate_limited``/``busy``: codes that mean "try again later"; every other non-zero code is a
    refusal. ``rate_limit_wait``: the wait to suggest for a rate-limit code, as the platform documents
    a window but sends no ``Retry-After``. ``ok_text``: a platform that answers plain text instead.
    """

    name: str
    code_keys: tuple[str, ...] = ()
    message_keys: tuple[str, ...] = ("errmsg", "msg", "message")
    rate_limited: frozenset[int] = frozenset()
    busy: frozenset[int] = frozenset()
    rate_limit_wait: float | None = None
    ok_text: str | None = None


def classify_response(
    status: int,
    headers: Headers,
    body: bytes,
    platform: PlatformReply | None = None,
    *,
    now: float | None = None,
) -> Delivery:
    """The one classification of an HTTP answer (see the module's table)."""
    if status == 429 or status == 408 or status >= 500:
        wait = retry_after_seconds(headers, now)
        return Delivery(
            outcome=Outcome.retry, status=status, reason=_http_reason(status, body), retry_after=wait
        )
    if platform is not None and platform.code_keys:
        verdict = _platform_verdict(status, body, platform)
        if verdict is not None:
            return verdict
    if 200 <= status < 300:
        if platform is not None and platform.ok_text is not None:
            text = body.decode("utf-8", errors="replace").strip()
            if text != platform.ok_text:
                return Delivery(
                    outcome=Outcome.failed,
                    status=status,
                    reason=f"{platform.name} answered {_excerpt(text)!r} instead of {platform.ok_text!r}",
                )
        return Delivery(outcome=Outcome.sent, status=status)
    if 300 <= status < 400:
        return Delivery(outcome=Outcome.failed, status=status, reason=f"HTTP {status}: unexpected redirect")
    return Delivery(outcome=Outcome.failed, status=status, reason=_http_reason(status, body))


def classify_exception(exc: httpx.HTTPError, timeout: float) -> Delivery:
    """A request that got no answer: always worth retrying. The exception's text is not kept (it may
    name the URL); its kind is."""
    if isinstance(exc, httpx.TimeoutException):
        return Delivery(
            outcome=Outcome.retry, reason=f"no answer within {timeout:g} s ({type(exc).__name__})"
        )
    return Delivery(outcome=Outcome.retry, reason=f"connection failed ({type(exc).__name__})")


def _platform_verdict(status: int, body: bytes, platform: PlatformReply) -> Delivery | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code = next((data[k] for k in platform.code_keys if isinstance(data.get(k), int)), None)
    if code is None:
        return None
    if code == 0:
        return Delivery(outcome=Outcome.sent, status=status) if 200 <= status < 300 else None
    text = next((str(data[k]) for k in platform.message_keys if data.get(k)), "")
    reason = f"{platform.name} error {code}: {_excerpt(text)}".rstrip(": ")
    if code in platform.rate_limited:
        return Delivery(
            outcome=Outcome.retry, status=status, reason=reason, retry_after=platform.rate_limit_wait
        )
    if code in platform.busy:
        return Delivery(outcome=Outcome.retry, status=status, reason=reason)
    return Delivery(outcome=Outcome.failed, status=status, reason=reason)


def _http_reason(status: int, body: bytes) -> str:
    text = _excerpt(body.decode("utf-8", errors="replace"))
    phrase = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {phrase}: {text}" if text else f"HTTP {status} {phrase}"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


@dataclass
class ChannelRequest:
    """What a channel POSTs: the URL (secret), the exact body bytes (signed ones are sent as is)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class EndpointConfig(Protocol):
    """What an HTTP channel needs of its configuration (the models in alerts.channels.config)."""

    @property
    def name(self) -> str: ...

    @property
    def endpoint(self) -> SecretStr: ...

    @property
    def signing_secret(self) -> str | None: ...

    def secrets(self) -> list[str]: ...


class HttpChannel(BaseChannel):
    """Base of the HTTP channels: one keep-alive transport, the POST and the classification.

    A subclass names its :attr:`platform` and implements :meth:`build_request` with ``self.url`` (the
    secret endpoint) and ``self.signing_secret``."""

    platform: PlatformReply | None = None

    def __init__(self, config: EndpointConfig, settings: Settings) -> None:
        super().__init__(config.name, config.secrets())
        self.url = config.endpoint.get_secret_value()
        self.signing_secret = config.signing_secret
        self.timeout = settings.alerts.http_timeout
        self._user_agent = settings.crawl.resolved_user_agent()
        self._transport = httpx.HTTPTransport(retries=0)

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        raise NotImplementedError

    def deliver(self, message: AlertMessage) -> Delivery:
        request = self.build_request(message)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": self._user_agent}
        headers.update(request.headers)
        http_request = httpx.Request(
            "POST",
            request.url,
            content=request.body,
            headers=headers,
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        try:
            response = self._transport.handle_request(http_request)
            try:
                reply = _read_capped(response)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            return classify_exception(exc, self.timeout)
        return classify_response(
            response.status_code, response.headers, reply, self.platform, now=time.time()
        )

    def close(self) -> None:
        self._transport.close()


def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_REPLY_BYTES:
            break
    return b"".join(chunks)[:MAX_REPLY_BYTES]


def json_body(payload: Any) -> bytes:
    """Compact UTF-8 JSON: the bytes that are signed are the bytes that are sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
