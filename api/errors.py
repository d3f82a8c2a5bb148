"""One error shape for every failure of the HTTP API, JSON or HTML.

JSON: ``EarfulError.to_dict()`` plus the request id: ``{"error": {"code", "status", "message",
"retryable", "details", "request_id"}}``, with the ``X-Request-ID`` header. What maps to it:

- an `EarfulError`: its own status and code (a 429 also says ``Retry-After``);
- FastAPI's validation errors: 422 ``invalid_request``, ``details.errors`` listing each located problem
  (``loc``, ``msg``, ``type``; never the input, which may be a password);
- Starlette's HTTP errors (unknown route, wrong method, a body over the limit): their status, with
  ``not_found``, ``method_not_allowed``, ``payload_too_large``...;
- anything else: 500 ``internal_error``, logged with the request id; the body never holds a
  traceback, an exception's text or a secret.

HTML: a request for a page (not under ``/api/``, asking for ``text/html`` or sent by htmx) gets the
same status as a page in the user's language, rendered by `app.state.error_page` (the web shell's
``error.html``; `api.app` installs it) or, when there is none, a plain escaped page. An unauthenticated
page request is sent to ``/login?next=<where it was going>`` instead (htmx: ``HX-Redirect``).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import EarfulError, LoginThrottled, PayloadTooLarge, Unauthenticated

log = logging.getLogger(__name__)

REQUEST_ID_HEADER: Final = "X-Request-ID"
LOGIN_PATH: Final = "/login"

ErrorPage = Callable[[Request, dict[str, Any], int], Response]
"""Renders the error page: ``(request, the "error" dict of the JSON shape, status) -> response``."""

# Starlette's own HTTP errors, worded as the tree words its own.
_HTTP_CODES: Final = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ErrorBody(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable short name of the error, e.g. 'not_found', 'invalid_request'")
    status: int = Field(description="The HTTP status, repeated")
    message: str = Field(description="What went wrong, for a person")
    retryable: bool = Field(description="Whether the same request may succeed later (the store was down)")
    details: dict[str, Any] = Field(description="Machine-readable particulars (located field errors...)")
    request_id: str = Field(description="The request's id (header X-Request-ID), to find it in the logs")


class ErrorResponse(BaseModel):
    """Every error of the API has this shape."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "forbidden",
                        "status": 403,
                        "message": "role 'viewer' may not 'rules.write' in workspace 'default'",
                        "retryable": False,
                        "details": {"permission": "rules.write", "role": "viewer"},
                        "request_id": "3f1c0e5b6a2d4e7f9a0b1c2d3e4f5a6b",
                    }
                }
            ]
        },
    )

    error: ErrorBody


_DESCRIPTIONS: Final = {
    400: "Invalid input",
    401: "No valid credentials: log in, or send an API key",
    403: "The role may not do this here, or a session request lacks its CSRF token",
    404: "No such thing",
    409: "Conflicts with what is stored",
    413: "Request body too large",
    422: "The request does not validate (located field errors)",
    429: "Too many failed logins: wait Retry-After seconds",
    500: "Earful failed (the request id finds it in the log)",
    502: "A store or upstream service refused",
    503: "A store or upstream service is unavailable: retry later",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for these error statuses, all in the one shape."""
    return {
        status: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(status, "Error")}
        for status in statuses
    }


def request_id(request: Request) -> str:
    """The request's id (set by the request-id middleware; 'unknown' outside it)."""
    return str(getattr(request.state, "request_id", "unknown"))


def wants_html(request: Request) -> bool:
    """Whether the error should be a page: a page route (not the JSON API, not /healthz or /static) asked
    for by a browser (Accept text/html), by htmx, or marked as a page by `deps.require_page`."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or path in ("/api", "/healthz"):
        return False
    if getattr(request.state, "page", False) or "hx-request" in request.headers:
        return True
    return "text/html" in request.headers.get("accept", "")


@dataclass(frozen=True)
class Failure:
    """What an error response says: an `EarfulError`'s fields, or a framework error's worded the same."""

    status: int
    code: str
    message: str
    retryable: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None

    @classmethod
    def of(cls, error: EarfulError) -> Failure:
        retry_after = error.retry_after if isinstance(error, LoginThrottled) else None
        return cls(error.http_status, error.code, error.message, error.retryable, error.details, retry_after)

    def payload(self, rid: str) -> dict[str, Any]:
        """The JSON shape: `EarfulError.to_dict()` plus the request id."""
        return {
            "error": {
                "code": self.code,
                "status": self.status,
                "message": self.message,
                "retryable": self.retryable,
                "details": self.details,
                "request_id": rid,
            }
        }


def _plain_page(error: Mapping[str, Any], status: int) -> HTMLResponse:
    """The error page when the web shell has none: everything escaped."""
    message = html.escape(str(error.get("message", "")))
    code = html.escape(str(error.get("code", "")))
    rid = html.escape(str(error.get("request_id", "")))
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status} {code}</title></head>'
        f"<body><main><h1>{status}</h1><p>{message}</p><p><small>{code} · {rid}</small></p>"
        '<p><a href="/">Earful</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=status)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{LOGIN_PATH}?next={quote(target, safe='/')}"
    if "hx-request" in request.headers:
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def error_response(
    request: Request, error: EarfulError | Failure, *, headers: Mapping[str, str] | None = None
) -> Response:
    """The response for `error`: JSON in the one shape, or a page for a browser (a login redirect when
    it is not logged in)."""
    failure = Failure.of(error) if isinstance(error, EarfulError) else error
    rid = request_id(request)
    extra = {REQUEST_ID_HEADER: rid, **(headers or {})}
    if failure.retry_after is not None:
        extra["Retry-After"] = str(failure.retry_after)
    if not wants_html(request):
        return JSONResponse(failure.payload(rid), status_code=failure.status, headers=extra)
    if failure.status == Unauthenticated.http_status and request.url.path != LOGIN_PATH:
        response = _login_redirect(request)
    else:
        body = failure.payload(rid)["error"]
        render: ErrorPage | None = getattr(request.app.state, "error_page", None)
        response = _plain_page(body, failure.status)
        if render is not None:
            try:
                response = render(request, body, failure.status)
            except Exception:  # the error page itself failed: the plain page still tells the user
                log.exception("error page failed to render (request %s)", rid)
    for name, value in extra.items():
        response.headers[name] = value
    return response


def validation_failure(exc: RequestValidationError) -> Failure:
    """422 ``invalid_request``: each problem located, without its input (a password, a secret) or its
    context (exception objects)."""
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(e['loc'][1:] or e['loc'])}: {e['msg']}" for e in errors[:5])
    return Failure(422, "invalid_request", f"invalid request: {where}", details={"errors": errors})


def http_failure(exc: StarletteHTTPException, request: Request) -> Failure:
    """Starlette's own errors (no route, wrong method, a streamed body over the limit) in the shape."""
    status = exc.status_code
    if status == PayloadTooLarge.http_status:
        limit = request.app.state.settings.api.max_body_bytes
        return Failure.of(PayloadTooLarge(str(exc.detail), details={"max_body_bytes": limit}))
    message = exc.detail if isinstance(exc.detail, str) else "HTTP error"
    if status == 404 and message == "Not Found":
        message = f"no such page or endpoint: {request.url.path}"
    elif status == 405 and message == "Method Not Allowed":
        message = f"{request.method} is not allowed on {request.url.path}"
    return Failure(status, _HTTP_CODES.get(status, "http_error"), message)


INTERNAL_ERROR: Final = Failure(
    500, "internal_error", "internal error: the request id finds the details in Earful's log"
)


def install_error_handlers(app: FastAPI) -> None:
    async def on_earful(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EarfulError)
        if exc.http_status >= 500:
            log.warning("request %s: %s: %s", request_id(request), exc.code, exc.message)
        return error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, validation_failure(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
        return error_response(request, http_failure(exc, request), headers=headers)

    app.add_exception_handler(EarfulError, on_earful)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
