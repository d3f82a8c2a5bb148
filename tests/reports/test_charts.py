"""reports.charts: self-contained Vega-Lite specs whose words come from the labels and whose data are the
dashboard's numbers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.errors import InvalidInput
from core.models import SentimentLabel
from index.base import Bucket
from reports.charts import (
    CATEGORY_LABEL_KEYS,
    CHART_LABEL_KEYS,
    SCHEMA,
    SENTIMENT_COLOURS,
    Spec,
    bucket_label,
    missing_labels,
    ranked_bars_chart,
    sentiment_share_chart,
    sentiment_trend_chart,
    top_aspects_chart,
    top_intents_chart,
    volume_chart,
)
from reports.dashboard import SENTIMENT_ORDER, DashboardData, SentimentPoint, SentimentSlice

L = SentimentLabel
# Chinese words for every key: what the UI passes for zh
ZH = {key: f"中文·{key}" for key in (*CHART_LABEL_KEYS, *CATEGORY_LABEL_KEYS)}
ZH.update({"sentiment.positive": "正面", "sentiment.negative": "负面", "intent.complaint": "投诉"})
KEYS = ("2026-11-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00", "2026-11-03T00:00:00+08:00")
TREND = (
    {L.positive: 3, L.neutral: 1, L.negative: 2, L.unscored: 0},
    {L.positive: 0, L.neutral: 0, L.negative: 0, L.unscored: 0},
    {L.positive: 1, L.neutral: 0, L.negative: 5, L.unscored: 1},
)


def dashboard() -> DashboardData:
    shares = {label: sum(point[label] for point in TREND) for label in SENTIMENT_ORDER}
    total = sum(shares.values())
    return DashboardData(
        query="acme",
        start=datetime(2026, 10, 31, 16, tzinfo=UTC),
        end=datetime(2026, 11, 3, 16, tzinfo=UTC),
        previous_start=datetime(2026, 10, 28, 16, tzinfo=UTC),
        interval="day",
        tz="Asia/Shanghai",
        total=total,
        previous_total=10,
        change_pct=(total - 10) / 10 * 100,
        volume=tuple(Bucket(key=k, count=sum(p.values())) for k, p in zip(KEYS, TREND, strict=True)),
        sentiment_trend=tuple(SentimentPoint(key=k, counts=p) for k, p in zip(KEYS, TREND, strict=True)),
        sentiment_share=tuple(
            SentimentSlice(label=label, count=n, fraction=n / total) for label, n in shares.items()
        ),
        top_intents=(Bucket(key="complaint", count=7), Bucket(key="praise", count=4)),
        top_aspects=(Bucket(key="delivery", count=5), Bucket(key="new_aspect", count=1)),
        top_sources=(Bucket(key="weibo-scraper", count=13),),
        top_platforms=(Bucket(key="weibo", count=13),),
    )


DATA = dashboard()
BUILDERS: dict[str, Callable[[DashboardData, dict[str, str]], Spec]] = {
    "volume bar": volume_chart,
    "volume line": lambda d, labels: volume_chart(d, labels, mark="line"),
    "trend area": sentiment_trend_chart,
    "trend bar": lambda d, labels: sentiment_trend_chart(d, labels, mark="bar"),
    "share donut": sentiment_share_chart,
    "share bar": lambda d, labels: sentiment_share_chart(d, labels, kind="bar"),
    "intents": top_intents_chart,
    "aspects": top_aspects_chart,
}


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_spec_is_self_contained_json_with_the_labels_words(name: str) -> None:
    spec = BUILDERS[name](DATA, ZH)
    assert json.loads(json.dumps(spec)) == spec  # plain JSON, nothing Python-only
    assert spec["$schema"] == SCHEMA
    assert isinstance(spec["data"]["values"], list)
    assert spec["data"]["values"]
    assert "url" not in dict(walk(spec))  # nothing fetched: reports render it server-side
    assert spec["title"].startswith("中文·")
    assert spec["description"] == spec["title"]
    titles = [item for key, item in walk(spec["encoding"]) if key == "title"]
    assert titles
    assert all(isinstance(t, str) and t.startswith("中文·") for t in titles)


def test_volume_values_are_the_buckets_in_wall_clock_order() -> None:
    spec = volume_chart(DATA, ZH)
    assert spec["mark"]["type"] == "bar"
    assert spec["data"]["values"] == [
        {"start": KEYS[0], "period": "2026-11-01", "count": 6},
        {"start": KEYS[1], "period": "2026-11-02", "count": 0},
        {"start": KEYS[2], "period": "2026-11-03", "count": 7},
    ]
    assert spec["encoding"]["x"]["sort"] is None
    assert spec["encoding"]["x"]["title"] == ZH["volume.x"]
    assert spec["encoding"]["y"] == {"field": "count", "type": "quantitative", "title": ZH["volume.y"]}
    assert volume_chart(DATA, ZH, mark="line")["mark"]["type"] == "line"


def test_sentiment_trend_is_stacked_in_fixed_colours() -> None:
    spec = sentiment_trend_chart(DATA, ZH)
    values = spec["data"]["values"]
    assert len(values) == len(KEYS) * len(SENTIMENT_ORDER)
    got = {(v["start"], v["sentiment"]): v["count"] for v in values}
    assert got == {(k, label.value): p[label] for k, p in zip(KEYS, TREND, strict=True) for label in p}
    assert {v["sentiment_name"] for v in values if v["sentiment"] == "positive"} == {"正面"}
    colour = spec["encoding"]["color"]
    scale = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    assert scale["正面"] == SENTIMENT_COLOURS["positive"] == "#2e9e5b"
    assert scale["负面"] == SENTIMENT_COLOURS["negative"] == "#d64545"
    assert scale[ZH["sentiment.neutral"]] == SENTIMENT_COLOURS["neutral"] == "#8a8f98"
    assert SENTIMENT_COLOURS["mixed"] == "#e0a800"
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert spec["mark"]["type"] == "area"
    assert sentiment_trend_chart(DATA, ZH, mark="bar")["mark"]["type"] == "bar"


def test_sentiment_share_has_counts_and_fractions() -> None:
    spec = sentiment_share_chart(DATA, ZH)
    assert spec["mark"]["type"] == "arc"
    by_label = {v["sentiment"]: (v["count"], v["fraction"]) for v in spec["data"]["values"]}
    assert by_label == {s.label.value: (s.count, s.fraction) for s in DATA.sentiment_share}
    assert by_label["negative"] == (7, 7 / 13)
    assert spec["encoding"]["theta"]["field"] == "count"
    fraction = [t for t in spec["encoding"]["tooltip"] if t["field"] == "fraction"]
    assert fraction == [
        {"field": "fraction", "type": "quantitative", "title": ZH["share.fraction"], "format": ".1%"}
    ]
    bar = sentiment_share_chart(DATA, ZH, kind="bar")
    assert bar["mark"]["type"] == "bar"
    assert bar["encoding"]["x"]["stack"] == "normalize"


def test_top_charts_are_horizontal_bars_with_translated_names() -> None:
    intents = top_intents_chart(DATA, ZH)
    assert intents["data"]["values"] == [
        {"key": "complaint", "name": "投诉", "count": 7},
        {"key": "praise", "name": ZH["intent.praise"], "count": 4},
    ]
    assert intents["encoding"]["y"]["sort"] == "-x"
    assert intents["encoding"]["x"]["field"] == "count"
    aspects = top_aspects_chart(DATA, ZH)
    # a value the labels do not know is shown as stored
    assert [v["name"] for v in aspects["data"]["values"]] == [ZH["aspect.delivery"], "new_aspect"]


def test_ranked_bars_of_any_buckets() -> None:
    spec = ranked_bars_chart(
        DATA.top_sources, title="Sources", count_title="Mentions", name_title="Source", width=400
    )
    assert spec["width"] == 400
    assert spec["data"]["values"] == [{"key": "weibo-scraper", "name": "weibo-scraper", "count": 13}]
    assert spec["title"] == "Sources"


def test_missing_labels_are_named() -> None:
    partial = {key: "x" for key in CHART_LABEL_KEYS if key != "trend.legend"}
    assert missing_labels(partial) == ["trend.legend"]
    assert missing_labels({**partial, "trend.legend": ""}) == ["trend.legend"]
    assert volume_chart(DATA, partial)["title"] == "x"  # the volume chart needs none of the missing
    with pytest.raises(InvalidInput, match=r"chart labels missing: trend\.legend"):
        sentiment_trend_chart(DATA, partial)


def test_an_empty_dashboard_still_gives_specs() -> None:
    empty = DATA.model_copy(
        update={
            "volume": (),
            "sentiment_trend": (),
            "top_intents": (),
            "top_aspects": (),
            "sentiment_share": tuple(
                SentimentSlice(label=label, count=0, fraction=0.0) for label in SENTIMENT_ORDER
            ),
        }
    )
    for build in BUILDERS.values():
        spec = build(empty, ZH)
        assert spec["$schema"] == SCHEMA
    assert top_intents_chart(empty, ZH)["data"]["values"] == []


@pytest.mark.parametrize(
    ("key", "interval", "label"),
    [
        ("2026-11-01T13:00:00+08:00", "hour", "2026-11-01 13:00"),
        ("2026-11-01T00:00:00-05:00", "day", "2026-11-01"),  # not the previous day in UTC
        ("2026-10-26T00:00:00+01:00", "week", "2026-10-26"),
        ("2026-11-01T00:00:00+00:00", "month", "2026-11"),
    ],
)
def test_bucket_labels_are_the_zones_wall_clock(key: str, interval: str, label: str) -> None:
    assert bucket_label(key, interval) == label  # type: ignore[arg-type]
