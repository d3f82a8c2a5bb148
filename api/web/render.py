"""Server-side rendering of the web UI: one cached Jinja2 environment, and `render`, which hands every
template the request's language, principal and CSRF token.

Globals of every template: `t(key, **params)` (label in the page language), `lang` ("en"/"zh"),
`html_lang` ("en"/"zh-CN"), `principal` (None on the login page), `csrf_token` ("" without a session),
`csrf_field()` (the hidden form input), `request`, `nav` (the header's links, the current one marked),
`current_url` (path and query, for `next=` links), `static(path)` (a cache-busting /static URL),
`url_with(url, **params)` (a URL with query parameters replaced) and `has_label(key)`.
Shared macros: `_macros.html`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.web.i18n import HTML_LANG, labels, request_language, translate

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
STATIC_PREFIX: Final = "/static"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # a label key
    active: bool = False


# The header's links: (path, label key). A page is "in" a section when its path starts with the link's.
NAV: Final[tuple[tuple[str, str], ...]] = (
    ("/explore", "common.nav.explore"),
    ("/dashboard", "common.nav.dashboard"),
    ("/alerts", "common.nav.alerts"),
    ("/customers", "common.nav.customers"),
    ("/reports", "common.nav.reports"),
    ("/sources", "common.nav.sources"),
)


def nav_items(path: str) -> tuple[NavItem, ...]:
    # /mentions/{id} is reached from Explore: it counts as Explore.
    path = "/explore" if path.startswith("/mentions/") else path
    return tuple(
        NavItem(href, label, active=path == href or path.startswith(href + "/")) for href, label in NAV
    )


@cache
def _static_version(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static(path: str) -> str:
    """`/static/<path>?v=<content hash>`: browsers may cache it forever; a changed file gets a new URL.
    A missing file is an error here, at render time, not a 404 in the browser."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise FileNotFoundError(f"no static file {path!r}")
    return f"{STATIC_PREFIX}/{path}?v={_static_version(path)}"


def has_label(key: str) -> bool:
    """Whether a label exists: for keys built from data (an error status) that may have none."""
    return key in labels()


def url_with(url: str, **params: object) -> str:
    """`url` with the given query parameters set (replacing earlier values; None removes one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.web", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static
    env.globals["url_with"] = url_with
    env.globals["has_label"] = has_label
    return env


def current_url(request: Request) -> str:
    """Path and query of the request: where `next=` brings the user back to."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def is_htmx(request: Request) -> bool:
    """True for a request htmx sent (answer it with the `_partial.html`, not the whole page)."""
    return request.headers.get("hx-request") == "true"


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    lang = request_language(request)
    principal = getattr(request.state, "principal", None)
    # A session's token: set by the login page on request.state, else the signed-in principal's.
    csrf_token = getattr(request.state, "csrf_token", None) or getattr(principal, "csrf_token", None) or ""

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token)

    values: dict[str, Any] = {
        "request": request,
        "t": t,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "principal": principal,
        "csrf_token": csrf_token,
        "csrf_field": csrf_field,
        "nav": nav_items(request.url.path),
        "current_url": current_url(request),
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    # The page depends on the language cookie and header: caches must not hand one user's page to another.
    headers = {"Content-Language": HTML_LANG[lang], "Vary": "Cookie, Accept-Language"}
    return HTMLResponse(html, status_code=status, headers=headers)


def render_error(request: Request, error: Mapping[str, Any], status: int) -> HTMLResponse:
    """The error page (`app.state.error_page` of api.errors): `error` is the "error" object of the JSON
    shape (code, message, request_id...). The page says what the status means in the page language, then
    the error's own message and the request id to quote to an operator."""
    return render(request, "error.html", {"error": error}, status=status)
