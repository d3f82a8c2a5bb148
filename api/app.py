"""The FastAPI application of `earful serve`: every router of `api.routes.ROUTERS` (JSON under /api/v1)
and `api.web.pages.PAGES` (HTML), the static files, the error handlers and the middleware.

`create_app(settings)` builds nothing expensive: the account store and each workspace's stores open
on first use and close when the app shuts down (its lifespan). The OpenAPI schema is at
``/api/v1/openapi.json``; no Swagger page is served (it loads its scripts from a CDN, which the
Content-Security-Policy and the no-CDN rule forbid).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.accounts.store import open_account_store
from api.deps import RouteAccess, app_routes
from api.errors import ErrorPage, ErrorResponse, error_responses, install_error_handlers
from api.middleware import BodyLimit, RequestContext
from api.routes import ROUTERS
from api.services import ServiceCache
from api.web.pages import PAGES
from core.settings import Settings, get_settings
from core.settings.base import earful_version

log = logging.getLogger(__name__)

PERMISSION_KEY: Final = "x-earful-permission"
"""Each operation of the OpenAPI document names what it requires: permissions (space-separated),
'authenticated' (any principal) or 'public' (`api.deps.RouteAccess.label`)."""

ERROR_REF: Final = "#/components/schemas/ErrorResponse"


def _error_schemas() -> dict[str, Any]:
    """The components of `ErrorResponse`, for a document none of whose routes named it."""
    schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs", {}), "ErrorResponse": schema}


STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"


def _error_page() -> ErrorPage | None:
    """The web shell's error page (``error.html`` through `api.web.render`), when the shell is there."""
    try:
        module = importlib.import_module("api.web.render")
    except ModuleNotFoundError as exc:
        if exc.name != "api.web.render":
            raise
        return None

    def render(request: Request, error: dict[str, Any], status: int) -> Response:
        response: Response = module.render(request, "error.html", {"error": error}, status=status)
        return response

    return render


def _errors_of(access: RouteAccess, operation: dict[str, Any]) -> tuple[int, ...]:
    """The error statuses the app itself may answer `operation` with, whatever its route says: 400 (a
    URL over the limit, a body that is not even text), the credentials' 401 and 403, and for a body
    413 (the body limit) and 422."""
    statuses = [400]
    if access.authenticated:
        statuses += [401, 403]
    if "requestBody" in operation:
        statuses += [413, 422]
    elif operation.get("parameters"):
        statuses.append(422)
    return tuple(statuses)


def _complete_openapi(app: FastAPI) -> None:
    """Each operation of the OpenAPI document says who may call it (`PERMISSION_KEY`, read from its
    dependencies) and documents the errors that the app's middleware and credentials may answer it
    with: nothing to repeat in the route modules."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI: completing it again changes nothing
        for route in app_routes(app):
            if route.access is None or not route.in_schema:
                continue
            operations = document.get("paths", {}).get(route.path, {})
            for method in route.methods:
                operation = operations.get(method.lower())
                if operation is None:
                    continue
                operation[PERMISSION_KEY] = route.access.label
                responses = operation.setdefault("responses", {})
                for status, spec in error_responses(*_errors_of(route.access, operation)).items():
                    responses.setdefault(
                        str(status),
                        {
                            "description": spec["description"],
                            "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                        },
                    )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorResponse" not in schemas:
            schemas.update(_error_schemas())
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    accounts = open_account_store(settings)
    services = ServiceCache(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            services.close()
            accounts.close()

    app = FastAPI(
        title="Earful",
        version=earful_version(),
        summary="Social listening and social CRM: search, alerts, customers",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.accounts = accounts
    app.state.services = services
    app.state.error_page = _error_page()
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit, max_body_bytes=settings.api.max_body_bytes, max_url_chars=settings.api.max_url_chars
    )
    app.add_middleware(RequestContext)  # added last: outermost, so every answer carries the request id
    for router in (*ROUTERS, *PAGES):
        app.include_router(router)
    _complete_openapi(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
