"""The Elasticsearch MentionStore (and CursorStore): the schema of `index.schema`, the writer of
`index.bulk`, queries compiled from MentionFilter and plain text.

Semantics follow `index.base` exactly, so results equal the SQLite backend's:
- plain text: each unit of `index.analysis.query_words` is required; an English word matches its stem
  in ``analysis.stems``, a run of CJK characters is a phrase over ``analysis.terms``;
- sorts break ties by id ascending; relevance without text is newest first;
- aggregation keys come from `index.aggregations`;
- export pages with search_after on (published_at, id) inside a point in time when the cluster
  supports one, and without it otherwise;
- every query is `compile_query`'s, which always filters on the store's workspace, and every document
  is addressed by its scoped ``_id`` (`core.ids.scoped_doc_id`), so nothing reaches another workspace.

Every client error is translated: unreachable, overloaded or 5xx -> StoreUnavailable (retryable),
other 4xx -> StoreError with the status, type and reason in ``details``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from core.ids import saved_search_id, scoped_doc_id
from core.models import (
    EnrichedMention,
    SavedSearch,
    SentimentLabel,
    SourceCursor,
    WritePolicy,
)
from index import schema
from index.aggregations import check_interval, key_from_epoch_millis, zone
from index.analysis import is_cjk, query_words
from index.base import (
    Bucket,
    FacetField,
    Interval,
    MentionFilter,
    SearchPage,
    SearchRequest,
    SentimentShare,
    UpsertResult,
)
from index.bulk import BulkWriter
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.paging import decode_cursor, encode_cursor
from index.query import Node
from index.query.to_es import compile_es
from index.saved_searches import checked, ordered, page_highlights, request_query

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

NO_FILTER = MentionFilter()
FACET_FIELDS: dict[str, str] = {
    "platform": "platform",
    "source": "source",
    "lang": "lang",
    "sentiment": "sentiment.label",
    "intent": "intents.label",
    "site": "site",
    "country": "country",
    "author": "author.handle",
    "customer": "customer.customer_id",
    "hashtag": "hashtags",
}
PIT_KEEP_ALIVE = "2m"
_ENGINE = "elasticsearch"  # whose cursors these are
_SAVED_PAGE = 1000
_SOURCE_EXCLUDES = list(schema.DERIVED_FIELDS)


# --- query compilation (pure) --------------------------------------------------------------------
def es_datetime(value: datetime) -> str:
    """An aware datetime as a UTC ISO string with microseconds, for date_nanos ranges."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def filter_clauses(filters: MentionFilter) -> list[dict[str, Any]]:
    """Bool-filter clauses of a MentionFilter: every given field must match, values OR'ed."""
    f = filters
    clauses: list[dict[str, Any]] = []
    for field, values in (
        ("id", f.ids),
        ("platform", f.platforms),
        ("source", f.sources),
        ("lang", f.langs),
        ("sentiment.label", tuple(s.value for s in f.sentiments)),
        ("intents.label", tuple(i.value for i in f.intents)),
        ("customer.customer_id", f.customer_ids),
        ("site", f.sites),
        ("author.handle", f.authors),
        ("country", f.countries),
    ):
        if values:
            clauses.append({"terms": {field: list(values)}})
    if f.linked is True:
        clauses.append({"exists": {"field": "customer.customer_id"}})
    elif f.linked is False:
        clauses.append({"bool": {"must_not": [{"exists": {"field": "customer.customer_id"}}]}})
    if f.since is not None or f.until is not None:
        bounds: dict[str, str] = {}
        if f.since is not None:
            bounds["gte"] = es_datetime(f.since)
        if f.until is not None:
            bounds["lt"] = es_datetime(f.until)
        clauses.append({"range": {"published_at": bounds}})
    return clauses


def text_clauses(text: str | None) -> list[dict[str, Any]]:
    """Scored clauses for plain text: every unit must occur (no unit: no constraint)."""
    clauses: list[dict[str, Any]] = []
    for unit in query_words(text or ""):
        if len(unit) == 1 and not is_cjk(unit[0]):
            clauses.append({"term": {"analysis.stems": unit[0]}})
        else:
            clauses.append({"match_phrase": {"analysis.terms": " ".join(unit)}})
    return clauses


def workspace_filter(workspace: str) -> dict[str, Any]:
    return {"term": {schema.WORKSPACE_FIELD: workspace}}


def compile_query(
    workspace: str,
    filters: MentionFilter = NO_FILTER,
    text: str | None = None,
    node: Node | None = None,
) -> dict[str, Any]:
    """Filters, plain text and a parsed query-language query (`index.query.to_es.compile_es`), AND'ed,
    inside `workspace`: its filter wraps every query (aggregations run over the query's matches), so
    no search, count or aggregation can see another workspace."""
    query: dict[str, Any] = {"filter": [workspace_filter(workspace), *filter_clauses(filters)]}
    must = text_clauses(text)
    if node is not None:
        must.append(compile_es(node))
    if must:
        query["must"] = must
    return {"bool": query}


def _owned(source: dict[str, Any], workspace: str) -> dict[str, Any] | None:
    """A stored ``_source`` without its workspace, or None when it belongs to another workspace (the
    scoped ``_id`` already rules that out; checked all the same, it costs nothing)."""
    if source.get(schema.WORKSPACE_FIELD) != workspace:
        return None
    return {k: v for k, v in source.items() if k != schema.WORKSPACE_FIELD}


def compile_sort(sort: str, has_text: bool) -> list[dict[str, Any]]:
    if sort == "relevance" and has_text:
        return [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    if sort == "oldest":
        return [{"published_at": {"order": "asc"}}, {"id": {"order": "asc"}}]
    return [{"published_at": {"order": "desc"}}, {"id": {"order": "asc"}}]


def terms_aggregation(field: FacetField, size: int) -> dict[str, Any]:
    """A terms aggregation with the protocol's order: count descending, then key ascending."""
    return {
        "terms": {
            "field": FACET_FIELDS[field],
            "size": size,
            # Exact on one shard; on several, a generous shard_size keeps it so in practice.
            "shard_size": max(size * 10, 1000),
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }


def date_histogram_aggregation(interval: Interval, tz: str) -> dict[str, Any]:
    """Calendar buckets of published_at in `tz` (`index.aggregations` gives the keys)."""
    return {
        "date_histogram": {
            "field": "published_at",
            "calendar_interval": interval,
            "time_zone": es_time_zone(tz),
            "min_doc_count": 1,
        }
    }


def _date_buckets(aggregation: dict[str, Any], tz: str) -> list[Bucket]:
    return [
        Bucket(key=key_from_epoch_millis(int(b["key"]), tz), count=b["doc_count"])
        for b in aggregation["buckets"]
        if b["doc_count"] > 0
    ]


def _buckets(aggregation: dict[str, Any]) -> list[Bucket]:
    return [Bucket(key=str(b["key"]), count=b["doc_count"]) for b in aggregation["buckets"]]


def es_time_zone(tz: str) -> str:
    """The `time_zone` Elasticsearch expects for a zone `index.aggregations.zone` accepts."""
    info = zone(tz)
    if info is UTC:
        return "UTC"
    if isinstance(info, timezone):
        offset = info.utcoffset(None)
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return tz


# --- the store -----------------------------------------------------------------------------------
class ElasticsearchMentionStore(ScopedElasticsearch):
    """MentionStore, CursorStore and SavedSearchStore of one workspace on Elasticsearch. Thread-safe:
    one client, a writer per upsert.

    Scoped at construction, for good: one scoping point instead of a parameter on every method that
    one call site could forget; an API request builds its store from the authenticated user's
    workspace. Stores of several workspaces share the indices, and may share a client (``client=``)."""

    name: ClassVar[str] = "elasticsearch"

    @property
    def alias(self) -> str:
        return schema.alias_name(self.prefix)

    @property
    def state_index(self) -> str:
        return schema.state_index_name(self.prefix)

    @property
    def saved_searches_index(self) -> str:
        return schema.saved_searches_index_name(self.prefix)

    # --- lifecycle -------------------------------------------------------------------------------
    def ensure_ready(self) -> None:
        schema.ensure_ready(self.client, self.prefix, self.es_settings)
        self._ready = True

    def refresh(self) -> None:
        client = self._ensure()
        with translated("refresh the mentions index"):
            client.indices.refresh(index=self.alias)

    def writer(self) -> BulkWriter:
        return BulkWriter(self._ensure(), self.es_settings, self.alias, workspace=self._workspace)

    # --- writes ----------------------------------------------------------------------------------
    def upsert(
        self, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        if not mentions:
            return UpsertResult()
        return self.writer().write(mentions, policy)

    def delete(self, mention_ids: Sequence[str]) -> int:
        ids = [i for i in mention_ids if i]
        if not ids:
            return 0
        return self.writer().delete(ids)

    # --- reads -----------------------------------------------------------------------------------
    def get(self, mention_id: str) -> EnrichedMention | None:
        from elasticsearch import NotFoundError

        if not mention_id:
            return None
        client = self._ensure()
        with translated("get a mention"):
            try:
                found = client.get(
                    index=self.alias,
                    id=scoped_doc_id(self._workspace, mention_id),
                    source_excludes=_SOURCE_EXCLUDES,
                )
            except NotFoundError:
                return None
        source = _owned(found["_source"], self._workspace)
        return None if source is None else schema.mention_from_source(source)

    def search(self, request: SearchRequest) -> SearchPage:
        """`request.query` (compiled to span and bool queries) AND `text` AND filters in one request, with
        the facets as terms aggregations over every match. Highlights come from the evaluator's spans on
        the returned hits, so they are the same as the SQLite backend's. Cursors carry the last hit's
        sort values (published_at, id) or (_score, id), given back as native ``search_after``; one hit
        more than the page is asked for, to know whether another page follows."""
        node = request_query(request)  # QuerySyntaxError before any request
        has_text = bool(text_clauses(request.text))
        ranked = request.sort == "relevance" and has_text
        after = decode_cursor(_ENGINE, request, (float, str) if ranked else (int, str))
        facets = tuple(dict.fromkeys(request.facets))
        client = self._ensure()
        aggs = {f"facet_{field}": terms_aggregation(field, request.facet_size) for field in facets}
        if request.histogram is not None:
            check_interval(request.histogram)
            aggs["histogram"] = date_histogram_aggregation(request.histogram, request.histogram_tz)
        # within the result window: the one extra hit is skipped where the window has no room for it
        room = request.limit > 0 and request.offset + request.limit < schema.MAX_RESULT_WINDOW
        size = request.limit + 1 if room else request.limit
        with translated("search mentions"):
            response = client.search(
                index=self.alias,
                query=compile_query(self._workspace, request.filters, request.text, node),
                sort=compile_sort(request.sort, has_text),
                from_=request.offset,
                size=size,
                search_after=after,
                track_total_hits=True,
                source_excludes=_SOURCE_EXCLUDES,
                aggs=aggs or None,
            )
        found = response["hits"]["hits"]
        page = found[: request.limit]
        more = len(found) > request.limit or (not room and len(found) == request.limit)
        hits = tuple(schema.mention_from_source(hit["_source"]) for hit in page)
        return SearchPage(
            total=response["hits"]["total"]["value"],
            hits=hits,
            highlights=page_highlights(node, hits) if request.highlight else {},
            facets={field: tuple(_buckets(response["aggregations"][f"facet_{field}"])) for field in facets},
            histogram=tuple(_date_buckets(response["aggregations"]["histogram"], request.histogram_tz))
            if request.histogram is not None
            else (),
            next_cursor=encode_cursor(_ENGINE, request, page[-1]["sort"]) if more and page else None,
        )

    def count(self, filters: MentionFilter = NO_FILTER) -> int:
        client = self._ensure()
        with translated("count mentions"):
            response = client.count(index=self.alias, query=compile_query(self._workspace, filters))
        return int(response["count"])

    def date_histogram(
        self, filters: MentionFilter = NO_FILTER, interval: Interval = "day", tz: str = "UTC"
    ) -> list[Bucket]:
        check_interval(interval)
        aggregation = date_histogram_aggregation(interval, tz)
        client = self._ensure()
        with translated("aggregate mentions by date"):
            response = client.search(
                index=self.alias,
                query=compile_query(self._workspace, filters),
                size=0,
                aggs={"by_date": aggregation},
            )
        return _date_buckets(response["aggregations"]["by_date"], tz)

    def terms(self, field: FacetField, filters: MentionFilter = NO_FILTER, size: int = 10) -> list[Bucket]:
        from core.errors import InvalidInput

        if field not in FACET_FIELDS:
            raise InvalidInput(f"unknown facet field {field!r}", details={"field": field})
        if size <= 0:
            return []
        client = self._ensure()
        with translated("aggregate mentions by terms"):
            response = client.search(
                index=self.alias,
                query=compile_query(self._workspace, filters),
                size=0,
                aggs={"top": terms_aggregation(field, size)},
            )
        return _buckets(response["aggregations"]["top"])

    def sentiment_share(self, filters: MentionFilter = NO_FILTER) -> SentimentShare:
        client = self._ensure()
        with translated("aggregate sentiment"):
            response = client.search(
                index=self.alias,
                query=compile_query(self._workspace, filters),
                size=0,
                track_total_hits=True,
                aggs={"labels": {"terms": {"field": "sentiment.label", "size": len(SentimentLabel)}}},
            )
        found = {b["key"]: b["doc_count"] for b in response["aggregations"]["labels"]["buckets"]}
        counts = {label: int(found.get(label.value, 0)) for label in SentimentLabel}
        return SentimentShare(total=response["hits"]["total"]["value"], counts=counts)

    def export(self, filters: MentionFilter = NO_FILTER, page_size: int = 1000) -> Iterator[EnrichedMention]:
        """Oldest first; inside a point in time (a snapshot) when the cluster has them."""
        client = self._ensure()
        page_size = max(1, min(page_size, schema.MAX_RESULT_WINDOW))
        query = compile_query(self._workspace, filters)
        sort = compile_sort("oldest", has_text=False)
        pit_id = self._open_pit(client)
        search_after: list[Any] | None = None
        try:
            while True:
                params: dict[str, Any] = {
                    "query": query,
                    "sort": sort,
                    "size": page_size,
                    "source_excludes": _SOURCE_EXCLUDES,
                    "track_total_hits": False,
                }
                if search_after is not None:
                    params["search_after"] = search_after
                if pit_id is not None:
                    params["pit"] = {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
                else:
                    params["index"] = self.alias
                with translated("export mentions"):
                    response = client.search(**params)
                pit_id = response.get("pit_id", pit_id)
                hits = response["hits"]["hits"]
                for hit in hits:
                    yield schema.mention_from_source(hit["_source"])
                if len(hits) < page_size:
                    return
                search_after = hits[-1]["sort"]
        finally:
            if pit_id is not None:
                self._close_pit(client, pit_id)

    def _open_pit(self, client: Elasticsearch) -> str | None:
        from elasticsearch import ApiError

        with translated("open a point in time"):
            try:
                pit: str = client.open_point_in_time(index=self.alias, keep_alive=PIT_KEEP_ALIVE)["id"]
            except ApiError as exc:
                if exc.meta.status >= 500 or exc.meta.status == 429:
                    raise
                return None  # no point in time here (older or restricted cluster): plain search_after
        return pit

    @staticmethod
    def _close_pit(client: Elasticsearch, pit_id: str) -> None:
        from elasticsearch import ApiError, TransportError

        with contextlib.suppress(ApiError, TransportError):  # else it expires after PIT_KEEP_ALIVE
            client.close_point_in_time(id=pit_id)

    # --- saved searches ----------------------------------------------------------------------------
    def save_search(self, search: SavedSearch) -> None:
        """Create or replace the owner's search of that name (as given); visible when this returns.

        Raises QuerySyntaxError when the query does not parse."""
        checked(search)
        client = self._ensure()
        with translated("save a search"):
            client.index(
                index=self.saved_searches_index,
                id=scoped_doc_id(self._workspace, search.id),
                document={**search.model_dump(mode="json"), schema.WORKSPACE_FIELD: self._workspace},
                refresh="wait_for",
            )

    def get_search(self, owner: str, name: str) -> SavedSearch | None:
        from elasticsearch import NotFoundError

        client = self._ensure()
        with translated("get a saved search"):
            try:
                found = client.get(
                    index=self.saved_searches_index,
                    id=scoped_doc_id(self._workspace, saved_search_id(owner, name)),
                )
            except NotFoundError:
                return None
        source = _owned(found["_source"], self._workspace)
        return None if source is None else SavedSearch.model_validate(source)

    def list_searches(self, owner: str | None = None) -> list[SavedSearch]:
        client = self._ensure()
        wanted = [workspace_filter(self._workspace)]
        if owner is not None:
            wanted.append({"term": {"owner": owner}})
        query: dict[str, Any] = {"bool": {"filter": wanted}}
        out: list[SavedSearch] = []
        after: list[Any] | None = None
        while True:  # search_after pages: no cap on how many there are
            with translated("list saved searches"):
                response = client.search(
                    index=self.saved_searches_index,
                    query=query,
                    sort=[{"owner": "asc"}, {"name": "asc"}],
                    size=_SAVED_PAGE,
                    search_after=after,
                    track_total_hits=False,
                )
            hits = response["hits"]["hits"]
            out += [SavedSearch.model_validate(_owned(hit["_source"], self._workspace)) for hit in hits]
            if len(hits) < _SAVED_PAGE:
                return ordered(out)
            after = hits[-1]["sort"]

    def delete_search(self, owner: str, name: str) -> bool:
        from elasticsearch import NotFoundError

        client = self._ensure()
        with translated("delete a saved search"):
            try:
                client.delete(
                    index=self.saved_searches_index,
                    id=scoped_doc_id(self._workspace, saved_search_id(owner, name)),
                    refresh="wait_for",
                )
            except NotFoundError:
                return False
        return True

    # --- cursors ---------------------------------------------------------------------------------
    def load_cursor(self, source: str) -> SourceCursor | None:
        from elasticsearch import NotFoundError

        client = self._ensure()
        with translated("load a source cursor"):
            try:
                found = client.get(index=self.state_index, id=scoped_doc_id(self._workspace, source))
            except NotFoundError:
                return None
        stored = _owned(found["_source"], self._workspace)
        return None if stored is None else SourceCursor.model_validate(stored)

    def save_cursor(self, cursor: SourceCursor) -> None:
        client = self._ensure()
        with translated("save a source cursor"):
            client.index(
                index=self.state_index,
                id=scoped_doc_id(self._workspace, cursor.source),
                document={**cursor.model_dump(mode="json"), schema.WORKSPACE_FIELD: self._workspace},
            )
