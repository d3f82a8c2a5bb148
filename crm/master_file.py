"""Read a customer master file (CSV or XLSX, crm/tabular.py) into CustomerRecords; bad rows are
reported, valid rows imported.

Columns (header row required, UTF-8 with or without BOM; order free; `code` and `name` required, the
others optional; an unknown column fails the whole file, since a misspelt column would lose data).
Every column also has Chinese headers (`HEADER_ALIASES`; docs/customers.md lists them):

| column             | example                           | meaning                                          |
|--------------------|-----------------------------------|--------------------------------------------------|
| code               | C001                              | unique customer code; the import key             |
| name               | Ana Lima                          | full name (scored against display names)         |
| tier               | gold                              | platinum, gold, silver, bronze, standard (empty) |
| category           | consumer                          | free text                                        |
| industry           | retail                            | free text                                        |
| emails             | ana@example.com;ana@work.example  | `;`-separated                                    |
| phones             | +86 138 0013 8000                 | `;`-separated; compared by digits                |
| handles            | twitter:@analima;demo:ana_l       | `platform:handle;...`                            |
| user_ids           | twitter:12345;demo:u1             | `platform:id;...` (the platform's stable user id)|
| birthday           | 1990-04-01                        | ISO date                                         |
| anniversary        | 2019-06-15                        | ISO date: first purchase, wedding...             |
| contract_renewal   | 2027-01-31                        | ISO date the contract is up for renewal          |
| owner              | li.wei                            | the staff member who owns the account            |
| consent_marketing  | yes                               | yes/no, true/false, 1/0, y/n; empty = no         |
| consent_profiling  | yes                               | the same; without it the customer is never linked|
| city               | Lisbon                            | matched against the author's location            |
| country            | PT                                | matched against the author's location            |
| order_numbers      | #A12345;7654321                   | `;`-separated; order numbers quoted in mentions  |
| address            | 1 Rua Augusta, Lisboa             | postal address                                   |
| postal_code        | 1100-048                          |                                                  |
| contact_persons    | Li Wei|+86 138 0013 8000|li@x.cn   | `name|phone|email|role;...`, only name required  |
| bank               | Bank of China Shanghai            | the customer's bank                              |
| bank_account       | 6222 0000 1234 5678               | sensitive: never logged, shown masked            |
| contract_numbers   | HT-2026-001;HT-2026-014           | `;`-separated                                    |
| dates              | founded:2001-05-04                | `label:YYYY-MM-DD;...` other dates to remember   |
| attitude ... potential | loyal, price-sensitive        | the assessment: attitude, evaluation, problems,  |
|                    |                                   | credit, competitors, potential (free text)       |

Line numbers are an editor's: the header is line 1 and a quoted multi-line record is located by the line
it starts on. A code given twice: the first row is kept, the second rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from core.customer_keys import MASTER_FILE_COLUMNS, MASTER_FILE_REQUIRED
from core.errors import validation_reason
from core.models import (
    Assessment,
    Consent,
    Contact,
    ContactPerson,
    Customer,
    CustomerDate,
    Handle,
    Rejected,
    mask_account,
)
from crm.customers import CustomerRecord, CustomerUpsertResult
from crm.tabular import ImportReport, Row, parse_bool, parse_date, read_rows, rejected, split_list

SOURCE = "customers"
ASSESSMENT_COLUMNS = ("attitude", "evaluation", "problems", "credit", "competitors", "potential")
# The master file's columns beyond the ones the demo writes (core.customer_keys.MASTER_FILE_COLUMNS).
EXTRA_COLUMNS = (
    "address",
    "postal_code",
    "contact_persons",
    "bank",
    "bank_account",
    "contract_numbers",
    "dates",
    *ASSESSMENT_COLUMNS,
)
COLUMNS = (*MASTER_FILE_COLUMNS, *EXTRA_COLUMNS)
REQUIRED = MASTER_FILE_REQUIRED
# header label (as `crm.tabular.header_key` makes it) -> column; every column also answers to its name
HEADER_ALIASES: dict[str, str] = {
    **{label: "code" for label in ("客户编码", "客户代码", "客户编号", "customer_code")},
    **{label: "name" for label in ("客户名称", "名称", "姓名", "customer_name")},
    **{label: "tier" for label in ("客户等级", "等级", "客户等级代码", "tier_code")},
    **{label: "category" for label in ("客户类别", "类别", "客户类别代码", "category_code")},
    **{label: "industry" for label in ("行业", "行业代码", "industry_code")},
    **{label: "emails" for label in ("电子邮件", "邮箱", "电子邮箱", "email", "e_mail")},
    **{label: "phones" for label in ("电话", "联系电话", "phone")},
    "社交账号": "handles",
    "平台用户id": "user_ids",
    "生日": "birthday",
    "纪念日": "anniversary",
    **{label: "contract_renewal" for label in ("合同续签日", "续约日期")},
    **{label: "owner" for label in ("负责人", "客户经理", "account_owner")},
    "营销同意": "consent_marketing",
    "画像同意": "consent_profiling",
    "城市": "city",
    "国家": "country",
    "订单号": "order_numbers",
    "地址": "address",
    **{label: "postal_code" for label in ("邮政编码", "邮编", "zip")},
    **{label: "contact_persons" for label in ("联系人", "contacts")},
    **{label: "bank" for label in ("开户银行", "开户行")},
    **{label: "bank_account" for label in ("银行账号", "账号")},
    **{label: "contract_numbers" for label in ("合同编号", "合同号")},
    "其他日期": "dates",
    **{label: "attitude" for label in ("对公司态度", "态度")},
    **{label: "evaluation" for label in ("评价", "对公司评价")},
    **{label: "problems" for label in ("问题", "存在问题")},
    **{label: "credit" for label in ("信用", "信用状况")},
    **{label: "competitors" for label in ("竞争对手", "与竞争对手往来")},
    **{label: "potential" for label in ("潜力", "需求与潜力")},
}


@dataclass
class MasterFile:
    records: list[CustomerRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def read_master_file(path: Path | str, *, refused: Mapping[str, str] | None = None) -> MasterFile:
    """Every valid row as a CustomerRecord, every bad one as a Rejected with `file.csv:LINE`. A row of
    a customer id in `refused` is rejected with its reason (the absorbed customers of active merges:
    importing them would silently recreate a merged customer).

    Raises InvalidInput when the file itself is unusable (missing, no header, unknown or missing columns).
    """
    out = MasterFile()
    seen: dict[str, int] = {}
    for row in read_rows(path, aliases=HEADER_ALIASES, columns=COLUMNS, required=REQUIRED):
        if account := row.get("bank_account"):  # a rejected row's text is shown: never the account
            row = replace(row, raw=row.raw.replace(account, mask_account(account) or ""))
        try:
            record = parse_row(row)
        except (ValueError, ValidationError) as exc:
            out.rejected.append(rejected(SOURCE, row, _reason(exc)))
            continue
        if refused and record.id in refused:
            out.rejected.append(rejected(SOURCE, row, refused[record.id]))
            continue
        first = seen.setdefault(record.id, row.line)
        if first != row.line:
            reason = f"duplicate code {record.customer.code!r} (first at line {first})"
            out.rejected.append(rejected(SOURCE, row, reason))
            continue
        out.records.append(record)
    return out


def parse_row(row: Row | dict[str, str]) -> CustomerRecord:
    """One row -> CustomerRecord. Raises ValueError (or ValidationError) saying what is wrong."""
    if isinstance(row, Row):
        if row.error:
            raise ValueError(row.error)
        values = row.values
    else:
        values = row
    get = values.get
    code = get("code", "")
    if not code:
        raise ValueError("code is empty")
    if not get("name", ""):
        raise ValueError("name is empty")
    for email in split_list(get("emails")):
        _check_email("emails", email)
    for phone in split_list(get("phones")):
        _check_phone("phones", phone)
    contacts = [Contact(kind="email", value=e) for e in split_list(get("emails"))]
    contacts += [Contact(kind="phone", value=p) for p in split_list(get("phones"))]
    customer = Customer(
        code=code,
        name=get("name", ""),
        tier=(get("tier") or "standard").lower(),
        category=get("category") or None,
        industry=get("industry") or None,
        contacts=tuple(contacts),
        handles=_handles(get("handles"), get("user_ids")),
        birthday=parse_date("birthday", get("birthday")),
        anniversary=parse_date("anniversary", get("anniversary")),
        contract_renewal=parse_date("contract_renewal", get("contract_renewal")),
        owner=get("owner") or None,
        consent=Consent(
            marketing=parse_bool("consent_marketing", get("consent_marketing")),
            profiling=parse_bool("consent_profiling", get("consent_profiling")),
        ),
        city=get("city") or None,
        country=get("country") or None,
        address=get("address") or None,
        postal_code=get("postal_code") or None,
        contact_persons=_contact_persons(get("contact_persons")),
        bank=get("bank") or None,
        bank_account=get("bank_account") or None,
        contract_numbers=tuple(split_list(get("contract_numbers"))),
        dates=_dates(get("dates")),
        assessment=Assessment(**{name: get(name) or None for name in ASSESSMENT_COLUMNS}),
    )
    return CustomerRecord(customer=customer, order_numbers=tuple(split_list(get("order_numbers"))))


def _check_email(column: str, email: str) -> None:
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValueError(f"{column}: {email!r} is not an email address")


def _check_phone(column: str, phone: str) -> None:
    if sum(ch.isdigit() for ch in phone) < 7:
        raise ValueError(f"{column}: {phone!r} has fewer than 7 digits")


def _contact_persons(value: str | None) -> tuple[ContactPerson, ...]:
    """`name|phone|email|role;...`: each part after the name may be empty or left out."""
    out = []
    for entry in split_list(value):
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) > 4 or not parts[0]:
            raise ValueError(f"contact_persons: {entry!r} is not name|phone|email|role")
        name, phone, email, role = [*parts, "", "", ""][:4]
        if phone:
            _check_phone("contact_persons", phone)
        if email:
            _check_email("contact_persons", email)
        out.append(ContactPerson(name=name, phone=phone or None, email=email or None, role=role or None))
    return tuple(out)


def _dates(value: str | None) -> tuple[CustomerDate, ...]:
    out = []
    for entry in split_list(value):
        label, sep, day = entry.rpartition(":")
        if not sep or not label.strip():
            raise ValueError(f"dates: {entry!r} is not label:YYYY-MM-DD")
        parsed = parse_date("dates", day.strip())
        assert parsed is not None  # a non-empty day parses or raises
        out.append(CustomerDate(label=label.strip(), day=parsed))
    return tuple(out)


def _pairs(column: str, value: str | None) -> list[tuple[str, str]]:
    pairs = []
    for part in split_list(value):
        platform, sep, rest = part.partition(":")
        if not sep or not platform.strip() or not rest.strip().lstrip("@"):
            raise ValueError(f"{column}: {part!r} is not platform:value")
        pairs.append((platform.strip().lower(), rest.strip()))
    return pairs


def _handles(handles: str | None, user_ids: str | None) -> tuple[Handle, ...]:
    """One Handle per platform when it has one handle and one id; more of either get their own."""
    out: list[Handle] = [Handle(platform=p, handle=h.lstrip("@")) for p, h in _pairs("handles", handles)]
    for platform, user_id in _pairs("user_ids", user_ids):
        slot = next((i for i, h in enumerate(out) if h.platform == platform and h.user_id is None), None)
        if slot is None:
            out.append(Handle(platform=platform, user_id=user_id))
        else:
            out[slot] = out[slot].model_copy(update={"user_id": user_id})
    return tuple(out)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_reason(exc, subject="row")
    return str(exc)


class _Upserting(Protocol):
    def upsert(self, items: Sequence[CustomerRecord]) -> CustomerUpsertResult: ...


class _OrderIds(Protocol):
    def order_ids_by_customer(self) -> dict[str, list[str]]: ...


def import_master_file(
    path: Path | str,
    directory: _Upserting,
    *,
    batch_size: int = 1000,
    orders: _OrderIds | None = None,
    refused: Mapping[str, str] | None = None,
) -> ImportReport:
    """Read the file and upsert its valid rows (idempotent by code: importing it twice changes nothing).

    With `orders` (the workspace's order store), each customer's order numbers are the file's plus the
    ids of their imported orders, so that re-importing the master file keeps what order imports taught
    linking (crm.imports.import_orders adds them the other way round). `refused`: see
    `read_master_file`."""
    master = read_master_file(path, refused=refused)
    records = master.records
    if orders is not None:
        known = orders.order_ids_by_customer()
        records = [with_order_numbers(record, known.get(record.id, ())) for record in records]
    report = ImportReport(rejected=master.rejected)
    for start in range(0, len(records), batch_size):
        report.add(directory.upsert(records[start : start + batch_size]))
    return report


def with_order_numbers(record: CustomerRecord, numbers: Sequence[str]) -> CustomerRecord:
    """The record with `numbers` appended to its order numbers (those it has already are kept once)."""
    new = [n for n in dict.fromkeys(numbers) if n not in record.order_numbers]
    if not new:
        return record
    return record.model_copy(update={"order_numbers": (*record.order_numbers, *new)})


__all__ = [
    "COLUMNS",
    "HEADER_ALIASES",
    "ImportReport",
    "MasterFile",
    "import_master_file",
    "read_master_file",
]
