"""Fixtures of the API tests: settings of a tmp home, and the real app over them through TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.testing import api_settings
from core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened


@pytest.fixture
def make_client(app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """More clients of the same app (another browser, another address); the `client` fixture's context
    runs the app's lifespan, these only send requests."""
    opened: list[TestClient] = []

    def make(**kwargs: object) -> TestClient:
        one = TestClient(app, **kwargs)  # type: ignore[arg-type]
        opened.append(one)
        return one

    yield make
    for one in opened:
        one.close()
