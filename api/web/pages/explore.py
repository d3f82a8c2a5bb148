"""``/explore``: search the workspace's mentions in the browser.

The URL carries the search (``q`` and the filters), so a search can be shared and bookmarked; the form
asks htmx for the results alone (``_results.html``) and pushes the URL. The query box is checked as one
types (``POST /explore/check`` renders ``_query_check.html``: the located error with a caret, lint
warnings). "Load more" follows the search's cursor (``/explore/more``); exports stream a file
(``/explore/export``); analysts save the search (``POST /explore/saved``). Every call goes through the
same helpers as the JSON routes of `api.routes.search`.

Highlights are markup built by `api.web.markup.highlighted` (only ``<em>``); everything else a person
wrote is escaped by the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup

from api.accounts.models import Permission
from api.deps import Principal, Stores, require_page
from api.routes.search import ExportFormat, check_lengths, export_response, owner_of, query_check
from api.services import Services
from api.web.i18n import request_language, translate
from api.web.markup import highlighted
from api.web.render import is_htmx, render, url_with
from core.errors import InvalidInput, QuerySyntaxError
from core.models import EnrichedMention, IntentLabel, SavedSearch, SentimentLabel, utcnow
from index.base import Bucket, FacetField, Interval, MentionFilter, SearchPage, SearchRequest, SortOrder
from reports.charts import buckets_chart

router = APIRouter(tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, Depends(require_page(Permission.READ))]
Exporter = Annotated[Principal, Depends(require_page(Permission.EXPORT))]
Writer = Annotated[Principal, Depends(require_page(Permission.SEARCHES_WRITE))]

Period = Literal["all", "24h", "7d", "30d", "90d"]
PAGE_SIZE: Final = 20
TEXT_CHARS: Final = 400  # a hit's text without highlights, cut here (the mention page has it all)
PERIODS: Final[dict[str, tuple[timedelta | None, Interval]]] = {
    # period -> (how far back, the histogram's interval)
    "all": (None, "day"),
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "day"),
    "30d": (timedelta(days=30), "day"),
    "90d": (timedelta(days=90), "week"),
}
FACETS: Final[tuple[FacetField, ...]] = ("platform", "lang", "sentiment", "intent", "hashtag")
# a facet's bucket -> the URL parameter that filters on it (hashtags filter through the query language)
FACET_PARAMS: Final[dict[str, str]] = {
    "platform": "platform",
    "lang": "lang",
    "sentiment": "sentiment",
    "intent": "intent",
}
SENTIMENTS: Final = tuple(SentimentLabel)
INTENTS: Final = tuple(IntentLabel)


@dataclass(frozen=True)
class Search:
    """The search a URL describes (parameters of the page, its partials and its export)."""

    q: str = ""
    sentiment: SentimentLabel | None = None
    lang: str = ""
    platform: str = ""
    intent: IntentLabel | None = None
    period: Period = "all"
    sort: SortOrder = "newest"

    @property
    def interval(self) -> Interval:
        return PERIODS[self.period][1]

    def params(self) -> dict[str, str]:
        """The URL parameters that say this search (empty ones left out)."""
        values = {
            "q": self.q,
            "sentiment": self.sentiment.value if self.sentiment else "",
            "lang": self.lang,
            "platform": self.platform,
            "intent": self.intent.value if self.intent else "",
            "period": "" if self.period == "all" else self.period,
            "sort": "" if self.sort == "newest" else self.sort,
        }
        return {k: v for k, v in values.items() if v}

    def url(self, path: str = "/explore", **extra: object) -> str:
        return url_with(path, **{**self.params(), **extra})

    def request(self, now: datetime, *, cursor: str | None = None) -> SearchRequest:
        back = PERIODS[self.period][0]
        filters = MentionFilter(
            sentiments=(self.sentiment,) if self.sentiment else (),
            langs=(self.lang,) if self.lang else (),
            platforms=(self.platform,) if self.platform else (),
            intents=(self.intent,) if self.intent else (),
            since=now - back if back is not None else None,
        )
        return SearchRequest(
            query=self.q or None,
            filters=filters,
            sort=self.sort,
            limit=PAGE_SIZE,
            search_after=cursor,
            highlight=True,
            facets=FACETS,
            histogram=self.interval,
        )


def search_params(
    q: Annotated[str, Query(description="Query language")] = "",
    sentiment: SentimentLabel | Literal[""] = "",
    lang: str = "",
    platform: str = "",
    intent: IntentLabel | Literal[""] = "",
    period: Period = "all",
    sort: SortOrder = "newest",
) -> Search:
    return Search(
        q=q.strip(),
        sentiment=sentiment or None,
        lang=lang.strip(),
        platform=platform.strip(),
        intent=intent or None,
        period=period,
        sort=sort,
    )


Params = Annotated[Search, Depends(search_params)]


@dataclass(frozen=True)
class Hit:
    """A result as the list shows it: the mention, and its title and text as markup (highlighted where
    the query matched, else escaped and cut)."""

    mention: EnrichedMention
    title: Markup | None
    text: Markup


def _joined(fragments: tuple[str, ...]) -> Markup:
    return Markup(" \u2026 ").join(h for h in (highlighted(f) for f in fragments) if h is not None)


def hits_of(page: SearchPage) -> list[Hit]:
    out: list[Hit] = []
    for mention in page.hits:
        marks = page.highlights.get(mention.id, {})
        text = mention.text if len(mention.text) <= TEXT_CHARS else mention.text[:TEXT_CHARS] + "\u2026"
        title = (
            _joined(marks["title"])
            if "title" in marks
            else (Markup.escape(mention.title) if mention.title else None)
        )
        body = _joined(marks["text"]) if "text" in marks else Markup.escape(text)
        out.append(Hit(mention=mention, title=title, text=body))
    return out


def volume_spec(buckets: tuple[Bucket, ...], interval: Interval, lang: str) -> dict[str, Any]:
    """The volume histogram of a search: the dashboard's volume chart (`reports.charts`), shorter."""
    labels = {
        "volume.title": translate("explore.chart.title", lang),
        "volume.x": translate("explore.chart.x", lang),
        "volume.y": translate("explore.chart.y", lang),
    }
    return buckets_chart(buckets, interval, labels, height=160)


def facet_links(search: Search, page: SearchPage) -> list[tuple[str, list[tuple[Bucket, str | None, bool]]]]:
    """Per facet: each bucket with the URL that filters on it (None when it cannot) and whether it is the
    filter already applied."""
    out: list[tuple[str, list[tuple[Bucket, str | None, bool]]]] = []
    current = search.params()
    for field, buckets in page.facets.items():
        param = FACET_PARAMS.get(field)
        rows: list[tuple[Bucket, str | None, bool]] = []
        for bucket in buckets:
            if param is not None:
                active = current.get(param) == bucket.key
                rows.append(
                    (bucket, search.url("/explore", **{param: None if active else bucket.key}), active)
                )
            else:  # a hashtag: AND'ed to the query
                tag = f"#{bucket.key}"
                query = f"({search.q}) AND {tag}" if search.q else tag
                rows.append((bucket, search.url(q=query), False))
        out.append((field, rows))
    return out


def _results_context(
    request: Request, principal: Principal, services: Services, search: Search, cursor: str | None = None
) -> dict[str, Any]:
    """Everything `_results.html` shows: the page (or the problem with the search, said in place)."""
    lang = request_language(request)
    context: dict[str, Any] = {
        "search": search,
        "page": None,
        "hits": [],
        "facets": [],
        "chart": None,
        "error": None,
        "syntax": None,
        "next_url": None,
        "can_export": principal.can(Permission.EXPORT),
        "can_save": principal.can(Permission.SEARCHES_WRITE),
        "export_urls": {fmt: search.url("/explore/export", format=fmt) for fmt in ("csv", "jsonl")},
    }
    try:
        check_lengths(services.settings.api.max_query_chars, q=search.q)
        page = services.mentions.search(search.request(utcnow(), cursor=cursor))
    except QuerySyntaxError as exc:
        context["syntax"] = query_check(search.q)
        context["error"] = exc
        return context
    except InvalidInput as exc:  # too long, a damaged cursor: the user's input, said in the page
        context["error"] = exc
        return context
    context.update(
        page=page,
        hits=hits_of(page),
        facets=facet_links(search, page),
        chart=volume_spec(page.histogram, search.interval, lang) if page.histogram else None,
        next_url=search.url("/explore/more", cursor=page.next_cursor) if page.next_cursor else None,
    )
    return context


def _wants_fragment(request: Request) -> bool:
    # htmx restoring history after a cache miss wants the whole page, not the fragment
    return is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"


def _own_searches(services: Services, principal: Principal) -> list[SavedSearch]:
    return services.saved_searches.list_searches(owner_of(principal))


@router.get("/explore", response_class=HTMLResponse)
def explore_page(
    request: Request,
    search: Params,
    principal: Reader,
    services: Stores,
    cursor: Annotated[str | None, Query(description="Start after this cursor (a shared 'next' link)")] = None,
) -> Response:
    context = _results_context(request, principal, services, search, cursor or None)
    if _wants_fragment(request):
        return render(request, "_results.html", context)
    context.update(
        sentiments=SENTIMENTS,
        intents=INTENTS,
        periods=tuple(PERIODS),
        languages=[b.key for b in services.mentions.terms("lang", size=30)],
        platforms=[b.key for b in services.mentions.terms("platform", size=30)],
        saved=_own_searches(services, principal),
    )
    return render(request, "explore.html", context)


@router.get("/explore/more", response_class=HTMLResponse)
def explore_more(
    request: Request,
    search: Params,
    principal: Reader,
    services: Stores,
    cursor: Annotated[str, Query(min_length=1)],
) -> Response:
    """The hits after `cursor` and the next "load more" (list items appended where the button was)."""
    return render(request, "_more.html", _results_context(request, principal, services, search, cursor))


@router.post("/explore/check", response_class=HTMLResponse)
def explore_check(
    request: Request, principal: Reader, services: Stores, q: Annotated[str, Form()] = ""
) -> Response:
    """The query box's live check: the located error under a caret, and the lint warnings."""
    too_long = None
    try:
        check_lengths(services.settings.api.max_query_chars, q=q)
    except InvalidInput as exc:
        too_long = exc
    result = query_check(q) if q.strip() and too_long is None else None
    return render(request, "_query_check.html", {"check": result, "too_long": too_long})


@router.post("/explore/saved", response_class=HTMLResponse)
def explore_save(
    request: Request,
    principal: Writer,
    services: Stores,
    name: Annotated[str, Form(max_length=200)],
    q: Annotated[str, Form()],
) -> Response:
    """Save the search under `name` (the user's own; the same name replaces it)."""
    lang = request_language(request)
    owner = owner_of(principal)
    store = services.saved_searches
    name, q = name.strip(), q.strip()
    context: dict[str, Any] = {"saved_name": None, "error": None, "q": q}
    try:
        check_lengths(services.settings.api.max_query_chars, q=q)
        if not name or not q:
            raise InvalidInput(translate("explore.save.missing", lang))
        existing = store.get_search(owner, name)
        now = utcnow()
        store.save_search(
            SavedSearch(
                name=name,
                owner=owner,
                query=q,
                created_at=existing.created_at if existing is not None else now,
                updated_at=now,
            )
        )
        context["saved_name"] = name
    except InvalidInput as exc:  # a bad query (located), a missing name: said beside the form
        context["error"] = exc
    context["saved"] = _own_searches(services, principal)
    return render(request, "_save_search.html", context)


@router.get("/explore/export")
def explore_export(
    search: Params,
    principal: Exporter,
    services: Stores,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "csv",
) -> StreamingResponse:
    """The search's every match as a file (a link, so a plain download)."""
    check_lengths(services.settings.api.max_query_chars, q=search.q)
    request = search.request(utcnow())
    return export_response(services, SearchRequest(query=request.query, filters=request.filters), fmt)
