"""The customer master file, stored: a CustomerDirectory (nlp/linking/directory.py) on SQLite or ES.

Both stores keep, per customer, the `Customer` itself plus the lookup keys linking needs (user ids and
handles per platform, handles on any platform, emails, phones, order numbers), and the confirm/reject
feedback on links (the `LinkFeedbackStore` protocol of nlp/linking/feedback.py). They satisfy those
protocols structurally (index/ may not import nlp/, DESIGN.md layers); the key normalisers both use
are core/customer_keys.py's.

- `SQLiteCustomerDirectory(path)`: tables `customers`, `customer_keys` and `customer_link_feedback`,
  in the mentions database file or another one; independent of the mention tables.
- `ElasticsearchCustomerDirectory(settings | client=, prefix=)`: indices `<prefix>-customers` (keyword
  fields for the keys, `name` as text) and `<prefix>-customer-feedback`. Writes refresh the index
  before they return (refresh=true): imports and verdicts are rare, and a verdict must hold for the very
  next mention.

`upsert` is idempotent by customer code: the same row again is `unchanged`, a changed row replaces the
customer and all its keys (a handle removed from the master file no longer links).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from core.customer_keys import (
    normalize_email,
    normalize_handle,
    normalize_order_number,
    normalize_phone,
    normalize_platform,
)
from core.errors import InvalidInput, PartialWriteError, StoreError, StoreUnavailable
from core.ids import customer_id
from core.models import Customer
from core.settings import Settings, get_settings
from index.es_client import build_client, translated
from index.schema import validate_prefix

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

VERDICTS = ("confirm", "reject")
KEY_FIELDS = ("user_ids", "handles", "any_handles", "emails", "phones", "order_numbers")


# --- records -------------------------------------------------------------------------------------
class CustomerRecord(BaseModel):
    """A customer as the directory stores it: the master-file row plus what `Customer` does not hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer: Customer
    order_numbers: tuple[str, ...] = Field((), description="Order numbers of this customer, for linking")

    @property
    def id(self) -> str:
        return self.customer.id

    def keys(self) -> dict[str, list[str]]:
        """Lookup field -> normalised values (the same normalisation as the lookups)."""
        out: dict[str, dict[str, None]] = {name: {} for name in KEY_FIELDS}
        for handle in self.customer.handles:
            platform = normalize_platform(handle.platform)
            if handle.user_id and handle.user_id.strip():
                out["user_ids"][f"{platform}:{handle.user_id.strip()}"] = None
            if handle.handle and (name := normalize_handle(handle.handle)):
                out["handles"][f"{platform}:{name}"] = None
                out["any_handles"][name] = None
        for contact in self.customer.contacts:
            if contact.kind == "email" and (email := normalize_email(contact.value)):
                out["emails"][email] = None
            elif contact.kind == "phone" and (phone := normalize_phone(contact.value)):
                out["phones"][phone] = None
        for number in self.order_numbers:
            if order := normalize_order_number(number):
                out["order_numbers"][order] = None
        return {name: list(values) for name, values in out.items()}

    def fingerprint(self) -> str:
        """Equal for equal records: what makes a re-import `unchanged`."""
        body = json.dumps(
            {"customer": self.customer.model_dump(mode="json", exclude={"id"}), "orders": self.order_numbers},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()


class CustomerUpsertResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _as_records(items: Sequence[CustomerRecord | Customer]) -> list[CustomerRecord]:
    """Records in order, the last one winning for a code given twice."""
    records: dict[str, CustomerRecord] = {}
    for item in items:
        record = item if isinstance(item, CustomerRecord) else CustomerRecord(customer=item)
        records.pop(record.id, None)
        records[record.id] = record
    return list(records.values())


def _check_verdict(verdict: str) -> str:
    if verdict not in VERDICTS:
        raise InvalidInput(
            f"verdict must be 'confirm' or 'reject', not {verdict!r}", details={"verdict": verdict}
        )
    return verdict


class _KeyLookups:
    """The CustomerDirectory lookups over one primitive, `_by_key(field, normalised value)`, which each
    store implements (customers with that value in that KEY_FIELDS field, by code; [] for an empty value)."""

    def _by_key(self, field: str, value: str) -> list[Customer]:
        raise NotImplementedError

    def get(self, customer_id: str) -> Customer | None:
        raise NotImplementedError

    def by_platform_user_id(self, platform: str, user_id: str) -> list[Customer]:
        return (
            self._by_key("user_ids", f"{normalize_platform(platform)}:{user_id.strip()}")
            if user_id.strip()
            else []
        )

    def by_handle(self, platform: str, handle: str) -> list[Customer]:
        name = normalize_handle(handle)
        return self._by_key("handles", f"{normalize_platform(platform)}:{name}") if name else []

    def by_handle_anywhere(self, handle: str) -> list[Customer]:
        return self._by_key("any_handles", normalize_handle(handle))

    def by_email(self, email: str) -> list[Customer]:
        return self._by_key("emails", normalize_email(email))

    def by_phone(self, phone: str) -> list[Customer]:
        return self._by_key("phones", normalize_phone(phone))

    def by_order_number(self, order_number: str) -> list[Customer]:
        return self._by_key("order_numbers", normalize_order_number(order_number))

    def by_code(self, code: str) -> Customer | None:
        return self.get(customer_id(code))


# --- SQLite --------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, orders TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_keys (
    field TEXT NOT NULL, value TEXT NOT NULL, customer_id TEXT NOT NULL,
    PRIMARY KEY (field, value, customer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_keys_by_customer ON customer_keys (customer_id);
CREATE TABLE IF NOT EXISTS customer_link_feedback (
    author_key TEXT NOT NULL, customer_id TEXT NOT NULL, verdict TEXT NOT NULL, mention_id TEXT,
    at_us INTEGER NOT NULL, PRIMARY KEY (author_key, customer_id)
);
"""


class SQLiteCustomerDirectory(_KeyLookups):
    """CustomerDirectory and LinkFeedbackStore in a SQLite file (WAL; one connection, serialised)."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteCustomerDirectory:
        """The customers live in the mentions database file (their own tables)."""
        return cls(settings.sqlite_path, busy_timeout_ms=settings.sqlite.busy_timeout_ms)

    @contextmanager
    def _session(self, operation: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if self._conn is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = sqlite3.connect(
                        self.path,
                        timeout=self.busy_timeout_ms / 1000,
                        isolation_level=None,
                        check_same_thread=False,
                    )
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(_SCHEMA)
                    self._conn = conn
                yield self._conn
            except sqlite3.Error as exc:
                message = str(exc)
                details = {"operation": operation, "path": str(self.path), "sqlite_error": message}
                if "locked" in message.lower() or "busy" in message.lower():
                    raise StoreUnavailable(f"customer database is busy ({message})", details=details) from exc
                raise StoreError(
                    f"customer database failed during {operation}: {message}", details=details
                ) from exc

    def ensure_ready(self) -> None:
        with self._session("ensure_ready"):
            pass

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SQLiteCustomerDirectory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- writes ----------------------------------------------------------------------------------
    def upsert(self, items: Sequence[CustomerRecord | Customer]) -> CustomerUpsertResult:
        created = updated = unchanged = 0
        with self._session("upsert customers") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for record in _as_records(items):
                    row = conn.execute(
                        "SELECT fingerprint FROM customers WHERE id = ?", (record.id,)
                    ).fetchone()
                    fingerprint = record.fingerprint()
                    if row is not None and row[0] == fingerprint:
                        unchanged += 1
                        continue
                    created, updated = (created + 1, updated) if row is None else (created, updated + 1)
                    conn.execute(
                        "INSERT OR REPLACE INTO customers (id, code, doc, orders, fingerprint) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            record.id,
                            record.customer.code,
                            record.customer.model_dump_json(exclude={"id"}),
                            json.dumps(record.order_numbers),
                            fingerprint,
                        ),
                    )
                    conn.execute("DELETE FROM customer_keys WHERE customer_id = ?", (record.id,))
                    conn.executemany(
                        "INSERT OR IGNORE INTO customer_keys (field, value, customer_id) VALUES (?,?,?)",
                        [
                            (name, value, record.id)
                            for name, values in record.keys().items()
                            for value in values
                        ],
                    )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return CustomerUpsertResult(created=created, updated=updated, unchanged=unchanged)

    def record_feedback(
        self, author_key: str, customer_id: str, verdict: str, mention_id: str | None = None
    ) -> None:
        _check_verdict(verdict)
        with self._session("record link feedback") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO customer_link_feedback VALUES (?,?,?,?,?)",
                (author_key, customer_id, verdict, mention_id, time.time_ns() // 1000),
            )

    # --- reads -----------------------------------------------------------------------------------
    def _by_key(self, field: str, value: str) -> list[Customer]:
        if not value:
            return []
        with self._session(f"look customers up by {field}") as conn:
            rows = conn.execute(
                "SELECT c.doc FROM customer_keys k JOIN customers c ON c.id = k.customer_id "
                "WHERE k.field = ? AND k.value = ? ORDER BY c.code",
                (field, value),
            ).fetchall()
        return [Customer.model_validate_json(doc) for (doc,) in rows]

    def get(self, customer_id: str) -> Customer | None:
        with self._session("get a customer") as conn:
            row = conn.execute("SELECT doc FROM customers WHERE id = ?", (customer_id,)).fetchone()
        return Customer.model_validate_json(row[0]) if row else None

    def order_numbers(self, customer_id: str) -> tuple[str, ...]:
        with self._session("get order numbers") as conn:
            row = conn.execute("SELECT orders FROM customers WHERE id = ?", (customer_id,)).fetchone()
        return tuple(json.loads(row[0])) if row else ()

    def count(self) -> int:
        with self._session("count customers") as conn:
            return int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        if not author_keys:
            return {}
        marks = ",".join("?" * len(author_keys))
        with self._session("read link feedback") as conn:
            rows = conn.execute(
                f"SELECT customer_id, verdict FROM customer_link_feedback WHERE author_key IN ({marks}) "
                "ORDER BY at_us, rowid",
                list(author_keys),
            ).fetchall()
        out: dict[str, str] = {}
        for customer, verdict in rows:
            out.pop(customer, None)
            out[customer] = verdict
        return out


# --- Elasticsearch -------------------------------------------------------------------------------
def _keyword() -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": 512}


CUSTOMER_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _keyword(),
        "code": _keyword(),
        "name": {"type": "text", "analyzer": "standard", "fields": {"raw": _keyword()}},
        "tier": _keyword(),
        "category": _keyword(),
        "industry": _keyword(),
        "city": _keyword(),
        "country": _keyword(),
        **{name: _keyword() for name in KEY_FIELDS},
        "fingerprint": {"type": "keyword", "index": False},
        "customer": {"type": "object", "enabled": False},  # the Customer itself, returned as is
        "orders": {"type": "keyword", "index": False},
    },
}
FEEDBACK_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "author_key": _keyword(),
        "customer_id": _keyword(),
        "verdict": _keyword(),
        "mention_id": _keyword(),
        "at_us": {"type": "long"},
    },
}


class ElasticsearchCustomerDirectory(_KeyLookups):
    """CustomerDirectory and LinkFeedbackStore over `<prefix>-customers` and `<prefix>-customer-feedback`."""

    name: ClassVar[str] = "elasticsearch"
    max_matches: ClassVar[int] = 50  # one key shared by more customers than this is noise

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: Elasticsearch | None = None,
        prefix: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else get_settings()
        es = self.settings.elasticsearch
        self.prefix = validate_prefix(prefix if prefix is not None else es.index_prefix)
        self.index = f"{self.prefix}-customers"
        self.feedback_index = f"{self.prefix}-customer-feedback"
        self._client = client
        self._owns_client = client is None
        self._ready = False
        self._lock = threading.Lock()

    @property
    def client(self) -> Elasticsearch:
        with self._lock:
            if self._client is None:
                self._client = build_client(self.settings.elasticsearch)
            return self._client

    def ensure_ready(self) -> None:
        """Create both indices when missing (idempotent; a concurrent creation is fine)."""
        client = self.client
        es = self.settings.elasticsearch
        index_settings = {"number_of_shards": 1, "number_of_replicas": es.number_of_replicas}
        for index, mappings in ((self.index, CUSTOMER_MAPPINGS), (self.feedback_index, FEEDBACK_MAPPINGS)):
            with translated(f"create the {index} index"):
                if not client.indices.exists(index=index):
                    client.options(ignore_status=400).indices.create(
                        index=index, mappings=mappings, settings=index_settings
                    )
        self._ready = True

    def _ensure(self) -> Elasticsearch:
        if not self._ready:
            self.ensure_ready()
        return self.client

    def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> ElasticsearchCustomerDirectory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- writes ----------------------------------------------------------------------------------
    def upsert(self, items: Sequence[CustomerRecord | Customer]) -> CustomerUpsertResult:
        records = _as_records(items)
        if not records:
            return CustomerUpsertResult()
        client = self._ensure()
        with translated("read stored customers"):
            found = client.mget(
                index=self.index, ids=[r.id for r in records], source_includes=["fingerprint"]
            )
        stored = {doc["_id"]: doc["_source"]["fingerprint"] for doc in found["docs"] if doc.get("found")}
        operations: list[dict[str, Any]] = []
        created = updated = unchanged = 0
        for record in records:
            fingerprint = record.fingerprint()
            if stored.get(record.id) == fingerprint:
                unchanged += 1
                continue
            created, updated = (created, updated + 1) if record.id in stored else (created + 1, updated)
            operations += [
                {"index": {"_index": self.index, "_id": record.id}},
                self._doc(record, fingerprint),
            ]
        if operations:
            with translated("index customers"):
                response = client.bulk(operations=operations, refresh=True)
            if response.get("errors"):
                failures = [
                    {"id": item["index"].get("_id"), "reason": item["index"].get("error")}
                    for item in response["items"]
                    if item["index"].get("error")
                ]
                raise PartialWriteError(
                    f"{len(failures)} of {len(operations) // 2} customers were not indexed", failures=failures
                )
        return CustomerUpsertResult(created=created, updated=updated, unchanged=unchanged)

    @staticmethod
    def _doc(record: CustomerRecord, fingerprint: str) -> dict[str, Any]:
        customer = record.customer
        return {
            "id": customer.id,
            "code": customer.code,
            "name": customer.name,
            "tier": customer.tier.value,
            "category": customer.category,
            "industry": customer.industry,
            "city": customer.city,
            "country": customer.country,
            **record.keys(),
            "fingerprint": fingerprint,
            "customer": customer.model_dump(mode="json", exclude={"id"}),
            "orders": list(record.order_numbers),
        }

    def record_feedback(
        self, author_key: str, customer_id: str, verdict: str, mention_id: str | None = None
    ) -> None:
        _check_verdict(verdict)
        client = self._ensure()
        doc_id = hashlib.blake2b(f"{author_key}\x1f{customer_id}".encode(), digest_size=16).hexdigest()
        body = {
            "author_key": author_key,
            "customer_id": customer_id,
            "verdict": verdict,
            "mention_id": mention_id,
            "at_us": time.time_ns() // 1000,
        }
        with translated("record link feedback"):
            client.index(index=self.feedback_index, id=doc_id, document=body, refresh=True)

    # --- reads -----------------------------------------------------------------------------------
    def _by_key(self, field: str, value: str) -> list[Customer]:
        if not value:
            return []
        client = self._ensure()
        with translated(f"look customers up by {field}"):
            response = client.search(
                index=self.index,
                query={"term": {field: value}},
                sort=[{"code": "asc"}],
                size=self.max_matches,
                source_includes=["customer"],
            )
        return [Customer.model_validate(hit["_source"]["customer"]) for hit in response["hits"]["hits"]]

    def _source(self, customer_id: str) -> dict[str, Any] | None:
        client = self._ensure()
        with translated("get a customer"):
            response = client.options(ignore_status=404).get(index=self.index, id=customer_id)
        return response["_source"] if response.get("found") else None

    def get(self, customer_id: str) -> Customer | None:
        source = self._source(customer_id)
        return Customer.model_validate(source["customer"]) if source else None

    def order_numbers(self, customer_id: str) -> tuple[str, ...]:
        source = self._source(customer_id)
        return tuple(source.get("orders", ())) if source else ()

    def count(self) -> int:
        client = self._ensure()
        with translated("count customers"):
            return int(client.count(index=self.index)["count"])

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        if not author_keys:
            return {}
        client = self._ensure()
        with translated("read link feedback"):
            response = client.search(
                index=self.feedback_index,
                query={"terms": {"author_key": list(author_keys)}},
                sort=[{"at_us": "asc"}],
                size=1000,
            )
        out: dict[str, str] = {}
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            out.pop(source["customer_id"], None)
            out[source["customer_id"]] = source["verdict"]
        return out


CustomerStore = SQLiteCustomerDirectory | ElasticsearchCustomerDirectory


def build_customer_directory(settings: Settings) -> CustomerStore:
    """The directory next to the configured mention store: the same SQLite file, or the same cluster and
    index prefix. Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchCustomerDirectory(settings)
    return SQLiteCustomerDirectory.from_settings(settings)
