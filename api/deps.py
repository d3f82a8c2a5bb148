"""FastAPI dependencies every route uses: who is asking (`require`, `require_page`), the workspace's
stores (`workspace_services`), the account store and the settings of the app.

    principal: Annotated[Principal, Depends(require(Permission.READ))]
    services: Stores  # Annotated[Services, Depends(workspace_services)]

Authentication runs once per request (the principal is kept on ``request.state.principal``, where the
web shell's `render` finds it too), CSRF included (see `api.auth`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from api.accounts.models import Permission, Role, allows
from api.accounts.store import AccountStore
from api.auth import Principal, authenticate, check_csrf
from api.services import ServiceCache, Services
from core.errors import Forbidden, Unauthenticated
from core.settings import Settings

__all__ = [
    "Principal",
    "Require",
    "RouteAccess",
    "RouteInfo",
    "Stores",
    "app_routes",
    "app_settings",
    "authenticated",
    "get_accounts",
    "optional_principal",
    "require",
    "require_page",
    "route_access",
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


class Require:
    """The dependency `require` and `require_page` return. It names what it checks (`permission`,
    `page`) so that `route_access` finds a route's permission by walking its dependencies: the OpenAPI
    document says it (``x-earful-permission``) and the security tests check every route against it."""

    def __init__(self, permission: Permission, *, page: bool = False) -> None:
        self.permission = permission
        self.page = page

    async def __call__(self, request: Request) -> Principal:
        if self.page:
            request.state.page = True  # its errors are pages, a login redirect when not logged in
        return _permitted(await authenticated(request), self.permission)

    def __repr__(self) -> str:
        return f"{'require_page' if self.page else 'require'}({self.permission.value!r})"


def require(permission: Permission) -> Require:
    """A dependency: the principal when its role allows `permission` in its workspace; 401, 403."""
    return Require(permission)


def require_page(permission: Permission) -> Require:
    """`require` for an HTML page: its errors are pages (a browser that is not logged in is sent to
    ``/login?next=...``; htmx gets ``HX-Redirect``), whatever the request's Accept header."""
    return Require(permission, page=True)


@dataclass(frozen=True)
class RouteAccess:
    """Who may call a route: a principal holding every one of `permissions` (through `require` or
    `require_page`), else any principal when `authenticated` (`deps.authenticated` alone), else anyone."""

    permissions: frozenset[Permission]
    authenticated: bool
    page: bool

    @property
    def label(self) -> str:
        """``x-earful-permission`` of the OpenAPI document: the permissions, 'authenticated' or 'public'."""
        if self.permissions:
            return " ".join(sorted(p.value for p in self.permissions))
        return "authenticated" if self.authenticated else "public"

    def allows(self, role: Role) -> bool:
        return all(allows(role, permission) for permission in self.permissions)


def route_access(route: Any) -> RouteAccess:
    """What `route` (an `APIRoute`, or FastAPI's view of one as included) asks of its caller, read from
    its whole dependency tree (its own and its routers')."""
    found: list[Require] = []
    plain = False
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Require):
            found.append(dependant.call)
        elif dependant.call is authenticated:
            plain = True
        stack.extend(dependant.dependencies)
    return RouteAccess(
        frozenset(r.permission for r in found), plain or bool(found), any(r.page for r in found)
    )


@dataclass(frozen=True)
class RouteInfo:
    """One route of the app as it answers: its full path, methods and who may call it."""

    path: str
    methods: frozenset[str]
    access: RouteAccess | None  # None: not an API route (static files, the OpenAPI document)
    in_schema: bool


def app_routes(app: FastAPI) -> list[RouteInfo]:
    """Every route of `app` with its full path (routers included), in matching order."""
    # FastAPI >= 0.150 keeps an included router as one lazily expanded entry; older ones copy its routes.
    expand: Callable[[Sequence[BaseRoute]], Iterable[Any]] = getattr(
        fastapi.routing, "iter_route_contexts", lambda routes: routes
    )
    infos: list[RouteInfo] = []
    for route in expand(app.routes):
        original = getattr(route, "original_route", route)
        methods = frozenset(getattr(route, "methods", None) or ())
        path = str(route.path)
        if isinstance(original, APIRoute):
            infos.append(RouteInfo(path, methods, route_access(route), bool(route.include_in_schema)))
        else:
            infos.append(RouteInfo(path, methods, None, False))
    return infos


async def workspace_services(
    request: Request, principal: Annotated[Principal, Depends(authenticated)]
) -> Services:
    """The stores of the principal's workspace (built on first use, shared by the app's requests).
    Async: it only looks the workspace up (stores are built in the route's thread, on first use), so it
    costs no hop to the thread pool."""
    cache: ServiceCache = request.app.state.services
    return cache.get(principal.workspace)


Stores = Annotated[Services, Depends(workspace_services)]
"""A route's parameter for the stores of the principal's workspace."""
