"""Test support for channels: local receivers that check what each platform checks, ready-made channel
cases wired to them, and the shipped :class:`ChannelContract` every channel passes.

Receivers are real servers on 127.0.0.1 ephemeral ports, never a mocked transport:

- :class:`WebhookReceiver`, :class:`SlackReceiver`, :class:`WeComReceiver`, :class:`DingTalkReceiver`,
  :class:`FeishuReceiver`: threaded HTTP servers. Each checks the token in the URL and the signature the
  way the platform documents it (recomputed here from the documentation, independently of the channel's
  code), records every request, and answers like the platform: success, a bad token, a bad signature.
- :class:`SmtpReceiver`: aiosmtpd, optionally with STARTTLS (a throwaway self-signed certificate made with
  ``cryptography``) and AUTH.

Every receiver is scriptable: :meth:`HttpReceiver.script` queues exact replies (503 with ``Retry-After``
twice, then the normal answer), and :meth:`inject` speaks a shared vocabulary of :class:`Fault` that each
receiver translates into its platform's way of failing. The outbox's tests reuse both.

A test module runs the contract by subclassing :class:`ChannelContract` and giving it a ``case`` fixture
parametrised over :data:`CASE_BUILDERS` (one :class:`ChannelCase` per registered kind), as
``tests/contracts/test_channels.py`` does.

This module imports neither pytest nor aiosmtpd at import time (only where a test needs them).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import functools
import hashlib
import hmac
import json
import logging
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from alerts.channels.base import (
    AlertMessage,
    Attachment,
    Channel,
    Delivery,
    Link,
    MessageField,
    MessageSection,
    Outcome,
)
from alerts.channels.config import (
    EmailChannelConfig,
    build_channel,
)
from core.settings import AlertsSettings, Settings, SmtpSettings

__all__ = [
    "CASE_BUILDERS",
    "CONTRACT_TIMEOUT",
    "PLATFORM_FAULTS",
    "ChannelCase",
    "ChannelContract",
    "DingTalkReceiver",
    "Fault",
    "FeishuReceiver",
    "HttpReceiver",
    "ManualClock",
    "PlatformCodeContract",
    "Received",
    "ReceivedMail",
    "Reply",
    "SlackReceiver",
    "SmtpReceiver",
    "WeComReceiver",
    "WebhookReceiver",
    "channel_settings",
    "make_alert_message",
    "self_signed_certificate",
]

CONTRACT_TIMEOUT = 1.0  # seconds: the channels' timeout in the cases, short so that a hang test is quick
HANG_SECONDS = CONTRACT_TIMEOUT + 4.0  # a receiver told to hang answers this late (or when stopped)


class Fault(StrEnum):
    """Failures a contract injects; each receiver answers them the way its platform would."""

    unavailable = "unavailable"  # down for a while: HTTP 503, SMTP 451
    rate_limited = "rate_limited"  # HTTP 429 with Retry-After; SMTP 421 (no Retry-After there)
    rejected = "rejected"  # a bad URL: HTTP 404 echoing the URL it was called at; SMTP 550 for the recipient
    platform_error = "platform_error"  # a refusal inside the platform's own answer (errcode, code, "not ok")
    platform_rate_limited = "platform_rate_limited"  # the platform's documented rate-limit code
    hang = "hang"  # no answer until after the channel's timeout


def make_alert_message(**changes: Any) -> AlertMessage:
    """A message with every part a channel renders: severity, snippet with marks, sections, links."""
    values: dict[str, Any] = {
        "alert_id": "alert-7f3a9c",
        "workspace": "acme",
        "rule": "VIP complaints",
        "title": "Complaint from a gold customer",
        "severity": "critical",
        "summary": "Jane Doe (gold) complained about a refund on twitter.",
        "snippet": "I am still waiting for my <em>refund</em> &amp; nobody answers",
        "sections": (
            MessageSection(
                title="Why",
                fields=(
                    MessageField(label="Query", value="intent:complaint AND tier:(gold OR platinum)"),
                    MessageField(label="Matches in window", value="12 (baseline 3.1, k=3)"),
                ),
            ),
            MessageSection(title="Customer", fields=(MessageField(label="Tier", value="gold"),)),
        ),
        "links": (
            Link(label="Mention", url="https://earful.example/m/123"),
            Link(label="Customer", url="https://earful.example/c/jane"),
        ),
        "created_at": datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    }
    values.update(changes)
    return AlertMessage.model_validate(values)


# --- HTTP receivers ------------------------------------------------------------------------------


REPORT_HTML = "<!DOCTYPE html><html><body><h1>Weekly brands: 2-8 March</h1><svg></svg></body></html>"
REPORT_PDF = b"%PDF-1.7\n% a report's bytes\n%%EOF\n"


def make_report_message(folder: Path, **changes: Any) -> AlertMessage:
    """A report's message (`alerts.report_delivery.report_message`) with its HTML body, a PDF and a
    CSV zip written in `folder`, and a link to the report."""
    from alerts.report_delivery import report_message

    pdf, csv = folder / "weekly-2026-03-02-2026-03-08.pdf", folder / "weekly-2026-03-02-2026-03-08.zip"
    pdf.write_bytes(REPORT_PDF)
    csv.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    values: dict[str, Any] = {
        "workspace": "acme",
        "run_id": "r7f3a9c",
        "report": "weekly",
        "title": "Weekly brands: 2-8 March 2026",
        "summary": "Acme: 1,234 mentions (+12.5%)\nGlobex: 987 mentions (-3.1%)",
        "html_body": REPORT_HTML,
        "attachments": (
            Attachment(filename=pdf.name, media_type="application/pdf", path=str(pdf)),
            Attachment(filename=csv.name, media_type="application/zip", path=str(csv)),
        ),
        "link": "https://earful.example/reports/runs/r7f3a9c",
        "created_at": datetime(2026, 3, 9, 9, tzinfo=UTC),
    }
    values.update(changes)
    return report_message(**values)


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer; `delay` seconds before it (past the channel's timeout: a hang)."""

    status: int = 200
    body: bytes | str | Mapping[str, Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "text/plain; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and what the receiver made of it (``problem`` is empty when it
    passed the platform's checks)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    problem: str = ""

    @property
    def verified(self) -> bool:
        return not self.problem

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class _Served:
    """A local server used as a context manager: started on entry, stopped (idempotently) on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HttpReceiver(_Served):
    """A threaded HTTP server on 127.0.0.1 that checks, records and answers like a platform.

    Subclasses define :meth:`check` (the platform's checks: token, signature, size), :meth:`success`,
    :meth:`refusal` and :meth:`fault_reply`. ``url`` is the full endpoint URL a channel is given."""

    name: ClassVar[str] = "http"
    honours_retry_after: ClassVar[bool] = True

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex  # the secret part of the URL, as the platforms issue one
        self.received: list[Received] = []
        self._script: collections.deque[Reply] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0  # after the first start, the port it got: a restart listens there again

    # what subclasses define
    def endpoint(self) -> str:
        """Path and query of the endpoint, token included."""
        return f"/hooks/{self.token}"

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        """The platform's checks; the problem found, or ""."""
        return "" if path == f"/hooks/{self.token}" else "unknown hook"

    def success(self) -> Reply:
        return Reply(200, "ok")

    def refusal(self, problem: str) -> Reply:
        return Reply(404 if problem == "unknown hook" else 401, problem)

    def fault_reply(self, fault: Fault, retry_after: float | None) -> Reply | None:
        """The HTTP answer a fault becomes on this platform; None where the platform has no such fault."""
        wait = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        if fault is Fault.unavailable:
            return Reply(503, "service unavailable", wait)
        if fault is Fault.rate_limited:
            return Reply(429, "slow down", wait)
        if fault is Fault.hang:
            return Reply(delay=HANG_SECONDS)
        return None

    def channel_config(self) -> dict[str, Any]:
        """Configuration data of a channel that reaches this receiver (its token and secret)."""
        data: dict[str, Any] = {"kind": self.name, "name": f"test-{self.name}", "webhook_url": self.url}
        secret = getattr(self, "secret", None)
        return {**data, "secret": secret} if secret else data

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in an output: the URL's token, the signing secret."""
        secret = getattr(self, "secret", None)
        return (self.token, secret) if secret else (self.token,)

    # scripting
    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then as the platform normally does."""
        with self._lock:
            self._script.extend(replies)

    def inject(self, fault: Fault, *, retry_after: float | None = None, times: int = 1) -> bool:
        """Fail the next `times` requests with `fault`; False when the platform has no such failure."""
        if fault is Fault.rejected:
            self.script(*[Reply(status=-1)] * times)  # -1: echo the URL in a 404, decided per request
            return True
        reply = self.fault_reply(fault, retry_after)
        if reply is None:
            return False
        self.script(*[reply] * times)
        return True

    @property
    def accepted(self) -> list[Received]:
        """Requests that passed the platform's checks."""
        return [r for r in self.received if r.verified]

    def text_of(self, request: Received) -> str:
        """The human-visible text of a request: every string in its JSON, one a line."""
        return "\n".join(_strings(request.json()))

    def texts(self) -> list[str]:
        """The text of every accepted request, in arrival order."""
        return [self.text_of(request) for request in self.accepted]

    def last_text(self) -> str:
        """The human-visible text of the last accepted request."""
        return self.text_of(self.accepted[-1])

    # server
    @property
    def base_url(self) -> str:
        assert self._server is not None, "receiver not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.base_url + self.endpoint()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The reply goes out in two writes (headers, then body): without TCP_NODELAY the body waits
            # for the client's delayed ACK, 40 ms on Linux, on every request a receiver answers.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test output is ours
                pass

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-receiver"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop answering (idempotent): a channel sending now gets a refused connection. `start` again
        listens on the same port, so the channel's URL reaches it again (a receiver that was down)."""
        self._stopping.set()  # wakes handlers that hang
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = dict(handler.headers.items())
        problem = self.check(parts.path, query, headers, body)
        with self._lock:
            self.received.append(Received(parts.path, query, headers, body, problem))
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.status == -1:  # a server that echoes where it was called
            reply = Reply(404, f"no hook at {handler.path}")
        elif scripted is not None:
            reply = scripted
        else:
            reply = self.refusal(problem) if problem else self.success()
        if reply.delay and self._stopping.wait(reply.delay):
            return
        data, content_type = reply.encoded()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the channel gave up (timeout): nothing to answer to
            pass


class _Server(ThreadingHTTPServer):
    """Tracks open connections so that stopping also cuts kept-alive ones, as a crashed endpoint would."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._open_lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that closed or reset its kept-alive connection: nothing to report
        super().handle_error(request, client_address)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class WebhookReceiver(HttpReceiver):
    """Earful's own webhook, verified as ``alerts.channels.webhook`` tells receivers to: HMAC-SHA256
    over ``f"{timestamp}.{body}"`` with the shared secret, and a timestamp within five minutes."""

    name = "webhook"

    def __init__(self, secret: str = "receiver-shared-secret-0123") -> None:
        super().__init__()
        self.secret = secret

    def channel_config(self) -> dict[str, Any]:
        return {"kind": "webhook", "name": "test-webhook", "url": self.url, "secret": self.secret}

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        if path != f"/hooks/{self.token}":
            return "unknown hook"
        timestamp = next((v for k, v in headers.items() if k.lower() == "x-earful-timestamp"), "")
        signature = next((v for k, v in headers.items() if k.lower() == "x-earful-signature"), "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return "stale or missing timestamp"
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(f"sha256={expected}", signature):
            return "bad signature"
        return ""

    def text_of(self, request: Received) -> str:
        return request.body.decode("utf-8")  # the message itself, as JSON


class SlackReceiver(HttpReceiver):
    """A Slack incoming webhook: ``/services/T.../B.../<token>``; answers ``ok`` or a 4xx code."""

    name = "slack"

    def endpoint(self) -> str:
        return f"/services/T0EARFUL1/B0EARFUL2/{self.token}"

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        if path != self.endpoint():
            return "no_service"
        try:
            payload = json.loads(body)
        except ValueError:
            return "invalid_payload"
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return "no_text"
        if len(payload.get("blocks", [])) > 50:
            return "invalid_blocks"
        return ""

    def refusal(self, problem: str) -> Reply:
        return Reply(404 if problem == "no_service" else 400, problem)

    def fault_reply(self, fault: Fault, retry_after: float | None) -> Reply | None:
        if fault is Fault.platform_error:  # Slack's success is exactly "ok"; anything else is not
            return Reply(200, "invalid_token")
        return super().fault_reply(fault, retry_after)


class _JsonCodeReceiver(HttpReceiver):
    """Platforms that answer HTTP 200 with a JSON code: DingTalk and WeCom (``errcode``)."""

    ok_body: ClassVar[Mapping[str, Any]] = {"errcode": 0, "errmsg": "ok"}
    error_body: ClassVar[Mapping[str, Any]] = {"errcode": 300001, "errmsg": "token is not exist"}
    rate_limit_body: ClassVar[Mapping[str, Any]] = {}
    problem_codes: ClassVar[Mapping[str, int]] = {}

    def success(self) -> Reply:
        return Reply(200, self.ok_body)

    def refusal(self, problem: str) -> Reply:
        return Reply(200, {"errcode": self.problem_codes.get(problem, 40000), "errmsg": problem})

    def fault_reply(self, fault: Fault, retry_after: float | None) -> Reply | None:
        if fault is Fault.platform_error:
            return Reply(200, self.error_body)
        if fault is Fault.platform_rate_limited:
            return Reply(200, self.rate_limit_body)
        return super().fault_reply(fault, retry_after)


class WeComReceiver(_JsonCodeReceiver):
    """WeCom group robot: ``/cgi-bin/webhook/send?key=<key>``; markdown content at most 4096 bytes."""

    name = "wecom"
    error_body: ClassVar[Mapping[str, Any]] = {"errcode": 93000, "errmsg": "invalid webhook url"}
    rate_limit_body: ClassVar[Mapping[str, Any]] = {"errcode": 45009, "errmsg": "api freq out of limit"}
    problem_codes: ClassVar[Mapping[str, int]] = {
        "invalid webhook url": 93000,
        "content exceed max length": 40058,
    }

    def endpoint(self) -> str:
        return f"/cgi-bin/webhook/send?key={self.token}"

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        if path != "/cgi-bin/webhook/send" or query.get("key") != self.token:
            return "invalid webhook url"
        payload = json.loads(body)
        if payload.get("msgtype") != "markdown":
            return "invalid message type"
        if len(payload["markdown"]["content"].encode("utf-8")) > 4096:
            return "content exceed max length"
        return ""


class DingTalkReceiver(_JsonCodeReceiver):
    """DingTalk robot: ``/robot/send?access_token=...&timestamp=...&sign=...``.

    The check follows DingTalk's custom-robot guide: the timestamp (milliseconds) is within an hour of
    now, and ``sign`` equals Base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), sent
    URL-encoded (``parse_qsl`` decodes it here)."""

    name = "dingtalk"
    error_body: ClassVar[Mapping[str, Any]] = {"errcode": 300001, "errmsg": "token is not exist"}
    rate_limit_body: ClassVar[Mapping[str, Any]] = {
        "errcode": 130101,
        "errmsg": "send too fast, exceed 20 times per minute",
    }
    problem_codes: ClassVar[Mapping[str, int]] = {
        "token is not exist": 300001,
        "sign not match": 310000,
        "message too long": 460101,
    }

    def __init__(self, secret: str | None = "SEC0123456789abcdef0123456789abcdef") -> None:
        super().__init__()
        self.secret = secret

    def endpoint(self) -> str:
        return f"/robot/send?access_token={self.token}"

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        if path != "/robot/send" or query.get("access_token") != self.token:
            return "token is not exist"
        if self.secret is not None:
            timestamp = query.get("timestamp", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return "sign not match"  # DingTalk words an expired timestamp the same way
            digest = hmac.new(
                self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256
            ).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), query.get("sign", "")):
                return "sign not match"
        if len(body) > 20000:
            return "message too long"
        payload = json.loads(body)
        if payload.get("msgtype") != "markdown" or not payload["markdown"].get("title"):
            return "invalid message"
        return ""


class FeishuReceiver(HttpReceiver):
    """Feishu/Lark custom bot: ``/open-apis/bot/v2/hook/<token>``.

    The check follows Feishu's custom-bot guide: the body's ``timestamp`` (seconds) is within an hour,
    and ``sign`` equals Base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""

    name = "feishu"

    def __init__(self, secret: str | None = "feishu-signing-secret") -> None:
        super().__init__()
        self.secret = secret

    def endpoint(self) -> str:
        return f"/open-apis/bot/v2/hook/{self.token}"

    def check(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> str:
        if path != self.endpoint():
            return "incoming webhook access token invalid"
        payload = json.loads(body)
        if self.secret is not None:
            timestamp = str(payload.get("timestamp", ""))
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 3600:
                return "sign match fail or timestamp is not within one hour from current time"
            key = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(expected, str(payload.get("sign", ""))):
                return "sign match fail or timestamp is not within one hour from current time"
        if payload.get("msg_type") not in ("interactive", "post", "text"):
            return "params error, msg_type need"
        return ""

    def success(self) -> Reply:
        return Reply(200, {"code": 0, "data": {}, "msg": "success"})

    def refusal(self, problem: str) -> Reply:
        code = 19001 if "token" in problem else 19021 if "sign" in problem else 19002
        return Reply(200, {"code": code, "data": {}, "msg": problem})

    def fault_reply(self, fault: Fault, retry_after: float | None) -> Reply | None:
        if fault is Fault.platform_error:
            return Reply(200, {"code": 19024, "data": {}, "msg": "Key Words Not Found"})
        if fault is Fault.platform_rate_limited:  # reported by users with HTTP 400
            return Reply(400, {"code": 9499, "data": {}, "msg": "too many request"})
        return super().fault_reply(fault, retry_after)


# --- SMTP receiver -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def parts(self) -> dict[str, str]:
        """Decoded body parts by content type ("text/plain", "text/html")."""
        found: dict[str, str] = {}
        for part in self.message.walk():
            if part.get_content_maintype() == "text" and isinstance(part, EmailMessage):
                found[part.get_content_type()] = str(part.get_content())
        return found


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate for `host` (an IP SAN and "localhost"), its own CA: (cert, key) paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "earful test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(year=now.year - 1))
        .not_valid_after(now.replace(year=now.year + 1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class SmtpReceiver(_Served):
    """An aiosmtpd server on 127.0.0.1: records each accepted mail, with whether it came over TLS and
    who logged in. ``starttls`` requires STARTTLS (certificate in `cert_dir`, trusted through
    :attr:`ca_file`); ``username``/``password`` require AUTH (after TLS when ``starttls``). Stopped and
    started again, it listens on the port it had."""

    name = "email"
    honours_retry_after = False  # SMTP has no Retry-After

    def __init__(
        self,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        cert_dir: Path | None = None,
    ) -> None:
        self.starttls = starttls
        self.username = username
        self.password = password
        self.cert_dir = cert_dir
        self.ca_file: Path | None = None
        self.received: list[ReceivedMail] = []
        self.rejected_logins = 0
        self._faults: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._controller: Any = None
        self._own_dir: Path | None = None
        self.port = 0

    @property
    def accepted(self) -> list[ReceivedMail]:
        return self.received

    def inject(self, fault: Fault, *, retry_after: float | None = None, times: int = 1) -> bool:
        if fault in (Fault.platform_error, Fault.platform_rate_limited):
            return False
        with self._lock:
            self._faults.extend([fault] * times)
        return True

    def last_text(self) -> str:
        return "\n".join(self.received[-1].parts().values())

    def smtp_settings(self, **changes: Any) -> SmtpSettings:
        """Settings that reach this receiver as it is configured (TLS, login)."""
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "starttls": self.starttls,
            "username": self.username,
            "password": self.password,
            "ca_file": self.ca_file,
            "timeout": CONTRACT_TIMEOUT,
        }
        values.update(changes)
        return SmtpSettings.model_validate(values)

    def _next_fault(self, *only: Fault) -> Fault | None:
        with self._lock:
            if self._faults and self._faults[0] in only:
                return self._faults.popleft()
        return None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        receiver = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
            ) -> str:
                if receiver._next_fault(Fault.rejected):
                    return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                fault = receiver._next_fault(Fault.unavailable, Fault.rate_limited, Fault.hang)
                if fault is Fault.unavailable:
                    return "451 4.3.0 Temporary server error, try again later"
                if fault is Fault.rate_limited:
                    return "421 4.7.0 Too many messages, slow down"
                if fault is Fault.hang:
                    await asyncio.sleep(HANG_SECONDS)
                auth = session.auth_data
                with receiver._lock:
                    receiver.received.append(
                        ReceivedMail(
                            mail_from=envelope.mail_from,
                            rcpt_tos=tuple(envelope.rcpt_tos),
                            content=envelope.original_content or envelope.content,
                            tls=session.ssl is not None,
                            login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                        )
                    )
                return "250 Message accepted for delivery"

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == receiver.username
                and data.password.decode() == receiver.password
            )
            if not ok:
                receiver.rejected_logins += 1
            # handled=False: aiosmtpd answers the refusal itself (535), as a real server does
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

        class EphemeralController(Controller):
            """aiosmtpd's Controller cannot listen on port 0 (it connects to `port` to wake the
            server): read the port the OS picked first."""

            def _trigger_server(self) -> None:
                assert isinstance(self.server, asyncio.Server)
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()  # type: ignore[no-untyped-call]

        kwargs: dict[str, Any] = {}
        if self.starttls:
            directory = self.cert_dir
            if directory is None:  # a directory of our own, removed on stop
                directory = self._own_dir = Path(tempfile.mkdtemp(prefix="earful-smtp-"))
            cert, key = self_signed_certificate(directory)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.ca_file = cert
            kwargs.update(tls_context=context, require_starttls=True)
        if self.username is not None:
            kwargs.update(authenticator=authenticate, auth_required=True, auth_require_tls=self.starttls)
        # after the first start, the port it got: a restart (an outage over) listens there again
        self._controller = EphemeralController(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None


# --- channel cases: a channel wired to its receiver ----------------------------------------------

Receiver = HttpReceiver | SmtpReceiver


@dataclass
class ChannelCase:
    """One channel under test: the channel, its receiver, the secrets that must never leak, and how a
    highlighted word must look in what arrives (``emphasis("refund")``)."""

    kind: str
    channel: Channel
    receiver: Receiver
    secrets: tuple[str, ...]
    emphasis: Callable[[str], str]


def channel_settings(tmp_path: Path, smtp: SmtpSettings | None = None) -> Settings:
    return Settings(
        home=tmp_path,
        alerts=AlertsSettings(http_timeout=CONTRACT_TIMEOUT, smtp=smtp or SmtpSettings()),
    )


def _bold_md(word: str) -> str:
    return f"**{word}**"


# kind -> (receiver class, how a highlighted word looks once the platform's format is applied)
HTTP_RECEIVERS: dict[str, tuple[type[HttpReceiver], Callable[[str], str]]] = {
    "webhook": (WebhookReceiver, lambda word: f"<em>{word}</em>"),  # the message as is: receivers render
    "slack": (SlackReceiver, lambda word: f"*{word}*"),
    "wecom": (WeComReceiver, _bold_md),
    "dingtalk": (DingTalkReceiver, _bold_md),
    "feishu": (FeishuReceiver, _bold_md),
}


@contextmanager
def http_case(kind: str, tmp_path: Path) -> Iterator[ChannelCase]:
    """A channel of `kind` wired to a fresh receiver of its platform."""
    receiver_class, emphasis = HTTP_RECEIVERS[kind]
    with receiver_class() as receiver:
        channel = build_channel(receiver.channel_config(), channel_settings(tmp_path))
        try:
            yield ChannelCase(kind, channel, receiver, receiver.secrets(), emphasis)
        finally:
            channel.close()


@contextmanager
def email_case(tmp_path: Path) -> Iterator[ChannelCase]:
    """E-mail through a receiver that requires STARTTLS and AUTH, as a real submission server does."""
    password = "smtp-password-" + uuid.uuid4().hex[:12]
    with SmtpReceiver(starttls=True, username="alerts", password=password, cert_dir=tmp_path / "tls") as rcv:
        config = EmailChannelConfig.model_validate(
            {"name": "support-mail", "to": ["support@example.com"], "from": "earful@example.com"}
        )
        channel = build_channel(config, channel_settings(tmp_path, rcv.smtp_settings()))
        try:
            yield ChannelCase("email", channel, rcv, (password,), lambda word: f"<b>{word}</b>")
        finally:
            channel.close()


CASE_BUILDERS: dict[str, Callable[[Path], AbstractContextManager[ChannelCase]]] = {
    **{kind: functools.partial(http_case, kind) for kind in HTTP_RECEIVERS},
    "email": email_case,
}


# --- the contract --------------------------------------------------------------------------------


class ChannelContract:
    """What every channel guarantees. The test module provides a ``case`` fixture (a
    :class:`ChannelCase`); methods that need pytest's ``caplog`` ask for it by name."""

    def test_is_a_channel(self, case: ChannelCase) -> None:
        assert isinstance(case.channel, Channel)
        assert case.channel.kind == case.kind
        assert case.channel.name

    def test_delivers_a_message_the_receiver_verifies(self, case: ChannelCase) -> None:
        delivery = case.channel.send(make_alert_message())
        assert delivery.outcome is Outcome.sent, delivery
        assert delivery.reason == ""
        assert delivery.retry_after is None
        assert len(case.receiver.received) == 1
        assert len(case.receiver.accepted) == 1, getattr(case.receiver.received[0], "problem", "")

    def test_content_arrives_rendered(self, case: ChannelCase) -> None:
        message = make_alert_message()
        assert case.channel.send(message).ok
        text = case.receiver.last_text()
        assert message.title in text
        assert "critical" in text.lower()
        assert case.emphasis("refund") in text
        if case.emphasis("x") != "<em>x</em>":  # rendered, not passed through
            assert "<em>" not in text
        assert "12 (baseline 3.1, k=3)" in text
        for link in message.links:
            assert link.url in text
        assert message.alert_id in text  # the idempotency key travels with every delivery

    def test_a_report_arrives_with_its_summary_files_and_link(self, case: ChannelCase) -> None:
        with tempfile.TemporaryDirectory(prefix="earful-report-") as folder:
            message = make_report_message(Path(folder))
            assert case.channel.send(message).ok
            text = case.receiver.last_text()
            assert message.title in text
            assert "Globex: 987 mentions (-3.1%)" in text
            for attachment in message.attachments:
                assert attachment.filename in text  # named (and attached, by e-mail)
            assert "https://earful.example/reports/runs/r7f3a9c" in text
            assert "report:r7f3a9c" in text
            assert folder not in text  # where the archive lies is Earful's business
            # the report's own HTML is e-mail's body; chat channels show the summary instead
            assert ("<h1>Weekly brands: 2-8 March</h1>" in text) is (case.kind == "email")

    def test_unavailable_is_retried_then_delivered(self, case: ChannelCase) -> None:
        assert case.receiver.inject(Fault.unavailable, times=2)
        first, second = (case.channel.send(make_alert_message()) for _ in range(2))
        for delivery in (first, second):
            assert delivery.outcome is Outcome.retry, delivery
            assert delivery.reason
        assert case.channel.send(make_alert_message()).ok  # back up: the same alert goes through
        assert case.receiver.accepted

    def test_rate_limited_is_retried_after_the_wait_asked(self, case: ChannelCase) -> None:
        assert case.receiver.inject(Fault.rate_limited, retry_after=7)
        delivery = case.channel.send(make_alert_message())
        assert delivery.outcome is Outcome.retry, delivery
        expected = 7.0 if case.receiver.honours_retry_after else None
        assert delivery.retry_after == expected

    def test_rejected_is_failed_with_the_reason(self, case: ChannelCase) -> None:
        assert case.receiver.inject(Fault.rejected)
        delivery = case.channel.send(make_alert_message())
        assert delivery.outcome is Outcome.failed, delivery
        assert delivery.status in (404, 550)
        assert delivery.reason

    def test_timeout_is_retried(self, case: ChannelCase) -> None:
        assert case.receiver.inject(Fault.hang)
        started = time.monotonic()
        delivery = case.channel.send(make_alert_message())
        assert delivery.outcome is Outcome.retry, delivery
        assert time.monotonic() - started < HANG_SECONDS  # gave up at its own timeout

    def test_unreachable_is_retried(self, case: ChannelCase) -> None:
        case.receiver.stop()
        delivery = case.channel.send(make_alert_message())
        assert delivery.outcome is Outcome.retry, delivery

    def test_no_secret_in_any_output(self, case: ChannelCase, caplog: Any) -> None:
        outputs: list[str] = [repr(case.channel)]
        with caplog.at_level(logging.DEBUG):
            deliveries: list[Delivery] = []
            assert case.receiver.inject(Fault.rejected)  # an endpoint that echoes its URL
            deliveries.append(case.channel.send(make_alert_message()))
            deliveries.append(case.channel.send(make_alert_message()))  # a success, logged too
            case.receiver.stop()
            deliveries.append(case.channel.send(make_alert_message()))
        for delivery in deliveries:
            outputs += [repr(delivery), delivery.model_dump_json()]
            try:
                delivery.raise_for_outcome()
            except Exception as exc:
                outputs += [str(exc), repr(exc), json.dumps(getattr(exc, "to_dict", dict)(), default=str)]
        assert [d.outcome for d in deliveries] == [Outcome.failed, Outcome.sent, Outcome.retry]
        for record in caplog.records:
            if record.name.startswith("mail.log"):  # the test SMTP server's own log, not Earful's
                continue
            outputs += [record.getMessage(), record.exc_text or "", repr(record.args)]
        leaks = [(secret, out) for secret in case.secrets if secret for out in outputs if secret in out]
        assert leaks == []


# The refusals a platform signals inside its own answer (errcode, code, a body other than "ok"): e-mail and
# the plain webhook have none, Slack has no rate-limit code. The contract runs only where a platform has one.
PLATFORM_FAULTS: dict[str, frozenset[Fault]] = {
    "slack": frozenset({Fault.platform_error}),
    "wecom": frozenset({Fault.platform_error, Fault.platform_rate_limited}),
    "dingtalk": frozenset({Fault.platform_error, Fault.platform_rate_limited}),
    "feishu": frozenset({Fault.platform_error, Fault.platform_rate_limited}),
}


class PlatformCodeContract:
    """How a channel reads its platform's own error codes. The test module provides ``coded_case``: a
    :class:`ChannelCase` with one of :data:`PLATFORM_FAULTS` for its kind."""

    def test_platform_code_is_classified(self, coded_case: tuple[ChannelCase, Fault]) -> None:
        case, fault = coded_case
        assert case.receiver.inject(fault)
        delivery = case.channel.send(make_alert_message())
        expected = Outcome.failed if fault is Fault.platform_error else Outcome.retry
        assert delivery.outcome is expected, delivery
        assert delivery.reason


# --- time ----------------------------------------------------------------------------------------


class ManualClock:
    """A clock that moves only when told (the dispatcher's and the engine's `clock`): tests of
    backoffs, leases and Retry-After advance it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=seconds)
            return self.now
