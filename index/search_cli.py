"""`earful search`: plain full-text search over the configured store (the query language is issue 3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

from core.errors import InvalidInput
from core.models import SentimentLabel, parse_datetime

_RELATIVE = re.compile(r"^(\d+)([hdw])$")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `2w`, or an ISO date/time."""
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[
            unit
        ]
        return (now or datetime.now(UTC)) - delta
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise InvalidInput(f"--since: expected 7d, 12h, 2w or an ISO date, got {value!r}") from exc


def highlight(text: str, query: str) -> str:
    """Wrap the words of `text` that match `query` in rich markup, using the shared analysis."""
    from rich.markup import escape

    from index.analysis import query_words, stem, tokenize

    wanted = {unit for units in query_words(query) for unit in units}
    out: list[str] = []
    last = 0
    for token in tokenize(text):
        if (token.cjk and token.text in wanted) or stem(token.text) in wanted:
            out.append(escape(text[last : token.start]))
            out.append(f"[bold yellow]{escape(text[token.start : token.end])}[/]")
            last = token.end
    out.append(escape(text[last:]))
    return "".join(out)


def search_cmd(
    query: str = typer.Argument(
        ..., help="Words that must all occur (English is stemmed; Chinese by characters)"
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only mentions published since: 7d, 12h or an ISO date"
    ),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many hits to print"),
    sentiment: SentimentLabel | None = typer.Option(None, "--sentiment", help="Only this sentiment"),
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON lines"),
) -> None:
    """Search indexed mentions and print the hits with the matching words highlighted."""
    from rich.console import Console
    from rich.table import Table

    from core.registry import STORES
    from core.settings import get_settings
    from index.base import MentionFilter, SearchRequest

    settings = get_settings()
    store = STORES.create(settings.store.backend, settings)
    try:
        filters = MentionFilter(
            since=parse_since(since) if since else None,
            sentiments=(sentiment,) if sentiment else (),
        )
        page = store.search(SearchRequest(text=query, filters=filters, limit=limit, sort="relevance"))
    finally:
        store.close()
    if as_json:
        for hit in page.hits:
            typer.echo(hit.model_dump_json())
        return
    console = Console()
    table = Table(title=f"{page.total} mentions match {query!r}", show_lines=False)
    for column in ("published", "platform", "lang", "sentiment", "text"):
        table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
    for hit in page.hits:
        table.add_row(
            hit.published_at.strftime("%Y-%m-%d %H:%M"),
            hit.platform,
            hit.lang,
            hit.sentiment.label.value,
            highlight(hit.text[:300], query),
        )
    console.print(table)
