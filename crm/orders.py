"""Orders, the master file's consumption record: what a customer bought, when, for how much.

`Order` is one order line as the shop system exports it (one row per order id); `OrderStore` keeps them
per workspace on SQLite (table ``crm_orders``) or Elasticsearch (``<prefix>-orders``), idempotent by
order id (crm/record_store.py says how each backend writes). Imports: crm/imports.py.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from pydantic import AwareDatetime, Field, field_validator

from core.models import Frozen
from core.settings import Settings
from crm.record_store import ElasticsearchRecords, RecordKind, SQLiteRecords, UpsertCounts

CURRENCY_ALIASES = {
    "RMB": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "￥": "CNY",
    "¥": "CNY",
    "$": "USD",
    "€": "EUR",
}


class Order(Frozen):
    """One order of one customer."""

    order_id: str = Field(min_length=1, description="The shop system's order id; the import key")
    customer_id: str = Field(min_length=1)
    customer_code: str = Field(min_length=1)
    ordered_at: AwareDatetime
    amount: Decimal = Field(ge=0, description="What the customer paid, in `currency`")
    currency: str = Field(min_length=1, max_length=8, description="ISO 4217 code: CNY, EUR...")
    products: tuple[str, ...] = ()
    channel: str | None = Field(None, description="Where it was bought: shop, tmall, jd, wechat...")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip()
        return CURRENCY_ALIASES.get(code, CURRENCY_ALIASES.get(code.upper(), code.upper()))


class OrderStore(Protocol):
    """One workspace's orders."""

    @property
    def workspace(self) -> str: ...

    def upsert(self, orders: Iterable[Order]) -> UpsertCounts: ...

    def get(self, order_id: str) -> Order | None: ...

    def list(
        self,
        customer_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[Order]: ...

    def iter_all(self, batch_size: int = 1000) -> Iterator[Order]: ...

    def count(self, customer_id: str | None = None) -> int: ...

    def order_ids_by_customer(self) -> dict[str, builtins.list[str]]: ...

    def close(self) -> None: ...


def _es_fields(order: Order) -> dict[str, Any]:
    return {"customer_code": order.customer_code, "currency": order.currency, "channel": order.channel}


ORDERS: RecordKind[Order] = RecordKind(
    model=Order,
    table="crm_orders",
    index_suffix="orders",
    key=lambda o: o.order_id,
    customer=lambda o: o.customer_id,
    at=lambda o: o.ordered_at,
    es_fields=_es_fields,
    es_mappings={
        name: {"type": "keyword", "ignore_above": 512} for name in ("customer_code", "currency", "channel")
    },
)


class _OrderIds:
    """Mixed in after the record store, whose `iter_all` this stub stands for."""

    def iter_all(self, batch_size: int = 1000) -> Iterator[Order]:
        raise NotImplementedError

    def order_ids_by_customer(self) -> dict[str, builtins.list[str]]:
        """customer id -> their order ids, oldest order first (what linking learns from orders)."""
        out: dict[str, builtins.list[tuple[datetime, str]]] = {}
        for order in self.iter_all():
            out.setdefault(order.customer_id, []).append((order.ordered_at, order.order_id))
        return {customer: [oid for _, oid in sorted(pairs)] for customer, pairs in out.items()}


class SQLiteOrderStore(SQLiteRecords[Order], _OrderIds):
    kind: ClassVar[RecordKind[Any]] = ORDERS


class ElasticsearchOrderStore(ElasticsearchRecords[Order], _OrderIds):
    kind: ClassVar[RecordKind[Any]] = ORDERS


def build_order_store(settings: Settings, *, workspace: str) -> SQLiteOrderStore | ElasticsearchOrderStore:
    """The workspace's orders next to the configured mention store; nothing is opened before first use."""
    if settings.store.backend == "elasticsearch":
        return ElasticsearchOrderStore(settings, workspace=workspace)
    return SQLiteOrderStore(settings, workspace=workspace)
