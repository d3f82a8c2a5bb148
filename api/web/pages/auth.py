"""The pages around signing in: the login form, logout, the language and workspace switches, and `/`.

They call the same `api.auth` helpers as the JSON routes (`login`, `logout`, `safe_next`, the cookies), so
throttling, sessions and CSRF are the same for a browser as for a script.

The login form has a CSRF token of its own before any session exists (a cookie and a form field that
must match, "double submit"): another site cannot post its own credentials into a user's browser.
"""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.accounts.models import Permission
from api.accounts.store import AccountStore
from api.auth import LANG_COOKIE, Principal, login, logout, safe_next, set_workspace_cookie
from api.deps import app_settings, get_accounts, optional_principal, require_page
from api.web.i18n import SUPPORTED, request_language, translate
from api.web.render import render
from core.errors import Forbidden, LoginThrottled, NotFound, Unauthenticated
from core.settings import Settings

router = APIRouter(include_in_schema=False)

HOME: Final = "/explore"
LOGIN_CSRF_COOKIE: Final = "earful_login_csrf"
LOGIN_FORM_SECONDS: Final = 3600
LANG_COOKIE_SECONDS: Final = 365 * 86400


def _login_form(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    request.state.csrf_token = token
    context = {"next": next_path, "username": username, "error": error, "notice": notice}
    response = render(request, "login.html", context, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_FORM_SECONDS,
        path="/login",
        secure=settings.api.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_page(
    request: Request,
    settings: Annotated[Settings, Depends(app_settings)],
    principal: Annotated[Principal | None, Depends(optional_principal)],
    next: str = HOME,
    logged_out: bool = False,
) -> Response:
    target = safe_next(next, HOME)
    if principal is not None and principal.username is not None:
        return RedirectResponse(target, status_code=303)
    lang = request_language(request)
    notice = translate("common.login.logged_out", lang) if logged_out else None
    return _login_form(request, settings, next_path=target, notice=notice)


@router.post("/login")
async def login_submit(
    request: Request,
    settings: Annotated[Settings, Depends(app_settings)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""), HOME)
    lang = request_language(request)

    def again(error_key: str, status: int, **params: object) -> Response:
        error = translate(error_key, lang, **params)
        return _login_form(request, settings, next_path=target, username=username, error=error, status=status)

    sent = str(form.get("csrf_token") or "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return again("common.login.form_expired", 403)
    if not username or not password:
        return again("common.login.failed", 401)
    response = RedirectResponse(target, status_code=303)
    try:
        await run_in_threadpool(
            login, request, response, accounts, settings, username=username, password=password
        )
    except LoginThrottled as exc:
        wait = exc.retry_after or settings.api.login_window
        page = again("common.login.throttled", 429, minutes=max(1, math.ceil(wait / 60)))
        page.headers["Retry-After"] = str(math.ceil(wait))
        return page
    except Unauthenticated:
        return again("common.login.failed", 401)
    except Forbidden:  # a user who is a member of no workspace
        return again("common.login.no_workspace", 403)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout_submit(
    request: Request,
    settings: Annotated[Settings, Depends(app_settings)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
    principal: Annotated[Principal | None, Depends(optional_principal)],  # checks the CSRF token
) -> Response:
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    if principal is not None:
        await run_in_threadpool(logout, request, response, accounts, settings)
    return response


@router.get("/lang/{code}")
def switch_language(
    code: str,
    settings: Annotated[Settings, Depends(app_settings)],
    next: str = "/",
) -> RedirectResponse:
    if code not in SUPPORTED:
        raise NotFound(f"no language {code!r}: one of {', '.join(SUPPORTED)}", details={"code": code})
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_SECONDS,
        path="/",
        secure=settings.api.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/workspace/{name}")
def switch_workspace(
    name: str,
    settings: Annotated[Settings, Depends(app_settings)],
    principal: Annotated[Principal, Depends(require_page(Permission.READ))],
    next: str = HOME,
) -> RedirectResponse:
    if name not in principal.workspaces:
        raise Forbidden(f"not a member of workspace {name!r}", details={"workspace": name})
    response = RedirectResponse(safe_next(next, HOME), status_code=303)
    set_workspace_cookie(response, settings, name)
    return response
