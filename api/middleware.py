"""The ASGI middleware of the app (plain ASGI, so streamed responses such as SSE and exports pass
through untouched):

- `RequestContext` (outermost): the request id (a sane incoming ``X-Request-ID`` is kept, else a new
  one), echoed on every response with the security headers; an exception nothing handled becomes a
  500 ``internal_error`` here, logged with the request id, so even that answer carries both.
- `BodyLimit`: a body over ``settings.api.max_body_bytes`` is refused with 413, by its
  ``Content-Length`` before anything is read, and while it streams when it has none (chunked); a path
  and query string over ``settings.api.max_url_chars`` with 400 (a server in front may refuse it first).

Content-Security-Policy: scripts, styles, images, fonts and connections from the app's own origin only;
no inline script or style, and no eval: earful.js runs Vega with its expression interpreter
(``{ast: true, expr: vega.expressionInterpreter}``) instead of ``new Function``. The web shell never
relies on inline ``<style>``/``<script>`` (htmx: ``includeIndicatorStyles: false``; vega-embed:
``defaultStyle: false``); tests/browser/test_shell.py serves pages under this policy.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import INTERNAL_ERROR, REQUEST_ID_HEADER, error_response
from core.errors import InvalidInput, PayloadTooLarge

log = logging.getLogger(__name__)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:+=/-]{1,128}$")

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def incoming_request_id(value: str | None) -> str:
    """The client's request id when it is sane (short, printable, no spaces), else a fresh one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-request-id")
        rid = incoming_request_id(raw.decode("latin-1") if raw is not None else None)
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                response_headers = MutableHeaders(scope=message)
                response_headers[REQUEST_ID_HEADER] = rid
                for name, value in SECURITY_HEADERS.items():
                    if name not in response_headers:
                        response_headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("request %s %s %s failed", rid, scope.get("method"), scope.get("path"))
            if started:  # the status is sent: all that is left is to cut the response short
                raise
            response = error_response(Request(scope), INTERNAL_ERROR)
            await response(scope, receive, send_with_headers)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_url_chars: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_url_chars = max_url_chars

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"request body over {self.max_body_bytes} bytes", details={"max_body_bytes": self.max_body_bytes}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_chars = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string") or b"")
        if url_chars > self.max_url_chars:
            too_long = InvalidInput(
                f"request path and query string over {self.max_url_chars} characters",
                details={"max_url_chars": self.max_url_chars},
            )
            await error_response(Request(scope), too_long)(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            declared = int(length) if length.isdigit() else -1
            if declared < 0 or declared > self.max_body_bytes:
                error = self._too_large() if declared > 0 else InvalidInput("invalid Content-Length header")
                response = error_response(Request(scope), error)
                await response(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes FastAPI's body parsing untouched (it turns any other error
                    # into a 400); the handler answers it as payload_too_large.
                    raise HTTPException(413, detail=self._too_large().message)
            return message

        await self.app(scope, counted, send)
