"""What only the Elasticsearch store has (its failure handling: tests/index/test_es_failures.py). The shared
store contracts run on it in tests/contracts/test_mention_store.py."""

from __future__ import annotations

from typing import Any

import pytest

from core.models import DEFAULT_WORKSPACE
from index.backends.elasticsearch import ElasticsearchMentionStore
from index.testing.corpus import enriched_mentions
from tests.index.stores import es_test_settings

pytestmark = pytest.mark.integration


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
