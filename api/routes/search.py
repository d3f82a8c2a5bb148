"""Search (JSON): the query language over the workspace's mentions, its syntax check, streamed exports and
saved searches.

- ``POST /search``: one page of hits (summaries with their enrichment), highlights, facets, a volume
  histogram, and ``next_cursor`` for the next page (``search_after``);
- ``POST /search/check``: whether a query parses (the located error with a caret) and lint warnings; a
  bad query is the answer here, never a 400;
- ``POST /search/export?format=csv|jsonl``: every match, streamed (`index.export`);
- ``/saved-searches``: the principal's named queries (owner: the user name, ``key:<id>`` for a key).

Limits: a query (and `text`) of at most ``api.max_query_chars`` characters (400 otherwise), a page of at
most ``api.max_page_size`` hits (422 otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.accounts.models import Permission
from api.auth import Principal
from api.deps import Stores, require
from api.errors import error_responses
from api.services import Services
from core.errors import InvalidInput, NotFound, QuerySyntaxError
from core.models import EnrichedMention, SavedSearch, utcnow
from index.base import (
    MAX_SEARCH_LIMIT,
    Bucket,
    FacetField,
    MentionFilter,
    SearchPage,
    SearchRequest,
    SortOrder,
)
from index.export import csv_chunks, export_search, jsonl_chunks
from index.query.lint import check
from index.saved_searches import checked

router = APIRouter(prefix="/api/v1", tags=["search"])

Reader = Annotated[Principal, Depends(require(Permission.READ))]
Exporter = Annotated[Principal, Depends(require(Permission.EXPORT))]
Writer = Annotated[Principal, Depends(require(Permission.SEARCHES_WRITE))]

HistogramInterval = Literal["none", "hour", "day", "week", "month"]
ExportFormat = Literal["csv", "jsonl"]
EXPORT_MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
SUMMARY_CHARS = 600  # a hit's text in a summary; the whole mention is at /mentions/{id}


# --- models ----------------------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SearchBody(_Body):
    """What to search: the query language, plain text and filters (AND'ed), and what to return."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": '(refund OR "money back") NEAR/5 late',
                    "filters": {"langs": ["en"], "sentiments": ["negative"]},
                    "sort": "newest",
                    "size": 20,
                    "facets": ["platform", "sentiment"],
                    "highlight": True,
                    "histogram": "day",
                }
            ]
        }
    )

    query: str | None = Field(None, description="Query language (docs/query-language.md)")
    text: str | None = Field(None, description="Plain words, every one required")
    filters: MentionFilter = Field(MentionFilter(), description="Structured filters, AND'ed with the query")
    sort: SortOrder = "newest"
    size: int = Field(20, ge=0, description="Hits on this page, at most api.max_page_size")
    search_after: str | None = Field(None, description="The previous page's next_cursor: the page after it")
    facets: tuple[FacetField, ...] = Field((), description="Fields to count over every match")
    facet_size: int = Field(10, ge=1, le=100, description="Buckets per facet")
    highlight: bool = Field(True, description="Mark what the query matched (HTML-escaped text, <em> marks)")
    histogram: HistogramInterval = Field("none", description="Matches per calendar interval of published_at")
    tz: str = Field("UTC", description="Time zone of the histogram's calendar: an IANA name or '+08:00'")


class ExportBody(_Body):
    """Which mentions to export: every match of the query, text and filters (oldest first)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"query": "refund OR 退款", "filters": {"sentiments": ["negative"]}}]}
    )

    query: str | None = None
    text: str | None = None
    filters: MentionFilter = MentionFilter()


class QueryBody(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "refund AND (late"}]})

    query: str = Field(description="Query language text to check")


class AspectChip(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    polarity: str


class MentionSummary(BaseModel):
    """A hit as a list shows it: where and when, the text (cut at 600 characters), its enrichment."""

    model_config = ConfigDict(frozen=True)

    id: str
    platform: str
    source: str
    site: str | None
    url: str | None
    author: str | None = Field(description="Handle, else display name")
    published_at: AwareDatetime
    lang: str
    country: str | None
    rating: float | None
    title: str | None
    text: str
    truncated: bool = Field(description="Whether `text` was cut")
    sentiment: str
    sentiment_score: float
    intents: list[str]
    aspects: list[AspectChip]
    customer_id: str | None
    hashtags: list[str]

    @classmethod
    def of(cls, m: EnrichedMention) -> MentionSummary:
        author = (m.author.handle or m.author.display_name) if m.author else None
        return cls(
            id=m.id,
            platform=m.platform,
            source=m.source,
            site=m.site,
            url=m.url,
            author=author,
            published_at=m.published_at,
            lang=m.lang,
            country=m.country,
            rating=m.rating,
            title=m.title,
            text=m.text[:SUMMARY_CHARS],
            truncated=len(m.text) > SUMMARY_CHARS,
            sentiment=m.sentiment.label.value,
            sentiment_score=m.sentiment.score,
            intents=[i.label.value for i in m.intents],
            aspects=[AspectChip(label=a.label.value, polarity=a.polarity.value) for a in m.aspects],
            customer_id=m.customer.customer_id if m.customer else None,
            hashtags=list(m.hashtags),
        )


class SearchResult(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "total": 8,
                    "hits": [],
                    "highlights": {"3f2a…": {"text": ["the <em>refund</em> is 40 hours <em>late</em>"]}},
                    "facets": {"platform": [{"key": "web", "count": 8}]},
                    "histogram": [{"key": "2026-11-01T00:00:00+00:00", "count": 3}],
                    "next_cursor": None,
                }
            ]
        },
    )

    total: int = Field(description="Every match, not only this page")
    hits: list[MentionSummary]
    highlights: dict[str, dict[str, list[str]]] = Field(
        description="mention id -> field -> fragments: HTML-escaped text with <em> marks"
    )
    facets: dict[str, list[Bucket]]
    histogram: list[Bucket] = Field(description="Oldest first; empty buckets omitted")
    next_cursor: str | None = Field(description="Send as search_after for the next page; null at the end")

    @classmethod
    def of(cls, page: SearchPage) -> SearchResult:
        return cls(
            total=page.total,
            hits=[MentionSummary.of(m) for m in page.hits],
            highlights={
                i: {f: list(parts) for f, parts in fields.items()} for i, fields in page.highlights.items()
            },
            facets={field: list(buckets) for field, buckets in page.facets.items()},
            histogram=list(page.histogram),
            next_cursor=page.next_cursor,
        )


class LocatedError(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str
    position: int = Field(description="Offset into the query (characters); -1 when unknown")
    expected: list[str] = Field(description="What the parser expected there")
    caret: str = Field(description="The query line, a caret under the position, and the message")


class LintWarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    code: str = Field(description="unbalanced_quote, lowercase_operator, large_distance, ...")
    message: str


class QueryCheck(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "ok": False,
                    "error": {
                        "message": "expected ')'",
                        "position": 16,
                        "expected": [")"],
                        "caret": "refund AND (late\n                ^\ncolumn 17: expected ')'",
                    },
                    "warnings": [],
                }
            ]
        },
    )

    ok: bool
    error: LocatedError | None
    warnings: list[LintWarning]


class SavedSearchBody(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "late refunds", "query": '(refund OR "money back") NEAR/5 late', "description": ""}
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1)
    description: str | None = Field(None, max_length=2000)


class SavedSearches(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner: str
    searches: list[SavedSearch] = Field(description="By name")


# --- helpers (shared with the Explore page) --------------------------------------------------------
def check_lengths(max_chars: int, **texts: str | None) -> None:
    """InvalidInput (400) when a query or text is longer than `max_chars` (``api.max_query_chars``)."""
    for field, value in texts.items():
        if value is not None and len(value) > max_chars:
            raise InvalidInput(
                f"{field} is too long: {len(value)} characters, at most {max_chars}",
                details={"field": field, "length": len(value), "max_query_chars": max_chars},
            )


def check_page_size(size: int, max_size: int) -> None:
    """422 in the one shape (a located field error) when a page asks for more than ``api.max_page_size``
    (or than a store returns at once, whichever is less)."""
    max_size = min(max_size, MAX_SEARCH_LIMIT)
    if size > max_size:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "size"),
                    "msg": f"Input should be less than or equal to {max_size}",
                    "type": "less_than_equal",
                }
            ]
        )


@contextmanager
def caret_on_syntax_errors() -> Iterator[None]:
    """A QuerySyntaxError raised inside answers with its caret rendering too (``details.caret``: the query
    line, a caret under the position, the message), beside ``position`` and ``expected``."""
    try:
        yield
    except QuerySyntaxError as exc:
        exc.details["caret"] = exc.render()
        raise


def located(error: QuerySyntaxError) -> LocatedError:
    return LocatedError(
        message=error.message, position=error.position, expected=list(error.expected), caret=error.render()
    )


def query_check(query: str) -> QueryCheck:
    """`index.query.lint.check` as the API reports it."""
    result = check(query)
    return QueryCheck(
        ok=result.ok,
        error=located(result.error) if result.error is not None else None,
        warnings=[LintWarning(position=w.position, code=w.code, message=w.message) for w in result.warnings],
    )


def owner_of(principal: Principal) -> str:
    """Whose saved searches these are: the user, or ``key:<id>`` for an API key."""
    return principal.actor


def export_response(services: Services, request: SearchRequest, fmt: ExportFormat) -> StreamingResponse:
    """Every match of `request` as a streamed file. The first page is read before the response starts,
    so a store that is down still answers 503 in the one shape rather than a cut-off file."""
    mentions = export_search(services.mentions, request)
    first = list(islice(mentions, 1))
    rows: Iterator[EnrichedMention] = chain(first, mentions)
    chunks = csv_chunks(rows) if fmt == "csv" else jsonl_chunks(rows)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    filename = f"earful-{services.workspace}-{stamp}.{fmt}"
    return StreamingResponse(
        chunks,
        media_type=EXPORT_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- routes ----------------------------------------------------------------------------------------
@router.post(
    "/search",
    response_model=SearchResult,
    summary="Search mentions: a page of hits, highlights, facets, histogram and the next page's cursor",
    responses=error_responses(400, 401, 403, 422, 502, 503),
)
def search(body: SearchBody, principal: Reader, services: Stores) -> SearchResult:
    settings = services.settings.api
    check_lengths(settings.max_query_chars, query=body.query, text=body.text)
    check_page_size(body.size, settings.max_page_size)
    request = SearchRequest(
        query=body.query,
        text=body.text,
        filters=body.filters,
        sort=body.sort,
        limit=body.size,
        search_after=body.search_after,
        highlight=body.highlight,
        facets=body.facets,
        facet_size=body.facet_size,
        histogram=None if body.histogram == "none" else body.histogram,
        histogram_tz=body.tz,
    )
    with caret_on_syntax_errors():
        return SearchResult.of(services.mentions.search(request))


@router.post(
    "/search/check",
    response_model=QueryCheck,
    summary="Check a query: the located error with a caret, and lint warnings (a bad query is no 400 here)",
    responses=error_responses(400, 401, 403, 422),
)
def search_check(body: QueryBody, principal: Reader, services: Stores) -> QueryCheck:
    check_lengths(services.settings.api.max_query_chars, query=body.query)
    return query_check(body.query)


@router.post(
    "/search/export",
    response_class=StreamingResponse,
    summary="Export every match as CSV (safe for spreadsheets) or JSON Lines, streamed, oldest first",
    responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "The file"},
        **error_responses(400, 401, 403, 422, 502, 503),
    },
)
def search_export(
    body: ExportBody,
    principal: Exporter,
    services: Stores,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv or jsonl")] = "csv",
) -> StreamingResponse:
    check_lengths(services.settings.api.max_query_chars, query=body.query, text=body.text)
    with caret_on_syntax_errors():
        return export_response(
            services, SearchRequest(query=body.query, text=body.text, filters=body.filters), fmt
        )


@router.get(
    "/saved-searches",
    response_model=SavedSearches,
    summary="The principal's saved searches, by name",
    responses=error_responses(401, 403),
)
def list_saved_searches(principal: Reader, services: Stores) -> SavedSearches:
    owner = owner_of(principal)
    return SavedSearches(owner=owner, searches=services.saved_searches.list_searches(owner))


@router.post(
    "/saved-searches",
    response_model=SavedSearch,
    status_code=201,
    summary="Save a search under a name (replaces the principal's search of that name: 200)",
    responses={
        200: {"model": SavedSearch, "description": "Replaced the principal's search of that name"},
        **error_responses(400, 401, 403, 422),
    },
)
def save_search(
    body: SavedSearchBody, principal: Writer, services: Stores, response: Response
) -> SavedSearch:
    check_lengths(services.settings.api.max_query_chars, query=body.query)
    owner = owner_of(principal)
    store = services.saved_searches
    existing = store.get_search(owner, body.name)
    now = utcnow()
    saved = SavedSearch(
        name=body.name,
        owner=owner,
        query=body.query,
        description=body.description,
        created_at=existing.created_at if existing is not None else now,
        updated_at=now,
    )
    with caret_on_syntax_errors():
        checked(saved)  # QuerySyntaxError (400, located) before anything is written
    store.save_search(saved)
    if existing is not None:
        response.status_code = 200
    return saved


@router.get(
    "/saved-searches/{name}",
    response_model=SavedSearch,
    summary="One of the principal's saved searches",
    responses=error_responses(401, 403, 404),
)
def get_saved_search(name: str, principal: Reader, services: Stores) -> SavedSearch:
    found = services.saved_searches.get_search(owner_of(principal), name)
    if found is None:
        raise NotFound(f"no saved search {name!r}", details={"name": name})
    return found


@router.delete(
    "/saved-searches/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete one of the principal's saved searches",
    responses=error_responses(401, 403, 404),
)
def delete_saved_search(name: str, principal: Writer, services: Stores) -> Response:
    if not services.saved_searches.delete_search(owner_of(principal), name):
        raise NotFound(f"no saved search {name!r}", details={"name": name})
    return Response(status_code=204)
