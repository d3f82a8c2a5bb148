"""FastAPI dependencies every route uses: who is asking (`require`, `require_page`), the workspace's
stores (`workspace_services`), the account store and the settings of the app.

    principal: Annotated[Principal, Depends(require(Permission.READ))]
    services: Annotated[Services, Depends(workspace_services)]

Authentication runs once per request (the principal is kept on ``request.state.principal``, where the
web shell's `render` finds it too), CSRF included (see `api.auth`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.accounts.models import Permission
from api.accounts.store import AccountStore
from api.auth import Principal, authenticate, check_csrf
from api.services import ServiceCache, Services
from core.errors import Forbidden, Unauthenticated
from core.settings import Settings

__all__ = [
    "Principal",
    "app_settings",
    "authenticated",
    "get_accounts",
    "optional_principal",
    "require",
    "require_page",
    "workspace_services",
]

_UNSET = object()


def get_accounts(request: Request) -> AccountStore:
    """The app's account store."""
    accounts: AccountStore = request.app.state.accounts
    return accounts


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (not `get_settings()`: tests build apps of their own)."""
    settings: Settings = request.app.state.settings
    return settings


async def optional_principal(request: Request) -> Principal | None:
    """The request's principal, None without credentials; 401 for a bad API key, 403 for a workspace
    it may not act in or a session request without its CSRF token."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        assert cached is None or isinstance(cached, Principal)
        return cached
    principal = await run_in_threadpool(authenticate, request, get_accounts(request))
    if principal is not None:
        await check_csrf(request, principal)
    request.state.principal = principal
    return principal


async def authenticated(request: Request) -> Principal:
    """The request's principal; 401 without credentials."""
    principal = await optional_principal(request)
    if principal is None:
        raise Unauthenticated("log in, or send an API key (Authorization: Bearer ek_...)")
    return principal


def _permitted(principal: Principal, permission: Permission) -> Principal:
    if not principal.can(permission):
        raise Forbidden(
            f"role {principal.role.value!r} may not {permission.value!r} "
            f"in workspace {principal.workspace!r}",
            details={"permission": permission.value, "role": principal.role.value},
        )
    return principal


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the principal when its role allows `permission` in its workspace; 401, 403."""

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        return _permitted(principal, permission)

    return dependency


def require_page(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """`require` for an HTML page: its errors are pages (a browser that is not logged in is sent to
    ``/login?next=...``; htmx gets ``HX-Redirect``), whatever the request's Accept header."""

    async def dependency(request: Request) -> Principal:
        request.state.page = True
        return _permitted(await authenticated(request), permission)

    return dependency


async def workspace_services(
    request: Request, principal: Annotated[Principal, Depends(authenticated)]
) -> Services:
    """The stores of the principal's workspace (built on first use, shared by the app's requests).
    Async: it only looks the workspace up (stores are built in the route's thread, on first use), so it
    costs no hop to the thread pool."""
    cache: ServiceCache = request.app.state.services
    return cache.get(principal.workspace)
