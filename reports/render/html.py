"""A report as one self-contained HTML document: inline CSS, inline SVG charts, no script, no external
resource. The only URLs in it are the sample mentions' links, and only http(s) ones (a ``javascript:``
link in a mention is shown as text, never linked). Every value is escaped by Jinja's autoescape, so a
mention's text is text, whatever it holds.

The same document is what WeasyPrint prints (`reports.render.pdf`, with the charts as data: images): its
print CSS sets A4 pages, running headers, page numbers and a page break before each main section.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from index.aggregations import zone
from reports.brands import BrandRole
from reports.charts import bucket_label
from reports.data import BrandReport, ReportData, SampleMention, ShareOfVoiceRow
from reports.labels import Labels, report_labels
from reports.period import PERIOD_NAMES
from reports.render.charts import CHART_FONT, brand_colours, report_svg_charts
from reports.render.tables import Cell, ColumnKind, category_name, local_time, report_tables

__all__ = [
    "GLOSSARY",
    "chart_image",
    "format_cell",
    "highlights",
    "period_label",
    "render_html",
    "safe_url",
    "short_url",
]

_TEMPLATES = Path(__file__).parent / "templates"
#: The glossary's entries, in order (``glossary.<key>.term`` and ``glossary.<key>``).
GLOSSARY = (
    "mentions",
    "change",
    "net_sentiment",
    "health_index",
    "share_of_voice",
    "complaint_reasons",
    "spikes",
    "unscored",
)
_NONE = "—"
_HTML_LANG = {"en": "en", "zh": "zh-CN"}
_SHORT_URL = 64
_SVG_SIZE = re.compile(r'^<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def format_cell(value: Cell, kind: ColumnKind) -> str:
    """A table cell as the HTML and PDF show it (the CSV and XLSX keep the numbers): counts with
    thousands separators, percents with one decimal, changes and net sentiment signed, a dash for none."""
    if value is None or value == "":
        return _NONE if kind != "text" else ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return value
    if kind == "count":
        return f"{int(value):,}"
    value = round(value, 1) + 0.0  # no "-0.0": a change that rounds to nothing is +0.0
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "change":
        return f"{value:+.1f}%"
    if kind == "score":
        return f"{value:+.1f}"
    if kind == "index":
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.1f}"


def _cell(value: Cell, kind: ColumnKind) -> Markup:
    text = format_cell(value, kind)
    if kind == "url":
        href = safe_url(value if isinstance(value, str) else None)
        return Markup('<a href="{}">{}</a>').format(href, short_url(href)) if href else escape(text)
    if kind == "change" and isinstance(value, int | float):
        shown = round(value, 1)
        direction = "up" if shown > 0 else "down" if shown < 0 else "flat"
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[direction]
        return Markup('<span class="change {}">{} {}</span>').format(direction, arrow, text)
    return escape(text)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL with a host, else None (never linked)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def short_url(url: str) -> str:
    """A link as printed: without its scheme, cut to a line."""
    text = url.split("://", 1)[-1]
    return text if len(text) <= _SHORT_URL else text[: _SHORT_URL - 1] + "…"


def period_label(data: ReportData, words: Labels) -> str:
    """The period's name in the report's language ("Last week", "最近 14 天", or its dates)."""
    name = data.period.name
    if name in PERIOD_NAMES:
        return words[f"period.{name}"]
    if name.startswith("last-") and name.endswith("-days"):
        return words["period.last-N-days"].format(days=name[len("last-") : -len("-days")])
    return words["period.range"]


def _dates(first: date, last: date, words: Labels) -> str:
    if first == last:
        return first.isoformat()
    return words["period.from_to"].format(start=first.isoformat(), end=last.isoformat())


def _samples(brand: BrandReport) -> list[tuple[str, tuple[SampleMention, ...]]]:
    """A brand's samples as the report shows them: negative, positive, then the latest not shown yet."""
    shown = {m.id for m in (*brand.samples.negative, *brand.samples.positive)}
    latest = tuple(m for m in brand.samples.latest if m.id not in shown)
    return [("negative", brand.samples.negative), ("positive", brand.samples.positive), ("latest", latest)]


def _sov(data: ReportData) -> dict[str, ShareOfVoiceRow]:
    return {row.brand: row for row in data.share_of_voice}


def highlights(data: ReportData, words: Labels) -> list[str]:
    """The summary's sentences: for each own brand (else the first), its volume and change, share of
    voice, biggest spike and top complaint reason; then the alerts that fired."""
    if not data.brands or not any(b.total for b in data.brands):
        return []
    sov = _sov(data)
    lines: list[str] = []
    own = [b for b in data.brands if b.role == BrandRole.own] or [data.brands[0]]
    for brand in own:
        lines.append(_volume_line(brand, sov.get(brand.brand), words))
    spikes = [(spike, brand) for brand in data.brands for spike in brand.spikes]
    if spikes:
        spike, brand = max(spikes, key=lambda pair: pair[0].count)
        lines.append(
            words["highlight.spike"].format(
                brand=brand.brand, day=bucket_label(spike.key, data.interval), count=f"{spike.count:,}"
            )
        )
    for brand in own:
        if brand.complaint_reasons:
            top = brand.complaint_reasons[0]
            lines.append(
                words["highlight.reason"].format(
                    brand=brand.brand,
                    reason=category_name(words, "aspect", top.key),
                    count=f"{top.count:,}",
                    complaints=f"{brand.complaints:,}",
                    churn=f"{brand.churn_risk:,}",
                )
            )
    lines.append(words["highlight.alerts"].format(count=len(data.alerts)))
    return lines


def _volume_line(brand: BrandReport, sov: ShareOfVoiceRow | None, words: Labels) -> str:
    change = (
        words["highlight.change"].format(change=format_cell(brand.change_percent, "change"))
        if brand.change_percent is not None
        else words["highlight.no_previous"]
    )
    share = format_cell(sov.share if sov else None, "percent")
    return words["highlight.volume"].format(
        brand=brand.brand, count=f"{brand.total:,}", change=change, share=share
    )


def _css_string(text: str) -> str:
    """`text` as a CSS string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ").replace("<", "\\3c ")
    return f'"{escaped}"'


def _page_content(words: Labels) -> str:
    """The footer's page number, ``Page 2 of 9`` / ``第 2 页，共 9 页``, as CSS content."""
    template = words["footer.page"]
    before, _, rest = template.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    return " ".join(
        part
        for part in (
            _css_string(before) if before else "",
            "counter(page)",
            _css_string(middle) if middle else "",
            "counter(pages)",
            _css_string(after) if after else "",
        )
        if part
    )


def chart_image(svg: str) -> Markup:
    """An SVG chart as an <img> of a data: URI: what the PDF gets. WeasyPrint draws it the same, but
    parses and styles it apart from the page (as inline SVG, its thousands of nodes go through the
    HTML parser and the CSS cascade: a fifth of the PDF's time)."""
    found = _SVG_SIZE.search(svg)
    size = Markup(' width="{}" height="{}"').format(*found.groups()) if found else Markup("")
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img alt=""{} src="{}">').format(size, uri)


def render_html(
    data: ReportData, *, charts: Mapping[str, str] | None = None, inline_charts: bool = True
) -> str:
    """The report as an HTML document (a str; UTF-8 when encoded): charts as inline SVG, or with
    `inline_charts=False` as data: URI images (for WeasyPrint; the HTML file keeps them inline)."""
    words = report_labels(data.language)
    svgs = charts if charts is not None else report_svg_charts(data, words)
    tz = data.timezone

    def t(key: str, **params: Any) -> Markup:
        text = escape(words[key])
        return text.format(**params) if params else text

    def when(value: datetime) -> str:
        return local_time(value, tz).strftime("%Y-%m-%d %H:%M")

    period = data.period
    env = _environment()
    css = env.get_template("report.css").render(
        font=CHART_FONT,
        page=Markup(_page_content(words)),
        title=Markup(_css_string(data.title)),
    )
    local = zone(tz)
    previous_first = period.previous_start.astimezone(local).date()
    previous_last = (period.previous_end - timedelta(microseconds=1)).astimezone(local).date()
    return env.get_template("report.html").render(
        data=data,
        t=t,
        cell=_cell,
        when=when,
        safe_url=safe_url,
        short_url=short_url,
        css=Markup(css),
        charts={name: Markup(svg) if inline_charts else chart_image(svg) for name, svg in svgs.items()},
        tables={table.name: table for table in report_tables(data, words)},
        colours=brand_colours(data),
        sov=_sov(data),
        samples=[_samples(brand) for brand in data.brands],
        has_mentions=any(b.total for b in data.brands),
        highlights=highlights(data, words),
        glossary=GLOSSARY,
        html_lang=_HTML_LANG.get(data.language, "en"),
        period_name=period_label(data, words),
        period_text=_dates(period.first_day, period.last_day, words),
        previous_text=_dates(previous_first, previous_last, words),
    )
