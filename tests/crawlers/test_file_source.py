"""FileSource: line-accurate rejects, field mapping, paging and resumption of CSV and JSONL exports. The
shared source contract runs on the same samples in tests/contracts/test_source.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import ConfigError, InvalidInput, NotConfigured, SourceError
from core.models import SourceCursor
from core.registry import SOURCES
from core.settings import Settings
from crawlers.sources.file import FieldMapping, FileSource, extract_hashtags, extract_mentions
from crawlers.testing.contracts import drain
from tests.crawlers.file_samples import CSV_TEXT, JSON_MAPPING, JSONL_LINES, MAPPING, write_jsonl


def test_csv_rejects_carry_editor_line_numbers_and_valid_rows_come_through(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    result = FileSource("reviews", path, mapping=MAPPING).fetch(None, 100)

    assert [m.native_id for m in result.mentions] == ["r1", "r2", "r3", "r9", "r10"]
    reasons = {r.locator: r.reason for r in result.rejected}
    assert list(reasons) == [
        "reviews.csv:6",
        "reviews.csv:7",
        "reviews.csv:8",
        "reviews.csv:9",
        "reviews.csv:10",
    ]
    assert reasons["reviews.csv:6"] == "unparseable published_at 'not a date': expected ISO 8601 or epoch"
    assert reasons["reviews.csv:7"] == "missing text (column 'body')"
    assert reasons["reviews.csv:8"] == "expected 7 columns, found 5"
    assert reasons["reviews.csv:9"].startswith("invalid rating: Input should be less than or equal to 10")
    assert reasons["reviews.csv:10"] == "rating 'three' is not a number"
    assert result.rejected[0].raw == "r4,not a date,dan,3,Halo 700,,Date is wrong"
    assert result.exhausted
    assert result.cursor.value == "13"


def test_csv_fields_are_mapped(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    first, second, third, *_ = FileSource("reviews", path, mapping=MAPPING).fetch(None, 100).mentions

    assert first.platform == "file"
    assert first.title == "Great"
    assert first.rating == 5.0
    assert first.product == "Aria Buds"
    assert first.author is not None
    assert first.author.handle == "ana"
    assert first.hashtags == ("quillfinch",)
    assert first.mentions == ("quillfinch_help",)
    assert first.published_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert second.title is None  # empty cells are absent, not ""
    assert second.published_at == datetime(2026, 11, 2, tzinfo=UTC)  # a bare date is midnight UTC
    assert third.text == "First line\nsecond line, with a comma"
    assert third.published_at == datetime.fromtimestamp(1793700000, UTC)


def test_quoted_newlines_keep_line_numbers_right_across_batches(tmp_path: Path) -> None:
    # The first record spans lines 2-4: a reject after it is reported at the line it starts on (5),
    # and a cursor saved after it resumes exactly there, in a fresh source.
    path = tmp_path / "multi.csv"
    path.write_text(
        'text,published_at\n"one\ntwo\nthree",2026-11-01\n"ok",2026-11-02\n"broken",yesterday\n'
        '"a\nb",2026-11-03\n',
        encoding="utf-8",
    )
    first = FileSource("multi", path).fetch(None, 1)
    assert [m.text for m in first.mentions] == ["one\ntwo\nthree"]
    assert first.cursor.value == "4"
    assert first.rejected == ()
    second = FileSource("multi", path).fetch(first.cursor, 1)
    assert [m.text for m in second.mentions] == ["ok"]
    assert [(r.locator, r.reason) for r in second.rejected] == [
        ("multi.csv:6", "unparseable published_at 'yesterday': expected ISO 8601 or epoch")
    ]
    assert second.cursor.value == "6"
    third = FileSource("multi", path).fetch(second.cursor, 1)
    assert [m.text for m in third.mentions] == ["a\nb"]
    assert third.cursor.value == "8"
    assert third.exhausted


def test_jsonl_rejects_broken_lines_and_keeps_going(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl", list(JSONL_LINES))
    result = FileSource("posts", path, mapping=JSON_MAPPING, platform="twitter").fetch(None, 100)

    assert [m.native_id for m in result.mentions] == ["1", "2", "6", "7"]
    assert [(r.locator, r.reason) for r in result.rejected] == [
        ("posts.jsonl:3", "invalid JSON: Expecting property name enclosed in double quotes at column 2"),
        ("posts.jsonl:4", "missing text (column 'text')"),
        ("posts.jsonl:5", "expected a JSON object, got list"),
    ]
    assert result.rejected[0].raw == "{broken json"
    second = result.mentions[1]
    assert second.author is not None
    assert (second.author.handle, second.author.native_id, second.author.platform) == ("bob", "u2", "twitter")
    assert second.published_at == datetime.fromtimestamp(1793700000, UTC)  # epoch milliseconds
    assert result.mentions[3].author is None


def test_a_batch_stops_before_the_next_valid_row_but_takes_rejects_after_it(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", list(JSONL_LINES))
    source = FileSource("p", path, mapping=JSON_MAPPING)
    first = source.fetch(None, 2)
    # rows 3-5 are bad: they are consumed with the batch that precedes them, so a batch with mentions
    # is never followed by an empty one that only reports rejects
    assert [m.native_id for m in first.mentions] == ["1", "2"]
    assert [r.locator for r in first.rejected] == ["p.jsonl:3", "p.jsonl:4", "p.jsonl:5"]
    assert first.cursor.value == "5"
    assert not first.exhausted
    second = source.fetch(first.cursor, 2)
    assert [m.native_id for m in second.mentions] == ["6", "7"]
    assert second.exhausted  # EOF reached in this fetch


def test_resume_after_the_file_was_appended(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "grow.jsonl", [{"text": "a", "published_at": "2026-11-01"}])
    source = FileSource("grow", path)
    first = source.fetch(None, 10)
    assert first.exhausted
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "b", "published_at": "2026-11-02"}) + "\n")
    second = source.fetch(first.cursor, 10)
    assert [m.text for m in second.mentions] == ["b"]
    assert second.cursor.value == "2"


def test_resume_after_the_file_was_rewritten_rescans_by_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "w.jsonl", [{"text": "aaaa", "published_at": "2026-11-01"}] * 2)
    source = FileSource("w", path)
    first = source.fetch(None, 1)
    # a shorter file with other content: the cached byte offset is stale, line numbers still hold
    write_jsonl(
        path, [{"text": "x", "published_at": "2026-11-01"}, {"text": "y", "published_at": "2026-11-01"}]
    )
    second = source.fetch(first.cursor, 5)
    assert [m.text for m in second.mentions] == ["y"]


def test_invalid_utf8_is_a_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(b"text,published_at\nok,2026-11-01\nbad \xff\xfe,2026-11-01\nfine,2026-11-02\n")
    result = FileSource("enc", path).fetch(None, 10)
    assert [m.text for m in result.mentions] == ["ok", "fine"]
    assert [(r.locator, r.reason) for r in result.rejected] == [("enc.csv:3", "line 3 is not valid utf-8")]


def test_bom_and_other_encodings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufefftext,published_at\nhi,2026-11-01\n".encode())
    assert [m.text for m in FileSource("bom", bom).fetch(None, 10).mentions] == ["hi"]
    gb = tmp_path / "gb.csv"
    gb.write_bytes("text,published_at\n外卖太慢了,2026-11-01\n".encode("gb18030"))
    assert [m.text for m in FileSource("gb", gb, encoding="gb18030").fetch(None, 10).mentions] == [
        "外卖太慢了"
    ]


def test_missing_mapped_column_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text,published_at\nhi,2026-11-01\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no column 'body' \\(text\\)"):
        FileSource("x", path, mapping=FieldMapping(text="body")).fetch(None, 10)


def test_missing_file_bad_cursor_and_limit(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        FileSource("x", tmp_path / "nope.csv").fetch(None, 10)
    path = tmp_path / "x.csv"
    path.write_text("text,published_at\n", encoding="utf-8")
    source = FileSource("x", path)
    with pytest.raises(SourceError, match="not a line number"):
        source.fetch(SourceCursor(source="x", value="abc"), 10)
    with pytest.raises(InvalidInput):
        source.fetch(None, 0)
    empty = source.fetch(None, 10)
    assert empty.exhausted
    assert empty.mentions == ()
    assert empty.cursor.value is None


def test_format_from_suffix_or_explicit(tmp_path: Path) -> None:
    assert FileSource("a", tmp_path / "a.CSV").format == "csv"
    assert FileSource("a", tmp_path / "a.ndjson").format == "jsonl"
    assert FileSource("a", tmp_path / "a.txt", format="jsonl").format == "jsonl"
    with pytest.raises(ConfigError, match="cannot tell the format"):
        FileSource("a", tmp_path / "a.txt")


def test_from_config(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    config = {"path": str(path), "platform": "appstore", "mapping": MAPPING.model_dump(exclude_none=True)}
    source = FileSource.from_config("reviews", config, Settings())
    assert source.mapping == MAPPING
    assert source.platform == "appstore"
    assert len(source.fetch(None, 100).mentions) == 5
    with pytest.raises(NotConfigured, match="'path' is required"):
        FileSource.from_config("reviews", {}, Settings())
    with pytest.raises(ConfigError, match="unknown keys"):
        FileSource.from_config("reviews", {"path": "x.csv", "colums": {}}, Settings())
    with pytest.raises(ConfigError, match="invalid mapping"):
        FileSource.from_config("reviews", {"path": "x.csv", "mapping": {"txt": "body"}}, Settings())


def test_registered_as_entry_point() -> None:
    assert SOURCES.load("file") is FileSource


def test_paging_large_file_with_seek(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f'{i},"row {i}\nwith a newline",2026-11-01\n' for i in range(1, 501))
    path.write_text("id,text,published_at\n" + rows, encoding="utf-8")
    source = FileSource("big", path, mapping=FieldMapping(native_id="id"))
    paged = drain(source, 7)
    assert [m.native_id for m in paged.mentions] == [str(i) for i in range(1, 501)]
    assert paged.cursor is not None
    assert paged.cursor.value == "1001"


def test_extractors() -> None:
    assert extract_hashtags("#One two #one #二 a#b &#123;") == ("One", "二")
    assert extract_mentions("@ana hi mail me at bob@example.com @Ana @bo_b") == ("ana", "bo_b")
