"""`earful search`: the query language (or plain full text) over the configured store, with highlights."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from core.cli_options import Workspace
from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE, SentimentLabel, parse_datetime

if TYPE_CHECKING:
    from index.base import SearchPage

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


_EM = re.compile(r"</?em>")


def markup_fragment(fragment: str) -> str:
    """A highlight fragment (``<em>`` marks the matches) as rich markup: the marks become styles and
    everything else is escaped, so text such as ``[bold]`` or a stray ``<`` prints as typed."""
    from rich.markup import escape

    out: list[str] = []
    depth = 0
    last = 0
    for mark in _EM.finditer(fragment):
        piece = fragment[last : mark.start()]
        if piece:
            out.append(f"[bold yellow]{escape(piece)}[/]" if depth else escape(piece))
        depth = depth + 1 if mark.group() == "<em>" else max(depth - 1, 0)
        last = mark.end()
    piece = fragment[last:]
    if piece:
        out.append(f"[bold yellow]{escape(piece)}[/]" if depth else escape(piece))
    return "".join(out)


def _parse_facets(value: str | None) -> tuple[str, ...]:
    from typing import get_args

    from index.base import FacetField

    if not value:
        return ()
    allowed = get_args(FacetField)
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise InvalidInput(
            f"--facets: unknown facet {', '.join(unknown)}; choose from {', '.join(allowed)}",
            details={"facets": unknown},
        )
    return names


def search_cmd(
    query: str | None = typer.Argument(
        None,
        help='A query in the Earful query language: words, "phrases", AND OR NOT, NEAR/n, '
        "wildcards, field operators (docs/query-language.md)",
    ),
    text: str | None = typer.Option(
        None, "--text", help="Plain full text instead: every word must occur (English stemmed)"
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only mentions published since: 7d, 12h or an ISO date"
    ),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many hits to print"),
    sort: str = typer.Option("newest", "--sort", help="newest, oldest or relevance"),
    sentiment: SentimentLabel | None = typer.Option(None, "--sentiment", help="Only this sentiment"),
    facets: str | None = typer.Option(
        None, "--facets", help="Facet counts to print, comma-separated: lang,sentiment,platform,..."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON document"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Search a workspace's indexed mentions and print the hits with what matched highlighted.

    An invalid query prints where it is wrong (the query, a caret, the message) and exits with status 2."""
    import json

    from core.errors import QuerySyntaxError
    from core.settings import get_settings
    from index.backends import build_mention_store
    from index.base import MentionFilter, SearchRequest

    if sort not in ("newest", "oldest", "relevance"):
        raise InvalidInput(f"--sort: expected newest, oldest or relevance, got {sort!r}")
    if query is None and text is None:
        raise InvalidInput("give a query (or --text for plain full text)")
    if query is not None:
        from index.query import parse

        try:
            parse(query)  # fail before touching the store, with the caret
        except QuerySyntaxError as exc:
            typer.echo(exc.render(), err=True)
            raise typer.Exit(2) from None
    facet_names = _parse_facets(facets)
    filters = MentionFilter(
        since=parse_since(since) if since else None,
        sentiments=(sentiment,) if sentiment else (),
    )
    request = SearchRequest.model_validate(
        {
            "query": query,
            "text": text,
            "filters": filters,
            "limit": limit,
            "sort": sort,
            "highlight": query is not None,
            "facets": facet_names,
        }
    )
    settings = get_settings()
    store = build_mention_store(settings, workspace=workspace)
    try:
        page = store.search(request)
    except QuerySyntaxError as exc:  # a backend may find what the parser let through
        typer.echo(exc.render(), err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    if as_json:
        payload = {
            "total": page.total,
            "hits": [
                {
                    "mention": hit.model_dump(mode="json"),
                    "highlights": {f: list(v) for f, v in page.highlights.get(hit.id, {}).items()},
                }
                for hit in page.hits
            ],
            "facets": {
                name: [b.model_dump(mode="json") for b in buckets] for name, buckets in page.facets.items()
            },
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    _print_page(page, query if query is not None else f"--text {text}", text)


def _print_page(page: SearchPage, shown: str, text: str | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=escape(f"{page.total} mentions match {shown!r}"), show_lines=False)
    for column in ("published", "platform", "lang", "sentiment", "text"):
        table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
    for hit in page.hits:
        marked = page.highlights.get(hit.id, {})
        parts: list[str] = []
        if marked.get("title"):
            parts.append("[bold]" + " … ".join(markup_fragment(f) for f in marked["title"]) + "[/]")
        if marked.get("text"):
            parts.append(" … ".join(markup_fragment(f) for f in marked["text"]))
        elif text is not None:
            parts.append(highlight(hit.text[:300], text))
        else:
            parts.append(escape(hit.text[:300]))
        table.add_row(
            hit.published_at.strftime("%Y-%m-%d %H:%M"),
            escape(hit.platform),
            escape(hit.lang),
            hit.sentiment.label.value,
            "\n".join(parts),
        )
    console.print(table)
    for name, buckets in page.facets.items():
        facet = Table(title=escape(f"{name}"), show_header=True)
        facet.add_column(name)
        facet.add_column("mentions", justify="right")
        for bucket in buckets:
            facet.add_row(escape(bucket.key), str(bucket.count))
        console.print(facet)
