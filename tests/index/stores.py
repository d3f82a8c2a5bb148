"""Settings for test stores, shared by the contract runs and the backends' own tests."""

from __future__ import annotations

from core.settings import ElasticsearchSettings, Settings


def es_test_settings(es_url: str, prefix: str, **overrides: object) -> Settings:
    """Settings for a test store: the test cluster, its own prefix, writes refreshed by the contract."""
    values: dict[str, object] = {"hosts": [es_url], "index_prefix": prefix, "refresh": "false"}
    values.update(overrides)
    return Settings(elasticsearch=ElasticsearchSettings.model_validate(values))
