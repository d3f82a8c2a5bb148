"""The score-store contract over every backend `crm.scores.build_score_store` builds (the scores live
next to the mention store: one per store backend). `SCORE_BACKENDS` is the table the registry-coverage
meta-test reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import ElasticsearchSettings, Settings, StoreSettings
from crm.scores import ScoreStore, build_score_store
from crm.scores.store import AnyScoreStore, SQLiteScoreStore
from crm.scores.testing import ScoreStoreContract, ScoreStoresIn


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, store=StoreSettings(backend="sqlite"))


def _elasticsearch(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    es = ElasticsearchSettings(
        hosts=[request.getfixturevalue("es_url")], index_prefix=request.getfixturevalue("es_prefix")
    )
    return Settings(home=tmp_path, store=StoreSettings(backend="elasticsearch"), elasticsearch=es)


SCORE_BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Settings]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elasticsearch,
}


@pytest.fixture(
    params=[
        pytest.param(name, marks=(pytest.mark.integration,) if name == "elasticsearch" else ())
        for name in sorted(SCORE_BACKENDS)
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestScoreStores(ScoreStoreContract):
    @pytest.fixture
    def stores_in(
        self, backend: str, request: pytest.FixtureRequest, tmp_path: Path
    ) -> Iterator[ScoreStoresIn]:
        settings = SCORE_BACKENDS[backend](request, tmp_path)
        assert settings.store.backend == backend
        made: list[AnyScoreStore] = []

        def make(workspace: str) -> AnyScoreStore:
            made.append(build_score_store(settings, workspace=workspace))
            assert isinstance(made[-1], ScoreStore)
            return made[-1]

        yield make
        for store in made:
            store.close()


def test_sqlite_scores_share_the_mentions_file_and_create_nothing_before_use(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    store = build_score_store(settings, workspace="acme")
    assert isinstance(store, SQLiteScoreStore)
    assert not settings.sqlite_path.exists()
    assert store.path == settings.sqlite_path
    store.ensure_ready()
    assert settings.sqlite_path.exists()
    store.close()
