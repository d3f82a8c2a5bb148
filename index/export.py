"""Mentions as export files: CSV (one row a mention, safe to open in a spreadsheet) and JSON Lines (the
full mention). Both are generators of text chunks, so a caller streams a store's `export` without
holding it in memory: the HTTP API's export and any command share them.

Spreadsheet programs run a cell that starts with ``= + - @`` (or a tab or carriage return) as a
formula, so a mention's text could run one on the analyst's machine (CSV injection). Every cell that
comes from what people wrote gets a leading apostrophe then, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from core.models import EnrichedMention
from index.base import MentionStore, SearchRequest

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "published_at",
    "platform",
    "source",
    "site",
    "url",
    "author",
    "lang",
    "country",
    "sentiment",
    "sentiment_score",
    "intents",
    "aspects",
    "customer_id",
    "rating",
    "hashtags",
    "title",
    "text",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ROWS_PER_CHUNK = 200


def export_search(
    store: MentionStore, request: SearchRequest, page_size: int = 1000
) -> Iterator[EnrichedMention]:
    """Every mention `request` selects (query, text and filters; its paging and sort aside), oldest
    first. Filters alone use the store's `export` (a snapshot where the store has them); a query or
    text pages through `search` with cursors, so nothing is read twice or skipped."""
    if not (request.query or "").strip() and not (request.text or "").strip():
        yield from store.export(request.filters, page_size=page_size)
        return
    paging = SearchRequest(query=request.query, text=request.text, filters=request.filters, sort="oldest")
    cursor: str | None = None
    while True:
        page = store.search(paging.model_copy(update={"limit": page_size, "search_after": cursor}))
        yield from page.hits
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def spreadsheet_safe(cell: str) -> str:
    """`cell`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def csv_row(mention: EnrichedMention) -> list[str]:
    """One mention's cells, in `CSV_COLUMNS` order. Numbers are Earful's own (written as numbers);
    every text cell is made spreadsheet-safe."""
    m = mention
    texts = {
        "id": m.id,
        "platform": m.platform,
        "source": m.source,
        "site": m.site or "",
        "url": m.url or "",
        "author": (m.author.handle or m.author.display_name or "") if m.author else "",
        "lang": m.lang,
        "country": m.country or "",
        "sentiment": m.sentiment.label.value,
        "intents": " ".join(i.label.value for i in m.intents),
        "aspects": " ".join(f"{a.label.value}.{a.polarity.value}" for a in m.aspects),
        "customer_id": m.customer.customer_id if m.customer else "",
        "hashtags": " ".join("#" + tag for tag in m.hashtags),
        "title": m.title or "",
        "text": m.text,
    }
    numbers = {
        "published_at": m.published_at.isoformat(),
        "sentiment_score": f"{m.sentiment.score:.3f}",
        "rating": "" if m.rating is None else f"{m.rating:g}",
    }
    return [numbers[c] if c in numbers else spreadsheet_safe(texts[c]) for c in CSV_COLUMNS]


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_chunks(mentions: Iterable[EnrichedMention], *, bom: bool = True) -> Iterator[str]:
    """The CSV file in chunks of rows: a byte-order mark (spreadsheet programs then read UTF-8), the
    header, then one row a mention."""
    yield ("\ufeff" if bom else "") + _csv_text([CSV_COLUMNS])
    rows: list[list[str]] = []
    for mention in mentions:
        rows.append(csv_row(mention))
        if len(rows) == _ROWS_PER_CHUNK:
            yield _csv_text(rows)
            rows = []
    if rows:
        yield _csv_text(rows)


def jsonl_chunks(mentions: Iterable[EnrichedMention]) -> Iterator[str]:
    """One JSON object a line: every field of each mention, as the API returns it."""
    lines: list[str] = []
    for mention in mentions:
        lines.append(mention.model_dump_json() + "\n")
        if len(lines) == _ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
