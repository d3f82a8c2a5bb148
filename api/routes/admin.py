"""Users, memberships and API keys (JSON), for the admins of a workspace.

An admin manages the workspace they act in: its members (`/users`: a new user joins it; a membership of
another workspace needs admin there too) and its API keys (`/keys`: a key's secret is in the answer that
creates it and never again).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.accounts.models import ApiKey, NewApiKey, Permission, Role
from api.accounts.store import AccountStore
from api.auth import Principal
from api.deps import get_accounts, require
from api.errors import error_responses
from core.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/v1", tags=["admin"])

Admin = Annotated[Principal, Depends(require(Permission.ADMIN))]
Accounts = Annotated[AccountStore, Depends(get_accounts)]


class MemberOut(BaseModel):
    """A user and their role in the workspace."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "username": "ana",
                    "display_name": "Ana Li",
                    "email": "ana@example.com",
                    "language": "en",
                    "disabled": False,
                    "created_at": "2026-03-01T09:00:00Z",
                    "role": "analyst",
                }
            ]
        },
    )

    username: str
    display_name: str
    email: str | None
    language: str
    disabled: bool
    created_at: AwareDatetime
    role: Role = Field(description="Role in the workspace the request acts in")


class Members(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace: str
    users: list[MemberOut]


class NewUser(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "bo",
                    "password": "a long passphrase",
                    "display_name": "Bo Chen",
                    "language": "zh",
                    "role": "agent",
                }
            ]
        },
    )

    username: str = Field(
        min_length=1, max_length=64, description="Lower-case letters, digits, '.', '_', '-'"
    )
    password: str = Field(min_length=8, max_length=1024)
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    language: str = Field("en", pattern="^(en|zh)$")
    role: Role = Field(description="Role in the workspace the request acts in")


class RoleChange(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"role": "viewer"}]}
    )

    role: Role


class MembershipOut(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"username": "bo", "workspace": "acme", "role": "viewer", "member": True}]
        },
    )

    username: str
    workspace: str
    role: Role | None = Field(description="The role now; null once revoked")
    member: bool


class NewKey(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"name": "BI export", "role": "viewer"}]}
    )

    name: str = Field(min_length=1, max_length=200, description="What the key is for")
    role: Role = Field(description="The key's role in the workspace the request acts in")


class Keys(BaseModel):
    model_config = ConfigDict(frozen=True)

    workspace: str
    keys: list[ApiKey] = Field(description="Newest first; never a secret")


def _member(accounts: AccountStore, username: str, workspace: str) -> MemberOut:
    user = accounts.get_user(username)
    role = next((m.role for m in accounts.memberships(username) if m.workspace == workspace), None)
    if user is None or role is None:
        raise NotFound(f"no member {username!r} in workspace {workspace!r}")
    return MemberOut(**user.model_dump(), role=role)


def _admin_of(principal: Principal, accounts: AccountStore, workspace: str) -> None:
    """Forbidden unless the principal is an admin of `workspace` (not only of the current one)."""
    if workspace == principal.workspace:
        return  # `require(ADMIN)` checked it
    if principal.username is not None and any(
        m.workspace == workspace and m.role is Role.ADMIN for m in accounts.memberships(principal.username)
    ):
        return
    raise Forbidden(f"not an admin of workspace {workspace!r}", details={"workspace": workspace})


@router.get(
    "/users",
    response_model=Members,
    summary="The members of the workspace, with their roles",
    responses=error_responses(401, 403),
)
def list_users(principal: Admin, accounts: Accounts) -> Members:
    roles = {m.username: m.role for m in accounts.members(principal.workspace)}
    users = accounts.list_users(principal.workspace)
    return Members(
        workspace=principal.workspace,
        users=[MemberOut(**u.model_dump(), role=roles[u.username]) for u in users if u.username in roles],
    )


@router.post(
    "/users",
    response_model=MemberOut,
    status_code=201,
    summary="Create a user, a member of the workspace with the role given",
    responses=error_responses(400, 401, 403, 409, 422),
)
def create_user(body: NewUser, principal: Admin, accounts: Accounts) -> MemberOut:
    accounts.add_user(
        body.username, body.password, display_name=body.display_name, email=body.email, language=body.language
    )
    accounts.grant(body.username, principal.workspace, body.role)
    return _member(accounts, body.username, principal.workspace)


@router.put(
    "/users/{username}/memberships/{workspace}",
    response_model=MembershipOut,
    summary="Make a user a member of a workspace with a role, or change their role there",
    responses=error_responses(400, 401, 403, 404, 422),
)
def grant_membership(
    username: str, workspace: str, body: RoleChange, principal: Admin, accounts: Accounts
) -> MembershipOut:
    _admin_of(principal, accounts, workspace)
    membership = accounts.grant(username, workspace, body.role)
    return MembershipOut(username=username, workspace=membership.workspace, role=membership.role, member=True)


@router.delete(
    "/users/{username}/memberships/{workspace}",
    response_model=MembershipOut,
    summary="End a user's membership of a workspace",
    responses=error_responses(401, 403, 404),
)
def revoke_membership(username: str, workspace: str, principal: Admin, accounts: Accounts) -> MembershipOut:
    _admin_of(principal, accounts, workspace)
    accounts.revoke(username, workspace)
    return MembershipOut(username=username, workspace=workspace, role=None, member=False)


@router.get(
    "/keys",
    response_model=Keys,
    summary="The workspace's API keys (never their secrets)",
    responses=error_responses(401, 403),
)
def list_keys(
    principal: Admin,
    accounts: Accounts,
    include_revoked: Annotated[bool, Query(description="List revoked keys too")] = False,
) -> Keys:
    return Keys(
        workspace=principal.workspace,
        keys=accounts.list_keys(principal.workspace, include_revoked=include_revoked),
    )


@router.post(
    "/keys",
    response_model=NewApiKey,
    status_code=201,
    summary="Create an API key for the workspace: its secret is in this answer only",
    responses=error_responses(400, 401, 403, 422),
)
def create_key(body: NewKey, principal: Admin, accounts: Accounts) -> NewApiKey:
    return accounts.create_key(body.name, principal.workspace, body.role, created_by=principal.actor)


@router.delete(
    "/keys/{key_id}",
    response_model=ApiKey,
    summary="Revoke an API key of the workspace (at once)",
    responses=error_responses(401, 403, 404),
)
def revoke_key(key_id: str, principal: Admin, accounts: Accounts) -> ApiKey:
    key = accounts.get_key(key_id)
    if key is None or key.workspace != principal.workspace:
        raise NotFound(
            f"no API key {key_id!r} in workspace {principal.workspace!r}", details={"key_id": key_id}
        )
    return accounts.revoke_key(key_id)
