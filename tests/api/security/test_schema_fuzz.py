"""Property tests of the JSON API against its own OpenAPI document (schemathesis, in-process over ASGI),
as an admin's API key: whatever the generated input, no 5xx, every status documented, every response
conforming to its schema. Every operation the app has when the test runs is covered; each gets a
bounded number of examples (well under two minutes on two cores)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings

from api.accounts.models import Role
from api.app import create_app
from api.testing import api_key, api_settings

EXAMPLES: Final = 10
CHECKS: Final = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
]


# Loaded at import, as `schema.parametrize` needs (its fixture-based loader does not run on pytest 9):
# an app of its own over a throwaway home, removed when the module's tests are done.
_HOME: Final = tempfile.TemporaryDirectory(prefix="earful-fuzz-")
APP: Final = create_app(api_settings(Path(_HOME.name)))
SECRET: Final = api_key(APP.state.settings, role=Role.ADMIN, name="fuzz")
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    with TestClient(APP):  # the stores close after the last example
        yield
    _HOME.cleanup()


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure shows the case as generated
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {SECRET}"}, checks=CHECKS)
