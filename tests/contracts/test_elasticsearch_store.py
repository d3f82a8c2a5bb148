"""The shared MentionStore and CursorStore contracts, run against a real Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.models import DEFAULT_WORKSPACE
from core.settings import ElasticsearchSettings, Settings
from index.backends.elasticsearch import ElasticsearchMentionStore
from index.testing.contracts import (
    CursorStoreContract,
    MentionStoreContract,
    QueryLanguageContract,
    SavedSearchStoreContract,
)
from index.testing.corpus import enriched_mentions
from index.testing.isolation import StoreIn, WorkspaceIsolationContract

pytestmark = pytest.mark.integration


def es_test_settings(es_url: str, prefix: str, **overrides: object) -> Settings:
    """Settings for a test store: the test cluster, its own prefix, writes refreshed by the contract."""
    values: dict[str, object] = {"hosts": [es_url], "index_prefix": prefix, "refresh": "false"}
    values.update(overrides)
    return Settings(elasticsearch=ElasticsearchSettings.model_validate(values))


@pytest.fixture
def es_store(es_url: str, es_prefix: str) -> Iterator[ElasticsearchMentionStore]:
    store = ElasticsearchMentionStore(es_test_settings(es_url, es_prefix), workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    yield store
    store.close()  # es_prefix deletes the indices, aliases and template


class TestElasticsearchStore(
    MentionStoreContract,
    QueryLanguageContract,
    CursorStoreContract,
    SavedSearchStoreContract,
    WorkspaceIsolationContract,
):
    visible_without_refresh = False
    supports_concurrent_writers = True

    @pytest.fixture
    def store(self, es_store: ElasticsearchMentionStore) -> ElasticsearchMentionStore:
        return es_store

    @pytest.fixture
    def store_in(self, es_store: ElasticsearchMentionStore) -> StoreIn:
        """Stores of other workspaces on the same indices, sharing `store`'s client (as an API would:
        one client, a store per request)."""

        def make(workspace: str) -> ElasticsearchMentionStore:
            store = ElasticsearchMentionStore(
                es_store.settings, workspace=workspace, client=es_store.client, prefix=es_store.prefix
            )
            store.ensure_ready()
            return store

        return make


class _NoPointInTime(ElasticsearchMentionStore):
    """A cluster without point-in-time support (older or restricted): export must still page right."""

    def _open_pit(self, client: Any) -> str | None:
        return None


def test_export_without_point_in_time(es_url: str, es_prefix: str) -> None:
    store = _NoPointInTime(es_test_settings(es_url, es_prefix), workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    mentions = enriched_mentions(40, seed=31)
    store.upsert(mentions)
    store.refresh()
    exported = list(store.export(page_size=7))
    assert exported == sorted(mentions, key=lambda m: (m.published_at, m.id))
    store.close()
