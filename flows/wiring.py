"""Builds the parts a flow needs from settings, through the entry-point registries.

Nothing here knows a concrete backend, tagger or source: `core.registry` finds them by name, so a
plugin registers a source or a store the same way the built-ins do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from core.errors import ConfigError, ModelUnavailable, NotConfigured, StoreUnavailable
from core.models import Customer, CustomerLink, EnrichedMention, ModelRef, RawMention
from core.registry import SOURCES
from core.settings import Settings
from crawlers.base import Source
from crawlers.health import HealthStore
from flows.sources_config import SourcesConfig
from index.backends import build_mention_store, made_ready
from index.base import CursorStore, MentionStore
from index.query.fields import TIER_METADATA_KEY
from nlp.base import Tagger
from nlp.base import build_tagger as build_tagger  # re-exported: flows and the demo build it from here

if TYPE_CHECKING:
    from alerts.pipeline import AlertPipeline
    from nlp.enricher import Enricher
    from nlp.linking.linker import CustomerLinker

log = logging.getLogger(__name__)


@runtime_checkable
class Store(MentionStore, CursorStore, Protocol):
    """What the listen flow writes to: mentions and cursors in the same store, so they agree."""


def build_store(settings: Settings, *, workspace: str, ensure_ready: bool = True) -> Store:
    """The store named by ``settings.store.backend`` (`index.backends.build_mention_store`), scoped to
    `workspace` for good, that keeps cursors too; ready to write to unless told otherwise."""
    store = build_mention_store(settings, workspace=workspace)
    if not isinstance(store, CursorStore):
        store.close()
        raise ConfigError(
            f"store {settings.store.backend!r} ({type(store).__name__}) is not both a MentionStore and a "
            "CursorStore",
            details={"backend": settings.store.backend},
        )
    return cast(Store, made_ready(store) if ensure_ready else store)


class _Directory(Protocol):
    """What the wiring needs of a customer directory besides the linker's lookups: its size, a customer
    by id (for the tier), and closing it."""

    def count(self) -> int: ...

    def get(self, customer_id: str) -> Customer | None: ...

    def close(self) -> None: ...


class LinkingEnricher:
    """The enricher with customer linking against the configured directory, which it owns: whoever
    builds one calls `close()` when the run ends (`listen_flow` does).

    Linking is best effort when the directory is unreachable (StoreUnavailable: on Elasticsearch it
    shares the mentions' cluster): the batch is enriched without links and a warning logged, so it
    still reaches the store, or the spool when the store is down too. Failing the batch instead would
    lose what a source cannot fetch again. Other errors (bugs, a corrupt directory) propagate."""

    def __init__(self, enricher: Enricher, linker: CustomerLinker, directory: _Directory) -> None:
        self.enricher = enricher
        self.linker = linker
        self.directory = directory
        self.unlinked_batches = 0  # batches enriched without links because the directory was down
        self._down = False
        self._warm = False
        self._load_error: ModelUnavailable | None = None

    @property
    def model(self) -> ModelRef:
        """The tagger's model: what every mention of this run is tagged with."""
        return self.enricher.tagger.model

    def warm_up(self) -> None:
        """Load the tagger's model once per run (the first batch does it; the tagger's warm_up is
        idempotent). A model that cannot load fails every batch with the same ModelUnavailable, without
        trying again, and never falls back to another tagger: the data would carry another model's tags
        than the configured one."""
        if self._warm:
            return
        if self._load_error is not None:
            raise self._load_error
        try:
            self.enricher.warm_up()
        except ModelUnavailable as exc:
            self._load_error = exc
            raise
        self._warm = True

    def enrich(self, batch: Sequence[RawMention]) -> list[EnrichedMention]:
        self.warm_up()  # before the batch: one forward pass per batch, never per mention
        self._down = False
        # An empty directory links nobody: one count per batch instead of several lookups per mention
        # (each a round trip on Elasticsearch). Counted per batch, so an import mid-run is picked up.
        try:
            has_customers = bool(batch) and self.directory.count() > 0
        except StoreUnavailable as exc:
            self._unavailable(exc)
            has_customers = False
        self.enricher.linker = self if has_customers else None
        enriched = self.enricher.enrich(batch)
        return self._with_tiers(enriched) if has_customers else enriched

    def _with_tiers(self, mentions: list[EnrichedMention]) -> list[EnrichedMention]:
        """Each linked mention carries its customer's tier (``metadata['customer_tier']``), which the
        query language's ``tier:`` reads in searches and alert rules (the VIP complaint preset): looked
        up once per customer and batch, so a tier changed by an import applies from the next batch."""
        tiers: dict[str, str | None] = {}
        out: list[EnrichedMention] = []
        for mention in mentions:
            link = mention.customer
            if link is not None and link.customer_id not in tiers and not self._down:
                try:
                    customer = self.directory.get(link.customer_id)
                except StoreUnavailable as exc:
                    self._unavailable(exc)
                    customer = None
                tiers[link.customer_id] = customer.tier.value if customer is not None else None
            tier = tiers.get(link.customer_id) if link is not None else None
            if tier is not None:
                mention = mention.model_copy(
                    update={"metadata": {**mention.metadata, TIER_METADATA_KEY: tier}}
                )
            out.append(mention)
        return out

    def link(self, mention: RawMention) -> CustomerLink | None:
        """`CustomerLinker` for the Enricher: the real linker, until the directory fails in this batch."""
        if self._down:
            return None
        try:
            return self.linker.link(mention)
        except StoreUnavailable as exc:
            self._unavailable(exc)
            return None

    def _unavailable(self, exc: StoreUnavailable) -> None:
        self._down = True
        self.unlinked_batches += 1
        log.warning("customer directory unavailable, mentions of this batch are not linked: %s", exc)

    def close(self) -> None:
        self.directory.close()


def build_enricher(settings: Settings, tagger: Tagger | None = None, *, workspace: str) -> LinkingEnricher:
    """The tagger (built from settings unless given) plus customer linking: `ScoredLinker` over the
    workspace's directory next to the configured store, which also keeps the confirm/reject feedback,
    at the `nlp.link_threshold` confidence. Nothing is opened here: the directory connects on first
    use."""
    from crm.customers import build_customer_directory
    from nlp.enricher import Enricher  # the tagger's weights/lexicons load lazily (warm_up), not here
    from nlp.linking.linker import ScoredLinker

    directory = build_customer_directory(settings, workspace=workspace)
    linker = ScoredLinker(directory, feedback=directory, threshold=settings.nlp.link_threshold)
    return LinkingEnricher(Enricher(tagger or build_tagger(settings), linker=linker), linker, directory)


def build_alerting(settings: Settings, *, workspace: str, store: MentionStore) -> AlertPipeline:
    """The workspace's alerting: its alert stores on the configured backend (owned by the pipeline),
    its enabled rules and their saved state, the channels of its channels file, and, for the
    explanations, `store` (read-only, the caller's) and the customer directory (owned). A workspace
    without rules costs the rule listing: batches then go through untouched. NotConfigured on a store
    backend without alert stores (a plugin's)."""
    from alerts.channels.catalog import workspace_channels
    from alerts.pipeline import AlertPipeline
    from alerts.store import ALERT_STORE_BACKENDS, build_alert_stores
    from crm.customers import build_customer_directory

    if settings.store.backend not in ALERT_STORE_BACKENDS:  # a plugin store: alerting has no stores there
        raise NotConfigured(
            f"alerting needs the alert stores, which the store backend {settings.store.backend!r} lacks "
            f"(they exist for {', '.join(ALERT_STORE_BACKENDS)})"
        )

    channels = workspace_channels(settings, workspace=workspace)  # a bad file fails before anything opens
    stores = build_alert_stores(settings, workspace=workspace)
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        stores.ensure_ready()
        return AlertPipeline(
            stores,
            settings=settings,
            channels=channels,
            mentions=store,
            customers=directory,
            owned=[directory],
        )
    except BaseException:
        stores.close()
        directory.close()
        raise


@dataclass
class WiredSources:
    """Sources ready to fetch, and the ones that are not with why (listed in the report)."""

    sources: dict[str, Source] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)


def build_sources(config: SourcesConfig, settings: Settings, *, workspace: str) -> WiredSources:
    """Each enabled entry becomes ``Cls.from_config(name, options, settings)``.

    A source lacking its configuration raises NotConfigured: it is logged as disabled and the others go
    on. Any other error (unknown type, invalid options) is a configuration mistake and stops the run.
    A source that records its own health (spiders, connectors: a ``health`` HealthStore) records it
    in `workspace`: its store is replaced by the workspace's under the same root.
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
        own = getattr(source, "health", None)
        if isinstance(own, HealthStore) and own.workspace != workspace:
            source.health = HealthStore(own.root, workspace=workspace)  # type: ignore[attr-defined]
        wired.sources[entry.name] = source
    return wired
