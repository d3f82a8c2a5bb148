"""A report as PDF: WeasyPrint prints the report's HTML (A4, page numbers, a page break before each
section), offline by construction: its URL fetcher refuses every URL but ``data:``, so nothing a mention
holds can make the renderer fetch anything. Fonts come from the system through fontconfig: Noto Sans CJK
(Debian's fonts-noto-cjk, which infra/browser.sh installs) renders Chinese, and WeasyPrint embeds the
subset it uses. A report with Chinese (or Japanese, Korean) text on a system without a font for it is
refused with `NotConfigured` rather than printed as empty boxes (WeasyPrint #2880).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from typing import Any

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from core.errors import NotConfigured
from reports.data import ReportData
from reports.render.html import render_html

__all__ = ["OfflineFetcher", "check_cjk_fonts", "cjk_font_families", "html_to_pdf", "render_pdf"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class OfflineFetcher(URLFetcher):  # type: ignore[misc]
    """Fetches ``data:`` URIs only; any other URL is refused (and the resource left out)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.lower().startswith("data:"):
            raise ValueError(f"reports are rendered offline: refused to fetch {url[:80]!r}")
        return super().fetch(url, headers)


@cache
def cjk_font_families() -> frozenset[str] | None:
    """The font families fontconfig has for Chinese (``fc-list :lang=zh``); None when fc-list is not
    installed, so nothing can be said."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    return frozenset(name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip())


def check_cjk_fonts(html: str, families: frozenset[str] | None) -> None:
    """NotConfigured when `html` has CJK text and `families` (what fontconfig has) is known and empty."""
    if families is None or families or not _CJK.search(html):
        return
    raise NotConfigured(
        "the report has Chinese text but this system has no font for it, so the PDF would show empty "
        "boxes: install Debian's fonts-noto-cjk (bash infra/browser.sh)",
        details={"missing": "fonts-noto-cjk"},
    )


def html_to_pdf(html: str) -> bytes:
    """Print `html` (a self-contained document; its <title> is the PDF's) to PDF bytes; NotConfigured
    when it has CJK text and no font can show it."""
    check_cjk_fonts(html, cjk_font_families())
    document = HTML(string=html, base_url=None, url_fetcher=OfflineFetcher())
    pdf = document.write_pdf(font_config=FontConfiguration(), uncompressed_pdf=False)
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint returned no bytes")
    return pdf


def render_pdf(data: ReportData, *, charts: dict[str, str] | None = None) -> bytes:
    """The report as a PDF document."""
    return html_to_pdf(render_html(data, charts=charts, inline_charts=False))
