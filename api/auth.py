"""Who is asking, and in which workspace: credentials, the principal, CSRF, login and logout.

Credentials, in this order:
1. an API key (``Authorization: Bearer ek_...`` or ``X-API-Key``): acts in the key's workspace with the
   key's role; a key that is unknown or revoked is refused (401), never ignored in favour of a cookie.
   Exempt from CSRF: a browser never sends it by itself.
2. the session cookie ``earful_session``: a random id, kept server-side as its hash (nothing to sign),
   HttpOnly, SameSite=Lax, Secure when ``settings.api.secure_cookies``. The workspace is the one named
   by the ``X-Earful-Workspace`` header (403 when the user is not a member), else the ``workspace``
   cookie (ignored when the user is no longer a member), else the user's first membership.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) made with the session cookie carries the
session's token in the ``X-CSRF-Token`` header or the ``csrf_token`` form field, else 403
``csrf_failed``.

Login throttling: once ``settings.api.login_attempts`` logins failed for a user name, or from an
address, within ``settings.api.login_window``, further logins for it are refused with 429
``login_throttled`` (``Retry-After``: when the oldest of those failures leaves the window), right or
wrong password alike. A successful login forgets the name's failures.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.accounts.models import ApiKey, Membership, Permission, Role, User, allows
from api.accounts.store import AccountStore, SessionRow
from core.errors import CsrfFailed, Forbidden, LoginThrottled, Unauthenticated
from core.models import utcnow
from core.settings import Settings

SESSION_COOKIE: Final = "earful_session"
WORKSPACE_COOKIE: Final = "workspace"
LANG_COOKIE: Final = "lang"
WORKSPACE_HEADER: Final = "X-Earful-Workspace"
API_KEY_HEADER: Final = "X-API-Key"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


class Principal(BaseModel):
    """Who a request acts as, in which workspace, with which role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str | None = Field(description="The user; None for an API key")
    display_name: str
    key_id: str | None = Field(None, description="The API key's id, when a key authenticated")
    workspace: str = Field(description="The workspace this request reads and writes")
    role: Role = Field(description="The role in that workspace")
    workspaces: tuple[str, ...] = Field(description="Workspaces the principal may switch to")
    language: str = Field("en", description="The user's UI language ('en' or 'zh')")
    csrf_token: str | None = Field(None, repr=False, description="The session's CSRF token (sessions only)")

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def permissions(self) -> list[Permission]:
        return [permission for permission in Permission if self.can(permission)]

    @property
    def via_session(self) -> bool:
        return self.csrf_token is not None

    @property
    def actor(self) -> str:
        """Who history records: the user name, or ``key:<id>`` for an API key."""
        return self.username if self.username is not None else f"key:{self.key_id}"


@dataclass(frozen=True)
class Credentials:
    """What authenticated a request: an API key, or a session and its user."""

    key: ApiKey | None = None
    user: User | None = None
    session: SessionRow | None = None
    session_id: str | None = None


def presented_key(request: Request) -> str | None:
    """The API key the request carries, if any (Bearer token or X-API-Key)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get(API_KEY_HEADER)
    return key.strip() if key and key.strip() else None


def resolve_credentials(request: Request, accounts: AccountStore) -> Credentials | None:
    """The request's credentials; None without any (or with a session cookie that is no longer valid).
    Unauthenticated for an API key that is not valid."""
    secret = presented_key(request)
    if secret is not None:
        key = accounts.verify_key(secret)
        if key is None:
            raise Unauthenticated("unknown or revoked API key")
        return Credentials(key=key)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    session = accounts.get_session(session_id)
    user = accounts.get_user(session.username) if session is not None else None
    if session is None or user is None or user.disabled:
        return None
    return Credentials(user=user, session=session, session_id=session_id)


def _choose(memberships: list[Membership], requested: str | None, preferred: str | None) -> Membership:
    by_workspace = {m.workspace: m for m in memberships}
    if requested is not None:
        if requested not in by_workspace:
            raise Forbidden(f"not a member of workspace {requested!r}", details={"workspace": requested})
        return by_workspace[requested]
    if preferred is not None and preferred in by_workspace:
        return by_workspace[preferred]
    return memberships[0]


def principal_of(
    credentials: Credentials,
    accounts: AccountStore,
    *,
    requested: str | None = None,
    preferred: str | None = None,
) -> Principal:
    """The principal of these credentials in the `requested` workspace (403 when it may not act there),
    else the `preferred` one when it may, else its first."""
    if credentials.key is not None:
        key = credentials.key
        if requested is not None and requested != key.workspace:
            raise Forbidden(
                f"this API key acts in workspace {key.workspace!r} only",
                details={"workspace": requested},
            )
        return Principal(
            username=None,
            display_name=f"API key {key.name}",
            key_id=key.id,
            workspace=key.workspace,
            role=key.role,
            workspaces=(key.workspace,),
        )
    user = credentials.user
    assert user is not None
    memberships = accounts.memberships(user.username)
    if not memberships:
        raise Forbidden(f"user {user.username!r} is a member of no workspace: ask an admin")
    chosen = _choose(memberships, requested, preferred)
    return Principal(
        username=user.username,
        display_name=user.display_name,
        workspace=chosen.workspace,
        role=chosen.role,
        workspaces=tuple(m.workspace for m in memberships),
        language=user.language,
        csrf_token=credentials.session.csrf_token if credentials.session is not None else None,
    )


def authenticate(request: Request, accounts: AccountStore) -> Principal | None:
    """The request's principal (workspace from the header, else the cookie), or None without
    credentials. Blocking (SQLite): call it from a thread."""
    credentials = resolve_credentials(request, accounts)
    if credentials is None:
        return None
    requested = request.headers.get(WORKSPACE_HEADER) or None
    return principal_of(
        credentials, accounts, requested=requested, preferred=request.cookies.get(WORKSPACE_COOKIE)
    )


async def check_csrf(request: Request, principal: Principal) -> None:
    """CsrfFailed unless a state-changing session request carries its session's token."""
    if principal.csrf_token is None or request.method.upper() not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)  # cached by Starlette: the route reads it again
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode("utf-8"), principal.csrf_token.encode("utf-8")):
        raise CsrfFailed(
            f"missing or wrong CSRF token: send the session's token in the {CSRF_HEADER} header or the "
            f"{CSRF_FIELD} form field"
        )


# --- login and logout ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    principal: Principal
    session_id: str
    csrf_token: str


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def check_throttle(accounts: AccountStore, settings: Settings, username: str, address: str | None) -> None:
    """LoginThrottled when the user name, or the address, has used up its failed logins."""
    now = utcnow()
    window = timedelta(seconds=settings.api.login_window)
    since = now - window
    for by in ({"username": username}, {"address": address} if address is not None else None):
        if by is None:
            continue
        if accounts.failures(**by, since=since) >= settings.api.login_attempts:
            oldest: datetime | None = accounts.oldest_failure(**by, since=since)
            wait = ((oldest or now) + window - now).total_seconds()
            raise LoginThrottled(
                "too many failed logins: wait before trying again",
                retry_after=max(wait, 1.0),
                details={"by": next(iter(by))},
            )


def login(
    request: Request,
    response: Response,
    accounts: AccountStore,
    settings: Settings,
    *,
    username: str,
    password: str,
    workspace: str | None = None,
) -> LoginResult:
    """Check the password (throttled), open a session and set its cookie on `response` (and the
    workspace cookie when one is named). Unauthenticated for a wrong name or password (the same answer
    for both, and for a disabled user), Forbidden for a workspace the user is not a member of,
    LoginThrottled after too many failures. Blocking (argon2, SQLite): call it from a thread."""
    address = client_address(request)
    name = username[:64]
    check_throttle(accounts, settings, name, address)
    user = accounts.verify_password(name, password)
    if user is None:
        accounts.record_failure(name, address, utcnow())
        raise Unauthenticated("wrong user name or password")
    accounts.clear_failures(user.username)
    principal = principal_of(
        Credentials(user=user), accounts, requested=workspace, preferred=request.cookies.get(WORKSPACE_COOKIE)
    )
    session_id, csrf_token = accounts.create_session(user.username, settings.api.session_max_age)
    principal = principal.model_copy(update={"csrf_token": csrf_token})
    set_session_cookie(response, settings, session_id)
    if workspace is not None:
        set_workspace_cookie(response, settings, principal.workspace)
    return LoginResult(principal=principal, session_id=session_id, csrf_token=csrf_token)


def logout(request: Request, response: Response, accounts: AccountStore, settings: Settings) -> None:
    """End the request's session (if any) and clear its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        accounts.end_session(session_id)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.api.secure_cookies, httponly=True, samesite="lax"
    )


def set_session_cookie(response: Response, settings: Settings, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(settings.api.session_max_age),
        path="/",
        secure=settings.api.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def set_workspace_cookie(response: Response, settings: Settings, workspace: str) -> None:
    """Remember the workspace chosen in this browser (membership is checked on every request)."""
    response.set_cookie(
        WORKSPACE_COOKIE,
        workspace,
        max_age=365 * 86400,
        path="/",
        secure=settings.api.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after login: a path on this site only (never ``//host`` or ``https://...``)."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target
