"""`index.export`: what a search exports (every match once, oldest first) and the files' shape, CSV
safe against formula injection. On the real SQLite store; the cursors under it are contract-tested on
both backends (tests/contracts/test_mention_store.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.models import DEFAULT_WORKSPACE, Author, EnrichedMention
from core.settings import Settings
from index.backends.sqlite import SQLiteMentionStore
from index.base import MentionFilter, SearchRequest
from index.export import CSV_COLUMNS, csv_chunks, export_search, jsonl_chunks, spreadsheet_safe
from index.testing.corpus import chronological, enriched_mention, enriched_mentions, every_field_mention


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteMentionStore]:
    store = SQLiteMentionStore(Settings(home=tmp_path), workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    yield store
    store.close()


def _ids(mentions: list[EnrichedMention]) -> list[str]:
    return [m.id for m in mentions]


def test_export_search_follows_query_text_and_filters(store: SQLiteMentionStore) -> None:
    corpus = enriched_mentions(120, seed=3)
    store.upsert(corpus)
    for request in (
        SearchRequest(query="battery OR 电池 OR 耳机", sort="newest", limit=5),
        SearchRequest(text="the", filters=MentionFilter(langs=("en",)), sort="relevance"),
        SearchRequest(filters=MentionFilter(langs=("zh",))),
        SearchRequest(),
    ):
        expected = store.search(request.model_copy(update={"limit": 1000, "sort": "oldest"}))
        assert expected.total > 7, request
        got = list(export_search(store, request, page_size=7))  # several pages
        assert _ids(got) == _ids(chronological(list(expected.hits))), request


def test_spreadsheet_safe() -> None:
    for cell in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert spreadsheet_safe(cell) == "'" + cell
    for cell in ("", "plain", "a=b", "電池 -1", "'quoted"):
        assert spreadsheet_safe(cell) == cell


def _csv(mentions: list[EnrichedMention]) -> list[list[str]]:
    text = "".join(csv_chunks(mentions))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_rows_are_escaped_and_complete() -> None:
    evil = enriched_mention(
        "evil",
        '=HYPERLINK("http://evil.example","click"), then "quotes",\nand a new line',
        title="@SUM(1+1)",
        author=Author(platform="web", handle="-danger"),
        hashtags=("ok",),
    )
    rows = _csv([evil, every_field_mention()])
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 3
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert row["text"] == "'" + evil.text  # quotes and the new line survive CSV quoting
    assert row["title"] == "'@SUM(1+1)"
    assert row["author"] == "'-danger"
    assert row["id"] == evil.id
    assert row["sentiment_score"] == "0.000"
    assert row["hashtags"] == "#ok"
    full = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert all(full[c] for c in ("aspects", "intents", "customer_id"))
    assert not any(cell.startswith(("=", "+", "@")) for r in rows[1:] for cell in r)


def test_csv_chunks_stream_every_row() -> None:
    corpus = enriched_mentions(450, seed=5)
    chunks = list(csv_chunks(corpus))
    assert len(chunks) > 2  # streamed in parts, not built whole
    rows = list(csv.reader(io.StringIO("".join(chunks)[1:])))
    assert [r[0] for r in rows[1:]] == _ids(corpus)


def test_jsonl_round_trips() -> None:
    corpus = [*enriched_mentions(250, seed=6), every_field_mention()]
    text = "".join(jsonl_chunks(corpus))
    lines = text.splitlines()
    assert len(lines) == len(corpus)
    assert [EnrichedMention.model_validate(json.loads(line)) for line in lines] == corpus
    assert "".join(jsonl_chunks([])) == ""
    assert "".join(csv_chunks([])).splitlines() == ["\ufeff" + ",".join(CSV_COLUMNS)]
