"""A report's charts: Vega-Lite specs rendered on the server to SVG by vl-convert (no browser, no network:
`allowed_base_urls=[]` refuses any fetch), inlined in the HTML and the PDF.

The sentiment trend is the dashboard's own spec (`reports.charts.sentiment_points_chart`); what the
dashboard has no chart for is built here: volume per brand with its spikes annotated, share of voice,
health index and net sentiment, intents and complaint reasons per brand. Widths are fixed pixels (an A4
page's text block is about 670 px), and the font list puts Noto Sans CJK SC first, so Chinese brand
names and labels render in the HTML (where the reader has it) and in the PDF (where fontconfig has it).

A chart with nothing to show (an empty period) is a small SVG that says so rather than an empty plot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

import vl_convert

from core.models import AspectLabel, IntentLabel, SentimentLabel
from reports.brands import BrandRole
from reports.charts import (
    CATEGORY_LABEL_KEYS,
    SCHEMA,
    Spec,
    bucket_label,
    sentiment_points_chart,
)
from reports.data import ReportData
from reports.labels import Labels, report_labels
from reports.render.tables import bucket_keys, spike_note

__all__ = [
    "BRAND_COLOURS",
    "CHART_FONT",
    "FULL_WIDTH",
    "HALF_WIDTH",
    "brand_colours",
    "brand_volume_chart",
    "grouped_bars_chart",
    "health_chart",
    "no_data_svg",
    "report_chart_specs",
    "report_svg_charts",
    "share_of_voice_chart",
    "svg_of",
]

#: The chart font: Noto Sans CJK SC (fonts-noto-cjk) covers Latin and Chinese; then what a reader's
#: system may have instead.
CHART_FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
FULL_WIDTH = 660
HALF_WIDTH = 320
_HEIGHT = 220
_BAR_STEP = 22
#: The own brand in blue (the dashboard's colour), competitors and product lines after it.
BRAND_COLOURS = ("#3a6ea5", "#e07b39", "#8e6bbf", "#2a9d8f", "#c9a227", "#b5527a", "#5b8c3a", "#7f8c8d")
_ALERT_COLOUR = "#c0392b"
_DETECTED_COLOUR = "#b7791f"
_TEXT = "#1f2933"
_MUTED = "#52606d"
# vl-convert measures text (for axis and legend layout) many times slower with a named family list than
# with the generic "sans-serif", for the same widths to a fraction of a pixel (it falls back to the same
# system fonts, Noto CJK included): charts are laid out with "sans-serif", then the SVG names the list.
_MEASURED_FONT = "sans-serif"
CONFIG: dict[str, Any] = {
    "font": _MEASURED_FONT,
    "background": "white",
    "padding": 6,
    "view": {"stroke": None},
    "title": {"anchor": "start", "fontSize": 13, "fontWeight": 600, "color": _TEXT, "offset": 10},
    "axis": {
        "labelFontSize": 10,
        "titleFontSize": 10,
        "titleFontWeight": 400,
        "titleColor": _MUTED,
        "labelColor": _MUTED,
        "gridColor": "#e4e7eb",
        "domainColor": "#9aa5b1",
        "tickColor": "#9aa5b1",
    },
    "legend": {"labelFontSize": 10, "titleFontSize": 10, "titleFontWeight": 400, "titleColor": _MUTED},
}


def brand_colours(data: ReportData) -> dict[str, str]:
    """Each brand's colour, the same in every chart: own brands first, then the others, in report order."""
    ordered = sorted(data.brands, key=lambda b: b.role != BrandRole.own)
    return {b.brand: BRAND_COLOURS[i % len(BRAND_COLOURS)] for i, b in enumerate(ordered)}


def _brand_scale(data: ReportData, legend: str, orient: str = "bottom") -> dict[str, Any]:
    colours = brand_colours(data)
    names = [b.brand for b in data.brands]
    return {
        "field": "brand",
        "type": "nominal",
        "title": legend,
        "sort": names,
        "scale": {"domain": names, "range": [colours[name] for name in names]},
        "legend": {"orient": orient, "direction": "horizontal"},
    }


def _base(title: str, width: int, height: int, values: list[dict[str, Any]]) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": title,
        "width": width,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": values},
    }


def _time_labels(periods: Sequence[str], most: int) -> dict[str, Any]:
    """A time axis showing at most `most` of its bucket labels, evenly spaced (every label of a month of
    days does not fit; hidden ones would still be drawn, invisibly, and cost the PDF time)."""
    step = -(-len(periods) // most) if periods else 1
    angle = -40 if len(periods) > most // 2 else 0
    return {"values": list(periods[::step]), "labelAngle": angle, "labelOverlap": False}


def brand_volume_chart(data: ReportData, words: Labels, *, width: int = FULL_WIDTH) -> Spec:
    """Mentions per bucket, a line per brand; spikes as a vertical rule with a note (red: an alert fired;
    amber: over mean + 2 standard deviations)."""
    values = [
        {"brand": b.brand, "start": p.key, "period": bucket_label(p.key, data.interval), "count": p.count}
        for b in data.brands
        for p in b.volume
    ]
    spikes = [
        {
            "brand": b.brand,
            "period": bucket_label(s.key, data.interval),
            "count": s.count,
            "colour": _ALERT_COLOUR if s.reason == "alert" else _DETECTED_COLOUR,
            "note": spike_note(b, s, words),
        }
        for b in data.brands
        for s in b.spikes
    ]
    x_title, y_title = words["chart.brand_volume.x"], words["chart.brand_volume.y"]
    periods = [bucket_label(key, data.interval) for key in bucket_keys(data)]
    spec = _base(words["chart.brand_volume.title"], width, _HEIGHT, values)
    x = {
        "field": "period",
        "type": "ordinal",
        "sort": None,
        "title": x_title,
        "axis": _time_labels(periods, 16),
        "scale": {"domain": periods},
    }
    line = {
        "mark": {"type": "line", "point": {"size": 28}, "strokeWidth": 2},
        "encoding": {
            "x": x,
            "y": {"field": "count", "type": "quantitative", "title": y_title},
            "color": _brand_scale(data, words["chart.brand_volume.legend"]),
        },
    }
    layers: list[Spec] = []
    if spikes:
        spike_x = {"field": "period", "type": "ordinal", "sort": None}
        colour = {"field": "colour", "type": "nominal", "scale": None}
        layers.append(
            {
                "data": {"values": spikes},
                "mark": {"type": "rule", "strokeDash": [4, 3], "strokeWidth": 1.5},
                "encoding": {"x": spike_x, "color": colour},
            }
        )
        layers.append(
            {
                "data": {"values": spikes},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 6,
                    "dy": -8,
                    "fontSize": 10,
                    "fontWeight": 600,
                },
                "encoding": {
                    "x": spike_x,
                    "y": {"field": "count", "type": "quantitative"},
                    "text": {"field": "note"},
                    "color": colour,
                },
            }
        )
    spec["layer"] = [line, *layers]
    return spec


def share_of_voice_chart(data: ReportData, words: Labels, *, width: int = FULL_WIDTH) -> Spec:
    """Three bars stacked to 100 %: each brand's share of the mentions, of the positive and of the
    negative mentions, with the percent written on its segment."""
    metrics = (
        ("mentions", words["chart.sov.mentions"]),
        ("positive", words["chart.sov.positive"]),
        ("negative", words["chart.sov.negative"]),
    )
    values = [
        {
            "brand": row.brand,
            "metric": name,
            "rank": rank,
            "share": {"mentions": row.share, "positive": row.positive_share, "negative": row.negative_share}[
                key
            ],
            "count": {"mentions": row.mentions, "positive": row.positive, "negative": row.negative}[key],
        }
        for key, name in metrics
        for rank, row in enumerate(data.share_of_voice)
    ]
    spec = _base(words["chart.sov.title"], width, _BAR_STEP * 2 * len(metrics), values)
    y = {"field": "metric", "type": "nominal", "sort": [name for _, name in metrics], "title": None}
    x = {
        "field": "share",
        "type": "quantitative",
        "stack": "zero",
        "title": words["chart.sov.x"],
        "scale": {"domain": [0, 100]},
        "axis": {"values": [0, 25, 50, 75, 100]},
    }
    order = {"field": "rank", "type": "quantitative"}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "height": {"band": 0.7}},
            "encoding": {
                "y": y,
                "x": x,
                "color": _brand_scale(data, words["chart.brand_volume.legend"]),
                "order": order,
            },
        },
        {
            "transform": [{"filter": "datum.share >= 7"}],
            "mark": {"type": "text", "color": "white", "fontSize": 10, "fontWeight": 600},
            "encoding": {
                "y": y,
                "x": {**x, "bandPosition": 0.5},
                "order": order,
                "text": {"field": "share", "type": "quantitative", "format": ".1f"},
            },
        },
    ]
    return spec


def health_chart(data: ReportData, words: Labels, *, width: int = FULL_WIDTH) -> Spec:
    """Per brand, side by side: the health index (0 to 100) and net sentiment (-100 to 100), each bar
    labelled with its value; a brand with no positive and no negative mention has no bar."""
    colours = brand_colours(data)
    values = [
        {"brand": b.brand, "health": b.health_index, "net": b.net_sentiment, "colour": colours[b.brand]}
        for b in data.brands
    ]
    names = [b.brand for b in data.brands]
    height = max(_BAR_STEP * len(names), _BAR_STEP)
    panel = (width - 40) // 2

    def panel_spec(field: str, title: str, domain: list[int]) -> Spec:
        # every brand keeps its row (a brand without a value has an empty one); a value's label sits
        # right of its bar, or right of zero for a negative one
        y = {"field": "brand", "type": "nominal", "sort": names, "title": None, "scale": {"domain": names}}
        x = {
            "field": field,
            "type": "quantitative",
            "title": None,
            "scale": {"domain": domain},
            "axis": {"values": list(range(domain[0], domain[1] + 1, 25 if domain[0] == 0 else 50))},
        }
        return {
            "title": {"text": title, "fontSize": 11, "fontWeight": 400, "color": _MUTED},
            "width": panel,
            "height": height,
            "transform": [
                {"filter": f"isValid(datum.{field})"},
                {"calculate": f"max(datum.{field}, 0)", "as": "at"},
            ],
            "layer": [
                {
                    "mark": {"type": "bar", "height": {"band": 0.7}},
                    "encoding": {
                        "y": y,
                        "x": x,
                        "color": {"field": "colour", "type": "nominal", "scale": None},
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10, "color": _TEXT},
                    "encoding": {
                        "y": y,
                        "x": {**x, "field": "at"},
                        "text": {"field": field, "type": "quantitative", "format": ".1f"},
                    },
                },
            ],
        }

    return {
        "$schema": SCHEMA,
        "title": words["chart.health.title"],
        "description": words["chart.health.title"],
        "data": {"values": values},
        "hconcat": [
            panel_spec("health", words["chart.health.health"], [0, 100]),
            panel_spec("net", words["chart.health.net"], [-100, 100]),
        ],
        "spacing": 24,
    }


def grouped_bars_chart(
    data: ReportData,
    words: Labels,
    *,
    section: str,
    category: str,
    order: Sequence[str],
    width: int = HALF_WIDTH,
) -> Spec:
    """Horizontal bars of a count per category (intents, complaint reasons), one bar per brand within
    each category, categories by their total over the brands."""
    totals: dict[str, int] = {}
    values = []
    for b in data.brands:
        for row in b.intents if section == "intents" else b.complaint_reasons:
            totals[row.key] = totals.get(row.key, 0) + row.count
            name = words.get(f"{category}.{row.key}", row.key)
            values.append({"brand": b.brand, "key": row.key, "name": name, "count": row.count})
    keys = sorted(totals, key=lambda key: (-totals[key], order.index(key) if key in order else len(order)))
    names = [words.get(f"{category}.{key}", key) for key in keys]
    step = max(6, min(11, 30 // max(len(data.brands), 1)))
    spec = _base(
        words[f"chart.{section}.title"],
        width,
        max(step * len(data.brands) * len(keys) + 6 * len(keys), _BAR_STEP),
        values,
    )
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "y": {"field": "name", "type": "nominal", "sort": names, "title": None},
        "yOffset": {"field": "brand", "type": "nominal", "sort": [b.brand for b in data.brands]},
        "x": {
            "field": "count",
            "type": "quantitative",
            "title": words[f"chart.{section}.x"],
            "axis": {"tickCount": 5},
        },
        "color": _brand_scale(data, words["chart.brand_volume.legend"]),
    }
    return spec


def _trend_labels(words: Labels, brand: str) -> dict[str, str]:
    """The dashboard chart's words (`reports.charts.CHART_LABEL_KEYS`) from the report's table, titled
    with the brand."""
    chart_words = {key: words[f"chart.{key}"] for key in ("trend.x", "trend.y", "trend.legend")}
    chart_words.update({key: words[key] for key in CATEGORY_LABEL_KEYS if key in words})
    chart_words["trend.title"] = brand  # not a label: the brand's name
    return chart_words


def report_chart_specs(data: ReportData, words: Labels | None = None) -> dict[str, Spec]:
    """Every chart of the report as a Vega-Lite spec, by name; a chart with no data is left out."""
    words = words or report_labels(data.language)
    specs: dict[str, Spec] = {}
    if not data.brands:
        return specs
    if data.total or any(b.total for b in data.brands):
        specs["volume"] = brand_volume_chart(data, words)
        specs["health"] = health_chart(data, words)
        specs["share_of_voice"] = share_of_voice_chart(data, words)
    if any(b.intents for b in data.brands):
        intents = [label.value for label in IntentLabel]
        specs["intents"] = grouped_bars_chart(
            data, words, section="intents", category="intent", order=intents
        )
    if any(b.complaint_reasons for b in data.brands):
        aspects = [label.value for label in AspectLabel]
        specs["reasons"] = grouped_bars_chart(
            data, words, section="reasons", category="aspect", order=aspects
        )
    for index, brand in enumerate(data.brands):
        if brand.total:
            points = [
                (p.key, {label: p.counts.of(label) for label in SentimentLabel})
                for p in brand.sentiment_trend
            ]
            spec = sentiment_points_chart(
                points,
                data.interval,
                _trend_labels(words, brand.brand),
                mark="bar",
                width=HALF_WIDTH,
                height=150,
            )
            periods = [bucket_label(p.key, data.interval) for p in brand.sentiment_trend]
            spec["encoding"]["x"]["axis"] = _time_labels(periods, 7)
            specs[f"sentiment.{index}"] = spec
    return specs


_ID = re.compile(r'\bid="([^"]+)"')


def _scope_ids(svg: str, prefix: str) -> str:
    """Prefix the SVG's ids (vega numbers its clip paths from 1 in every chart): two charts inlined in one
    page must not share `clip1`."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return re.sub(
        r"(url\(#|href=\"#)([^)\"]+)",
        lambda m: f"{m.group(1)}{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(0),
        svg,
    )


def svg_of(spec: Spec, *, scope: str = "chart") -> str:
    """One spec as an SVG document (no XML declaration: it is inlined), rendered offline."""
    svg = str(vl_convert.vegalite_to_svg(spec, config=CONFIG, allowed_base_urls=[]))
    svg = svg.replace(f'font-family="{_MEASURED_FONT}"', f'font-family="{escape(CHART_FONT)}"')
    return _scope_ids(svg, scope)


def no_data_svg(title: str, message: str, *, width: int = FULL_WIDTH, height: int = 90) -> str:
    """What a chart with nothing to show is: its title and the words saying why."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<rect x="0.5" y="28.5" width="{width - 1}" height="{height - 29}" fill="#f5f7fa" stroke="#e4e7eb"/>'
        f'<text x="6" y="18" font-family="{CHART_FONT}" font-size="13" font-weight="600" fill="{_TEXT}">'
        f"{escape(title)}</text>"
        f'<text x="{width / 2}" y="{(height + 28) / 2 + 4}" text-anchor="middle" font-family="{CHART_FONT}" '
        f'font-size="11" fill="{_MUTED}">{escape(message)}</text></svg>'
    )


def report_svg_charts(data: ReportData, words: Labels | None = None) -> dict[str, str]:
    """Every chart of the report as inline SVG, by name: ``volume``, ``health``, ``share_of_voice``,
    ``intents``, ``reasons`` and ``sentiment.<i>`` (the i-th brand's trend). A chart without data is the
    "no mentions in this period" panel, so a template can always show what this returns."""
    words = words or report_labels(data.language)
    specs = report_chart_specs(data, words)
    empty = words["empty.period"]
    titles = {
        "volume": words["chart.brand_volume.title"],
        "health": words["chart.health.title"],
        "share_of_voice": words["chart.sov.title"],
        "intents": words["chart.intents.title"],
        "reasons": words["chart.reasons.title"],
    }
    charts = {
        name: no_data_svg(title, empty, width=HALF_WIDTH if name in ("intents", "reasons") else FULL_WIDTH)
        for name, title in titles.items()
    }
    for index, brand in enumerate(data.brands):
        charts[f"sentiment.{index}"] = no_data_svg(brand.brand, empty, width=HALF_WIDTH)
    for name, spec in specs.items():
        charts[name] = svg_of(spec, scope=f"c-{name.replace('.', '-')}")
    return charts
