"""Nested settings, read from the environment with the ``EARFUL_`` prefix (``__`` between levels).

Example: ``EARFUL_STORE__BACKEND=elasticsearch EARFUL_ELASTICSEARCH__HOSTS='["http://127.0.0.1:9200"]'``.
Nothing is read at import time: call :func:`get_settings` (cached) where you need them.

Every section derives from the one :class:`Section` base (``core.settings.base``); the collection
layer's sections (crawling, platform connectors) live in ``core.settings.collection``, alert delivery's
in ``core.settings.alerts``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings.alerts import AlertsSettings, DispatchSettings, SmtpSettings
from core.settings.api import ApiSettings
from core.settings.base import Seconds, Section, earful_version, parse_seconds
from core.settings.collection import (
    AppStoreSettings,
    BlueskySettings,
    ConnectorSettings,
    CrawlSettings,
    HackerNewsSettings,
    MastodonSettings,
    RedditSettings,
    WeiboSettings,
    XSettings,
    YouTubeSettings,
)
from core.settings.crm import CaseSettings, CrmSettings, ReminderSettings, ZoneName
from core.settings.reports import ReportLanguage, ReportsSettings

__all__ = [
    "DEVICE_PATTERN",
    "AlertsSettings",
    "ApiSettings",
    "AppStoreSettings",
    "BlueskySettings",
    "CaseSettings",
    "ConnectorSettings",
    "CrawlSettings",
    "CrmSettings",
    "DemoSettings",
    "DispatchSettings",
    "ElasticsearchSettings",
    "HackerNewsSettings",
    "ListenSettings",
    "LocalNodeSettings",
    "MastodonSettings",
    "NLPSettings",
    "RedditSettings",
    "ReminderSettings",
    "ReportLanguage",
    "ReportsSettings",
    "SQLiteSettings",
    "Seconds",
    "Section",
    "Settings",
    "SmtpSettings",
    "StoreSettings",
    "WeiboSettings",
    "XSettings",
    "YouTubeSettings",
    "ZoneName",
    "earful_version",
    "get_settings",
    "iter_documented_fields",
    "parse_seconds",
]

# Where the encoder may run (nlp.device; nlp.encoder.Encoder checks the same values)
DEVICE_PATTERN = r"auto|cpu|cuda(:\d+)?"


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "earful"


class ElasticsearchSettings(Section):
    hosts: list[str] = Field(["http://127.0.0.1:9200"], description="Elasticsearch URLs of the cluster")
    api_key: SecretStr | None = Field(None, description="API key (base64 'id:key'), when security is on")
    username: str | None = Field(None, description="Basic-auth user, when security is on")
    password: SecretStr | None = Field(None, description="Basic-auth password")
    ca_certs: Path | None = Field(None, description="CA certificate file for HTTPS clusters")
    verify_certs: bool = Field(True, description="Verify the server certificate over HTTPS")
    index_prefix: str = Field("earful", description="Prefix of every index and alias Earful creates")
    refresh: Literal["false", "true", "wait_for"] = Field(
        "false", description="Refresh policy of writes: 'wait_for' makes them searchable before returning"
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds before a request times out")
    bulk_chunk_size: int = Field(
        250,
        gt=0,
        description="Documents per _bulk request (a batch goes as several, each encoded while the one "
        "before is in flight)",
    )
    bulk_max_bytes: int = Field(20 * 1024 * 1024, gt=0, description="Largest _bulk request body in bytes")
    max_retries: int = Field(5, ge=0, description="Retries of a request rejected with 429 or a timeout")
    initial_backoff: float = Field(0.5, ge=0, description="Seconds before the first retry; doubles each time")
    max_backoff: float = Field(30.0, ge=0, description="Longest wait between two retries, in seconds")
    number_of_shards: int = Field(1, ge=1, description="Primary shards of a new mentions index")
    number_of_replicas: int = Field(0, ge=0, description="Replicas of a new mentions index")


class LocalNodeSettings(Section):
    """The Elasticsearch that `earful es start` provisions for development and tests."""

    version: str = Field("8.19.7", description="Elasticsearch version fetched from Maven Central")
    port: int = Field(9200, ge=1, le=65535, description="HTTP port of the first node")
    transport_port: int = Field(9300, ge=1, le=65535, description="Transport port of the first node")
    nodes: int = Field(1, ge=1, le=9, description="Nodes forming one cluster on loopback ports")
    heap: str = Field("512m", description="JVM heap of each node (-Xms and -Xmx)")
    cache_dir: Path | None = Field(
        None,
        description="Where the unpacked distribution is kept and reused; default "
        "~/.cache/earful/elasticsearch (/var/cache/earful/elasticsearch when root, so the unprivileged "
        "node user can read it)",
    )
    data_dir: Path | None = Field(
        None,
        description="Data and logs of the local cluster; default ~/.local/share/earful/elasticsearch "
        "(/var/lib/earful/elasticsearch when root)",
    )
    user: str = Field(
        "earful-es", description="Unprivileged user that runs Elasticsearch when root starts it"
    )
    startup_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the cluster to turn green")


class SQLiteSettings(Section):
    path: Path | None = Field(None, description="Database file; default 'earful.db' under home")
    busy_timeout_ms: int = Field(5000, ge=0, description="How long a writer waits for a lock")


class StoreSettings(Section):
    backend: str = Field("sqlite", description="Mention store: 'sqlite' (embedded) or 'elasticsearch'")


class ListenSettings(Section):
    batch_size: int = Field(500, ge=1, description="Mentions fetched, enriched and indexed together")
    max_batches: int | None = Field(None, ge=1, description="Stop each source after this many batches")
    sources_file: Path | None = Field(None, description="YAML file describing the sources to listen to")
    task_retries: int = Field(3, ge=0, description="Retries of a task that failed with a retryable error")
    task_retry_delay: float = Field(2.0, ge=0, description="Seconds between task retries")
    poll_interval: Seconds = Field(
        60.0,
        gt=0,
        description="`listen --follow`: how long a caught-up source waits before it is polled again "
        "('30s', '5m' or seconds); a source's own `poll_interval` in the sources file wins",
    )
    flush_size: int = Field(
        200, ge=1, description="`listen --follow`: buffered mentions that make a micro-batch flush at once"
    )
    flush_age: Seconds = Field(
        1.0,
        ge=0,
        description="`listen --follow`: seconds the oldest buffered mention waits before its micro-batch "
        "is flushed (enriched, indexed, cursors saved)",
    )
    follow_for: Seconds | None = Field(
        None, gt=0, description="`listen --follow` stops after this many seconds; none: until interrupted"
    )
    failure_backoff: Seconds = Field(
        5.0,
        gt=0,
        description="`listen --follow`: first wait before a failing source is polled again (or the spool "
        "drained again while the store is down); doubles on each consecutive failure",
    )
    max_failure_backoff: Seconds = Field(
        300.0, gt=0, description="`listen --follow`: longest wait of that backoff, in seconds"
    )


class NLPSettings(Section):
    tagger: str = Field(
        "transformer",
        description="Tagger that enriches mentions (entry point in earful.taggers): 'transformer' (e5 "
        "encoder and trained heads) or 'lexicon' (fast baseline)",
    )
    batch_size: int = Field(64, ge=1, description="Mentions per model forward pass")
    precision: Literal["fp32", "bf16"] = Field(
        "fp32",
        description="Encoder arithmetic: 'bf16' runs the matrix products in bfloat16 (autocast; about "
        "2.5x faster on CPUs with AVX-512 BF16 but 7x slower on CPUs without it, such as AVX2-only AMD EPYC, "
        "and a few labels near a threshold differ: see bench/enrich_throughput.py --precision bf16); "
        "recorded in the model version",
    )
    device: str = Field(
        "auto",
        pattern=f"^({DEVICE_PATTERN})$",
        description="Where the encoder runs: 'auto' (the first CUDA GPU that torch sees, else the CPU), "
        "'cpu', or 'cuda[:N]' (an error when that GPU is missing); the same fp32 weights either way",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Where the dequantized encoder (about 470 MB) is built once and loaded from; default "
        "~/.cache/earful/models (EARFUL_MODEL_CACHE also honoured)",
    )
    datasets_dir: Path | None = Field(
        None,
        description="Labelled training data read by `earful nlp train`; default ../shared/datasets "
        "relative to the repository",
    )
    torch_threads: int | None = Field(
        None, ge=1, description="Torch intra-op threads for inference; default the usable cores, at most 8"
    )
    link_threshold: float = Field(
        0.75, gt=0, le=1, description="Least confidence at which a mention's author is linked to a customer"
    )


class DemoSettings(Section):
    host: str = Field("127.0.0.1", description="Address the demo site listens on")
    port: int = Field(0, ge=0, le=65535, description="Port of the demo site; 0 picks a free one")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EARFUL_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(
        default_factory=_default_home,
        description="Directory for the database, spool and state (~/.local/share/earful)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Logging level")
    store: StoreSettings = Field(default_factory=StoreSettings, description="Which mention store to use")
    sqlite: SQLiteSettings = Field(default_factory=SQLiteSettings, description="The embedded SQLite store")
    elasticsearch: ElasticsearchSettings = Field(
        default_factory=ElasticsearchSettings, description="The Elasticsearch client"
    )
    es_node: LocalNodeSettings = Field(
        default_factory=LocalNodeSettings, description="The local Elasticsearch provisioned by `earful es`"
    )
    listen: ListenSettings = Field(default_factory=ListenSettings, description="The listen flow")
    nlp: NLPSettings = Field(default_factory=NLPSettings, description="Enrichment")
    demo: DemoSettings = Field(default_factory=DemoSettings, description="The demo site")
    crawl: CrawlSettings = Field(
        default_factory=CrawlSettings, description="Web crawling: politeness, safety, limits"
    )
    connectors: ConnectorSettings = Field(
        default_factory=ConnectorSettings, description="Platform API credentials and endpoints"
    )
    alerts: AlertsSettings = Field(
        default_factory=AlertsSettings,
        description="Alert delivery: channel timeouts, the SMTP relay and the outbox's retries",
    )
    crm: CrmSettings = Field(
        default_factory=CrmSettings, description="The CRM side: cases and their SLAs, reminders"
    )
    api: ApiSettings = Field(
        default_factory=ApiSettings, description="The HTTP API and web UI of `earful serve`"
    )
    reports: ReportsSettings = Field(
        default_factory=ReportsSettings, description="Brand managers' reports: archive and defaults"
    )

    @property
    def spool_dir(self) -> Path:
        """Batches that could not be indexed wait here, never dropped."""
        return self.home / "spool"

    @property
    def rejected_dir(self) -> Path:
        """Input rows that could not become mentions, one JSONL file per source."""
        return self.home / "rejected"

    @property
    def sqlite_path(self) -> Path:
        return self.sqlite.path or self.home / "earful.db"

    @property
    def reports_dir(self) -> Path:
        """Built reports, one folder per workspace (`reports.archive`)."""
        return self.reports.archive_dir or self.home / "reports"

    @property
    def accounts_path(self) -> Path:
        """Users, memberships and API keys of the HTTP API, whatever the mention store."""
        return self.api.accounts_path or self.home / "accounts.db"


def _type_name(annotation: object) -> str:
    """A readable type for the docs: `Path | None`, `'false' | 'true'`, `list[str]`."""
    args = get_args(annotation)
    origin = get_origin(annotation)
    if origin is Annotated:  # `Seconds | None`: pydantic strips the metadata only at the top level
        return _type_name(args[0])
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (Union, UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(_type_name(a) for a in args)}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def iter_documented_fields(
    model: type[BaseModel] = Settings, prefix: str = "EARFUL_"
) -> list[tuple[str, str, str, str]]:
    """(env var, type, default, description) for every leaf setting: feeds the README reference."""
    rows: list[tuple[str, str, str, str]] = []
    for name, field in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(iter_documented_fields(annotation, env + "__"))
            continue
        default = "(computed)" if field.default_factory is not None else repr(field.default)
        rows.append((env, _type_name(annotation), default, field.description or ""))
    return rows
