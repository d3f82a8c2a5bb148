"""reports.dashboard over both mention stores: the same numbers as a pure-Python reference over the shared
corpus (index.testing.corpus), with and without a query, filters, time zones and intervals."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from pydantic import ValidationError

from core.errors import InvalidInput, QuerySyntaxError
from core.models import EnrichedMention, IntentLabel, SentimentLabel
from core.registry import STORES
from core.settings import Settings
from index.aggregations import bucket_key
from index.base import Bucket, MentionFilter, MentionStore
from index.query import matches, parse
from index.testing.corpus import BASE_TIME, enriched_mention, enriched_mentions, reference_matches
from reports.dashboard import (
    MAX_BUCKETS,
    SENTIMENT_ORDER,
    DashboardData,
    DashboardRequest,
    bucket_starts,
    build_dashboard,
    change_percent,
    parse_period,
    resolve_interval,
)
from tests.index.stores import es_test_settings

CORPUS = enriched_mentions(300, seed=7)
# a query that matches every mention: its answers must equal the query-less ones
EVERYTHING = " OR ".join(f"sentiment:{label.value}" for label in SentimentLabel)


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    es_cleanup: Callable[[Elasticsearch, str], None],
) -> Iterator[MentionStore]:
    """The corpus on one store per backend for the module (the tests only read)."""
    es_url, prefix = "", ""
    if request.param == "sqlite":
        settings = Settings(home=tmp_path_factory.mktemp("dashboard"))
    else:  # es_prefix is per test: the module's store has a prefix of its own, deleted after
        es_url, prefix = request.getfixturevalue("es_url"), f"t-dash-{uuid.uuid4().hex[:8]}"
        settings = es_test_settings(es_url, prefix)
    built: MentionStore = STORES.create(request.param, settings, workspace="default")
    built.ensure_ready()
    built.upsert(CORPUS)
    built.refresh()
    yield built
    built.close()
    if prefix:
        with Elasticsearch(es_url, request_timeout=30) as client:
            es_cleanup(client, prefix)


# --- the reference ---------------------------------------------------------------------------------
def reference(mentions: Sequence[EnrichedMention], request: DashboardRequest) -> dict[str, Any]:
    """What a dashboard must say, computed mention by mention."""
    interval = resolve_interval(request)
    node = parse(request.query) if request.query else None

    def selected(since: datetime, until: datetime) -> list[EnrichedMention]:
        period = request.filters.model_copy(update={"since": since, "until": until})
        return [m for m in mentions if reference_matches(m, period) and (node is None or matches(node, m))]

    current = selected(request.start, request.end)
    keys = [
        b.isoformat(timespec="seconds")
        for b in bucket_starts(request.start, request.end, interval, request.tz)
    ]
    trend = {key: dict.fromkeys(SENTIMENT_ORDER, 0) for key in keys}
    for m in current:
        trend[bucket_key(m.published_at, interval, request.tz)][m.sentiment.label] += 1

    def top(values: Counter[str]) -> list[dict[str, Any]]:
        ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[: request.top_n]
        return [{"key": k, "count": n} for k, n in ranked if n]

    total = len(current)
    previous = len(selected(request.previous_start, request.start))
    shares = Counter(m.sentiment.label for m in current)
    return {
        "interval": interval,
        "total": total,
        "previous_total": previous,
        "volume": [{"key": k, "count": sum(c.values())} for k, c in trend.items()],
        "sentiment_trend": [{"key": k, "counts": c} for k, c in trend.items()],
        "sentiment_share": [
            {"label": label, "count": shares[label], "fraction": shares[label] / total if total else 0.0}
            for label in SENTIMENT_ORDER
        ],
        "top_intents": top(Counter(i.label.value for m in current for i in m.intents)),
        "top_aspects": top(Counter(a for m in current for a in {x.label.value for x in m.aspects})),
        "top_sources": top(Counter(m.source for m in current)),
        "top_platforms": top(Counter(m.platform for m in current)),
    }


def as_compared(data: DashboardData) -> dict[str, Any]:
    return data.model_dump(
        mode="json",
        include={
            "interval",
            "total",
            "previous_total",
            "volume",
            "sentiment_trend",
            "sentiment_share",
            "top_intents",
            "top_aspects",
            "top_sources",
            "top_platforms",
        },
    )


REQUESTS = {
    "all, auto day, UTC": DashboardRequest(
        start=BASE_TIME + timedelta(days=3), end=BASE_TIME + timedelta(days=9)
    ),
    "query, Shanghai, partial days": DashboardRequest(
        query="battery OR 电池 OR aspect:delivery",
        start=BASE_TIME + timedelta(days=4, hours=7),
        end=BASE_TIME + timedelta(days=8, hours=19, minutes=30),
        tz="Asia/Shanghai",
        top_n=3,
    ),
    "filters, hours": DashboardRequest(
        filters=MentionFilter(langs=("en",), sentiments=(SentimentLabel.negative, SentimentLabel.positive)),
        start=BASE_TIME + timedelta(days=5),
        end=BASE_TIME + timedelta(days=6, hours=12),
        interval="hour",
    ),
    "query and filters, weeks, Paris": DashboardRequest(
        query='NOT "dark mode" AND NOT sentiment:unscored',
        filters=MentionFilter(intents=(IntentLabel.complaint, IntentLabel.praise)),
        start=BASE_TIME + timedelta(days=1),
        end=BASE_TIME + timedelta(days=12),
        interval="week",
        tz="Europe/Paris",
        top_n=2,
    ),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_dashboard_matches_the_reference(store: MentionStore, name: str) -> None:
    request = REQUESTS[name]
    data = build_dashboard(store, request)
    expected = reference(CORPUS, request)
    assert expected["total"] > 0  # the cases mean something
    assert expected["previous_total"] > 0
    assert as_compared(data) == expected
    assert data.change_pct == pytest.approx(
        (expected["total"] - expected["previous_total"]) / expected["previous_total"] * 100
    )
    assert (data.start, data.end, data.previous_start) == (request.start, request.end, request.previous_start)


def test_a_query_matching_everything_gives_the_query_less_answer(store: MentionStore) -> None:
    """The two ways of counting (aggregations; searches per bucket) agree."""
    request = REQUESTS["all, auto day, UTC"]
    without = build_dashboard(store, request)
    with_query = build_dashboard(store, request.model_copy(update={"query": EVERYTHING}))
    assert with_query.query == EVERYTHING
    assert as_compared(with_query) == as_compared(without)
    assert without.total == len([m for m in CORPUS if request.start <= m.published_at < request.end])


def test_an_empty_period_is_all_zeros(store: MentionStore) -> None:
    request = DashboardRequest(start=datetime(2020, 1, 1, tzinfo=UTC), end=datetime(2020, 1, 4, tzinfo=UTC))
    data = build_dashboard(store, request)
    assert data.total == data.previous_total == 0
    assert data.change_pct is None
    assert [b.count for b in data.volume] == [0, 0, 0]
    assert all(s.fraction == 0.0 for s in data.sentiment_share)
    assert data.top_intents == data.top_aspects == data.top_sources == data.top_platforms == ()


def test_a_bad_query_is_located(store: MentionStore) -> None:
    request = REQUESTS["all, auto day, UTC"].model_copy(update={"query": "acme AND (battery"})
    with pytest.raises(QuerySyntaxError) as caught:
        build_dashboard(store, request)
    assert caught.value.position >= 0


# --- no store needed -------------------------------------------------------------------------------
def test_a_dashboard_on_a_fresh_sqlite_store(tmp_path: Path) -> None:
    store = STORES.create("sqlite", Settings(home=tmp_path), workspace="default")
    store.ensure_ready()
    now = BASE_TIME + timedelta(days=10, hours=6)
    store.upsert(
        [
            enriched_mention("a", published_at=now - timedelta(days=1)),
            enriched_mention("b", published_at=now - timedelta(days=2)),
            enriched_mention("c", published_at=now - timedelta(days=9)),
        ]
    )
    start, end = parse_period(None, None, days=7, now=now)
    data = build_dashboard(store, DashboardRequest(start=start, end=end))
    assert (data.total, data.previous_total, data.change_pct) == (2, 1, 100.0)
    assert data.interval == "day"
    assert len(data.volume) == 8  # the first and last days are partial
    assert data.sentiment_share[SENTIMENT_ORDER.index(SentimentLabel.neutral)].fraction == 1.0
    assert data.top_sources == (Bucket(key="test", count=2),)
    store.close()


@pytest.mark.parametrize(
    ("days", "interval"),
    [(1, "hour"), (2, "hour"), (3, "day"), (92, "day"), (93, "week"), (732, "week"), (800, "month")],
)
def test_auto_interval_follows_the_span(days: int, interval: str) -> None:
    request = DashboardRequest(start=BASE_TIME - timedelta(days=days), end=BASE_TIME)
    assert resolve_interval(request) == interval


def test_too_many_buckets_are_refused() -> None:
    request = DashboardRequest(start=BASE_TIME - timedelta(days=30), end=BASE_TIME, interval="hour")
    assert MAX_BUCKETS < 30 * 24
    with pytest.raises(InvalidInput, match="too many hour buckets"):
        resolve_interval(request)


def test_bucket_starts_cross_daylight_saving() -> None:
    # Paris leaves summer time on 2026-10-25: that day lasts 25 hours
    starts = bucket_starts(
        datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC), "day", "Europe/Paris"
    )
    assert [s.isoformat() for s in starts] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-27T00:00:00+01:00",  # 27 Oct 00:00 UTC is 01:00 in Paris: that day meets the period
    ]
    months = bucket_starts(datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), "month")
    assert [s.month for s in months] == [1, 2, 3]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": BASE_TIME, "end": BASE_TIME}, "start must be before its end"),
        ({"filters": MentionFilter(since=BASE_TIME)}, "not as filters.since/until"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"start": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"interval": "minute"}, "interval"),
        ({"top_n": 0}, "top_n"),
    ],
)
def test_invalid_requests_are_refused(fields: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"start": BASE_TIME - timedelta(days=1), "end": BASE_TIME, **fields}
    with pytest.raises(ValidationError, match=message):
        DashboardRequest(**values)


def test_blank_query_means_no_query() -> None:
    request = DashboardRequest(query="  ", start=BASE_TIME - timedelta(days=1), end=BASE_TIME)
    assert request.query is None


def test_change_percent() -> None:
    assert change_percent(15, 10) == 50.0
    assert change_percent(5, 10) == -50.0
    assert change_percent(3, 0) is None


def test_period_defaults_to_the_last_days() -> None:
    assert parse_period(None, None, now=BASE_TIME) == (BASE_TIME - timedelta(days=30), BASE_TIME)
    assert parse_period(None, None, days=7, now=BASE_TIME)[0] == BASE_TIME - timedelta(days=7)
    # only `to`: the days before it; only `from`: up to now
    assert parse_period(None, "2026-11-01", days=2, now=BASE_TIME) == (
        datetime(2026, 10, 31, tzinfo=UTC),
        datetime(2026, 11, 2, tzinfo=UTC),
    )
    assert parse_period("2026-10-01", None, now=BASE_TIME) == (datetime(2026, 10, 1, tzinfo=UTC), BASE_TIME)


def test_period_dates_are_whole_days_in_the_zone() -> None:
    start, end = parse_period("2026-11-01", "2026-11-07", tz="Asia/Shanghai")
    assert start.isoformat() == "2026-11-01T00:00:00+08:00"
    assert end.isoformat() == "2026-11-08T00:00:00+08:00"  # a date `to` is inclusive
    start, end = parse_period("2026-11-01T08:30:00Z", "2026-11-02T10:00", tz="+08:00")
    assert start == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert end == datetime(2026, 11, 2, 2, tzinfo=UTC)  # naive: wall clock in tz


@pytest.mark.parametrize(
    ("since", "until", "days", "field"),
    [
        ("yesterday", None, 30, "from"),
        (None, "2026-13-01", 30, "to"),
        ("2026-11-05", "2026-11-01", 30, "to"),
        (None, None, 0, "days"),
        (None, None, 99_999, "days"),
    ],
)
def test_bad_periods_name_their_field(since: str | None, until: str | None, days: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(since, until, days=days, now=BASE_TIME)
    assert caught.value.details["field"] == field
    assert caught.value.http_status == 400
