"""Every table of a report, once: the HTML shows them, the CSV zip and the XLSX workbook hold them.

A table's cells are the values themselves (counts, percents, datetimes in the report's zone, words in the
report's language); each format writes them its own way (`reports.render.html` formats numbers for
people, CSV and XLSX keep them as numbers). Names (``share_of_voice``) are stable file and sheet names.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from index.aggregations import zone
from reports.charts import bucket_label
from reports.data import BrandReport, CountRow, FiredAlert, ReportData, SampleMention, Spike
from reports.labels import Labels, report_labels

__all__ = [
    "Cell",
    "Column",
    "ColumnKind",
    "ReportTable",
    "bucket_keys",
    "category_name",
    "local_time",
    "report_tables",
    "spike_note",
    "tables_csv_zip",
    "tables_xlsx",
]

Cell = str | int | float | datetime | None
#: How a column's values read: text; a count; a percent of a whole (0-100); a percent change (signed);
#: a net sentiment (-100 to 100, signed); a health index (0-100); a moment; a link.
ColumnKind = Literal["text", "count", "percent", "change", "score", "index", "datetime", "url"]
_CSV_DECIMALS = 2


@dataclass(frozen=True)
class Column:
    label: str = ""  # the header, in the report's language
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class ReportTable:
    name: str  # stable: the CSV file's stem and the XLSX sheet's name
    title: str  # in the report's language
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    grouped: bool = False  # the first column is the brand, repeated on each row of its group


def local_time(value: datetime, tz: str) -> datetime:
    """`value` on the wall clock of the report's zone (what every table and chart shows)."""
    return value.astimezone(zone(tz))


def category_name(labels: Labels, kind: str, value: str | None) -> str:
    """A stored category (sentiment, intent, aspect, tier, alert kind...) in the report's language; the
    value itself when the table has no word for it (a tier a master file invented)."""
    if value is None:
        return ""
    return labels.get(f"{kind}.{value}", value)


def _per_brand(
    data: ReportData, rows: Callable[[BrandReport], Sequence[CountRow]], labels: Labels, kind: str | None
) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (brand.brand, category_name(labels, kind, row.key) if kind else row.key, row.count)
        for brand in data.brands
        for row in rows(brand)
    )


def _with_change(
    data: ReportData, rows: Callable[[BrandReport], Sequence[CountRow]], labels: Labels, kind: str | None
) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            brand.brand,
            category_name(labels, kind, row.key) if kind else row.key,
            row.count,
            row.previous,
            row.change_percent,
        )
        for brand in data.brands
        for row in rows(brand)
    )


def _by_brand(
    data: ReportData, rows: Callable[[BrandReport], Sequence[CountRow]], labels: Labels, kind: str
) -> tuple[tuple[Cell, ...], ...]:
    """Keys down, brands across: what each brand counts of each key, keys by their total over the brands.
    A key missing from a brand's list is None (shown as a dash): a top list may have cut it, so it is
    not known to be 0."""
    counts = {brand.brand: {row.key: row.count for row in rows(brand)} for brand in data.brands}
    totals: dict[str, int] = {}
    for brand in data.brands:
        for row in rows(brand):
            totals[row.key] = totals.get(row.key, 0) + row.count
    keys = sorted(totals, key=lambda key: (-totals[key], key))
    return tuple(
        (category_name(labels, kind, key), *(counts[brand.brand].get(key) for brand in data.brands))
        for key in keys
    )


def bucket_keys(data: ReportData) -> list[str]:
    """Every bucket key of the report's volume, in time order (the brands share them; a brand without
    buckets does not hide the others')."""
    return sorted({p.key for b in data.brands for p in b.volume}, key=datetime.fromisoformat)


def spike_note(brand: BrandReport, spike: Spike, labels: Labels) -> str:
    """What a spike's annotation says: the alert's rule, or how many times the brand's mean bucket it is
    (computed here, so the words are the report's language whatever the data's label says)."""
    if spike.reason == "alert":
        return labels["spike.alert_note"].format(rule=spike.label)
    mean = sum(p.count for p in brand.volume) / len(brand.volume) if brand.volume else 0.0
    ratio = spike.count / mean if mean else 0.0
    return labels["spike.detected_note"].format(ratio=f"{ratio:.1f}")


def _alert_kind(alert: FiredAlert, labels: Labels) -> str:
    kind = category_name(labels, "alert_kind", alert.kind)
    if alert.decision == "fire":
        return kind
    return f"{kind} · {category_name(labels, 'decision', alert.decision)}"


def _sample_rows(data: ReportData, labels: Labels) -> tuple[tuple[Cell, ...], ...]:
    def row(brand: BrandReport, section: str, mention: SampleMention) -> tuple[Cell, ...]:
        return (
            brand.brand,
            labels[f"samples.{section}"],
            local_time(mention.published_at, data.timezone),
            mention.platform,
            mention.author or "",
            category_name(labels, "sentiment", mention.sentiment.value),
            mention.title or "",
            mention.text,
            mention.url or "",
        )

    return tuple(
        row(brand, section, mention)
        for brand in data.brands
        for section in ("latest", "positive", "negative", "complaints")
        for mention in getattr(brand.samples, section)
    )


def report_tables(data: ReportData, labels: Labels | None = None) -> tuple[ReportTable, ...]:
    """Every table of the report, in the order the report shows them."""
    words = labels or report_labels(data.language)

    def col(key: str, kind: ColumnKind = "text") -> Column:
        return Column(words[f"col.{key}"], kind)

    def table(
        name: str, columns: Sequence[Column], rows: Sequence[tuple[Cell, ...]], grouped: bool = False
    ) -> ReportTable:
        return ReportTable(name, words[f"table.{name}"], tuple(columns), tuple(rows), grouped)

    brand, mentions = col("brand"), col("mentions", "count")
    counts = {b.brand: {p.key: p.count for p in b.volume} for b in data.brands}
    with_change = (mentions, col("previous", "count"), col("change", "change"))
    brands = data.brands
    tz = data.timezone
    return (
        table(
            "summary",
            (
                brand,
                col("role"),
                *with_change,
                col("net_sentiment", "score"),
                col("health_index", "index"),
                col("share_of_voice", "percent"),
            ),
            [
                (
                    b.brand,
                    category_name(words, "role", b.role.value),
                    b.total,
                    b.previous,
                    b.change_percent,
                    b.net_sentiment,
                    b.health_index,
                    next((s.share for s in data.share_of_voice if s.brand == b.brand), None),
                )
                for b in brands
            ],
        ),
        table(
            "volume_over_time",
            (col("period"), *(Column(b.brand, "count") for b in brands)),
            [
                (bucket_label(key, data.interval), *(counts[b.brand].get(key) for b in brands))
                for key in bucket_keys(data)
            ],
        ),
        table(
            "spikes",
            (brand, col("period"), mentions, col("spike_reason"), col("annotation")),
            [
                (
                    b.brand,
                    bucket_label(spike.key, data.interval),
                    spike.count,
                    words[f"spike.{spike.reason}"],
                    spike_note(b, spike, words),
                )
                for b in brands
                for spike in b.spikes
            ],
            grouped=True,
        ),
        table(
            "volume_by_platform",
            (brand, col("platform"), *with_change),
            _with_change(data, lambda b: b.platforms, words, None),
            grouped=True,
        ),
        table(
            "volume_by_language",
            (brand, col("language"), *with_change),
            _with_change(data, lambda b: b.languages, words, "language"),
            grouped=True,
        ),
        table(
            "sentiment",
            (
                brand,
                col("positive", "count"),
                col("neutral", "count"),
                col("negative", "count"),
                col("unscored", "count"),
                col("net_sentiment", "score"),
                col("previous_net_sentiment", "score"),
                col("health_index", "index"),
                col("previous_health_index", "index"),
            ),
            [
                (
                    b.brand,
                    b.sentiment.positive,
                    b.sentiment.neutral,
                    b.sentiment.negative,
                    b.sentiment.unscored,
                    b.net_sentiment,
                    b.previous_net_sentiment,
                    b.health_index,
                    b.previous_health_index,
                )
                for b in brands
            ],
        ),
        table(
            "sentiment_over_time",
            (
                brand,
                col("period"),
                col("positive", "count"),
                col("neutral", "count"),
                col("negative", "count"),
                col("unscored", "count"),
            ),
            [
                (
                    b.brand,
                    bucket_label(p.key, data.interval),
                    p.counts.positive,
                    p.counts.neutral,
                    p.counts.negative,
                    p.counts.unscored,
                )
                for b in brands
                for p in b.sentiment_trend
            ],
            grouped=True,
        ),
        table(
            "share_of_voice",
            (
                brand,
                col("role"),
                mentions,
                col("share", "percent"),
                col("previous_share", "percent"),
                col("positive", "count"),
                col("positive_share", "percent"),
                col("negative", "count"),
                col("negative_share", "percent"),
            ),
            [
                (
                    s.brand,
                    category_name(words, "role", s.role.value),
                    s.mentions,
                    s.share,
                    s.previous_share,
                    s.positive,
                    s.positive_share,
                    s.negative,
                    s.negative_share,
                )
                for s in data.share_of_voice
            ],
        ),
        table(
            "complaints",
            (brand, col("complaints", "count"), col("churn_risk", "count")),
            [(b.brand, b.complaints, b.churn_risk) for b in brands],
        ),
        table(
            "intents",
            (col("intent"), *(Column(b.brand, "count") for b in brands)),
            _by_brand(data, lambda b: b.intents, words, "intent"),
        ),
        table(
            "complaint_reasons",
            (col("aspect"), *(Column(b.brand, "count") for b in brands)),
            _by_brand(data, lambda b: b.complaint_reasons, words, "aspect"),
        ),
        table(
            "top_authors",
            (brand, col("author"), mentions),
            _per_brand(data, lambda b: b.top_authors, words, None),
            grouped=True,
        ),
        table(
            "top_sites",
            (brand, col("site"), mentions),
            _per_brand(data, lambda b: b.top_sites, words, None),
            grouped=True,
        ),
        table(
            "negative_customers",
            (
                brand,
                col("customer"),
                col("customer_id"),
                col("tier"),
                col("value_tier"),
                col("negative_mentions", "count"),
            ),
            [
                (
                    b.brand,
                    c.name,
                    c.customer_id,
                    category_name(words, "tier", c.tier),
                    category_name(words, "value_tier", c.value_tier),
                    c.negative,
                )
                for b in brands
                for c in b.negative_customers
            ],
            grouped=True,
        ),
        table(
            "alerts",
            (
                col("fired_at", "datetime"),
                col("rule"),
                col("kind"),
                col("severity"),
                col("key"),
                col("alert_mentions", "count"),
                col("status"),
            ),
            [
                (
                    local_time(a.fired_at, tz),
                    a.rule_name,
                    _alert_kind(a, words),
                    category_name(words, "severity", a.severity),
                    a.key,
                    a.mentions,
                    category_name(words, "alert_status", a.status),
                )
                for a in data.alerts
            ],
        ),
        table(
            "samples",
            (
                brand,
                col("sample_section"),
                col("published_at", "datetime"),
                col("platform"),
                col("author"),
                col("sentiment"),
                col("title"),
                col("text"),
                col("url", "url"),
            ),
            _sample_rows(data, words),
            grouped=True,
        ),
    )


def _plain(value: Cell, kind: ColumnKind) -> str | int | float:
    """A cell as a spreadsheet keeps it: numbers as numbers (rounded), moments without their offset (the
    report's zone is in the file's name and the report), nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return round(value, _CSV_DECIMALS)
    return value


def tables_csv_zip(tables: Sequence[ReportTable], *, when: datetime) -> bytes:
    """A zip of one CSV per table (``<name>.csv``), UTF-8 with a byte-order mark so Excel reads Chinese;
    entries dated `when` (the report's generation time), so the same data give the same bytes."""
    buffer = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([column.label for column in table.columns])
            for row in table.rows:
                writer.writerow(
                    [_plain(value, column.kind) for value, column in zip(row, table.columns, strict=True)]
                )
            info = zipfile.ZipInfo(f"{table.name}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.getvalue().encode("utf-8-sig"))
    return buffer.getvalue()


_XLSX_FORMATS: dict[ColumnKind, str] = {
    "count": "#,##0",
    "percent": "0.0",
    "change": "+0.0;-0.0;0.0",
    "score": "+0.0;-0.0;0.0",
    "index": "0.0",
    "datetime": "yyyy-mm-dd hh:mm",
}


def tables_xlsx(tables: Sequence[ReportTable], *, title: str, when: datetime) -> bytes:
    """A workbook of one sheet per table (named as the table), the header row bold and frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    workbook.properties.title = title
    workbook.properties.creator = "Earful"
    naive = when.replace(tzinfo=None)
    workbook.properties.created = naive
    workbook.properties.modified = naive
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        sheet.append([column.label for column in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for row in table.rows:
            sheet.append(
                [value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row]
            )
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            widest = max([len(column.label), *(len(str(r[index - 1] or "")) for r in table.rows)])
            sheet.column_dimensions[letter].width = min(max(10, widest * 1.2 + 2), 60)
            number_format = _XLSX_FORMATS.get(column.kind)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
