"""Tables people export from spreadsheets and shop systems (CSV or XLSX), read row by row with the
location of every row, and the cell parsers the CRM imports share (crm/master_file.py, crm/imports.py).

- CSV: UTF-8 with or without BOM, a header row; line numbers are an editor's (the header is line 1, a
  quoted multi-line record is located by the line it starts on).
- XLSX: the first worksheet, its first row the header; a row is located by its sheet row number, so
  `orders.xlsx:7` is row 7 in Excel. Cells keep their type until here: a date cell becomes an ISO date,
  a whole number loses its ``.0``.

Headers are matched case-insensitively, spaces and hyphens read as ``_``, through an alias table
(English and Chinese labels -> the column's canonical name). An unknown column fails the whole file:
a misspelt column would silently lose data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.errors import InvalidInput
from core.models import Rejected

SNIPPET_CHARS = 300
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_TRUE = {"1", "true", "yes", "y", "t", "是"}
_FALSE = {"", "0", "false", "no", "n", "f", "否"}


@dataclass(frozen=True)
class Row:
    """One non-empty record: where it is, its cells by canonical column, the record as text."""

    line: int
    locator: str
    values: dict[str, str]
    raw: str
    error: str | None = None  # a record that cannot be read as the header says (too many fields)

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class ImportReport:
    """What an import did: counts of the stored rows, and every rejected row with its location."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, counts: Any) -> None:
        """Add an upsert's counts (anything with created, updated and unchanged)."""
        self.created += counts.created
        self.updated += counts.updated
        self.unchanged += counts.unchanged


def header_key(label: str) -> str:
    """How a header label is compared: trimmed, lower case, spaces and hyphens as ``_``."""
    return "_".join(label.strip().lower().replace("-", " ").split())


def read_header(path: Path | str) -> list[str]:
    """The header labels of a CSV or XLSX file, as written."""
    header, _ = _open(Path(path))
    return header


def read_rows(
    path: Path | str, *, aliases: Mapping[str, str], columns: Sequence[str], required: Sequence[str]
) -> Iterator[Row]:
    """The file's records with their cells by canonical column. Raises InvalidInput at once (not from the
    iterator) when the file is unusable: unreadable, empty, or a header with unknown, missing or repeated
    columns; a record the CSV parser cannot read raises it from the iterator."""
    path = Path(path)
    labels, records = _open(path)
    names = [aliases.get(header_key(label), header_key(label)) for label in labels]
    unknown = [label for label, name in zip(labels, names, strict=True) if name not in columns]
    missing = [name for name in required if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        raise InvalidInput(
            f"{path.name}: bad header (unknown: {unknown or 'none'}, missing: {missing or 'none'}); "
            f"columns are {', '.join(columns)}",
            details={"path": str(path), "unknown": unknown, "missing": missing},
        )
    return _located(path, names, records)


def _located(path: Path, names: list[str], records: Iterator[tuple[int, list[str]]]) -> Iterator[Row]:
    for line, values in records:
        if not any(value.strip() for value in values):
            continue
        locator = f"{path.name}:{line}"
        raw = ",".join(values)[:SNIPPET_CHARS]
        if len(values) > len(names):
            # reported, not guessed: shifted columns would put data in the wrong fields
            error = f"{len(values)} fields, the header has {len(names)}"
            yield Row(line=line, locator=locator, values={}, raw=raw, error=error)
            continue
        values = values + [""] * (len(names) - len(values))  # trailing empty cells may be left out
        cells = dict(zip(names, (v.strip() for v in values), strict=True))
        yield Row(line=line, locator=locator, values=cells, raw=raw)


def _open(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _open_xlsx(path)
    return _open_csv(path)


def _open_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", details={"path": str(path)}) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(
            f"{path.name} is empty: it needs a header row", details={"path": str(path)}
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}:1: {exc}", details={"path": str(path)}) from exc

    def records() -> Iterator[tuple[int, list[str]]]:
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
            yield start, values

    return header, records()


def _open_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # only XLSX imports pay for it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... on a damaged file
        raise InvalidInput(f"cannot read {path.name} as XLSX: {exc}", details={"path": str(path)}) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None or not any(cell is not None for cell in first):
        workbook.close()
        raise InvalidInput(f"{path.name} is empty: it needs a header row", details={"path": str(path)})
    header = [_cell(cell) for cell in first]
    while header and not header[-1]:
        header.pop()

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(rows, start=2):
                cells = [_cell(cell) for cell in values]
                while cells and not cells[-1]:
                    cells.pop()
                yield number, cells
        finally:
            workbook.close()

    return header, records()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- cells ---------------------------------------------------------------------------------------
def split_list(value: str | None) -> list[str]:
    """A `;`-separated cell (full-width `；` too) as its non-empty parts."""
    return [part.strip() for part in (value or "").replace("；", ";").split(";") if part.strip()]


def parse_bool(column: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column}: {value!r} is not yes/no")


def parse_date(column: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def parse_when(column: str, value: str, tz: tzinfo = UTC) -> datetime:
    """A date or date and time: ISO 8601 (`2026-03-01`, `2026-03-01 14:30`, `...T14:30+08:00`) or with
    slashes (`2026/3/1 14:30`). Without an offset it is a time in `tz`; a date alone is its midnight."""
    text = value.strip()
    if not text:
        raise ValueError(f"{column} is empty")
    candidate = text
    if "/" in text:
        day, _, clock = text.partition(" ")
        parts = day.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            candidate = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
            candidate += f"T{clock.strip()}" if clock.strip() else ""
    try:
        parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a date (YYYY-MM-DD[ HH:MM])") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def parse_decimal(column: str, value: str | None) -> Decimal | None:
    """A money amount: `1234.50`, `1,234.50`, `¥1234.5`; empty is None."""
    text = (value or "").strip().replace(",", "").replace("，", "")
    text = text.lstrip("¥￥$€£").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column}: {value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{column}: {value!r} is not a number")
    return amount


def rejected(source: str, row: Row, reason: str) -> Rejected:
    return Rejected(source=source, locator=row.locator, reason=reason, raw=row.raw)
