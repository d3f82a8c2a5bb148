"""reports.render: a ReportData as self-contained HTML, as a PDF with Chinese text (checked with poppler's
pdftoppm, pdftotext and pdffonts, as a reader's viewer would show it), as a zip of CSVs and as XLSX."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from core.errors import InvalidInput, NotConfigured
from reports.brands import BrandRole
from reports.dashboard import bucket_starts
from reports.data import ReportData, SampleMention, VolumePoint
from reports.definitions import ReportFormat
from reports.labels import report_label
from reports.period import resolve_period
from reports.render import FILE_EXTENSIONS, MEDIA_TYPES, render_formats, render_report, report_svg_charts
from reports.render.html import format_cell, render_html, safe_url
from reports.render.pdf import OfflineFetcher, check_cjk_fonts, cjk_font_families, html_to_pdf
from reports.render.tables import report_tables
from reports.testing import empty_report_data, sample_report_data

SECTIONS = (
    "section.summary",
    "section.volume",
    "section.sentiment",
    "section.share_of_voice",
    "section.intents",
    "section.authors",
    "section.alerts",
    "section.samples",
    "section.glossary",
)


class Page(HTMLParser):
    """What a test needs of a rendered report: every tag with its attributes, the text of each data table
    (by its data-table name) as rows of cell texts, the headings, and the text of <style>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.headings: list[str] = []
        self.style = ""
        self.text: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table" and attributes.get("data-table"):
            self._table = attributes["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)
        if self._in_style:
            self.style += data


@pytest.fixture(scope="module")
def sample() -> ReportData:
    return sample_report_data("en")


@pytest.fixture(scope="module")
def sample_zh() -> ReportData:
    return sample_report_data("zh")


@pytest.fixture(scope="module")
def page(sample: ReportData) -> Page:
    return Page(render_html(sample))


def sample_urls(data: ReportData) -> set[str]:
    return {
        m.url
        for b in data.brands
        for section in (b.samples.latest, b.samples.positive, b.samples.negative, b.samples.complaints)
        for m in section
        if m.url
    }


def test_the_html_is_self_contained(sample: ReportData, page: Page) -> None:
    """No script, no resource to fetch: every href is a sample's http(s) link or an SVG fragment, no src,
    no url() but fragments, no @import."""
    urls = sample_urls(sample)
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs.get("href")]
    assert links, "the sample mentions' links are links"
    assert set(links) <= urls
    assert all(link.startswith(("http://", "https://")) for link in links)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img", "base"), tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("src", "srcset", "xlink:href", "action", "background"):
            value = attrs.get(name)
            assert value is None or value.startswith(("data:", "#")), (tag, name, value)
        if tag != "a" and attrs.get("href"):
            assert attrs["href"].startswith(("#", "data:")), (tag, attrs)
    html = render_html(sample)
    assert "@import" not in page.style
    assert "url(" not in page.style
    assert html.count("url(") == html.count("url(#")  # only SVG clip-path references
    assert "vega.github.io" not in html.replace('"$schema"', "")  # the spec's schema is not in the SVG


def test_the_html_tables_hold_the_data(sample: ReportData, page: Page) -> None:
    quillfinch, larkspur, shenglang = sample.brands
    summary = {row[0]: row for row in page.tables["summary"][1:]}
    for brand in sample.brands:
        row = summary[brand.brand]
        assert row[2] == f"{brand.total:,}"
        assert row[3] == f"{brand.previous:,}"
        assert row[4].endswith(format_cell(brand.change_percent, "change"))
        assert row[5] == format_cell(brand.net_sentiment, "score")
        assert row[6] == format_cell(brand.health_index, "index")
    assert summary["Quillfinch"][2] == "1,049"
    sov = {row[0]: row for row in page.tables["share_of_voice"][1:]}
    for share in sample.share_of_voice:
        assert sov[share.brand][2:5] == [
            f"{share.mentions:,}",
            f"{share.share:.1f}%",
            format_cell(share.previous_share, "percent"),
        ]
        assert sov[share.brand][6] == f"{share.positive_share:.1f}%"
        assert sov[share.brand][8] == f"{share.negative_share:.1f}%"
    sentiment = {row[0]: row for row in page.tables["sentiment"][1:]}
    assert sentiment["声浪"][1:5] == [
        str(getattr(shenglang.sentiment, n)) for n in ("positive", "neutral", "negative", "unscored")
    ]
    platforms = [row for row in page.tables["volume_by_platform"][1:] if row[0] == "Quillfinch"]
    assert [(row[1], row[2], row[3]) for row in platforms] == [
        (r.key, f"{r.count:,}", f"{r.previous:,}") for r in quillfinch.platforms
    ]
    over_time = page.tables["volume_over_time"]
    assert over_time[0][1:] == ["Quillfinch", "Larkspur", "声浪"]
    assert [row[1] for row in over_time[1:]] == [str(p.count) for p in quillfinch.volume]
    reasons = {row[0]: row for row in page.tables["complaint_reasons"][1:]}
    assert reasons["Delivery"] == ["Delivery", "96", "—", "6"]  # Larkspur has no delivery complaint
    assert page.tables["complaints"][1] == ["Quillfinch", "187", "41"]
    spikes = page.tables["spikes"]
    assert spikes[1][:3] == ["Quillfinch", "2026-03-05", "310"]
    assert spikes[1][4] == "Alert: Quillfinch volume"
    assert spikes[2][4] == "1.8× the mean"  # 170 / (662 / 7)
    customers = page.tables["negative_customers"]
    assert customers[1] == ["Quillfinch", "林伟", "c-10042", "Platinum", "Key customer", "5"]
    alerts = page.tables["alerts"]
    assert [row[1] for row in alerts[1:]] == [a.rule_name for a in sample.alerts]
    assert alerts[1][0] == "2026-03-05 10:20"  # Shanghai wall clock, not UTC
    assert len(page.tables["top_authors"]) == 1 + sum(len(b.top_authors) for b in sample.brands)
    assert larkspur.top_sites[0].key in {row[1] for row in page.tables["top_sites"]}


def test_both_languages_render_with_their_labels(
    sample: ReportData, sample_zh: ReportData, page: Page
) -> None:
    zh = Page(render_html(sample_zh))
    for key in SECTIONS:
        assert report_label(key, "en") in page.headings
        assert report_label(key, "zh") in zh.headings
        assert report_label(key, "en") not in zh.headings
    assert ("html", {"lang": "zh-CN"}) in zh.tags
    assert zh.tables["summary"][0][:3] == ["品牌", "角色", "提及数"]
    assert zh.tables["summary"][1][1] == "自有品牌"
    assert "上周" in "".join(zh.text)  # the period's name
    assert "告警：Quillfinch volume" in zh.tables["spikes"][1][4]
    charts = report_svg_charts(sample_zh)
    assert "各品牌提及量" in charts["volume"]
    assert "声浪" in charts["volume"]


def test_a_hostile_mention_is_inert(sample: ReportData) -> None:
    brand = sample.brands[0]
    hostile = SampleMention(
        id="m-evil",
        published_at=sample.period.start,
        platform="web",
        author='"><script>alert(1)</script>',
        title="<b onmouseover=alert(2)>hi</b>",
        text="</p><script>alert('x')</script><img src=x onerror=alert(3)><style>body{display:none}</style>",
        url="javascript:alert(4)",
    )
    samples = brand.samples.model_copy(update={"latest": (hostile,)})
    brands = (brand.model_copy(update={"samples": samples, "brand": "<i>Evil & Co</i>"}), *sample.brands[1:])
    title = '</style></title><script>alert(5)</script>"\\'
    html = render_html(sample.model_copy(update={"brands": brands, "title": title}))
    parsed = Page(html)
    assert not [tag for tag, _ in parsed.tags if tag in ("script", "img", "b", "i")]
    assert [tag for tag, _ in parsed.tags].count("style") == 1  # the report's own
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    assert "javascript:" not in [attrs.get("href") for _, attrs in parsed.tags]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;i&gt;Evil &amp; Co&lt;/i&gt;" in html
    assert parsed.headings[0] == title  # the title is text in the page, and a CSS string in the header
    assert "</style" not in parsed.style
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("http:///no-host") is None


def test_an_empty_report_renders_in_every_format() -> None:
    empty = empty_report_data("zh")
    files = render_formats(empty, [ReportFormat.html, ReportFormat.csv, ReportFormat.xlsx])
    html = files[ReportFormat.html].decode("utf-8")
    page = Page(html)
    assert report_label("empty.period", "zh") in "".join(page.text)
    assert report_label("empty.alerts", "zh") in "".join(page.text)
    assert html.count(report_label("empty.period", "zh")) >= 5  # the charts say so too
    assert page.tables["summary"][1][4] == "—"  # no change without a previous period
    assert page.tables["summary"][1][5] == "—"  # net sentiment of nothing is none
    with zipfile.ZipFile(io.BytesIO(files[ReportFormat.csv])) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"))))
    assert rows[1] == ["Quillfinch", "自有品牌", "0", "0", "", "", "", "0.0"]
    nothing = empty.model_copy(update={"brands": (), "share_of_voice": ()})
    assert report_svg_charts(nothing).keys() == {"volume", "health", "share_of_voice", "intents", "reasons"}
    for fmt, content in render_formats(nothing, list(ReportFormat)).items():
        assert content, fmt


def test_csv_zip_holds_every_table(sample: ReportData) -> None:
    tables = report_tables(sample)
    content = render_report(sample, "csv")
    assert content == render_report(sample, ReportFormat.csv)  # same data, same bytes
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == [f"{table.name}.csv" for table in tables]
        files = {name: archive.read(name) for name in archive.namelist()}
    assert {"share_of_voice.csv", "volume_by_platform.csv", "volume_by_language.csv", "alerts.csv"} <= set(
        files
    )
    for table in tables:
        raw = files[f"{table.name}.csv"]
        assert raw.startswith("\ufeff".encode())  # Excel reads the BOM as UTF-8
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == [column.label for column in table.columns]
        assert len(rows) == len(table.rows) + 1, table.name
    sov = list(csv.reader(io.StringIO(files["share_of_voice.csv"].decode("utf-8-sig"))))
    assert [row[0] for row in sov[1:]] == ["Quillfinch", "Larkspur", "声浪"]
    for row, share in zip(sov[1:], sample.share_of_voice, strict=True):
        assert int(row[2]) == share.mentions
        assert float(row[3]) == round(share.share, 2)
    samples = list(csv.reader(io.StringIO(files["samples.csv"].decode("utf-8-sig"))))
    assert any("客服只会说" in row[7] for row in samples)
    assert {row[8] for row in samples[1:]} - {""} == sample_urls(sample)


def test_xlsx_has_a_sheet_per_table_with_the_same_values(sample: ReportData) -> None:
    tables = report_tables(sample)
    workbook = load_workbook(io.BytesIO(render_report(sample, "xlsx")))
    assert workbook.sheetnames == [table.name for table in tables]
    for table in tables:
        sheet = workbook[table.name]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [column.label for column in table.columns]
        assert all(cell.font.bold for cell in sheet[1])
        assert len(rows) == len(table.rows) + 1
        for got, expected in zip(rows[1:], table.rows, strict=True):
            assert list(got) == [
                pytest.approx(value)
                if isinstance(value, float)
                else value.replace(tzinfo=None)
                if isinstance(value, datetime)
                else value or None  # an empty cell reads back as None
                if isinstance(value, str)
                else value
                for value in expected
            ], table.name


def test_formats_and_their_files() -> None:
    assert set(MEDIA_TYPES) == set(ReportFormat) == set(FILE_EXTENSIONS)
    assert MEDIA_TYPES[ReportFormat.pdf] == "application/pdf"
    assert not any(ext.startswith(".") for ext in FILE_EXTENSIONS.values())
    with pytest.raises(InvalidInput, match="unknown report format 'docx'"):
        render_report(sample_report_data(), "docx")


def test_charts_are_svg_with_cjk_fonts_and_scoped_ids(sample: ReportData) -> None:
    charts = report_svg_charts(sample)
    assert {"volume", "health", "share_of_voice", "intents", "reasons", "sentiment.0", "sentiment.2"} <= set(
        charts
    )
    ids: list[str] = []
    for name, svg in charts.items():
        assert svg.startswith("<svg"), name
        assert "Noto Sans CJK SC" in svg, name
        assert 'width="100%"' not in svg  # fixed widths, not the UI's "container"
        ids += [part.split('"')[0] for part in svg.split(' id="')[1:]]
    assert len(ids) == len(set(ids)), "two inlined charts share an id"
    assert "Alert: Quillfinch volume" in charts["volume"]
    assert "1.8× the mean" in charts["volume"]


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 (shared by the server's handler instances)

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_pdf_renderer_fetches_nothing(http_server: str, tmp_path: Path) -> None:
    """A document that asks for a stylesheet, an image and a font on a live server gets none of them;
    a data: image is still drawn."""
    _Recorder.requests.clear()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = (
        f'<html><head><link rel="stylesheet" href="{http_server}/a.css">'
        f'<link rel="stylesheet" href="file://{secret}">'
        f"<style>@import url({http_server}/b.css);"
        f"@font-face {{ font-family: x; src: url({http_server}/f.woff) }}"
        "</style></head>"
        f'<body><img src="{http_server}/i.png"><p>hello</p>'
        '<img src="data:image/svg+xml;utf8,<svg xmlns=%22http://www.w3.org/2000/svg%22 width=%2210%22 '
        'height=%2210%22><rect width=%2210%22 height=%2210%22/></svg>"></body></html>'
    )
    assert html_to_pdf(html).startswith(b"%PDF")
    assert _Recorder.requests == []
    with pytest.raises(ValueError, match="offline"):
        OfflineFetcher().fetch(f"{http_server}/x")
    assert OfflineFetcher().fetch("data:text/plain,hi").read() == b"hi"


def test_chinese_text_without_a_cjk_font_is_refused_not_printed_as_boxes() -> None:
    families = cjk_font_families()
    assert families is not None
    assert "Noto Sans CJK SC" in families  # what the charts and the CSS name first
    with pytest.raises(NotConfigured, match="fonts-noto-cjk"):
        check_cjk_fonts("<p>声浪</p>", frozenset())
    check_cjk_fonts("<p>Larkspur</p>", frozenset())  # nothing Chinese: no font needed
    check_cjk_fonts("<p>声浪</p>", None)  # fc-list missing: nothing can be said, WeasyPrint decides


def _poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def test_the_pdf_in_chinese_renders_its_pages_text_and_fonts(sample_zh: ReportData, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_report(sample_zh, "pdf"))
    info = _poppler("pdfinfo", str(pdf))
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1)) >= 5  # type: ignore[union-attr]
    _poppler("pdftoppm", "-r", "40", "-png", "-l", "2", str(pdf), str(tmp_path / "page"))
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    with Image.open(pages[0]) as first:
        grey = first.convert("L")
        low, high = grey.getextrema()
        assert high - low > 100, "the first page is blank"
        assert sum(grey.histogram()[:128]) > 500  # the cover band and its text
    text = _poppler("pdftotext", "-layout", str(pdf), "-")
    for key in SECTIONS:
        assert report_label(key, "zh") in text, key
    assert "声浪" in text
    assert "每周品牌报告" in text
    assert "客服只会说" in text  # a sample mention's Chinese text
    assert "第 1 页，共" in text  # the page footer
    fonts = _poppler("pdffonts", str(pdf))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts  # embedded, not substituted by the viewer


def test_the_pdf_in_english_has_the_numbers(sample: ReportData, tmp_path: Path) -> None:
    files = render_formats(sample, [ReportFormat.html, ReportFormat.pdf])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(files[ReportFormat.pdf])
    text = _poppler("pdftotext", "-layout", str(pdf), "-")
    for key in SECTIONS:
        assert report_label(key, "en") in text, key
    assert "1,049" in text
    assert "50.8%" in text
    assert "声浪" in text
    info = _poppler("pdfinfo", str(pdf))
    assert "A4" in info or "595.28 x 841.89" in info


def test_an_hourly_report_of_one_product_line_renders(sample: ReportData) -> None:
    """A 'today' report by hour, one brand (a product line), no share of voice rows, no alerts."""
    period = resolve_period("today", tz="Europe/Berlin", now=sample.generated_at)
    keys = [
        s.isoformat(timespec="seconds")
        for s in bucket_starts(period.start, period.end, "hour", period.timezone)
    ]
    brand = sample.brands[0].model_copy(
        update={
            "role": BrandRole.product_line,
            "volume": tuple(VolumePoint(key=key, count=i) for i, key in enumerate(keys)),
            "sentiment_trend": (),
            "spikes": (),
        }
    )
    data = sample.model_copy(
        update={"period": period, "interval": "hour", "brands": (brand,), "share_of_voice": (), "alerts": ()}
    )
    page = Page(render_report(data, "html").decode("utf-8"))
    over_time = page.tables["volume_over_time"]
    assert len(over_time) == 1 + 24
    assert over_time[1] == [f"{period.first_day.isoformat()} 00:00", "0"]
    assert over_time[-1][1] == "23"
    assert "Product line" in page.tables["summary"][1]
    assert report_label("empty.alerts", "en") in "".join(page.text)
