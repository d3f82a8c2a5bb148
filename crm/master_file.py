"""Read a customer master file (CSV) into CustomerRecords; bad rows are reported, valid rows imported.

Columns (header row required, UTF-8 with or without BOM; order free; `code` and `name` required, the
others optional; an unknown column fails the whole file, since a misspelt column would lose data):

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

Line numbers are an editor's: the header is line 1 and a quoted multi-line record is located by the line
it starts on. A code given twice: the first row is kept, the second rejected.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from core.customer_keys import MASTER_FILE_COLUMNS, MASTER_FILE_REQUIRED
from core.errors import InvalidInput, validation_reason
from core.models import Consent, Contact, Customer, Handle, Rejected
from crm.customers import CustomerRecord, CustomerUpsertResult

SOURCE = "customers"
COLUMNS = MASTER_FILE_COLUMNS
REQUIRED = MASTER_FILE_REQUIRED
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"", "0", "false", "no", "n", "f"}
SNIPPET_CHARS = 300


@dataclass
class MasterFile:
    records: list[CustomerRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def read_master_file(path: Path | str) -> MasterFile:
    """Every valid row as a CustomerRecord, every bad one as a Rejected with `file.csv:LINE`.

    Raises InvalidInput when the file itself is unusable (missing, no header, unknown or missing columns).
    """
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", details={"path": str(path)}) from exc
    out = MasterFile()
    seen: dict[str, int] = {}
    with handle:
        rows = _rows(handle, path)
        for line, row, raw in rows:
            locator = f"{path.name}:{line}"
            try:
                record = parse_row(row)
            except (ValueError, ValidationError) as exc:
                out.rejected.append(Rejected(source=SOURCE, locator=locator, reason=_reason(exc), raw=raw))
                continue
            first = seen.setdefault(record.id, line)
            if first != line:
                reason = f"duplicate code {record.customer.code!r} (first at line {first})"
                out.rejected.append(Rejected(source=SOURCE, locator=locator, reason=reason, raw=raw))
                continue
            out.records.append(record)
    return out


def _rows(handle: Any, path: Path) -> Iterator[tuple[int, dict[str, str], str]]:
    """(start line, row by column, the row as text) for each non-empty record."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(
            f"{path.name} is empty: it needs a header row", details={"path": str(path)}
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}:1: {exc}", details={"path": str(path)}) from exc
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise InvalidInput(
            f"{path.name}: bad header (unknown: {unknown or 'none'}, missing: {missing or 'none'}); "
            f"columns are {', '.join(COLUMNS)}",
            details={"path": str(path), "unknown": unknown, "missing": missing},
        )
    consumed = reader.line_num
    while True:
        start = consumed + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"{path.name}:{start}: {exc}", details={"path": str(path)}) from exc
        consumed = reader.line_num
        if not any(value.strip() for value in values):
            continue
        raw = ",".join(values)[:SNIPPET_CHARS]
        if len(values) > len(columns):
            # reported, not guessed: shifted columns would put data in the wrong fields
            yield start, {"__error__": f"{len(values)} fields, the header has {len(columns)}"}, raw
            continue
        values += [""] * (len(columns) - len(values))  # trailing empty cells may be left out
        yield start, dict(zip(columns, (v.strip() for v in values), strict=True)), raw


def parse_row(row: dict[str, str]) -> CustomerRecord:
    """One CSV row -> CustomerRecord. Raises ValueError (or ValidationError) saying what is wrong."""
    if "__error__" in row:
        raise ValueError(row["__error__"])
    get = row.get
    code = get("code", "")
    if not code:
        raise ValueError("code is empty")
    if not get("name", ""):
        raise ValueError("name is empty")
    contacts = [Contact(kind="email", value=e) for e in _split(get("emails"))]
    for email in _split(get("emails")):
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise ValueError(f"emails: {email!r} is not an email address")
    contacts += [Contact(kind="phone", value=p) for p in _split(get("phones"))]
    for phone in _split(get("phones")):
        if sum(ch.isdigit() for ch in phone) < 7:
            raise ValueError(f"phones: {phone!r} has fewer than 7 digits")
    customer = Customer(
        code=code,
        name=get("name", ""),
        tier=(get("tier") or "standard").lower(),
        category=get("category") or None,
        industry=get("industry") or None,
        contacts=tuple(contacts),
        handles=_handles(get("handles"), get("user_ids")),
        birthday=_date("birthday", get("birthday")),
        anniversary=_date("anniversary", get("anniversary")),
        contract_renewal=_date("contract_renewal", get("contract_renewal")),
        owner=get("owner") or None,
        consent=Consent(
            marketing=_bool("consent_marketing", get("consent_marketing")),
            profiling=_bool("consent_profiling", get("consent_profiling")),
        ),
        city=get("city") or None,
        country=get("country") or None,
    )
    return CustomerRecord(customer=customer, order_numbers=tuple(_split(get("order_numbers"))))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _pairs(column: str, value: str | None) -> list[tuple[str, str]]:
    pairs = []
    for part in _split(value):
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


def _bool(column: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column}: {value!r} is not yes/no")


def _date(column: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_reason(exc, subject="row")
    return str(exc)


class _Upserting(Protocol):
    def upsert(self, items: Sequence[CustomerRecord]) -> CustomerUpsertResult: ...


@dataclass
class ImportReport:
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejected]

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


def import_master_file(path: Path | str, directory: _Upserting, *, batch_size: int = 1000) -> ImportReport:
    """Read the file and upsert its valid rows (idempotent by code: importing it twice changes nothing)."""
    master = read_master_file(path)
    created = updated = unchanged = 0
    for start in range(0, len(master.records), batch_size):
        result = directory.upsert(master.records[start : start + batch_size])
        created, updated, unchanged = (
            created + result.created,
            updated + result.updated,
            unchanged + result.unchanged,
        )
    return ImportReport(created=created, updated=updated, unchanged=unchanged, rejected=master.rejected)
