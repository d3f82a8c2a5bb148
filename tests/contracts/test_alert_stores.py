"""The alerting stores' contracts (rules, inbox, outbox, engine state), over every backend that
`alerts.store.build_alert_stores` builds: SQLite in a temporary file, Elasticsearch on the test cluster
under the test's own prefix. Plus the meta-test that no backend goes without a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.store import ALERT_STORE_BACKENDS, AlertStores, build_alert_stores
from alerts.store_testing import (
    BACKEND_PARAMS,
    BACKEND_SETTINGS,
    AlertStoreContract,
    EngineStateStoreContract,
    OutboxStoreContract,
    RuleStoreContract,
    StoresIn,
    backend_settings,
)
from core.errors import ConfigError
from core.settings import Settings, StoreSettings


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestAlertStores(RuleStoreContract, AlertStoreContract, OutboxStoreContract, EngineStateStoreContract):
    @pytest.fixture
    def stores_in(self, request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[StoresIn]:
        settings = backend_settings(request, backend, tmp_path)
        made: list[AlertStores] = []

        def make(workspace: str) -> AlertStores:
            made.append(build_alert_stores(settings, workspace=workspace))
            made[-1].ensure_ready()
            return made[-1]

        yield make
        for stores in made:
            stores.close()


def test_every_backend_has_a_contract_run() -> None:
    """Each backend `build_alert_stores` supports has test settings, hence a param of this module."""
    assert set(BACKEND_SETTINGS) == set(ALERT_STORE_BACKENDS)
    assert {p if isinstance(p, str) else p.values[0] for p in BACKEND_PARAMS} == set(BACKEND_SETTINGS)


def test_an_unknown_backend_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store=StoreSettings(backend="cassandra"))
    with pytest.raises(ConfigError, match="cassandra"):
        build_alert_stores(settings, workspace="acme")


def test_sqlite_stores_share_the_mentions_file_and_create_nothing_before_use(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    stores = build_alert_stores(settings, workspace="acme")
    assert not settings.sqlite_path.exists()
    assert stores.rules.path == settings.sqlite_path  # type: ignore[union-attr]
    stores.ensure_ready()
    assert settings.sqlite_path.exists()
    stores.close()
