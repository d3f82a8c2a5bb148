"""The alerting stores' contracts (rules, inbox, outbox, engine state), over every backend that
`alerts.store.build_alert_stores` builds: SQLite in a temporary file, Elasticsearch on the test cluster
under the test's own prefix. Plus the meta-test that no backend goes without a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.store import ALERT_STORE_BACKENDS, AlertStores, build_alert_stores
from alerts.store_testing import (
    AlertStoreContract,
    EngineStateStoreContract,
    OutboxStoreContract,
    RuleStoreContract,
    StoresIn,
)
from core.errors import ConfigError
from core.settings import ElasticsearchSettings, Settings, StoreSettings

# Elasticsearch runs are integration tests (a real cluster, never skipped).
BACKENDS = [
    pytest.param(name, marks=pytest.mark.integration, id=name) if name == "elasticsearch" else name
    for name in ("sqlite", "elasticsearch")
]


def backend_settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Settings:
    """Settings whose stores live in `tmp_path` (SQLite) or under the test's prefix (Elasticsearch)."""
    if backend == "elasticsearch":
        es = ElasticsearchSettings(
            hosts=[request.getfixturevalue("es_url")], index_prefix=request.getfixturevalue("es_prefix")
        )
        return Settings(home=tmp_path, store=StoreSettings(backend=backend), elasticsearch=es)
    return Settings(home=tmp_path, store=StoreSettings(backend=backend))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stores_in(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[StoresIn]:
    settings = backend_settings(request, backend, tmp_path)
    made: list[AlertStores] = []

    def make(workspace: str) -> AlertStores:
        made.append(build_alert_stores(settings, workspace=workspace))
        made[-1].ensure_ready()
        return made[-1]

    yield make
    for stores in made:
        stores.close()


class TestAlertStores(RuleStoreContract, AlertStoreContract, OutboxStoreContract, EngineStateStoreContract):
    @pytest.fixture
    def stores_in(self, stores_in: StoresIn) -> StoresIn:
        return stores_in


def test_every_backend_has_a_contract_run() -> None:
    ran = {p if isinstance(p, str) else p.values[0] for p in BACKENDS}
    assert ran == set(ALERT_STORE_BACKENDS)


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
