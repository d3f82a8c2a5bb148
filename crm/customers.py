"""The customer master file, stored: a CustomerDirectory (nlp/linking/directory.py) on SQLite or ES.

Both stores keep, per customer, the `Customer` itself plus the lookup keys linking needs (user ids and
handles per platform, handles on any platform, emails, phones, order numbers), and the confirm/reject
feedback on links (the `LinkFeedbackStore` protocol of nlp/linking/feedback.py). They satisfy those
protocols structurally (index/ may not import nlp/, DESIGN.md layers); the key normalisers both use
are core/customer_keys.py's.

- `SQLiteCustomerDirectory(path, workspace=)`: tables `customers`, `customer_keys` and
  `customer_link_feedback`, in the mentions database file or another one; independent of the mention
  tables. Their keys lead with the workspace; tables written before workspaces are rebuilt into the
  ``default`` workspace when the file is opened.
- `ElasticsearchCustomerDirectory(settings | client=, prefix=, workspace=)`: indices `<prefix>-customers`
  (keyword fields for the keys, `name` as text) and `<prefix>-customer-feedback`, every document with a
  ``workspace`` keyword and a scoped ``_id`` (`core.ids.scoped_doc_id`), every query filtered on it;
  indices written before workspaces are moved into ``default`` when the directory gets ready. Writes
  refresh the index before they return (refresh=true): imports and verdicts are rare, and a verdict must
  hold for the very next mention.

Workspaces: a directory is scoped at construction and cannot be unscoped, like the mention stores
(`index.base`): one scoping point instead of a parameter on every lookup that one call site could
forget; an API request builds its directory from the authenticated user's workspace. The same customer
code in two workspaces is two customers (same `Customer.id`, two storage keys).

`upsert` is idempotent by customer code: the same row again is `unchanged`, a changed row replaces the
customer and all its keys (a handle removed from the master file no longer links).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.customer_keys import (
    normalize_email,
    normalize_handle,
    normalize_order_number,
    normalize_phone,
    normalize_platform,
)
from core.errors import InvalidInput, NotFound, PartialWriteError, StoreError, StoreUnavailable
from core.ids import customer_id, scoped_doc_id
from core.models import DEFAULT_WORKSPACE, Customer, Tier, check_workspace
from core.settings import Settings
from crm.record_store import upsert_fingerprinted
from index.backends.sqlite_schema import rebuild_table
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.migrate import rescope_in_place
from index.schema import WORKSPACE_FIELD, WORKSPACE_MAPPING, has_workspaces

VERDICTS = ("confirm", "reject")
KEY_FIELDS = ("user_ids", "handles", "any_handles", "emails", "phones", "order_numbers")
# What `earful workspaces list` counts (`index.workspaces`): the customers and the link verdicts.
CUSTOMER_TABLES: Final[Mapping[str, str]] = {
    "customers": "customers",
    "link_feedback": "customer_link_feedback",
}


def customer_indices(prefix: str) -> dict[str, str]:
    """The directory's indices under `prefix`, by kind (as `CUSTOMER_TABLES`)."""
    return {"customers": f"{prefix}-customers", "link_feedback": f"{prefix}-customer-feedback"}


# --- records -------------------------------------------------------------------------------------
_LATER_FIELDS = (
    "address",
    "postal_code",
    "contact_persons",
    "bank",
    "bank_account",
    "contract_numbers",
    "dates",
    "assessment",
)


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
        """Equal for equal records: what makes a re-import `unchanged`. Master-file fields added later are
        left out while empty, so customers stored before them keep their fingerprint."""
        customer = self.customer.model_dump(mode="json", exclude={"id"})
        for name in _LATER_FIELDS:
            if getattr(self.customer, name) == Customer.model_fields[name].default:
                del customer[name]
        body = json.dumps(
            {"customer": customer, "orders": self.order_numbers},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()


class CustomerUpsertResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    created: int = 0
    updated: int = 0
    unchanged: int = 0


class LinkVerdict(BaseModel):
    """One stored verdict, as merges copy and unmerges restore it (`at_us`: when, in microseconds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    author_key: str
    customer_id: str
    verdict: str
    mention_id: str | None = None
    at_us: int
    by: str | None = Field(None, description="Who gave the verdict (None: not recorded, as before)")


MAX_WINDOW: Final = 10_000  # offset + limit of a directory search: Elasticsearch pages no deeper
TEXT_KEYS: Final = ("emails", "phones", "any_handles", "order_numbers")  # what a search's text may equal


class DirectoryQuery(BaseModel):
    """One page of a workspace's customers, by code; every given condition must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str | None = Field(
        None,
        description="A name or code containing it (case-insensitive for Latin letters), or an email, "
        "phone, handle (any platform) or order number equal to it once normalised",
    )
    tiers: tuple[Tier, ...] = Field((), description="Master-file tier, any of these")
    owner: str | None = Field(None, description="Account owner, exactly")
    ids: tuple[str, ...] | None = Field(None, description="Only these customers (None: any)")
    limit: int = Field(20, ge=0, le=1000)
    offset: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _window(self) -> DirectoryQuery:
        if self.offset + self.limit > MAX_WINDOW:
            raise ValueError(f"offset + limit may not pass {MAX_WINDOW}")
        return self

    def text_keys(self) -> dict[str, str]:
        """Lookup field -> the search text normalised for it (fields it cannot be are left out)."""
        text = (self.text or "").strip()
        if not text:
            return {}
        found = {
            "emails": normalize_email(text),
            "phones": normalize_phone(text),
            "any_handles": normalize_handle(text),
            "order_numbers": normalize_order_number(text),
        }
        return {name: value for name, value in found.items() if value}


class CustomerMatches(BaseModel):
    """A page of a directory search and how many customers match in all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customers: tuple[Customer, ...]
    total: int = Field(ge=0)


def _as_records(items: Sequence[CustomerRecord | Customer]) -> list[CustomerRecord]:
    """Records in order, the last one winning for a code given twice."""
    records: dict[str, CustomerRecord] = {}
    for item in items:
        record = item if isinstance(item, CustomerRecord) else CustomerRecord(customer=item)
        records.pop(record.id, None)
        records[record.id] = record
    return list(records.values())


def _verdict_now(
    author_key: str, customer_id: str, verdict: str, mention_id: str | None, by: str | None
) -> LinkVerdict:
    return LinkVerdict(
        author_key=author_key,
        customer_id=customer_id,
        verdict=_check_verdict(verdict),
        mention_id=mention_id,
        at_us=time.time_ns() // 1000,
        by=by,
    )


def _check_verdict(verdict: str) -> str:
    if verdict not in VERDICTS:
        raise InvalidInput(
            f"verdict must be 'confirm' or 'reject', not {verdict!r}", details={"verdict": verdict}
        )
    return verdict


class _KeyLookups:
    """The CustomerDirectory lookups over one primitive, `_by_key(field, normalised value)`, which each
    store implements (customers with that value in that KEY_FIELDS field, by code; [] for an empty value).
    Both stores keep their workspace in ``_workspace``, set once in their constructor."""

    _workspace: str

    @property
    def workspace(self) -> str:
        """The workspace this directory reads and writes; fixed when it was built."""
        return self._workspace

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

    def order_numbers(self, customer_id: str) -> tuple[str, ...]:
        raise NotImplementedError

    def upsert(self, items: Sequence[CustomerRecord | Customer]) -> CustomerUpsertResult:
        raise NotImplementedError

    def set_owner(self, customer_ids: Sequence[str], owner: str | None) -> list[Customer]:
        """Give these customers the account owner `owner` (None: no owner); returns those that changed.
        An upsert of the changed records, their order numbers kept: keys and fingerprints stay right."""
        changed: list[CustomerRecord] = []
        for cid in dict.fromkeys(customer_ids):
            found = self.get(cid)
            if found is not None and found.owner != owner:
                changed.append(
                    CustomerRecord(
                        customer=found.model_copy(update={"owner": owner}),
                        order_numbers=self.order_numbers(cid),
                    )
                )
        if changed:
            self.upsert(changed)
        return [record.customer for record in changed]


# --- SQLite --------------------------------------------------------------------------------------
def _customers_table(name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (workspace TEXT NOT NULL, id TEXT NOT NULL, code TEXT NOT NULL, "
        "doc TEXT NOT NULL, orders TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (workspace, id), "
        "UNIQUE (workspace, code))"
    )


def _keys_table(name: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (workspace TEXT NOT NULL, field TEXT NOT NULL, "
        "value TEXT NOT NULL, customer_id TEXT NOT NULL, PRIMARY KEY (workspace, field, value, customer_id)) "
        "WITHOUT ROWID"
    )


def _feedback_table(name: str) -> str:
    # a rowid table: `feedback_for` breaks ties between verdicts of one microsecond by insertion order
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (workspace TEXT NOT NULL, author_key TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, verdict TEXT NOT NULL, mention_id TEXT, at_us INTEGER NOT NULL, "
        "judged_by TEXT, PRIMARY KEY (workspace, author_key, customer_id))"
    )


_KEYS_INDEX = "CREATE INDEX IF NOT EXISTS customer_keys_by_customer ON customer_keys (workspace, customer_id)"
_SCHEMA = (
    _customers_table("customers"),
    _keys_table("customer_keys"),
    _KEYS_INDEX,
    _feedback_table("customer_link_feedback"),
)
# Tables written before workspaces (no `workspace` column): rebuilt with every row in `default`.
_INTO_WORKSPACES = (
    *rebuild_table(
        "customers",
        _customers_table("customers_new"),
        f"INSERT INTO customers_new SELECT '{DEFAULT_WORKSPACE}', id, code, doc, orders, fingerprint "
        "FROM customers",
    ),
    *rebuild_table(
        "customer_keys",
        _keys_table("customer_keys_new"),
        f"INSERT INTO customer_keys_new SELECT '{DEFAULT_WORKSPACE}', field, value, customer_id "
        "FROM customer_keys",
        (_KEYS_INDEX,),
    ),
    *rebuild_table(
        "customer_link_feedback",
        _feedback_table("customer_link_feedback_new"),
        "INSERT INTO customer_link_feedback_new "
        "(rowid, workspace, author_key, customer_id, verdict, mention_id, at_us) "
        f"SELECT rowid, '{DEFAULT_WORKSPACE}', author_key, customer_id, verdict, mention_id, at_us "
        "FROM customer_link_feedback",
    ),
)


def _ensure_customer_tables(conn: sqlite3.Connection) -> None:
    """Create the tables, or bring tables written before workspaces to them, in one IMMEDIATE
    transaction (two processes opening an old file at once: the second finds it done)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(customers)")}
        if columns and "workspace" not in columns:
            for statement in _INTO_WORKSPACES:
                conn.execute(statement)
        for statement in _SCHEMA:
            conn.execute(statement)
        # verdicts stored before who gave them was kept: the column, empty for them
        if "judged_by" not in {row[1] for row in conn.execute("PRAGMA table_info(customer_link_feedback)")}:
            conn.execute("ALTER TABLE customer_link_feedback ADD COLUMN judged_by TEXT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteCustomerDirectory(_KeyLookups):
    """CustomerDirectory and LinkFeedbackStore of one workspace in a SQLite file (WAL; one connection,
    serialised). Every statement names the workspace."""

    def __init__(self, path: Path | str, *, workspace: str, busy_timeout_ms: int = 5000) -> None:
        self._workspace = check_workspace(workspace)
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings, *, workspace: str) -> SQLiteCustomerDirectory:
        """The customers live in the mentions database file (their own tables)."""
        return cls(settings.sqlite_path, workspace=workspace, busy_timeout_ms=settings.sqlite.busy_timeout_ms)

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
                    _ensure_customer_tables(conn)
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
                        "SELECT fingerprint FROM customers WHERE workspace = ? AND id = ?",
                        (self._workspace, record.id),
                    ).fetchone()
                    fingerprint = record.fingerprint()
                    if row is not None and row[0] == fingerprint:
                        unchanged += 1
                        continue
                    created, updated = (created + 1, updated) if row is None else (created, updated + 1)
                    conn.execute(
                        "INSERT OR REPLACE INTO customers (workspace, id, code, doc, orders, fingerprint) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            self._workspace,
                            record.id,
                            record.customer.code,
                            record.customer.model_dump_json(exclude={"id"}),
                            json.dumps(record.order_numbers),
                            fingerprint,
                        ),
                    )
                    conn.execute(
                        "DELETE FROM customer_keys WHERE workspace = ? AND customer_id = ?",
                        (self._workspace, record.id),
                    )
                    conn.executemany(
                        "INSERT OR IGNORE INTO customer_keys (workspace, field, value, customer_id) "
                        "VALUES (?,?,?,?)",
                        [
                            (self._workspace, name, value, record.id)
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
        self,
        author_key: str,
        customer_id: str,
        verdict: str,
        mention_id: str | None = None,
        *,
        by: str | None = None,
    ) -> None:
        """Store a verdict now (replacing the pair's); `by`: who gave it."""
        self.put_feedback([_verdict_now(author_key, customer_id, verdict, mention_id, by)])

    # --- reads -----------------------------------------------------------------------------------
    def _by_key(self, field: str, value: str) -> list[Customer]:
        if not value:
            return []
        with self._session(f"look customers up by {field}") as conn:
            rows = conn.execute(
                "SELECT c.doc FROM customer_keys k "
                "JOIN customers c ON c.workspace = k.workspace AND c.id = k.customer_id "
                "WHERE k.workspace = ? AND k.field = ? AND k.value = ? ORDER BY c.code",
                (self._workspace, field, value),
            ).fetchall()
        return [Customer.model_validate_json(doc) for (doc,) in rows]

    def get(self, customer_id: str) -> Customer | None:
        with self._session("get a customer") as conn:
            row = conn.execute(
                "SELECT doc FROM customers WHERE workspace = ? AND id = ?", (self._workspace, customer_id)
            ).fetchone()
        return Customer.model_validate_json(row[0]) if row else None

    def by_owner(self, owner: str) -> list[Customer]:
        """The customers whose account owner is `owner`, by code. The owner is read from the stored
        JSON (SQLite's json_extract): a scan of the workspace's customers, which a handover can afford."""
        with self._session("list customers by owner") as conn:
            rows = conn.execute(
                "SELECT doc FROM customers WHERE workspace = ? AND json_extract(doc, '$.owner') = ? "
                "ORDER BY code",
                (self._workspace, owner),
            ).fetchall()
        return [Customer.model_validate_json(doc) for (doc,) in rows]

    def order_numbers(self, customer_id: str) -> tuple[str, ...]:
        with self._session("get order numbers") as conn:
            row = conn.execute(
                "SELECT orders FROM customers WHERE workspace = ? AND id = ?", (self._workspace, customer_id)
            ).fetchone()
        return tuple(json.loads(row[0])) if row else ()

    def iter_all(self, batch_size: int = 1000) -> Iterator[Customer]:
        """Every customer of the workspace by code, read in pages of `batch_size`."""
        after = ""
        while True:
            with self._session("list customers") as conn:
                rows = conn.execute(
                    "SELECT code, doc FROM customers WHERE workspace = ? AND code > ? ORDER BY code LIMIT ?",
                    (self._workspace, after, batch_size),
                ).fetchall()
            yield from (Customer.model_validate_json(doc) for _, doc in rows)
            if len(rows) < batch_size:
                return
            after = rows[-1][0]

    def count(self) -> int:
        with self._session("count customers") as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM customers WHERE workspace = ?", (self._workspace,)
                ).fetchone()[0]
            )

    def find(self, query: DirectoryQuery) -> CustomerMatches:
        """A page of the customers matching `query`, by code, and how many match in all."""
        where, params = ["workspace = ?"], [self._workspace]
        if text := (query.text or "").strip():
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            keys = query.text_keys()
            either = ["json_extract(doc, '$.name') LIKE ? ESCAPE '\\'", "code LIKE ? ESCAPE '\\'"]
            params += [like, like]
            if keys:
                pairs = " OR ".join("(field = ? AND value = ?)" for _ in keys)
                either.append(
                    f"id IN (SELECT customer_id FROM customer_keys WHERE workspace = ? AND ({pairs}))"
                )
                params += [self._workspace, *(x for pair in keys.items() for x in pair)]
            where.append(f"({' OR '.join(either)})")
        if query.tiers:
            where.append(f"json_extract(doc, '$.tier') IN ({','.join('?' * len(query.tiers))})")
            params += [tier.value for tier in query.tiers]
        if query.owner is not None:
            where.append("json_extract(doc, '$.owner') = ?")
            params.append(query.owner)
        if query.ids is not None:  # json_each: no limit on how many
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(query.ids)))
        condition = " AND ".join(where)
        with self._session("search customers") as conn:
            total = int(
                conn.execute(f"SELECT count(*) FROM customers WHERE {condition}", params).fetchone()[0]
            )
            rows = conn.execute(
                f"SELECT doc FROM customers WHERE {condition} ORDER BY code LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        return CustomerMatches(customers=tuple(Customer.model_validate_json(d) for (d,) in rows), total=total)

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        if not author_keys:
            return {}
        marks = ",".join("?" * len(author_keys))
        with self._session("read link feedback") as conn:
            rows = conn.execute(
                "SELECT customer_id, verdict FROM customer_link_feedback "
                f"WHERE workspace = ? AND author_key IN ({marks}) ORDER BY at_us, rowid",
                [self._workspace, *author_keys],
            ).fetchall()
        out: dict[str, str] = {}
        for customer, verdict in rows:
            out.pop(customer, None)
            out[customer] = verdict
        return out

    # --- identity (crm/identity: merge and unmerge) ---------------------------------------------
    def records(self) -> list[CustomerRecord]:
        """Every customer of the workspace with its order numbers, by code."""
        with self._session("list customers") as conn:
            rows = conn.execute(
                "SELECT doc, orders FROM customers WHERE workspace = ? ORDER BY code", (self._workspace,)
            ).fetchall()
        return [
            CustomerRecord(
                customer=Customer.model_validate_json(doc), order_numbers=tuple(json.loads(orders))
            )
            for doc, orders in rows
        ]

    def delete(self, customer_ids: Sequence[str]) -> int:
        """Remove customers and their keys (not their verdicts); how many existed."""
        removed = 0
        with self._session("delete customers") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for cid in dict.fromkeys(customer_ids):
                    removed += conn.execute(
                        "DELETE FROM customers WHERE workspace = ? AND id = ?", (self._workspace, cid)
                    ).rowcount
                    conn.execute(
                        "DELETE FROM customer_keys WHERE workspace = ? AND customer_id = ?",
                        (self._workspace, cid),
                    )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return removed

    def feedback_of(self, customer_id: str) -> list[LinkVerdict]:
        """Every verdict about this customer, oldest first."""
        with self._session("read a customer's link feedback") as conn:
            rows = conn.execute(
                "SELECT author_key, customer_id, verdict, mention_id, at_us, judged_by "
                "FROM customer_link_feedback WHERE workspace = ? AND customer_id = ? ORDER BY at_us, rowid",
                (self._workspace, customer_id),
            ).fetchall()
        return [
            LinkVerdict(author_key=k, customer_id=c, verdict=v, mention_id=m, at_us=t, by=b)
            for k, c, v, m, t, b in rows
        ]

    def put_feedback(self, verdicts: Sequence[LinkVerdict]) -> None:
        """Store verdicts as given, time included (each replaces its pair's)."""
        for verdict in verdicts:
            _check_verdict(verdict.verdict)
        with self._session("restore link feedback") as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO customer_link_feedback "
                "(workspace, author_key, customer_id, verdict, mention_id, at_us, judged_by) "
                "VALUES (?,?,?,?,?,?,?)",
                [
                    (self._workspace, v.author_key, v.customer_id, v.verdict, v.mention_id, v.at_us, v.by)
                    for v in verdicts
                ],
            )

    def delete_feedback(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Remove the verdicts of these (author key, customer id) pairs; how many existed."""
        with self._session("delete link feedback") as conn:
            return sum(
                conn.execute(
                    "DELETE FROM customer_link_feedback WHERE workspace = ? AND author_key = ? "
                    "AND customer_id = ?",
                    (self._workspace, key, cid),
                ).rowcount
                for key, cid in pairs
            )


# --- Elasticsearch -------------------------------------------------------------------------------
def _keyword() -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": 512}


# `_meta.workspaces`: what `index.schema.has_workspaces` reads; an index without it predates workspaces.
_META = {"managed_by": "earful", "workspaces": True}
CUSTOMER_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    # owner_field: the index maps `owner` and every document has it (`_add_owner_field`)
    "_meta": {**_META, "owner_field": True},
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        "id": _keyword(),
        "code": _keyword(),
        "name": {"type": "text", "analyzer": "standard", "fields": {"raw": _keyword()}},
        "tier": _keyword(),
        "category": _keyword(),
        "industry": _keyword(),
        "city": _keyword(),
        "country": _keyword(),
        "owner": _keyword(),  # added later: `_add_owner_field` migrates older indices
        **{name: _keyword() for name in KEY_FIELDS},
        "fingerprint": {"type": "keyword", "index": False},
        "customer": {"type": "object", "enabled": False},  # the Customer itself, returned as is
        "orders": {"type": "keyword", "index": False},
    },
}
FEEDBACK_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": _META,
    "properties": {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        "author_key": _keyword(),
        "customer_id": _keyword(),
        "verdict": _keyword(),
        "mention_id": _keyword(),
        "at_us": {"type": "long"},
        "by": _keyword(),  # added later: `ensure_ready` adds it to older indices
    },
}


class ElasticsearchCustomerDirectory(ScopedElasticsearch, _KeyLookups):
    """CustomerDirectory and LinkFeedbackStore over `<prefix>-customers` and `<prefix>-customer-feedback`."""

    name: ClassVar[str] = "elasticsearch"
    max_matches: ClassVar[int] = 50  # one key shared by more customers than this is noise

    @property
    def index(self) -> str:
        return customer_indices(self.prefix)["customers"]

    @property
    def feedback_index(self) -> str:
        return f"{self.prefix}-customer-feedback"

    def ensure_ready(self) -> None:
        """Create both indices when missing (idempotent; a concurrent creation is fine); move the
        documents of indices written before workspaces into ``default`` (small indices: in place)."""
        for index, mappings in ((self.index, CUSTOMER_MAPPINGS), (self.feedback_index, FEEDBACK_MAPPINGS)):
            if not self._create_index(index, mappings) and not has_workspaces(self.client, index):
                rescope_in_place(self.client, index, meta=_META)
        self._add_owner_field()
        with translated("add the by field to the link feedback index"):  # idempotent, nothing reindexed
            self.client.indices.put_mapping(index=self.feedback_index, properties={"by": _keyword()})
        self._ready = True

    def _add_owner_field(self) -> None:
        """Indices created before ``owner`` was mapped: add the field (adding a field is allowed on a
        strict mapping and changes nothing stored), then copy each stored ``customer.owner`` into it
        with partial updates conditional on the document's sequence number: a customer re-imported
        meanwhile already has the field, and its conflict is skipped. Idempotent: a second run finds
        ``_meta.owner_field`` set (last, so an interrupted run is finished by the next). Not
        update-by-query: it needs the reindex module, which a minimal node may lack."""
        from elasticsearch import helpers

        client = self.client
        with translated("check the customers mapping"):
            mapping = client.indices.get_mapping(index=self.index)
        meta = dict(next(iter(mapping.body.values()))["mappings"].get("_meta") or {})
        if meta.get("owner_field"):
            return
        with translated("add the owner field to the customers index"):
            client.indices.put_mapping(index=self.index, properties={"owner": _keyword()})
            client.indices.refresh(index=self.index)
            missing = {"bool": {"must_not": {"exists": {"field": "owner"}}}}
            operations: list[dict[str, Any]] = []
            for hit in helpers.scan(
                client, index=self.index, query={"query": missing}, seq_no_primary_term=True
            ):
                owner = (hit["_source"].get("customer") or {}).get("owner")
                if owner is None:
                    continue
                operations += [
                    {
                        "update": {
                            "_index": self.index,
                            "_id": hit["_id"],
                            "if_seq_no": hit["_seq_no"],
                            "if_primary_term": hit["_primary_term"],
                        }
                    },
                    {"doc": {"owner": owner}},
                ]
            for start in range(0, len(operations), 1000):
                response = client.bulk(operations=operations[start : start + 1000], refresh=True)
                failures = [
                    item["update"]
                    for item in response["items"]
                    if item["update"].get("error") and item["update"].get("status") != 409
                ]
                if failures:
                    raise StoreError(
                        f"{len(failures)} customers of {self.index} did not get their owner field",
                        details={"index": self.index, "failures": failures[:20]},
                    )
            client.indices.put_mapping(index=self.index, meta={**meta, "owner_field": True})  # done

    # --- writes ----------------------------------------------------------------------------------
    def upsert(self, items: Sequence[CustomerRecord | Customer]) -> CustomerUpsertResult:
        records = _as_records(items)
        if not records:
            return CustomerUpsertResult()
        counts = upsert_fingerprinted(
            self, self.index, "customers", {r.id: r for r in records}, CustomerRecord.fingerprint, self._doc
        )
        return CustomerUpsertResult(**counts.model_dump())

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
            "owner": customer.owner,
            **record.keys(),
            "fingerprint": fingerprint,
            "customer": customer.model_dump(mode="json", exclude={"id"}),
            "orders": list(record.order_numbers),
        }

    def record_feedback(
        self,
        author_key: str,
        customer_id: str,
        verdict: str,
        mention_id: str | None = None,
        *,
        by: str | None = None,
    ) -> None:
        """Store a verdict now (replacing the pair's); `by`: who gave it."""
        stored = _verdict_now(author_key, customer_id, verdict, mention_id, by)
        client = self._ensure()
        with translated("record link feedback"):
            client.index(
                index=self.feedback_index,
                id=self._pair_id(author_key, customer_id),
                document={**stored.model_dump(), WORKSPACE_FIELD: self._workspace},
                refresh=True,
            )

    # --- reads -----------------------------------------------------------------------------------
    def _by_key(self, field: str, value: str) -> list[Customer]:
        if not value:
            return []
        client = self._ensure()
        with translated(f"look customers up by {field}"):
            response = client.search(
                index=self.index,
                query=self._scoped({"term": {field: value}}),
                sort=[{"code": "asc"}],
                size=self.max_matches,
                source_includes=["customer"],
            )
        return [Customer.model_validate(hit["_source"]["customer"]) for hit in response["hits"]["hits"]]

    def _source(self, customer_id: str) -> dict[str, Any] | None:
        client = self._ensure()
        with translated("get a customer"):
            response = client.options(ignore_status=404).get(
                index=self.index, id=scoped_doc_id(self._workspace, customer_id)
            )
        if not response.get("found") or response["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None
        source: dict[str, Any] = response["_source"]
        return source

    def get(self, customer_id: str) -> Customer | None:
        source = self._source(customer_id)
        return Customer.model_validate(source["customer"]) if source else None

    def by_owner(self, owner: str) -> list[Customer]:
        """The customers whose account owner is `owner`, by code (the ``owner`` keyword field)."""
        client = self._ensure()
        found: list[Customer] = []
        after: list[Any] | None = None
        while True:
            with translated("list customers by owner"):
                page = client.search(
                    index=self.index,
                    query=self._scoped({"term": {"owner": owner}}),
                    sort=[{"code": "asc"}],
                    size=1000,
                    search_after=after,
                    source_includes=["customer"],
                )["hits"]["hits"]
            found += [Customer.model_validate(hit["_source"]["customer"]) for hit in page]
            if len(page) < 1000:
                return found
            after = page[-1]["sort"]

    def order_numbers(self, customer_id: str) -> tuple[str, ...]:
        source = self._source(customer_id)
        return tuple(source.get("orders", ())) if source else ()

    def iter_all(self, batch_size: int = 1000) -> Iterator[Customer]:
        """Every customer of the workspace by code, paged with search_after on the code."""
        client = self._ensure()
        after: list[Any] | None = None
        while True:
            params: dict[str, Any] = {"search_after": after} if after is not None else {}
            with translated("list customers"):
                hits = client.search(
                    index=self.index,
                    query=self._scoped(),
                    sort=[{"code": "asc"}],
                    size=batch_size,
                    source_includes=["customer"],
                    **params,
                )["hits"]["hits"]
            yield from (Customer.model_validate(hit["_source"]["customer"]) for hit in hits)
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]

    def count(self) -> int:
        client = self._ensure()
        with translated("count customers"):
            return int(client.count(index=self.index, query=self._scoped())["count"])

    def find(self, query: DirectoryQuery) -> CustomerMatches:
        """A page of the customers matching `query`, by code, and how many match in all."""
        clauses: list[dict[str, Any]] = []
        if text := (query.text or "").strip():
            pattern = "*" + "".join("\\" + c if c in "*?\\" else c for c in text) + "*"
            either: list[dict[str, Any]] = [
                {"wildcard": {field: {"value": pattern, "case_insensitive": True}}}
                for field in ("name.raw", "code")
            ]
            either += [{"term": {field: value}} for field, value in query.text_keys().items()]
            clauses.append({"bool": {"should": either, "minimum_should_match": 1}})
        if query.tiers:
            clauses.append({"terms": {"tier": [tier.value for tier in query.tiers]}})
        if query.owner is not None:
            clauses.append({"term": {"owner": query.owner}})
        if query.ids is not None:
            clauses.append({"terms": {"id": list(query.ids)}})
        client = self._ensure()
        with translated("search customers"):
            response = client.search(
                index=self.index,
                query=self._scoped(*clauses),
                sort=[{"code": "asc"}],
                from_=query.offset,
                size=query.limit,
                track_total_hits=True,
                source_includes=["customer"],
            )
        hits = response["hits"]
        return CustomerMatches(
            customers=tuple(Customer.model_validate(hit["_source"]["customer"]) for hit in hits["hits"]),
            total=int(hits["total"]["value"]),
        )

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        if not author_keys:
            return {}
        client = self._ensure()
        with translated("read link feedback"):
            response = client.search(
                index=self.feedback_index,
                query=self._scoped({"terms": {"author_key": list(author_keys)}}),
                sort=[{"at_us": "asc"}],
                size=1000,
            )
        out: dict[str, str] = {}
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            out.pop(source["customer_id"], None)
            out[source["customer_id"]] = source["verdict"]
        return out

    # --- identity (crm/identity: merge and unmerge) ---------------------------------------------
    def _all(self, index: str, query: dict[str, Any], sort: list[Any], action: str) -> list[dict[str, Any]]:
        """Every matching source, paged with search_after."""
        client = self._ensure()
        sources: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            with translated(action):
                response = client.search(index=index, query=query, sort=sort, size=1000, search_after=after)
            hits = response["hits"]["hits"]
            sources += [hit["_source"] for hit in hits]
            if len(hits) < 1000:
                return sources
            after = hits[-1]["sort"]

    def records(self) -> list[CustomerRecord]:
        """Every customer of the workspace with its order numbers, by code."""
        sources = self._all(self.index, self._scoped(), [{"code": "asc"}, {"id": "asc"}], "list customers")
        return [
            CustomerRecord(
                customer=Customer.model_validate(source["customer"]),
                order_numbers=tuple(source.get("orders", ())),
            )
            for source in sources
        ]

    def delete(self, customer_ids: Sequence[str]) -> int:
        """Remove customers and their keys (not their verdicts); how many existed."""
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return 0
        client = self._ensure()
        operations = [
            {"delete": {"_index": self.index, "_id": scoped_doc_id(self._workspace, i)}} for i in ids
        ]
        with translated("delete customers"):
            response = client.bulk(operations=operations, refresh=True)
        return sum(1 for item in response["items"] if item["delete"].get("result") == "deleted")

    def _pair_id(self, author_key: str, customer_id: str) -> str:
        pair = hashlib.blake2b(f"{author_key}\x1f{customer_id}".encode(), digest_size=16).hexdigest()
        return scoped_doc_id(self._workspace, pair)

    def feedback_of(self, customer_id: str) -> list[LinkVerdict]:
        """Every verdict about this customer, oldest first."""
        sources = self._all(
            self.feedback_index,
            self._scoped({"term": {"customer_id": customer_id}}),
            [{"at_us": "asc"}, {"author_key": "asc"}],
            "read a customer's link feedback",
        )
        return [
            LinkVerdict.model_validate({k: v for k, v in source.items() if k != WORKSPACE_FIELD})
            for source in sources
        ]

    def put_feedback(self, verdicts: Sequence[LinkVerdict]) -> None:
        """Store verdicts as given, time included (each replaces its pair's)."""
        for verdict in verdicts:
            _check_verdict(verdict.verdict)
        if not verdicts:
            return
        client = self._ensure()
        operations: list[dict[str, Any]] = []
        for v in verdicts:
            operations += [
                {"index": {"_index": self.feedback_index, "_id": self._pair_id(v.author_key, v.customer_id)}},
                {**v.model_dump(), WORKSPACE_FIELD: self._workspace},
            ]
        with translated("restore link feedback"):
            response = client.bulk(operations=operations, refresh=True)
        if response.get("errors"):
            failures = [item["index"] for item in response["items"] if item["index"].get("error")]
            raise PartialWriteError(f"{len(failures)} verdicts were not restored", failures=failures)

    def delete_feedback(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Remove the verdicts of these (author key, customer id) pairs; how many existed."""
        if not pairs:
            return 0
        client = self._ensure()
        operations = [
            {"delete": {"_index": self.feedback_index, "_id": self._pair_id(key, cid)}} for key, cid in pairs
        ]
        with translated("delete link feedback"):
            response = client.bulk(operations=operations, refresh=True)
        return sum(1 for item in response["items"] if item["delete"].get("result") == "deleted")


CustomerStore = SQLiteCustomerDirectory | ElasticsearchCustomerDirectory


def find_customer(directory: CustomerStore, code_or_id: str) -> Customer:
    """The customer by id or code (what people type and what links carry); NotFound otherwise."""
    found = directory.get(code_or_id) or (directory.by_code(code_or_id) if code_or_id.strip() else None)
    if found is None:
        raise NotFound(
            f"no customer {code_or_id!r} in workspace {directory.workspace!r}",
            details={"customer": code_or_id, "workspace": directory.workspace},
        )
    return found


def build_customer_directory(settings: Settings, *, workspace: str) -> CustomerStore:
    """The workspace's directory next to the configured mention store: the same SQLite file, or the
    same cluster and index prefix. Nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchCustomerDirectory(settings, workspace=workspace)
    return SQLiteCustomerDirectory.from_settings(settings, workspace=workspace)
