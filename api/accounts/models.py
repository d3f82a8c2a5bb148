"""Roles, what each may do, and the records of the account store. Frozen boundary models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict


class Role(StrEnum):
    """A user's role in one workspace (or an API key's). Ordered from most to least powerful."""

    ADMIN = "admin"  # everything, including users, API keys, sources and channels
    ANALYST = "analyst"  # search, export, saved searches, alert rules, reports
    AGENT = "agent"  # mentions workflow, customers, cases, the alert inbox
    VIEWER = "viewer"  # read only


class Permission(StrEnum):
    READ = "read"  # search, view mentions, customers, alerts, dashboards, sources
    EXPORT = "export"  # CSV/JSONL export of search results
    SEARCHES_WRITE = "searches.write"  # saved searches
    RULES_WRITE = "rules.write"  # alert rules: create, edit, delete, backtest
    REPORTS_WRITE = "reports.write"  # report definitions and runs
    MENTIONS_WORK = "mentions.work"  # assign, status, priority, tags, star, notes
    ALERTS_WORK = "alerts.work"  # ack, snooze, resolve alerts
    CUSTOMERS_WRITE = "customers.write"  # link confirm/reject, customer edits, cases
    ADMIN = "admin"  # users, memberships, API keys, sources, channels


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        {
            Permission.READ,
            Permission.EXPORT,
            Permission.SEARCHES_WRITE,
            Permission.RULES_WRITE,
            Permission.REPORTS_WRITE,
        }
    ),
    Role.AGENT: frozenset(
        {Permission.READ, Permission.MENTIONS_WORK, Permission.ALERTS_WORK, Permission.CUSTOMERS_WRITE}
    ),
    Role.VIEWER: frozenset({Permission.READ}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class User(_Frozen):
    username: str = Field(description="Login name: lower-case letters, digits, '.', '_', '-'")
    display_name: str = Field(description="Name shown in the UI and in a mention's history")
    email: str | None = Field(None, description="Where assignment notices go, when set")
    language: str = Field("en", description="UI language: 'en' or 'zh'")
    disabled: bool = Field(False, description="A disabled user cannot log in; history keeps the name")
    created_at: AwareDatetime


class Membership(_Frozen):
    username: str
    workspace: str
    role: Role


_KEY_EXAMPLE: JsonDict = {
    "id": "5f0c1a2b3c4d5e6f",
    "name": "BI export",
    "prefix": "ek_q3Zt0v9",
    "workspace": "default",
    "role": "viewer",
    "created_by": "ana",
    "created_at": "2026-03-01T09:00:00Z",
    "last_used_at": None,
    "revoked_at": None,
}


class ApiKey(_Frozen):
    """An API key as stored: never its secret, only a hash of it and the first characters to tell it by."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: str
    name: str = Field(description="What the key is for, e.g. 'BI export'")
    prefix: str = Field(description="The secret's first characters, shown in lists to recognise it")
    workspace: str
    role: Role
    created_by: str | None = None
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class NewApiKey(_Frozen):
    """A key just created: the secret is here once and never again."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"key": _KEY_EXAMPLE, "secret": "ek_q3Zt0v9mXbWc1sYd4eFg7hJk2lMn5pQr8sTu0vWxYz"}]
        },
    )

    key: ApiKey
    secret: str
