"""The mention store backends (`earful.stores` entry points), and :func:`build_mention_store`, which
builds the configured one from settings without the flows' wiring: what a command of a lower layer
(alerts, crm, search) uses to read a workspace's mentions."""

from __future__ import annotations

from core.errors import ConfigError
from core.registry import STORES
from core.settings import Settings
from index.base import MentionStore


def build_mention_store(settings: Settings, *, workspace: str, ensure_ready: bool = False) -> MentionStore:
    """The store named by ``settings.store.backend`` (a store plugin's factory takes
    ``(settings, workspace=...)``), scoped to `workspace` for good; made ready to write to (tables,
    index template and alias) when asked. ConfigError when the plugin is not a MentionStore of that
    workspace."""
    backend = settings.store.backend
    store = STORES.create(backend, settings, workspace=workspace)
    if not isinstance(store, MentionStore):
        raise ConfigError(
            f"store {backend!r} ({type(store).__name__}) is not a MentionStore", details={"backend": backend}
        )
    if store.workspace != workspace:
        store.close()
        raise ConfigError(
            f"store {backend!r} ({type(store).__name__}) is not scoped to {workspace!r}",
            details={"backend": backend, "workspace": workspace},
        )
    return made_ready(store) if ensure_ready else store


def made_ready(store: MentionStore) -> MentionStore:
    """`store` after its `ensure_ready`; closed when that fails."""
    try:
        store.ensure_ready()
    except BaseException:
        store.close()
        raise
    return store


__all__ = ["build_mention_store", "made_ready"]
