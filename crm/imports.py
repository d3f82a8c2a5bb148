"""Importing orders and interactions from CSV or XLSX (crm/tabular.py), and telling a file's kind from
its header. Customers (the master file): crm/master_file.py.

Bad rows are reported with file and line (`orders.csv:7`, the sheet row for XLSX) and skipped; the valid
rows are imported. An order row is rejected for an unknown customer code, a malformed date, a date in
the future, a negative or missing amount, or an order id given earlier in the file with other values
(the later row is rejected, and the reason names both lines; an identical repeat is ignored).
Interactions are rejected for an unknown customer, a malformed or future time, an unknown channel, a
negative cost or discount, or an id repeated with other values.

Transactions: rows are parsed while the store writes them, and the store's `upsert` is one transaction
on SQLite: an import that fails half way (a crash, a store error, an exception from `on_row`) leaves
none of its rows behind. On Elasticsearch a bulk write is not transactional; an interrupted import is
resumed by running it again: rows are keyed by order id (interaction id), so the rows already written
count as ``unchanged`` and the rest are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import InvalidInput, validation_reason
from core.models import Customer, utcnow
from crm.customers import CustomerRecord, CustomerUpsertResult
from crm.interactions import Interaction, parse_channel
from crm.master_file import COLUMNS as CUSTOMER_COLUMNS
from crm.master_file import HEADER_ALIASES as CUSTOMER_ALIASES
from crm.master_file import REQUIRED as CUSTOMER_REQUIRED
from crm.master_file import with_order_numbers
from crm.orders import Order
from crm.record_store import UpsertCounts
from crm.tabular import (
    ImportReport,
    Row,
    header_key,
    parse_decimal,
    parse_when,
    read_header,
    read_rows,
    rejected,
    split_list,
)

Kind = Literal["customers", "orders", "interactions"]
R = TypeVar("R", bound=BaseModel)
W = TypeVar("W", bound=BaseModel, contravariant=True)

ORDER_COLUMNS = ("customer_code", "order_id", "ordered_at", "amount", "currency", "products", "channel")
ORDER_REQUIRED = ("customer_code", "order_id", "ordered_at", "amount")
ORDER_ALIASES: dict[str, str] = {
    **{label: "customer_code" for label in ("客户编码", "客户代码", "客户编号", "code", "customer")},
    **{label: "order_id" for label in ("订单号", "订单编号", "order", "order_no", "order_number")},
    **{label: "ordered_at" for label in ("下单日期", "下单时间", "订单日期", "日期", "date", "order_date")},
    **{label: "amount" for label in ("金额", "订单金额", "实付金额", "total")},
    **{label: "currency" for label in ("币种", "货币")},
    **{label: "products" for label in ("商品", "产品", "product")},
    **{label: "channel" for label in ("渠道", "销售渠道", "source")},
}
INTERACTION_COLUMNS = (
    "id",
    "customer_code",
    "at",
    "where",
    "channel",
    "staff",
    "cost",
    "discount",
    "currency",
    "service",
    "outcome",
    "notes",
)
INTERACTION_REQUIRED = ("customer_code", "at", "channel")
INTERACTION_ALIASES: dict[str, str] = {
    **{label: "id" for label in ("编号", "互动编号", "interaction_id")},
    **{label: "customer_code" for label in ("客户编码", "客户代码", "客户编号", "code", "customer")},
    **{label: "at" for label in ("时间", "日期", "联系时间", "date", "time", "when")},
    **{label: "where" for label in ("地点", "place", "location")},
    **{label: "channel" for label in ("方式", "渠道", "联系方式", "how")},
    **{label: "staff" for label in ("员工", "经办人", "联系人员", "who")},
    **{label: "cost" for label in ("费用", "成本")},
    **{label: "discount" for label in ("折扣", "优惠")},
    **{label: "currency" for label in ("币种", "货币")},
    **{label: "service" for label in ("服务", "提供服务")},
    **{label: "outcome" for label in ("结果", "成效", "result")},
    **{label: "notes" for label in ("备注", "说明", "note")},
}
# kind -> (aliases, columns, required)
TABLES: dict[Kind, tuple[Mapping[str, str], Sequence[str], Sequence[str]]] = {
    "customers": (CUSTOMER_ALIASES, CUSTOMER_COLUMNS, CUSTOMER_REQUIRED),
    "orders": (ORDER_ALIASES, ORDER_COLUMNS, ORDER_REQUIRED),
    "interactions": (INTERACTION_ALIASES, INTERACTION_COLUMNS, INTERACTION_REQUIRED),
}


class CustomerLookup(Protocol):
    """What imports need of the customer directory (crm/customers.py's stores provide it)."""

    def ensure_ready(self) -> None: ...

    def by_code(self, code: str) -> Customer | None: ...

    def order_numbers(self, customer_id: str) -> tuple[str, ...]: ...

    def upsert(self, items: Sequence[CustomerRecord]) -> CustomerUpsertResult: ...


class _Writing(Protocol[W]):
    def upsert(self, items: Iterable[W], /) -> UpsertCounts: ...


OnRow = Callable[[Row], None]


def guess_kind(path: Path | str) -> Kind:
    """The one kind whose columns the header names completely (every label known, the required ones
    present); InvalidInput when none or several fit."""
    labels = read_header(path)
    fits: list[Kind] = []
    for kind, (aliases, columns, required) in TABLES.items():
        names = {aliases.get(header_key(label), header_key(label)) for label in labels}
        if names <= set(columns) and set(required) <= names:
            fits.append(kind)
    if len(fits) != 1:
        what = "matches no kind" if not fits else f"fits {' and '.join(fits)}"
        raise InvalidInput(
            f"{Path(path).name}: the header {what}; say --kind customers|orders|interactions "
            "(columns: docs/customers.md)",
            details={"path": str(path), "header": labels},
        )
    return fits[0]


@dataclass
class _Codes:
    """Customer codes looked up once per import."""

    directory: CustomerLookup
    found: dict[str, Customer | None]

    def get(self, code: str) -> Customer:
        if code not in self.found:
            self.found[code] = self.directory.by_code(code)
        customer = self.found[code]
        if customer is None:
            raise ValueError(f"unknown customer code {code!r}")
        return customer


def _run(
    path: Path | str,
    kind: Kind,
    parse: Callable[[Row], R],
    key: Callable[[R], str],
    store: _Writing[R],
    customers: CustomerLookup,
    on_row: OnRow | None,
) -> tuple[ImportReport, list[R]]:
    """Parse the file's rows and upsert the valid ones, in one `upsert` (see the module doc)."""
    aliases, columns, required = TABLES[kind]
    rows = read_rows(path, aliases=aliases, columns=columns, required=required)
    # opened before the store's write transaction: opening a SQLite directory writes (its schema
    # check), which would wait on that very transaction in the same file
    customers.ensure_ready()
    report = ImportReport()
    accepted: list[R] = []
    seen: dict[str, tuple[int, R]] = {}

    def valid() -> Iterator[R]:
        for row in rows:
            if on_row is not None:
                on_row(row)
            try:
                if row.error:
                    raise ValueError(row.error)
                record = parse(row)
            except (ValueError, ValidationError) as exc:
                reason = (
                    validation_reason(exc, subject="row") if isinstance(exc, ValidationError) else str(exc)
                )
                report.rejected.append(rejected(kind, row, reason))
                continue
            first = seen.get(key(record))
            if first is not None:
                if first[1] != record:
                    report.rejected.append(
                        rejected(kind, row, _conflict(key(record), first, row.line, record))
                    )
                continue  # an identical repeat changes nothing
            seen[key(record)] = (row.line, record)
            accepted.append(record)
            yield record

    report.add(store.upsert(valid()))
    return report, accepted


def _conflict(record_key: str, first: tuple[int, BaseModel], line: int, record: BaseModel) -> str:
    before, now = first[1].model_dump(), record.model_dump()
    differ = [name for name in now if now[name] != before[name]]
    if "amount" in differ:
        return (
            f"order id {record_key!r} twice with different amounts: line {first[0]} has {before['amount']}, "
            f"line {line} has {now['amount']} (line {first[0]} kept)"
        )
    return (
        f"id {record_key!r} already at line {first[0]} with other {', '.join(differ)} (line {first[0]} kept)"
    )


def import_orders(
    path: Path | str,
    store: _Writing[Order],
    customers: CustomerLookup,
    *,
    now: datetime | None = None,
    tz: tzinfo = UTC,
    default_currency: str = "CNY",
    on_row: OnRow | None = None,
    learn_order_numbers: bool = True,
) -> ImportReport:
    """Import order lines, idempotent by order id. Times without an offset are in `tz`; a row without a
    currency is in `default_currency`. `on_row` is called with every row before it is parsed.

    With `learn_order_numbers`, each customer's directory record then gets the ids of their orders as
    order numbers, so that a mention quoting an order id links to its customer (after the orders are
    stored: an interruption there is repaired by importing the file again)."""
    now = now or utcnow()
    codes = _Codes(customers, {})

    def parse(row: Row) -> Order:
        customer = codes.get(row.get("customer_code"))
        ordered_at = parse_when("ordered_at", row.get("ordered_at"), tz)
        if ordered_at > now:
            raise ValueError(f"ordered_at {row.get('ordered_at')!r} is in the future")
        amount = parse_decimal("amount", row.get("amount"))
        if amount is None:
            raise ValueError("amount is empty")
        if amount < 0:
            raise ValueError(f"amount {row.get('amount')!r} is negative")
        if not row.get("order_id"):
            raise ValueError("order_id is empty")
        return Order(
            order_id=row.get("order_id"),
            customer_id=customer.id,
            customer_code=customer.code,
            ordered_at=ordered_at,
            amount=amount,
            currency=row.get("currency") or default_currency,
            products=tuple(split_list(row.get("products"))),
            channel=row.get("channel") or None,
        )

    report, orders = _run(path, "orders", parse, lambda o: o.order_id, store, customers, on_row)
    if learn_order_numbers and orders:
        by_customer: dict[str, list[str]] = {}
        for order in orders:
            by_customer.setdefault(order.customer_id, []).append(order.order_id)
        learned = []
        for customer_id, ids in by_customer.items():
            customer = next(c for c in codes.found.values() if c is not None and c.id == customer_id)
            record = CustomerRecord(customer=customer, order_numbers=customers.order_numbers(customer_id))
            if (updated := with_order_numbers(record, ids)) is not record:
                learned.append(updated)
        if learned:
            customers.upsert(learned)
    return report


def import_interactions(
    path: Path | str,
    store: _Writing[Interaction],
    customers: CustomerLookup,
    *,
    now: datetime | None = None,
    tz: tzinfo = UTC,
    on_row: OnRow | None = None,
) -> ImportReport:
    """Import interactions, idempotent by id (the `id` column, else derived: `Interaction.new`)."""
    now = now or utcnow()
    codes = _Codes(customers, {})

    def parse(row: Row) -> Interaction:
        customer = codes.get(row.get("customer_code"))
        at = parse_when("at", row.get("at"), tz)
        if at > now:
            raise ValueError(f"at {row.get('at')!r} is in the future")
        amounts = {name: parse_decimal(name, row.get(name)) for name in ("cost", "discount")}
        for name, value in amounts.items():
            if value is not None and value < 0:
                raise ValueError(f"{name} {row.get(name)!r} is negative")
        text = {name: row.get(name) or None for name in ("where", "staff", "service", "outcome", "notes")}
        return Interaction.new(
            id=row.get("id") or None,
            customer_id=customer.id,
            at=at,
            channel=parse_channel(row.get("channel")),
            currency=row.get("currency") or None,
            **amounts,
            **text,
        )

    report, _ = _run(path, "interactions", parse, lambda i: i.id, store, customers, on_row)
    return report
