"""A source over a CSV or JSONL export that a user loads (reviews, tickets, a platform's download).

Line numbers are the ones an editor shows: 1-based physical lines, the CSV header counts, a CSV record
with quoted newlines spans several lines and is located by the line it *starts* on. The cursor is the
last physical line consumed (valid or rejected), so a resumed fetch never re-reports a row.

Encodings must be ASCII-compatible (UTF-8, Latin-1, GB18030...): lines are split on the byte b"\\n".
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError, InvalidInput, NotConfigured, SourceError, validation_reason
from core.models import Author, RawMention, Rejected, SourceCursor, parse_datetime
from crawlers.base import FetchResult

if TYPE_CHECKING:
    from core.settings import Settings

FileFormat = Literal["csv", "jsonl"]
_SUFFIX_FORMATS: dict[str, FileFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
SNIPPET_CHARS = 500
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w{1,100})")
_MENTION_RE = re.compile(r"(?<![\w@.])@(\w{1,50})")


def extract_hashtags(text: str) -> tuple[str, ...]:
    """#tags in order of appearance, without '#', deduplicated case-insensitively."""
    return _unique(_HASHTAG_RE.findall(text))


def extract_mentions(text: str) -> tuple[str, ...]:
    """@handles in order of appearance, without '@' (emails are not mentions)."""
    return _unique(_MENTION_RE.findall(text))


def _unique(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def snippet(raw: str, limit: int = SNIPPET_CHARS) -> str:
    raw = raw.rstrip("\r\n")
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


class FieldMapping(BaseModel):
    """Where each mention field is in a row: a CSV column name, or a JSON key / dotted path
    (``user.screen_name``). Unmapped fields stay empty; ``native_id`` unmapped means a hash of the row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    native_id: str | None = Field(None, description="Column with the platform's id of the item")
    text: str = Field("text", min_length=1, description="Column with the mention's text (required)")
    title: str | None = None
    url: str | None = None
    site: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    author_id: str | None = None
    published_at: str = Field(
        "published_at", min_length=1, description="Column with the date: ISO 8601, epoch s or ms (required)"
    )
    lang_hint: str | None = None
    country: str | None = None
    rating: str | None = None
    product: str | None = None

    @model_validator(mode="after")
    def _no_blank_columns(self) -> FieldMapping:
        for field, column in self.columns().items():
            if not column.strip():
                raise ValueError(f"column of {field!r} is blank")
        return self

    def columns(self) -> dict[str, str]:
        """Mapped mention field -> column, for the mapped fields only."""
        return {field: column for field, column in self.model_dump().items() if column is not None}


@dataclass(frozen=True, slots=True)
class _Record:
    start_line: int
    end_line: int
    end_offset: int  # byte offset just after the record: where a resumed read starts
    tail: bytes  # the record's last bytes, to check that a saved offset still points into the same file
    raw: str
    fields: Mapping[str, Any] | None  # None: the record itself is malformed, `error` says why
    error: str | None = None


class _RowError(Exception):
    """A row that cannot become a mention; the message is the reason reported in `rejected`."""


class FileSource:
    """CSV/JSONL export as a source. Cursor: the last line consumed, as a string."""

    def __init__(
        self,
        name: str,
        path: str | Path,
        *,
        format: FileFormat | None = None,
        mapping: FieldMapping | None = None,
        platform: str = "file",
        encoding: str = "utf-8",
    ) -> None:
        self.name = name
        self.path = Path(path)
        resolved = format or _SUFFIX_FORMATS.get(self.path.suffix.lower())
        if resolved not in ("csv", "jsonl"):
            raise ConfigError(
                f"source {name!r}: cannot tell the format of {self.path.name}; "
                "set format to 'csv' or 'jsonl'",
                details={"source": name, "path": str(self.path)},
            )
        self.format: FileFormat = resolved
        self.mapping = mapping or FieldMapping()
        self.platform = platform
        self.encoding = encoding
        # (line, byte offset after it, bytes before the offset) of the last row consumed, so sequential
        # fetches seek instead of re-reading the file from the start.
        self._resume_at: tuple[int, int, bytes] | None = None

    @classmethod
    def from_config(
        cls, name: str, config: Mapping[str, Any], settings: Settings | None = None
    ) -> FileSource:
        """Build from a ``sources.yaml`` entry: path (required), format, encoding, platform, mapping."""
        known = {"path", "format", "encoding", "platform", "mapping"}
        unknown = sorted(set(config) - known - {"type", "kind", "enabled"})
        if unknown:
            raise ConfigError(f"source {name!r}: unknown keys {unknown}; known: {sorted(known)}")
        if not config.get("path"):
            raise NotConfigured(f"source {name!r}: 'path' is required", details={"source": name})
        try:
            mapping = FieldMapping.model_validate(config.get("mapping") or {})
        except ValidationError as exc:
            raise ConfigError(f"source {name!r}: invalid mapping: {exc}", details={"source": name}) from exc
        return cls(
            name,
            Path(str(config["path"])).expanduser(),
            format=config.get("format"),
            mapping=mapping,
            platform=str(config.get("platform") or "file"),
            encoding=str(config.get("encoding") or "utf-8"),
        )

    # --- fetching ---------------------------------------------------------------------------------
    def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        after = self._parse_cursor(cursor)
        mentions: list[RawMention] = []
        rejected: list[Rejected] = []
        last_line = after
        exhausted = True
        records = self._records(after)
        try:
            for record in records:
                try:
                    mention = self._to_mention(record)
                except _RowError as exc:
                    rejected.append(
                        Rejected(
                            source=self.name,
                            locator=f"{self.path.name}:{record.start_line}",
                            reason=str(exc),
                            raw=snippet(record.raw),
                        )
                    )
                else:
                    if len(mentions) == limit:
                        exhausted = False  # leave it for the next fetch; rejected rows before it are done
                        break
                    mentions.append(mention)
                last_line = record.end_line
                self._resume_at = (last_line, record.end_offset, record.tail)
        finally:
            records.close()
        value = str(last_line) if last_line > 0 else (cursor.value if cursor else None)
        return FetchResult(
            mentions=tuple(mentions),
            cursor=SourceCursor(source=self.name, value=value),
            rejected=tuple(rejected),
            exhausted=exhausted,
        )

    def _parse_cursor(self, cursor: SourceCursor | None) -> int:
        if cursor is None or cursor.value is None:
            return 0
        try:
            line = int(cursor.value)
        except ValueError:
            raise SourceError(
                f"source {self.name!r}: cursor {cursor.value!r} is not a line number",
                details={"source": self.name, "cursor": cursor.value},
            ) from None
        if line < 0:
            raise SourceError(f"source {self.name!r}: negative cursor {line}", details={"source": self.name})
        return line

    def _open(self) -> BinaryIO:
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise SourceError(
                f"source {self.name!r}: cannot read {self.path}: {exc.strerror or exc}",
                details={"source": self.name, "path": str(self.path)},
            ) from exc

    def _start(self, after: int, floor: tuple[int, int] = (0, 0)) -> tuple[int, int]:
        """Where to start reading to get past line `after`: the saved offset when it is still valid
        (a rewritten file invalidates it), else `floor` (the file start, or the end of the CSV header)."""
        if self._resume_at is None or not floor[0] < self._resume_at[0] <= after:
            return floor
        line_no, offset, tail = self._resume_at
        with self._open() as handle:
            handle.seek(offset - len(tail))
            if handle.read(len(tail)) == tail:
                return line_no, offset
        return floor

    def _lines(self, line_no: int, offset: int) -> Generator[tuple[int, int, str, bool, bytes], None, None]:
        """From byte `offset` (the start of line `line_no + 1`): (line number, byte offset after the
        line, decoded line with its ending, whether it decoded cleanly, the raw bytes)."""
        with self._open() as handle:
            handle.seek(offset)
            for data in handle:
                line_no += 1
                offset += len(data)
                if line_no == 1 and data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]  # a UTF-8 byte-order mark is not part of the first column's name
                try:
                    text, clean = data.decode(self.encoding), True
                except UnicodeDecodeError:
                    text, clean = data.decode(self.encoding, errors="replace"), False
                yield line_no, offset, text, clean, data[-64:]

    def _records(self, after: int) -> Generator[_Record, None, None]:
        return self._csv_records(after) if self.format == "csv" else self._jsonl_records(after)

    def _jsonl_records(self, after: int) -> Generator[_Record, None, None]:
        for line_no, offset, text, clean, tail in self._lines(*self._start(after)):
            if line_no <= after or not text.strip():
                continue
            fields: dict[str, Any] | None = None
            error: str | None = None
            if not clean:
                error = f"line is not valid {self.encoding}"
            else:
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    error = f"invalid JSON: {exc.msg} at column {exc.colno}"
                else:
                    if isinstance(value, dict):
                        fields = value
                    else:
                        error = f"expected a JSON object, got {type(value).__name__}"
            yield _Record(line_no, line_no, offset, tail, text, fields, error)

    def _csv_records(self, after: int) -> Generator[_Record, None, None]:
        header, header_end = self._csv_header()
        yield from self._csv_rows(header, after, self._start(after, floor=header_end))

    def _csv_rows(
        self, header: list[str], after: int, start_at: tuple[int, int]
    ) -> Generator[_Record, None, None]:
        # csv.reader pulls physical lines one at a time and never reads ahead, so once it returns a
        # record, `pos` holds that record's last line: this is how quoted newlines keep line numbers right.
        line_no, offset, tail = start_at[0], start_at[1], b""
        chunk: list[str] = []
        dirty: list[int] = []

        def feed() -> Iterator[str]:
            nonlocal line_no, offset, tail
            for line_no, offset, text, clean, tail in self._lines(*start_at):  # noqa: B007
                chunk.append(text)
                if not clean:
                    dirty.append(line_no)
                yield text

        reader = csv.reader(feed(), strict=True)
        start = start_at[0] + 1
        while True:
            chunk.clear()
            dirty.clear()
            try:
                row = next(reader)
                error = None
            except StopIteration:
                return
            except csv.Error as exc:
                row, error = [], f"malformed CSV: {exc}"
            end, raw = line_no, "".join(chunk)
            if start > after and (row or error):
                if error is None and dirty:
                    error = f"line {dirty[0]} is not valid {self.encoding}"
                elif error is None and len(row) != len(header):
                    error = f"expected {len(header)} columns, found {len(row)}"
                fields = None if error else dict(zip(header, row, strict=True))
                yield _Record(start, end, offset, tail, raw, fields, error)
            start = end + 1

    def _csv_header(self) -> tuple[list[str], tuple[int, int]]:
        lines = self._lines(0, 0)
        pos = (0, 0)

        def feed() -> Iterator[str]:
            nonlocal pos
            for line_no, offset, text, _clean, _tail in lines:
                pos = (line_no, offset)
                yield text

        header: list[str] = []
        try:
            for row in csv.reader(feed(), strict=True):
                if row:  # blank lines before the header are not the header
                    header = [column.strip() for column in row]
                    break
        except csv.Error as exc:
            raise SourceError(
                f"source {self.name!r}: unreadable CSV header in {self.path.name}: {exc}"
            ) from exc
        finally:
            lines.close()
        if header:
            self._check_header(header)
        return header, pos

    def _check_header(self, header: list[str]) -> None:
        missing = {f: c for f, c in self.mapping.columns().items() if c not in header}
        if missing:
            wanted = ", ".join(f"{c!r} ({f})" for f, c in missing.items())
            raise SourceError(
                f"source {self.name!r}: {self.path.name} has no column {wanted}; columns: {header}",
                details={"source": self.name, "missing": missing, "header": header},
            )

    # --- mapping a row to a mention ---------------------------------------------------------------
    def _to_mention(self, record: _Record) -> RawMention:
        if record.fields is None:
            raise _RowError(record.error or "malformed row")
        fields = record.fields
        columns = self.mapping.columns()

        def get(field: str) -> str | None:
            column = columns.get(field)
            if column is None:
                return None
            value = _lookup(fields, column) if self.format == "jsonl" else fields.get(column)
            if value is None:
                return None
            if isinstance(value, dict | list):
                raise _RowError(f"{field} ({column!r}) is a JSON {type(value).__name__}, expected a value")
            text = value if isinstance(value, str) else json.dumps(value)
            return text.strip() or None

        text = get("text")
        if text is None:
            raise _RowError(f"missing text (column {columns['text']!r})")
        published = get("published_at")
        if published is None:
            raise _RowError(f"missing published_at (column {columns['published_at']!r})")
        try:
            published_at = parse_datetime(published)
        except (ValueError, OverflowError, OSError):
            raise _RowError(f"unparseable published_at {published!r}: expected ISO 8601 or epoch") from None
        rating_text = get("rating")
        rating: float | None = None
        if rating_text is not None:
            try:
                rating = float(rating_text)
            except ValueError:
                raise _RowError(f"rating {rating_text!r} is not a number") from None
        native_id = get("native_id") or _row_hash(fields)
        handle, author_id = get("author_handle"), get("author_id")
        author = None
        if handle or author_id or get("author_name"):
            author = Author(
                platform=self.platform,
                native_id=author_id,
                handle=handle.lstrip("@") if handle else None,
                display_name=get("author_name"),
            )
        title = get("title")
        both = f"{title or ''} {text}"
        try:
            return RawMention(
                platform=self.platform,
                native_id=native_id,
                source=self.name,
                text=text,
                title=title,
                url=get("url"),
                site=get("site"),
                author=author,
                published_at=published_at,
                lang_hint=get("lang_hint"),
                country=get("country"),
                rating=rating,
                product=get("product"),
                hashtags=extract_hashtags(both),
                mentions=extract_mentions(both),
            )
        except ValidationError as exc:
            raise _RowError(validation_reason(exc, subject="row", invalid=True)) from None


def _lookup(fields: Mapping[str, Any], path: str) -> Any:
    """A key, or a dotted path into nested objects; a literal key with dots wins."""
    if path in fields:
        return fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _row_hash(fields: Mapping[str, Any]) -> str:
    """Id of a row without an id column: its content, so a re-export at other line numbers keeps ids."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha1:" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()
