"""The stores a request works with, per workspace: built on first use, once per workspace per app
(`ServiceCache`), closed when the app shuts down. Routes get them through `deps.workspace_services`
and never build a store themselves.

Each store is made ready (tables, indices) when first built; when that fails (the store is down:
StoreUnavailable, 503) nothing is kept, so the next request tries again. To add a store: a cached
property here that builds it with `_build`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from alerts.store import AlertStores, build_alert_stores
from alerts.workflow import ElasticsearchWorkflowStore, SQLiteWorkflowStore, build_workflow_store
from core.errors import ConfigError
from core.models import check_workspace
from core.settings import Settings
from crawlers.health import HealthStore, build_health_store
from crawlers.rejected import RejectedLog, build_rejected_log
from crm.cases.store import ElasticsearchCaseStore, SQLiteCaseStore, build_case_store
from crm.customers import CustomerStore, build_customer_directory
from crm.interactions import ElasticsearchInteractionStore, SQLiteInteractionStore, build_interaction_store
from crm.orders import ElasticsearchOrderStore, SQLiteOrderStore, build_order_store
from crm.scores.store import AnyScoreStore, build_score_store
from index.backends import build_mention_store, made_ready
from index.base import MentionStore, SavedSearchStore
from reports.archive import ReportArchive
from reports.store import ReportStore, build_report_store


class _Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S")


class Services:
    """One workspace's stores. Thread-safe: concurrent first uses build a store once."""

    def __init__(self, settings: Settings, workspace: str) -> None:
        self.settings = settings
        self.workspace = check_workspace(workspace)
        self._built: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._closed = False

    def _build(self, name: str, factory: Callable[[], S], ready: Callable[[S], object] | None = None) -> S:
        """The store called `name`, built (and made ready) on first use; closed if making it ready fails."""
        with self._lock:
            if self._closed:
                raise RuntimeError("services are closed")  # a request outlived the app: a bug
            if name in self._built:
                return cast(S, self._built[name])
            store = factory()
            if ready is not None:
                try:
                    ready(store)
                except BaseException:
                    cast(_Closable, store).close()
                    raise
            self._built[name] = store
            self._closers.append(cast(_Closable, store).close)
            return store

    @property
    def mentions(self) -> MentionStore:
        """The mention store, ready (tables; index template and alias)."""
        return self._build(
            "mentions", lambda: build_mention_store(self.settings, workspace=self.workspace), made_ready
        )

    @property
    def saved_searches(self) -> SavedSearchStore:
        """Saved searches: the mention store itself (every backend keeps them beside the mentions)."""
        store = self.mentions
        if not isinstance(store, SavedSearchStore):
            raise ConfigError(f"the mention store {type(store).__name__} keeps no saved searches")
        return store

    @property
    def alerts(self) -> AlertStores:
        """Rules, alerts, outbox and engine state."""
        return self._build(
            "alerts",
            lambda: build_alert_stores(self.settings, workspace=self.workspace),
            AlertStores.ensure_ready,
        )

    @property
    def customers(self) -> CustomerStore:
        return self._build(
            "customers",
            lambda: build_customer_directory(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def cases(self) -> SQLiteCaseStore | ElasticsearchCaseStore:
        return self._build(
            "cases",
            lambda: build_case_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def scores(self) -> AnyScoreStore:
        return self._build(
            "scores",
            lambda: build_score_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def orders(self) -> SQLiteOrderStore | ElasticsearchOrderStore:
        return self._build(
            "orders",
            lambda: build_order_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def interactions(self) -> SQLiteInteractionStore | ElasticsearchInteractionStore:
        return self._build(
            "interactions",
            lambda: build_interaction_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def workflow(self) -> SQLiteWorkflowStore | ElasticsearchWorkflowStore:
        """Mention workflows: assignee, status, priority, tags, star, notes, history."""
        return self._build(
            "workflow",
            lambda: build_workflow_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def health(self) -> HealthStore:
        """Source health files (no connection: nothing to close)."""
        return build_health_store(self.settings, workspace=self.workspace)

    @property
    def rejected(self) -> RejectedLog:
        """The input items sources rejected, one JSONL file per source (no connection either)."""
        return build_rejected_log(self.settings, workspace=self.workspace)

    @property
    def reports(self) -> ReportStore:
        """Brands and report definitions."""
        return self._build(
            "reports",
            lambda: build_report_store(self.settings, workspace=self.workspace),
            lambda store: store.ensure_ready(),
        )

    @property
    def report_archive(self) -> ReportArchive:
        """Built reports' files and records, on disk (no connection either)."""
        return ReportArchive(self.settings, workspace=self.workspace)

    def close(self) -> None:
        """Close every store built, newest first."""
        with self._lock:
            self._closed = True
            closers, self._closers = self._closers, []
            self._built.clear()
        for close in reversed(closers):
            close()


class ServiceCache:
    """The app's `Services`, one per workspace, made on first use and closed with the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: dict[str, Services] = {}
        self._lock = threading.Lock()

    def get(self, workspace: str) -> Services:
        with self._lock:
            services = self._services.get(workspace)
            if services is None:
                services = self._services[workspace] = Services(self.settings, workspace)
            return services

    def close(self) -> None:
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for one in services:
            one.close()
