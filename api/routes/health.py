"""``GET /healthz``: no credentials; 200 when the account store and the default workspace's mention
store answer, else 503 naming what failed (for load balancers and `earful serve`'s own check)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.accounts.store import AccountStore
from api.deps import get_accounts
from api.services import ServiceCache
from core.errors import EarfulError
from core.models import DEFAULT_WORKSPACE
from core.settings.base import earful_version

router = APIRouter(tags=["health"])


class Health(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"status": "ok", "version": "0.1.0", "checks": {"accounts": "ok", "mentions": "ok"}}]
        },
    )

    status: Literal["ok", "unavailable"]
    version: str
    checks: dict[str, str] = Field(description="Each store checked: 'ok', or the code of its error")


@router.get(
    "/healthz",
    response_model=Health,
    summary="Whether Earful and its stores answer (no credentials needed)",
    responses={503: {"model": Health, "description": "A store does not answer"}},
)
def healthz(request: Request, accounts: Annotated[AccountStore, Depends(get_accounts)]) -> JSONResponse:
    services: ServiceCache = request.app.state.services
    checks: dict[str, str] = {}
    for name, check in (
        ("accounts", accounts.ensure_ready),
        ("mentions", lambda: services.get(DEFAULT_WORKSPACE).mentions.count()),
    ):
        try:
            check()
            checks[name] = "ok"
        except EarfulError as exc:
            checks[name] = exc.code
    ok = all(value == "ok" for value in checks.values())
    health = Health(status="ok" if ok else "unavailable", version=earful_version(), checks=checks)
    return JSONResponse(health.model_dump(), status_code=200 if ok else 503)
