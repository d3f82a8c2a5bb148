"""The data of a listening dashboard: volume over time, the sentiment trend and share, top intents, aspects,
sources and platforms, and the change against the previous period of the same length.

`build_dashboard(store, request)` reads through the `MentionStore` protocol only, so every backend gives
the same answer on the same corpus. The protocol's aggregations (`date_histogram`, `terms`, `count`) take
filters but no query, so:

- without a query, the trend is one `date_histogram` per sentiment label (the label as a filter), the tops
  are `terms`, the previous period a `count`;
- with a query (typed, or a saved search's), everything is a `search` with ``limit=0``: the trend is one
  search per sentiment label with its histogram (`SearchRequest.histogram`), the tops one search over
  the period with facets, the previous period one search's total.

Aspects are not a facet field: each aspect label is counted by a search for ``aspect:<label>`` AND'ed
with the query. Buckets are calendar intervals in ``tz`` (`index.aggregations`), every bucket of the
period present, empty ones with zero, so a chart's time axis has no holes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from core.errors import InvalidInput, StoreError
from core.models import AspectLabel, AwareDatetime, Frozen, SentimentLabel
from index.aggregations import bucket_start, format_key, order_terms, zone
from index.base import Bucket, FacetField, Interval, MentionFilter, MentionStore, SearchPage, SearchRequest
from index.query import And, FieldFilter, Node, parse, to_text

__all__ = [
    "AUTO_INTERVAL_LIMITS",
    "DEFAULT_DAYS",
    "MAX_BUCKETS",
    "MAX_DAYS",
    "SENTIMENT_ORDER",
    "DashboardData",
    "DashboardInterval",
    "DashboardRequest",
    "SentimentPoint",
    "SentimentSlice",
    "bucket_starts",
    "build_dashboard",
    "change_percent",
    "parse_period",
    "resolve_interval",
]

DashboardInterval = Literal["auto", "hour", "day", "week", "month"]
#: The order of sentiment labels in every series, table and legend.
SENTIMENT_ORDER: tuple[SentimentLabel, ...] = (
    SentimentLabel.positive,
    SentimentLabel.neutral,
    SentimentLabel.negative,
    SentimentLabel.unscored,
)
#: `auto` takes the finest interval whose limit the span does not exceed (else month): at most about a
#: hundred points on a chart.
AUTO_INTERVAL_LIMITS: tuple[tuple[Interval, timedelta], ...] = (
    ("hour", timedelta(days=2)),
    ("day", timedelta(days=92)),
    ("week", timedelta(days=732)),
)
DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years
#: More buckets than this is refused: a chart cannot show them, and with a query each is a search.
MAX_BUCKETS = 400
# A step that always lands in the next calendar bucket whatever the DST shift: 1.5 times the nominal
# length (a day lasts 23 to 25 hours; a month 28 to 31 days).
_NEXT_BUCKET_STEP: dict[Interval, timedelta] = {
    "hour": timedelta(minutes=90),
    "day": timedelta(hours=36),
    "week": timedelta(days=10, hours=12),
    "month": timedelta(days=45),
}


class DashboardRequest(Frozen):
    """What a dashboard shows: the mentions matching `query` and `filters` published in [start, end)."""

    query: str | None = Field(None, description="Query language text (docs/query-language.md); None: all")
    filters: MentionFilter = Field(
        MentionFilter(), description="Structured filters; the period is `start`/`end`, not since/until"
    )
    start: AwareDatetime = Field(description="First instant of the period (inclusive)")
    end: AwareDatetime = Field(description="End of the period (exclusive)")
    interval: DashboardInterval = Field("auto", description="Bucket size; auto picks one from the span")
    tz: str = Field("UTC", description="Time zone of the calendar buckets: IANA name, UTC or +08:00")
    top_n: int = Field(10, ge=1, le=100, description="How many intents, aspects, sources, platforms")

    @field_validator("query")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _period(self) -> DashboardRequest:
        if self.start >= self.end:
            raise ValueError("the period's start must be before its end")
        if self.filters.since is not None or self.filters.until is not None:
            raise ValueError("give the period as start and end, not as filters.since/until")
        return self

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    @property
    def previous_start(self) -> datetime:
        """Start of the previous period: as long as this one, ending where it starts."""
        return self.start - self.span


class SentimentPoint(Frozen):
    """One bucket of the sentiment trend."""

    key: str = Field(description="Bucket start, ISO 8601 with offset (as `date_histogram` keys)")
    counts: dict[SentimentLabel, int] = Field(description="Mentions per sentiment label, every label present")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class SentimentSlice(Frozen):
    label: SentimentLabel
    count: int
    fraction: float = Field(description="count / total of the period (0 when there is no mention)")


class DashboardData(Frozen):
    """A dashboard's numbers; `reports.charts` turns them into Vega-Lite specs."""

    query: str | None
    start: AwareDatetime
    end: AwareDatetime
    previous_start: AwareDatetime = Field(description="The previous period is [previous_start, start)")
    interval: Interval = Field(description="The interval used (auto resolved)")
    tz: str
    total: int = Field(description="Mentions in the period")
    previous_total: int = Field(description="Mentions in the previous period of the same length")
    change_pct: float | None = Field(
        description="(total - previous_total) / previous_total * 100; None when the previous period is empty"
    )
    volume: tuple[Bucket, ...] = Field(description="Mentions per bucket, oldest first, empty buckets as 0")
    sentiment_trend: tuple[SentimentPoint, ...] = Field(description="Per bucket, mentions per label")
    sentiment_share: tuple[SentimentSlice, ...] = Field(description="Per label over the period")
    top_intents: tuple[Bucket, ...]
    top_aspects: tuple[Bucket, ...]
    top_sources: tuple[Bucket, ...]
    top_platforms: tuple[Bucket, ...]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "query": "acme AND sentiment:negative",
                "start": "2026-11-01T00:00:00+00:00",
                "end": "2026-11-03T00:00:00+00:00",
                "previous_start": "2026-10-30T00:00:00+00:00",
                "interval": "day",
                "tz": "UTC",
                "total": 12,
                "previous_total": 8,
                "change_pct": 50.0,
                "volume": [
                    {"key": "2026-11-01T00:00:00+00:00", "count": 5},
                    {"key": "2026-11-02T00:00:00+00:00", "count": 7},
                ],
                "sentiment_trend": [
                    {
                        "key": "2026-11-01T00:00:00+00:00",
                        "counts": {"positive": 0, "neutral": 0, "negative": 5, "unscored": 0},
                    },
                    {
                        "key": "2026-11-02T00:00:00+00:00",
                        "counts": {"positive": 0, "neutral": 0, "negative": 7, "unscored": 0},
                    },
                ],
                "sentiment_share": [
                    {"label": "positive", "count": 0, "fraction": 0.0},
                    {"label": "neutral", "count": 0, "fraction": 0.0},
                    {"label": "negative", "count": 12, "fraction": 1.0},
                    {"label": "unscored", "count": 0, "fraction": 0.0},
                ],
                "top_intents": [{"key": "complaint", "count": 9}],
                "top_aspects": [{"key": "delivery", "count": 4}],
                "top_sources": [{"key": "twitter-api", "count": 12}],
                "top_platforms": [{"key": "twitter", "count": 12}],
            }
        }
    )


def _instant(value: str, name: str, tz: str, *, end_of_day: bool) -> datetime:
    """A date (the start of that day in `tz`; with `end_of_day`, the start of the next: a date ``to`` is
    inclusive) or an ISO 8601 date-time (naive: wall clock in `tz`)."""
    text = value.strip()
    try:
        if len(text) == 10:  # YYYY-MM-DD
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return bucket_start(datetime(day.year, day.month, day.day, 12, tzinfo=zone(tz)), "day", tz)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        raise InvalidInput(
            f"{name}: {value!r} is neither a date (2026-11-01) nor an ISO 8601 date-time "
            "(2026-11-01T08:00:00+08:00)",
            details={"field": name, "value": value},
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone(tz))


def parse_period(
    since: str | None,
    until: str | None,
    *,
    days: int = DEFAULT_DAYS,
    tz: str = "UTC",
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The period [start, end) of a request's ``from`` / ``to`` / ``days``: both bounds given, they are
    it; only ``from``: up to now; only ``to``: the `days` before it; neither: the last `days` days.
    InvalidInput (``details.field``) for a bound that does not parse or a period that ends before it
    starts."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_DAYS}", details={"field": "days", "value": days})
    zone(tz)
    end = _instant(until, "to", tz, end_of_day=True) if until else None
    start = _instant(since, "from", tz, end_of_day=False) if since else None
    if end is None:
        end = now if now is not None else datetime.now(UTC)
    if start is None:
        start = end - timedelta(days=days)
    if start >= end:
        raise InvalidInput(
            "the period must end after it starts ('to' after 'from')",
            details={"field": "to", "from": start.isoformat(), "to": end.isoformat()},
        )
    return start, end


def resolve_interval(request: DashboardRequest) -> Interval:
    """The request's interval, `auto` resolved from the span; InvalidInput past `MAX_BUCKETS`."""
    interval: Interval
    if request.interval == "auto":
        interval = next((i for i, limit in AUTO_INTERVAL_LIMITS if request.span <= limit), "month")
    else:
        interval = request.interval
    nominal = {
        "hour": timedelta(hours=1),
        "day": timedelta(days=1),
        "week": timedelta(days=7),
        "month": timedelta(days=28),
    }[interval]
    if request.span / nominal > MAX_BUCKETS:
        raise InvalidInput(
            f"too many {interval} buckets in this period (over {MAX_BUCKETS}); choose a longer interval",
            details={"interval": interval, "max_buckets": MAX_BUCKETS},
        )
    return interval


def bucket_starts(start: datetime, end: datetime, interval: Interval, tz: str = "UTC") -> list[datetime]:
    """Start of every calendar bucket that meets [start, end), oldest first (the first may begin before
    `start`: it then counts only what falls in the period, as a filtered `date_histogram` does)."""
    starts = [bucket_start(start, interval, tz)]
    while True:
        following = bucket_start(starts[-1].astimezone(UTC) + _NEXT_BUCKET_STEP[interval], interval, tz)
        if following >= end:
            return starts
        starts.append(following)


def change_percent(total: int, previous: int) -> float | None:
    """Percent change from `previous` to `total`; None when there is nothing to compare with."""
    return None if previous == 0 else (total - previous) / previous * 100


def _period(filters: MentionFilter, since: datetime, until: datetime) -> MentionFilter:
    return filters.model_copy(update={"since": since, "until": until})


def _with(node: Node | None, extra: Node) -> str:
    """Query text of `node` AND `extra` (just `extra` without a query)."""
    return to_text(extra if node is None else And((node, extra)))


class _Counts:
    """How one dashboard counts: through `search` when there is a query, else through the aggregations."""

    def __init__(self, store: MentionStore, request: DashboardRequest) -> None:
        self.store = store
        self.request = request
        self.node = None if request.query is None else parse(request.query)  # QuerySyntaxError first
        self.filters = _period(request.filters, request.start, request.end)

    def _search(
        self, filters: MentionFilter, query: str | None = None, facets: Sequence[FacetField] = ()
    ) -> SearchPage:
        return self.store.search(
            SearchRequest(
                query=query if query is not None else self.request.query,
                filters=filters,
                limit=0,
                facets=tuple(facets),
                facet_size=max(self.request.top_n, len(SentimentLabel)),
            )
        )

    def total(self, since: datetime, until: datetime) -> int:
        filters = _period(self.request.filters, since, until)
        return self.store.count(filters) if self.node is None else self._search(filters).total

    def trend(self, starts: Sequence[datetime], interval: Interval) -> list[dict[SentimentLabel, int]]:
        """Mentions per sentiment label in each bucket: one histogram per label, from the store's
        aggregation without a query, from a search's histogram with one."""
        keys = [format_key(s) for s in starts]
        trend: list[dict[SentimentLabel, int]] = [dict.fromkeys(SENTIMENT_ORDER, 0) for _ in keys]
        position = {key: i for i, key in enumerate(keys)}
        wanted = self.request.filters.sentiments
        for label in SENTIMENT_ORDER:
            if wanted and label not in wanted:
                continue  # the filters exclude it: zero everywhere
            filters = self.filters.model_copy(update={"sentiments": (label,)})
            for bucket in self._histogram(filters, interval):
                if bucket.key not in position:
                    raise StoreError(
                        f"the store answered a histogram bucket outside the period: {bucket.key}",
                        details={"key": bucket.key, "interval": interval, "tz": self.request.tz},
                    )
                trend[position[bucket.key]][label] = bucket.count
        return trend

    def _histogram(self, filters: MentionFilter, interval: Interval) -> Sequence[Bucket]:
        if self.node is None:
            return self.store.date_histogram(filters, interval, self.request.tz)
        page = self.store.search(
            SearchRequest(
                query=self.request.query,
                filters=filters,
                limit=0,
                histogram=interval,
                histogram_tz=self.request.tz,
            )
        )
        return page.histogram

    def tops(self, fields: Sequence[FacetField]) -> dict[str, list[Bucket]]:
        size = self.request.top_n
        if self.node is None:
            return {field: self.store.terms(field, self.filters, size) for field in fields}
        page = self._search(self.filters, facets=fields)
        return {field: list(page.facets.get(field, ()))[:size] for field in fields}

    def aspects(self) -> list[Bucket]:
        counts = (
            (
                label.value,
                self._search(self.filters, _with(self.node, FieldFilter("aspect", label.value))).total,
            )
            for label in AspectLabel
        )
        return order_terms(counts, self.request.top_n)


def build_dashboard(store: MentionStore, request: DashboardRequest) -> DashboardData:
    """The dashboard of `request` over `store` (one workspace's mentions).

    Raises QuerySyntaxError for a query that does not parse, InvalidInput for a period with too many
    buckets, and the store's errors."""
    interval = resolve_interval(request)
    counts = _Counts(store, request)
    starts = bucket_starts(request.start, request.end, interval, request.tz)
    trend = counts.trend(starts, interval)
    keys = [format_key(s) for s in starts]
    volume = tuple(Bucket(key=key, count=sum(c.values())) for key, c in zip(keys, trend, strict=True))
    total = sum(b.count for b in volume)
    shares: Mapping[SentimentLabel, int] = {
        label: sum(point[label] for point in trend) for label in SENTIMENT_ORDER
    }
    previous_total = counts.total(request.previous_start, request.start)
    tops = counts.tops(("intent", "source", "platform"))
    return DashboardData(
        query=request.query,
        start=request.start,
        end=request.end,
        previous_start=request.previous_start,
        interval=interval,
        tz=request.tz,
        total=total,
        previous_total=previous_total,
        change_pct=change_percent(total, previous_total),
        volume=volume,
        sentiment_trend=tuple(
            SentimentPoint(key=key, counts=point) for key, point in zip(keys, trend, strict=True)
        ),
        sentiment_share=tuple(
            SentimentSlice(label=label, count=n, fraction=n / total if total else 0.0)
            for label, n in shares.items()
        ),
        top_intents=tuple(tops["intent"]),
        top_aspects=tuple(counts.aspects()),
        top_sources=tuple(tops["source"]),
        top_platforms=tuple(tops["platform"]),
    )
