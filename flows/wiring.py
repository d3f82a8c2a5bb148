"""Builds the parts a flow needs from settings, through the entry-point registries.

Nothing here knows a concrete backend, tagger or source: `core.registry` finds them by name, so a
plugin registers a source or a store the same way the built-ins do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

from core.errors import ConfigError, NotConfigured
from core.registry import SOURCES, STORES, TAGGERS
from core.settings import Settings
from crawlers.base import Source
from flows.sources_config import SourcesConfig
from flows.tasks import Enriching
from index.base import CursorStore, MentionStore
from nlp.base import Tagger

log = logging.getLogger(__name__)


@runtime_checkable
class Store(MentionStore, CursorStore, Protocol):
    """What the listen flow writes to: mentions and cursors in the same store, so they agree."""


def build_store(settings: Settings, *, ensure_ready: bool = True) -> Store:
    """The store named by ``settings.store.backend``; ready to write to unless told otherwise."""
    store = STORES.create(settings.store.backend, settings)
    if not isinstance(store, MentionStore) or not isinstance(store, CursorStore):
        raise ConfigError(
            f"store {settings.store.backend!r} ({type(store).__name__}) is not both a MentionStore and a "
            "CursorStore",
            details={"backend": settings.store.backend},
        )
    if ensure_ready:
        try:
            store.ensure_ready()
        except BaseException:
            store.close()
            raise
    return cast(Store, store)


def build_tagger(settings: Settings) -> Tagger:
    tagger = TAGGERS.create(settings.nlp.tagger, settings)
    if not isinstance(tagger, Tagger):
        raise ConfigError(
            f"tagger {settings.nlp.tagger!r} does not implement the Tagger protocol",
            details={"tagger": settings.nlp.tagger},
        )
    return tagger


def build_enricher(settings: Settings, tagger: Tagger | None = None) -> Enriching:
    from nlp.enricher import Enricher  # the tagger's weights/lexicons load lazily (warm_up), not here

    enricher: Enriching = Enricher(tagger or build_tagger(settings), linker=None)
    return enricher


@dataclass
class WiredSources:
    """Sources ready to fetch, and the ones that are not with why (listed in the report)."""

    sources: dict[str, Source] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)


def build_sources(config: SourcesConfig, settings: Settings) -> WiredSources:
    """Each enabled entry becomes ``Cls.from_config(name, options, settings)``.

    A source lacking its configuration raises NotConfigured: it is logged as disabled and the others go
    on. Any other error (unknown type, invalid options) is a configuration mistake and stops the run.
    """
    wired = WiredSources()
    for entry in config.sources:
        if not entry.enabled:
            wired.disabled[entry.name] = "enabled: false"
            log.info("source %r disabled in the sources file", entry.name)
            continue
        factory: Any = SOURCES.load(entry.type)
        from_config = getattr(factory, "from_config", None)
        if from_config is None:
            raise ConfigError(
                f"source type {entry.type!r} has no from_config(name, config, settings)",
                details={"source": entry.name, "type": entry.type},
            )
        try:
            source = from_config(entry.name, entry.options, settings)
        except NotConfigured as exc:
            wired.disabled[entry.name] = f"not configured: {exc}"
            log.warning("source %r (%s) disabled: %s", entry.name, entry.type, exc)
            continue
        if not isinstance(source, Source):
            raise ConfigError(
                f"source type {entry.type!r} does not implement the Source protocol",
                details={"source": entry.name, "type": entry.type},
            )
        wired.sources[entry.name] = source
    return wired
