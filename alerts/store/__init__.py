"""The alerting stores (rules, the alert inbox, the delivery outbox, the engine's state) on the
configured backend. Protocols in `alerts.store.base`; contract suites in `alerts.store_testing`.

    stores = build_alert_stores(settings, workspace="acme")
    stores.rules.save(rule)
    stores.alerts.add(alert)
    stores.outbox.enqueue(message, "support-slack", now=now)
    stores.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from alerts.store.base import (
    AlertChange,
    AlertFilter,
    AlertStore,
    ChangeMark,
    EngineStateStore,
    ListMark,
    OutboxStore,
    RuleStore,
)
from alerts.store.elasticsearch import (
    ElasticsearchAlertStore,
    ElasticsearchEngineStateStore,
    ElasticsearchOutboxStore,
    ElasticsearchRuleStore,
)
from alerts.store.sqlite import SQLiteAlertStore, SQLiteEngineStateStore, SQLiteOutboxStore, SQLiteRuleStore
from core.errors import ConfigError
from core.models import check_workspace
from core.settings import Settings
from index.es_client import build_client

#: The backends `build_alert_stores` builds, as `settings.store.backend` names them.
ALERT_STORE_BACKENDS: Final = ("sqlite", "elasticsearch")


@dataclass(frozen=True)
class AlertStores:
    """The four alerting stores of one workspace on one backend."""

    rules: SQLiteRuleStore | ElasticsearchRuleStore
    alerts: SQLiteAlertStore | ElasticsearchAlertStore
    outbox: SQLiteOutboxStore | ElasticsearchOutboxStore
    state: SQLiteEngineStateStore | ElasticsearchEngineStateStore

    @property
    def workspace(self) -> str:
        return self.rules.workspace

    def ensure_ready(self) -> None:
        for store in (self.rules, self.alerts, self.outbox, self.state):
            store.ensure_ready()

    def close(self) -> None:
        """Close the four stores (and the client they share)."""
        for store in (self.rules, self.alerts, self.outbox, self.state):
            store.close()
        if isinstance(self.rules, ElasticsearchRuleStore):
            self.rules.client.close()

    def __enter__(self) -> AlertStores:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def build_alert_stores(settings: Settings, *, workspace: str) -> AlertStores:
    """The workspace's alerting stores next to its mention store: tables in the same SQLite file, or
    indices under the same prefix of the same cluster (one client for the four). Nothing is opened or
    created before first use."""
    check_workspace(workspace)
    backend = settings.store.backend
    if backend == "sqlite":
        return AlertStores(
            rules=SQLiteRuleStore(settings, workspace=workspace),
            alerts=SQLiteAlertStore(settings, workspace=workspace),
            outbox=SQLiteOutboxStore(settings, workspace=workspace),
            state=SQLiteEngineStateStore(settings, workspace=workspace),
        )
    if backend == "elasticsearch":
        client = build_client(settings.elasticsearch)
        return AlertStores(
            rules=ElasticsearchRuleStore(settings, workspace=workspace, client=client),
            alerts=ElasticsearchAlertStore(settings, workspace=workspace, client=client),
            outbox=ElasticsearchOutboxStore(settings, workspace=workspace, client=client),
            state=ElasticsearchEngineStateStore(settings, workspace=workspace, client=client),
        )
    raise ConfigError(
        f"no alert stores for the store backend {backend!r}; known: {', '.join(ALERT_STORE_BACKENDS)}",
        details={"backend": backend},
    )


__all__ = [
    "ALERT_STORE_BACKENDS",
    "AlertChange",
    "AlertFilter",
    "AlertStore",
    "AlertStores",
    "ChangeMark",
    "EngineStateStore",
    "ListMark",
    "OutboxStore",
    "RuleStore",
    "build_alert_stores",
]
