"""Connectors against the API replicas (crawlers/testing/replicas/apis.py) on loopback; no internet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.models import DEFAULT_WORKSPACE
from crawlers.config import ConnectorSettings
from crawlers.connectors.base import Connector
from crawlers.health import HealthStore
from crawlers.safety import TargetGuard
from crawlers.testing.replicas.apis import CREDENTIALS, TOKENS, ApiReplicas


@pytest.fixture(scope="session")
def apis() -> Iterator[ApiReplicas]:
    with ApiReplicas() as replicas:
        yield replicas


@pytest.fixture(autouse=True)
def _clean_faults(apis: ApiReplicas) -> Iterator[None]:
    yield
    apis.faults.clear()
    apis.rate_limit_headers.clear()


def replica_settings(apis: ApiReplicas, **overrides: Any) -> ConnectorSettings:
    data: dict[str, Any] = {
        "initial_backoff": 0.01,
        "max_backoff": 0.05,
        "reddit": {
            "base_url": apis.base("reddit"),
            "auth_url": f"{apis.url}/reddit-auth/api/v1/access_token",
            "client_id": CREDENTIALS["reddit"][0],
            "client_secret": CREDENTIALS["reddit"][1],
        },
        "hackernews": {"base_url": apis.base("hackernews")},
        "mastodon": {"base_url": apis.base("mastodon"), "access_token": TOKENS["mastodon"]},
        "bluesky": {
            "base_url": apis.base("bluesky"),
            "identifier": CREDENTIALS["bluesky"][0],
            "app_password": CREDENTIALS["bluesky"][1],
        },
        "youtube": {"base_url": apis.base("youtube"), "api_key": TOKENS["youtube"]},
        "x": {"base_url": apis.base("x"), "bearer_token": TOKENS["x"]},
        "appstore": {"base_url": apis.base("appstore")},
        "weibo": {"base_url": apis.base("weibo"), "access_token": TOKENS["weibo"]},
    }
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return ConnectorSettings.model_validate(data)


class Sleeps:
    """Records the waits a connector asks for, without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


Make = Callable[..., Connector]


@pytest.fixture
def make(apis: ApiReplicas, tmp_path: Any) -> Make:
    def factory(
        cls: type[Connector],
        options: dict[str, Any],
        *,
        settings: ConnectorSettings | None = None,
        sleep: Sleeps | None = None,
        health: bool = False,
        name: str | None = None,
    ) -> Connector:
        return cls(
            name or f"test-{cls.platform}",
            options,
            settings=settings or replica_settings(apis),
            guard=TargetGuard.loopback_allowed(),
            sleep=sleep or Sleeps(),
            health=HealthStore(tmp_path / "health", workspace=DEFAULT_WORKSPACE) if health else None,
        )

    return factory
