"""Vega-Lite specs of the dashboard's charts, as plain JSON-serialisable dicts.

The same specs serve the web UI (rendered by vega-embed in the browser) and the reports (rendered to SVG
on the server), so each is self-contained: its data inline in ``data.values``, nothing fetched. They take
`DashboardData` (or its buckets) and never read a store.

Words come from `labels`, so the UI passes English or Chinese:

- titles and axis titles: every key of `CHART_LABEL_KEYS` is required (`InvalidInput` names the missing);
- category names: ``sentiment.<label>``, ``intent.<label>`` and ``aspect.<label>`` (`CATEGORY_LABEL_KEYS`)
  when given, else the stored value itself.

Time buckets are shown as their wall-clock start in the dashboard's time zone (an ordinal axis in data
order), not as instants: a browser in another zone must not shift a day's bar to the previous day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from core.errors import InvalidInput
from core.models import AspectLabel, IntentLabel, SentimentLabel
from index.base import Bucket, Interval
from reports.dashboard import SENTIMENT_ORDER, DashboardData

__all__ = [
    "CATEGORY_LABEL_KEYS",
    "CHART_LABEL_KEYS",
    "SCHEMA",
    "SENTIMENT_COLOURS",
    "Spec",
    "bucket_label",
    "missing_labels",
    "ranked_bars_chart",
    "sentiment_points_chart",
    "sentiment_share_chart",
    "sentiment_trend_chart",
    "top_aspects_chart",
    "top_intents_chart",
    "volume_chart",
]

Spec = dict[str, Any]
Width = int | Literal["container"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # api/web/package.json pins vega-lite 6
#: Fixed per label, whatever the language. `mixed` is for taggers that emit it.
SENTIMENT_COLOURS: dict[str, str] = {
    "positive": "#2e9e5b",  # green
    "negative": "#d64545",  # red
    "neutral": "#8a8f98",  # grey
    "mixed": "#e0a800",  # amber
    "unscored": "#b8c4d6",  # pale slate: not scored is not neutral
}
CHART_LABEL_KEYS: tuple[str, ...] = (
    "volume.title",
    "volume.x",
    "volume.y",
    "trend.title",
    "trend.x",
    "trend.y",
    "trend.legend",
    "share.title",
    "share.legend",
    "share.count",
    "share.fraction",
    "intents.title",
    "intents.x",
    "intents.y",
    "aspects.title",
    "aspects.x",
    "aspects.y",
)
CATEGORY_LABEL_KEYS: tuple[str, ...] = (
    *(f"sentiment.{label.value}" for label in SentimentLabel),
    *(f"intent.{label.value}" for label in IntentLabel),
    *(f"aspect.{label.value}" for label in AspectLabel),
)
_HEIGHT = 240
_BAR_STEP = 26  # height per bar of a horizontal bar chart
_FORMATS: dict[Interval, str] = {
    "hour": "%Y-%m-%d %H:%M",
    "day": "%Y-%m-%d",
    "week": "%Y-%m-%d",
    "month": "%Y-%m",
}


def missing_labels(labels: Mapping[str, str], keys: Sequence[str] = CHART_LABEL_KEYS) -> list[str]:
    """The keys of `keys` that `labels` lacks (or leaves empty)."""
    return [key for key in keys if not labels.get(key)]


def _words(labels: Mapping[str, str], *keys: str) -> list[str]:
    missing = missing_labels(labels, keys)
    if missing:
        raise InvalidInput(f"chart labels missing: {', '.join(missing)}", details={"missing": missing})
    return [labels[key] for key in keys]


def _name(labels: Mapping[str, str], kind: str, value: str) -> str:
    return labels.get(f"{kind}.{value}") or value


def bucket_label(key: str, interval: Interval) -> str:
    """A bucket key (its start, ISO 8601 with offset) as the wall clock of its own zone."""
    return datetime.fromisoformat(key).strftime(_FORMATS[interval])


def _base(title: str, width: Width, height: int, values: list[dict[str, Any]]) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": title,  # the SVG's accessible name
        "width": width,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},  # heights are the plot's
        "data": {"values": values},
    }


def _time_axis(title: str) -> dict[str, Any]:
    return {
        "field": "period",
        "type": "ordinal",
        "sort": None,  # data order: oldest first
        "title": title,
        "axis": {"labelAngle": -40, "labelOverlap": "parity"},
    }


def _sentiment_colour(labels: Mapping[str, str], legend: str) -> dict[str, Any]:
    return {
        "field": "sentiment_name",
        "type": "nominal",
        "title": legend,
        "scale": {
            "domain": [_name(labels, "sentiment", label.value) for label in SENTIMENT_ORDER],
            "range": [SENTIMENT_COLOURS[label.value] for label in SENTIMENT_ORDER],
        },
        "sort": [_name(labels, "sentiment", label.value) for label in SENTIMENT_ORDER],
        # below the plot: beside it, the legend takes a phone's width from the plot
        "legend": {"orient": "bottom", "columns": 2},
    }


def volume_chart(
    data: DashboardData,
    labels: Mapping[str, str],
    *,
    mark: Literal["bar", "line"] = "bar",
    width: Width = "container",
) -> Spec:
    """Mentions per bucket."""
    return buckets_chart(data.volume, data.interval, labels, mark=mark, width=width)


def buckets_chart(
    buckets: Sequence[Bucket],
    interval: Interval,
    labels: Mapping[str, str],
    *,
    mark: Literal["bar", "line"] = "bar",
    width: Width = "container",
    height: int = _HEIGHT,
) -> Spec:
    """Counts per time bucket (a search's histogram, a dashboard's volume): ``volume.*`` labels."""
    title, x_title, y_title = _words(labels, "volume.title", "volume.x", "volume.y")
    values = [{"start": b.key, "period": bucket_label(b.key, interval), "count": b.count} for b in buckets]
    spec = _base(title, width, height, values)
    spec["mark"] = (
        {"type": "bar", "tooltip": True, "color": "#3a6ea5"}
        if mark == "bar"
        else {"type": "line", "point": True, "tooltip": True, "color": "#3a6ea5"}
    )
    spec["encoding"] = {
        "x": _time_axis(x_title),
        "y": {"field": "count", "type": "quantitative", "title": y_title},
        "tooltip": [
            {"field": "period", "type": "ordinal", "title": x_title},
            {"field": "count", "type": "quantitative", "title": y_title},
        ],
    }
    return spec


def sentiment_trend_chart(
    data: DashboardData,
    labels: Mapping[str, str],
    *,
    mark: Literal["area", "bar"] = "area",
    width: Width = "container",
) -> Spec:
    """Mentions per bucket and sentiment label, stacked, in the fixed colours of `SENTIMENT_COLOURS`."""
    points = [(point.key, point.counts) for point in data.sentiment_trend]
    return sentiment_points_chart(points, data.interval, labels, mark=mark, width=width)


def sentiment_points_chart(
    points: Sequence[tuple[str, Mapping[SentimentLabel, int]]],
    interval: Interval,
    labels: Mapping[str, str],
    *,
    mark: Literal["area", "bar"] = "area",
    width: Width = "container",
    height: int = _HEIGHT,
) -> Spec:
    """The sentiment trend of (bucket key, counts per label) pairs: a dashboard's or a report brand's."""
    title, x_title, y_title, legend = _words(labels, "trend.title", "trend.x", "trend.y", "trend.legend")
    values = [
        {
            "start": key,
            "period": bucket_label(key, interval),
            "sentiment": label.value,
            "sentiment_name": _name(labels, "sentiment", label.value),
            "rank": rank,
            "count": counts.get(label, 0),
        }
        for key, counts in points
        for rank, label in enumerate(SENTIMENT_ORDER)
    ]
    spec = _base(title, width, height, values)
    spec["mark"] = {"type": mark, "tooltip": True}
    spec["encoding"] = {
        "x": _time_axis(x_title),
        "y": {"field": "count", "type": "quantitative", "stack": "zero", "title": y_title},
        "color": _sentiment_colour(labels, legend),
        "order": {"field": "rank", "type": "quantitative"},
        "tooltip": [
            {"field": "period", "type": "ordinal", "title": x_title},
            {"field": "sentiment_name", "type": "nominal", "title": legend},
            {"field": "count", "type": "quantitative", "title": y_title},
        ],
    }
    return spec


def sentiment_share_chart(
    data: DashboardData,
    labels: Mapping[str, str],
    *,
    kind: Literal["donut", "bar"] = "donut",
    width: Width = "container",
) -> Spec:
    """Each label's share of the period: a donut, or one bar stacked to 100%."""
    title, legend, count_title, fraction_title = _words(
        labels, "share.title", "share.legend", "share.count", "share.fraction"
    )
    values = [
        {
            "sentiment": s.label.value,
            "sentiment_name": _name(labels, "sentiment", s.label.value),
            "rank": SENTIMENT_ORDER.index(s.label),
            "count": s.count,
            "fraction": s.fraction,
        }
        for s in data.sentiment_share
    ]
    tooltip = [
        {"field": "sentiment_name", "type": "nominal", "title": legend},
        {"field": "count", "type": "quantitative", "title": count_title},
        {"field": "fraction", "type": "quantitative", "title": fraction_title, "format": ".1%"},
    ]
    order = {"field": "rank", "type": "quantitative"}
    if kind == "donut":
        spec = _base(title, width, _HEIGHT, values)
        spec["mark"] = {"type": "arc", "innerRadius": 60, "tooltip": True}
        spec["encoding"] = {
            "theta": {"field": "count", "type": "quantitative", "stack": True, "title": count_title},
            "color": _sentiment_colour(labels, legend),
            "order": order,
            "tooltip": tooltip,
        }
        return spec
    spec = _base(title, width, 60, values)
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "count",
            "type": "quantitative",
            "stack": "normalize",
            "title": fraction_title,
            "axis": {"format": "%"},
        },
        "color": _sentiment_colour(labels, legend),
        "order": order,
        "tooltip": tooltip,
    }
    return spec


def ranked_bars_chart(
    buckets: Sequence[Bucket],
    *,
    title: str,
    count_title: str,
    name_title: str,
    names: Mapping[str, str] | None = None,
    width: Width = "container",
) -> Spec:
    """Horizontal bars of terms buckets, largest on top; `names` maps a key to what is shown."""
    names = names or {}
    values = [{"key": b.key, "name": names.get(b.key, b.key), "count": b.count} for b in buckets]
    spec = _base(title, width, max(_BAR_STEP * len(values), _BAR_STEP), values)
    spec["mark"] = {"type": "bar", "tooltip": True, "color": "#3a6ea5"}
    spec["encoding"] = {
        "y": {"field": "name", "type": "nominal", "sort": "-x", "title": name_title},
        "x": {"field": "count", "type": "quantitative", "title": count_title},
        "tooltip": [
            {"field": "name", "type": "nominal", "title": name_title},
            {"field": "count", "type": "quantitative", "title": count_title},
        ],
    }
    return spec


def top_intents_chart(data: DashboardData, labels: Mapping[str, str], *, width: Width = "container") -> Spec:
    title, x_title, y_title = _words(labels, "intents.title", "intents.x", "intents.y")
    names = {b.key: _name(labels, "intent", b.key) for b in data.top_intents}
    return ranked_bars_chart(
        data.top_intents, title=title, count_title=x_title, name_title=y_title, names=names, width=width
    )


def top_aspects_chart(data: DashboardData, labels: Mapping[str, str], *, width: Width = "container") -> Spec:
    title, x_title, y_title = _words(labels, "aspects.title", "aspects.x", "aspects.y")
    names = {b.key: _name(labels, "aspect", b.key) for b in data.top_aspects}
    return ranked_bars_chart(
        data.top_aspects, title=title, count_title=x_title, name_title=y_title, names=names, width=width
    )
