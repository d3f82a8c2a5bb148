"""Login, logout, who am I, my workspaces (JSON). The HTML login page calls the same `api.auth` helpers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.accounts.models import Permission, Role
from api.accounts.store import AccountStore
from api.auth import Principal, login, logout
from api.deps import app_settings, authenticated, get_accounts, optional_principal
from api.errors import error_responses
from core.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"username": "ana", "password": "correct horse battery staple"}]},
    )

    username: str = Field(min_length=1, max_length=64, description="The user name")
    password: str = Field(min_length=1, max_length=1024, description="The password")
    workspace: str | None = Field(
        None, max_length=63, description="Workspace to act in; default: the last one chosen, else the first"
    )


class WorkspaceRole(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace: str
    role: Role
    current: bool = Field(description="Whether requests act in this workspace now")


ME_EXAMPLE: dict[str, Any] = {
    "username": "ana",
    "display_name": "Ana Li",
    "key_id": None,
    "language": "en",
    "workspace": "default",
    "role": "analyst",
    "permissions": ["read", "export", "searches.write", "rules.write", "reports.write"],
    "workspaces": [{"workspace": "default", "role": "analyst", "current": True}],
}


class Me(BaseModel):
    """Who the credentials are, and what they may do where."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={"examples": [ME_EXAMPLE]},
    )

    username: str | None = Field(description="The user; null for an API key")
    display_name: str
    key_id: str | None = Field(description="The API key's id, when a key authenticated")
    language: str
    workspace: str = Field(description="The workspace requests act in")
    role: Role = Field(description="The role there")
    permissions: list[Permission]
    workspaces: list[WorkspaceRole] = Field(description="Every workspace the principal may act in")


class LoginResponse(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "me": ME_EXAMPLE,
                    "csrf_token": "pN3w0c1hQm4r0...",
                }
            ]
        },
    )

    me: Me
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every POST/PUT/PATCH/DELETE")


class LoggedOut(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [{"logged_out": True}]})

    logged_out: bool = Field(description="Whether a session was ended")


class Workspaces(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "current": "default",
                    "workspaces": [
                        {"workspace": "acme", "role": "viewer", "current": False},
                        {"workspace": "default", "role": "admin", "current": True},
                    ],
                }
            ]
        },
    )

    current: str
    workspaces: list[WorkspaceRole]


def _workspaces(principal: Principal, accounts: AccountStore) -> list[WorkspaceRole]:
    if principal.username is None:
        return [WorkspaceRole(workspace=principal.workspace, role=principal.role, current=True)]
    return [
        WorkspaceRole(workspace=m.workspace, role=m.role, current=m.workspace == principal.workspace)
        for m in accounts.memberships(principal.username)
    ]


def me_of(principal: Principal, accounts: AccountStore) -> Me:
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        key_id=principal.key_id,
        language=principal.language,
        workspace=principal.workspace,
        role=principal.role,
        permissions=principal.permissions,
        workspaces=_workspaces(principal, accounts),
    )


@router.post(
    "/auth/login",
    response_model=LoginResponse,
    summary="Log in: opens a session (cookie) and returns its CSRF token",
    responses=error_responses(401, 403, 413, 422, 429),
)
def login_route(
    body: LoginRequest,
    request: Request,
    response: Response,
    accounts: Annotated[AccountStore, Depends(get_accounts)],
    settings: Annotated[Settings, Depends(app_settings)],
) -> LoginResponse:
    result = login(
        request,
        response,
        accounts,
        settings,
        username=body.username,
        password=body.password,
        workspace=body.workspace,
    )
    return LoginResponse(me=me_of(result.principal, accounts), csrf_token=result.csrf_token)


@router.post(
    "/auth/logout",
    response_model=LoggedOut,
    summary="Log out: ends the session and clears its cookie",
    responses=error_responses(403),
)
async def logout_route(
    request: Request,
    response: Response,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
    settings: Annotated[Settings, Depends(app_settings)],
) -> LoggedOut:
    # optional_principal checked the CSRF token of a live session: a forged logout ends nothing
    await run_in_threadpool(logout, request, response, accounts, settings)
    return LoggedOut(logged_out=principal is not None and principal.via_session)


@router.get(
    "/me",
    response_model=Me,
    summary="Who the credentials are: user or key, workspace, role, permissions",
    responses=error_responses(401, 403),
)
def me_route(
    principal: Annotated[Principal, Depends(authenticated)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
) -> Me:
    return me_of(principal, accounts)


@router.get(
    "/workspaces",
    response_model=Workspaces,
    summary="The workspaces the principal may act in, and the current one",
    responses=error_responses(401, 403),
)
def workspaces_route(
    principal: Annotated[Principal, Depends(authenticated)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
) -> Workspaces:
    return Workspaces(current=principal.workspace, workspaces=_workspaces(principal, accounts))
