"""Imports of customers (the master file's new columns, Chinese headers, XLSX), orders and interactions,
on both store backends: bad rows reported with file and line, valid rows imported, idempotent, and
nothing half-imported when an import fails half way."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE
from crm.customers import _LATER_FIELDS, CustomerRecord, build_customer_directory
from crm.imports import guess_kind, import_interactions, import_orders
from crm.interactions import InteractionChannel, build_interaction_store, interaction_id
from crm.master_file import import_master_file, read_master_file
from crm.orders import build_order_store
from crm.tabular import Row
from crm.testing import ANA, BO
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class Stores:
    directory: Any
    orders: Any
    interactions: Any


@pytest.fixture(
    params=[pytest.param(name, marks=CUSTOMER_BACKENDS[name].marks) for name in sorted(CUSTOMER_BACKENDS)]
)
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    """A fresh backend's directory (holding Ana C001 and Bo C002), order and interaction stores."""
    settings = CUSTOMER_BACKENDS[request.param].settings(request)
    with (
        build_customer_directory(settings, workspace=DEFAULT_WORKSPACE) as directory,
        build_order_store(settings, workspace=DEFAULT_WORKSPACE) as orders,
        build_interaction_store(settings, workspace=DEFAULT_WORKSPACE) as interactions,
    ):
        directory.upsert(
            [CustomerRecord(customer=ANA, order_numbers=("#A12345",)), CustomerRecord(customer=BO)]
        )
        yield Stores(directory, orders, interactions)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ORDERS = """customer_code,order_id,ordered_at,amount,currency,products,channel
C001,A1,2026-02-01,100.50,CNY,tea;cups,tmall
C002,A2,2026/2/3 14:30,"1,200",RMB,,jd
C999,A3,2026-02-01,10,,,
C001,A4,2026-02-01,-5,,,
C001,A5,2099-01-01,5,,,
C001,A6,2026-13-45,5,,,
C001,A1,2026-02-01,120.50,CNY,tea;cups,tmall
C001,A1,2026-02-01,100.50,CNY,tea;cups,tmall
C001,A7,2026-02-05,abc,,,
C002,A8,2026-02-06T09:00+08:00,0,USD,gift card,
"""


def test_orders_import_reports_bad_rows_and_imports_the_rest(stores: Stores, tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", ORDERS)
    report = import_orders(path, stores.orders, stores.directory, now=NOW)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    reasons = {r.locator: r.reason for r in report.rejected}
    assert list(reasons) == [f"orders.csv:{n}" for n in (4, 5, 6, 7, 8, 10)]
    assert reasons["orders.csv:4"] == "unknown customer code 'C999'"
    assert "negative" in reasons["orders.csv:5"]
    assert "in the future" in reasons["orders.csv:6"]
    assert "not a date" in reasons["orders.csv:7"]
    assert reasons["orders.csv:8"] == (
        "order id 'A1' twice with different amounts: line 2 has 100.50, line 8 has 120.50 (line 2 kept)"
    )
    assert "not a number" in reasons["orders.csv:10"]
    assert all(r.source == "orders" and r.raw for r in report.rejected)

    a1, a2, a8 = (stores.orders.get(oid) for oid in ("A1", "A2", "A8"))
    assert (a1.customer_id, a1.amount, a1.products, a1.channel) == (
        ANA.id,
        Decimal("100.50"),
        ("tea", "cups"),
        "tmall",
    )
    assert (a2.customer_code, a2.amount, a2.currency) == ("C002", Decimal("1200"), "CNY")
    assert a2.ordered_at == datetime(2026, 2, 3, 14, 30, tzinfo=UTC)
    assert a8.ordered_at.utcoffset() == timedelta(hours=8)
    # linking learns the order ids: a mention quoting "order A1" finds Ana
    assert stores.directory.order_numbers(ANA.id) == ("#A12345", "A1")
    assert [c.code for c in stores.directory.by_order_number("a1")] == ["C001"]

    again = import_orders(path, stores.orders, stores.directory, now=NOW)
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 3, 6)
    assert stores.orders.count() == 3
    assert stores.directory.order_numbers(ANA.id) == ("#A12345", "A1")


def test_a_master_file_reimport_keeps_the_learned_order_numbers(stores: Stores, tmp_path: Path) -> None:
    import_orders(write(tmp_path / "orders.csv", ORDERS), stores.orders, stores.directory, now=NOW)
    master = write(tmp_path / "customers.csv", "code,name,order_numbers\nC001,Ana Lima,#A12345\n")
    report = import_master_file(master, stores.directory, orders=stores.orders)
    assert report.imported == 1
    assert stores.directory.order_numbers(ANA.id) == ("#A12345", "A1")


def test_an_import_that_fails_half_way_leaves_nothing(stores: Stores, tmp_path: Path) -> None:
    """The exception comes while the store writes (rows are parsed as they are written): on SQLite the
    transaction rolls back; on Elasticsearch nothing was sent yet, and a rerun completes the import."""
    path = write(tmp_path / "orders.csv", ORDERS)

    def crash_at_line_8(row: Row) -> None:
        if row.line == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_orders(path, stores.orders, stores.directory, now=NOW, on_row=crash_at_line_8)
    assert stores.orders.count() == 0
    assert stores.directory.order_numbers(ANA.id) == ("#A12345",)
    report = import_orders(path, stores.orders, stores.directory, now=NOW)
    assert report.created == 3


def test_an_interrupted_import_resumes(stores: Stores, tmp_path: Path) -> None:
    lines = ORDERS.splitlines()
    first_half = write(tmp_path / "orders.csv", "\n".join(lines[:3]) + "\n")
    assert import_orders(first_half, stores.orders, stores.directory, now=NOW).created == 2
    report = import_orders(write(tmp_path / "orders.csv", ORDERS), stores.orders, stores.directory, now=NOW)
    assert (report.created, report.unchanged) == (1, 2)


def test_orders_from_xlsx_with_chinese_headers(stores: Stores, tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "订单.xlsx",
        [
            ["客户编码", "订单号", "下单日期", "金额", "币种", "商品", "渠道"],
            ["C001", "X1", datetime(2026, 2, 1, 10, 30), 99.9, "元", "茶叶；茶具", "天猫"],
            ["C002", 20260202, datetime(2026, 2, 2), 1500, None, None, None],
            [None, None, None, None, None, None, None],  # empty rows are skipped, not rejected
            ["C001", "X3", "昨天", 10, None, None, None],
        ],
    )
    report = import_orders(path, stores.orders, stores.directory, now=NOW, default_currency="EUR")
    assert report.created == 2
    assert [(r.locator, "not a date" in r.reason) for r in report.rejected] == [("订单.xlsx:5", True)]
    x1, numeric = stores.orders.get("X1"), stores.orders.get("20260202")
    assert (x1.amount, x1.currency, x1.products, x1.channel) == (
        Decimal("99.9"),
        "CNY",
        ("茶叶", "茶具"),
        "天猫",
    )
    assert x1.ordered_at == datetime(2026, 2, 1, 10, 30, tzinfo=UTC)
    assert (numeric.amount, numeric.currency) == (Decimal("1500"), "EUR")


INTERACTIONS = """客户编码,时间,方式,员工,地点,费用,折扣,币种,服务,结果,备注
C001,2026-02-10 15:00,电话,li.wei,,,,,,,asked about the late parcel
C001,2026-02-11 10:00,拜访,li.wei,客户办公室,200,50,CNY,installation,renewed,brought the catalogue
C002,2026-02-12,微信,zhang,,,,,,,
C002,2026-02-12,飞鸽,zhang,,,,,,,
C003,2026-02-12,电话,zhang,,,,,,,
C001,2099-02-12,电话,zhang,,,,,,,
C001,2026-02-13,门店,zhang,,-1,,,,,
C001,2026-02-10 15:00,电话,li.wei,,,,,,,asked about the late parcel
C001,2026-02-10 15:00,电话,li.wei,,,,,,,another note
"""


def test_interactions_import_with_chinese_headers(stores: Stores, tmp_path: Path) -> None:
    path = write(tmp_path / "interactions.csv", INTERACTIONS)
    report = import_interactions(path, stores.interactions, stores.directory, now=NOW)
    assert report.created == 3
    reasons = {r.locator: r.reason for r in report.rejected}
    assert list(reasons) == [f"interactions.csv:{n}" for n in (5, 6, 7, 8, 10)]
    assert "channel: '飞鸽'" in reasons["interactions.csv:5"]
    assert reasons["interactions.csv:6"] == "unknown customer code 'C003'"
    assert "in the future" in reasons["interactions.csv:7"]
    assert "cost" in reasons["interactions.csv:8"]
    assert "line 2" in reasons["interactions.csv:10"]
    assert "notes" in reasons["interactions.csv:10"]
    visits = stores.interactions.list(ANA.id)
    assert [i.channel for i in visits] == [InteractionChannel.visit, InteractionChannel.phone]
    visit = visits[0]
    assert (visit.where, visit.cost, visit.discount, visit.currency) == (
        "客户办公室",
        Decimal(200),
        Decimal(50),
        "CNY",
    )
    assert (visit.service, visit.outcome, visit.notes) == ("installation", "renewed", "brought the catalogue")
    assert visits[1].id == interaction_id(ANA.id, datetime(2026, 2, 10, 15, tzinfo=UTC), "phone", "li.wei")
    again = import_interactions(path, stores.interactions, stores.directory, now=NOW)
    assert (again.created, again.unchanged) == (0, 3)


def test_interactions_with_an_explicit_id_from_xlsx(stores: Stores, tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "contacts.xlsx",
        [
            ["id", "customer_code", "at", "channel", "staff", "notes"],
            ["crm-1", "C001", datetime(2026, 2, 1, 9), "QQ", "li.wei", "first"],
            ["crm-1", "C001", datetime(2026, 2, 1, 9), "QQ", "li.wei", "first"],
        ],
    )
    report = import_interactions(path, stores.interactions, stores.directory, now=NOW)
    assert (report.created, report.rejected) == (1, [])
    assert stores.interactions.get("crm-1").channel is InteractionChannel.qq


def test_master_file_new_columns_from_xlsx_with_chinese_headers(stores: Stores, tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "客户.xlsx",
        [
            [
                "客户编码",
                "客户名称",
                "客户等级",
                "地址",
                "邮编",
                "联系人",
                "开户银行",
                "银行账号",
                "合同编号",
                "生日",
                "其他日期",
                "对公司态度",
                "评价",
                "问题",
                "信用",
                "竞争对手",
                "潜力",
                "负责人",
            ],
            [
                "C010",
                "上海茶业有限公司",
                "gold",
                "南京路 1 号",
                "200001",
                "王芳|13800138000|wf@tea.cn|采购",
                "中国银行上海分行",
                "6222 0000 1234 5678",
                "HT-2026-001;HT-2026-014",
                datetime(1990, 4, 1),
                "成立日:2001-05-04",
                "友好",
                "满意",
                "交货慢",
                "良好",
                "也从竞争对手进货",
                "扩店需求",
                "li.wei",
            ],
            ["C011", "坏联系人", None, None, None, "张三|12|not-an-email"],
        ],
    )
    read = read_master_file(path)
    assert [(r.locator, "contact_persons" in r.reason) for r in read.rejected] == [("客户.xlsx:3", True)]
    customer = read.records[0].customer
    assert (customer.address, customer.postal_code, customer.bank) == (
        "南京路 1 号",
        "200001",
        "中国银行上海分行",
    )
    person = customer.contact_persons[0]
    assert (person.name, person.phone, person.email, person.role) == (
        "王芳",
        "13800138000",
        "wf@tea.cn",
        "采购",
    )
    assert customer.contract_numbers == ("HT-2026-001", "HT-2026-014")
    assert customer.birthday is not None
    assert customer.birthday.isoformat() == "1990-04-01"
    assert [(d.label, d.day.isoformat()) for d in customer.dates] == [("成立日", "2001-05-04")]
    assessment = customer.assessment
    assert (assessment.attitude, assessment.problems, assessment.competitors) == (
        "友好",
        "交货慢",
        "也从竞争对手进货",
    )
    assert customer.bank_account == "6222 0000 1234 5678"
    assert "6222" not in repr(customer)  # the account number stays out of reprs, and so out of logs

    report = import_master_file(path, stores.directory)
    assert (report.created, len(report.rejected)) == (1, 1)
    assert stores.directory.by_code("c010") == customer
    assert import_master_file(path, stores.directory).unchanged == 1


def test_english_header_variants_and_the_old_columns_still_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "Customer Code,Customer Name,Postal Code,E-mail,consent_profiling\nC1,Ana,1100-048,a@b.pt,是\n",
    )
    record = read_master_file(path).records[0]
    assert (record.customer.code, record.customer.postal_code, record.customer.consent.profiling) == (
        "C1",
        "1100-048",
        True,
    )


def test_the_kind_of_a_file_is_told_by_its_header(tmp_path: Path) -> None:
    assert guess_kind(write(tmp_path / "a.csv", "code,name,emails\n")) == "customers"
    assert guess_kind(write(tmp_path / "b.csv", "客户编码,客户名称\n")) == "customers"
    assert guess_kind(write(tmp_path / "c.csv", ORDERS)) == "orders"
    assert guess_kind(write(tmp_path / "d.csv", INTERACTIONS)) == "interactions"
    assert guess_kind(xlsx(tmp_path / "e.xlsx", [["客户编码", "订单号", "日期", "金额"]])) == "orders"
    with pytest.raises(InvalidInput, match="matches no kind"):
        guess_kind(write(tmp_path / "f.csv", "code,colour\n"))
    with pytest.raises(InvalidInput, match="header"):
        guess_kind(write(tmp_path / "g.csv", ""))
    with pytest.raises(InvalidInput, match="XLSX"):
        guess_kind(write(tmp_path / "h.xlsx", "not a workbook"))


def test_customers_stored_before_the_new_columns_keep_their_fingerprint() -> None:
    """Re-importing an unchanged master file after an upgrade still finds every customer unchanged."""
    record = CustomerRecord(customer=ANA, order_numbers=("#A1",))
    before = ANA.model_dump(mode="json", exclude={"id", *_LATER_FIELDS})  # the dump as it was
    body = json.dumps({"customer": before, "orders": ("#A1",)}, sort_keys=True, ensure_ascii=False)
    assert record.fingerprint() == hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()
    with_address = CustomerRecord(
        customer=ANA.model_copy(update={"postal_code": "1100"}), order_numbers=("#A1",)
    )
    assert with_address.fingerprint() != record.fingerprint()


def test_a_rejected_row_never_shows_the_account_number(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "code,name,tier,bank_account\nC1,Ana,diamond,6222 0000 1234 5678\n")
    (bad,) = read_master_file(path).rejected
    assert "1234" not in (bad.raw or "") + bad.reason
    assert "****5678" in (bad.raw or "")
