"""A report as PDF: WeasyPrint prints the report's HTML (A4, page numbers, a page break before each
section), offline by construction: its URL fetcher refuses every URL but ``data:``, so nothing a mention
holds can make the renderer fetch anything. Fonts come from the system through fontconfig: Noto Sans CJK
(Debian's fonts-noto-cjk, which infra/browser.sh installs) renders Chinese, and WeasyPrint embeds the
subset it uses.
"""

from __future__ import annotations

import logging
from typing import Any

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from reports.data import ReportData
from reports.render.html import render_html

__all__ = ["OfflineFetcher", "html_to_pdf", "render_pdf"]


class OfflineFetcher(URLFetcher):  # type: ignore[misc]
    """Fetches ``data:`` URIs only; any other URL is refused (and the resource left out)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.lower().startswith("data:"):
            raise ValueError(f"reports are rendered offline: refused to fetch {url[:80]!r}")
        return super().fetch(url, headers)


def html_to_pdf(html: str, *, title: str = "") -> bytes:
    """Print `html` (a self-contained document) to PDF bytes."""
    document = HTML(string=html, base_url=None, url_fetcher=OfflineFetcher())
    # WeasyPrint logs every CSS property it ignores; a report's CSS is ours, so keep its own log quiet.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    pdf = document.write_pdf(font_config=FontConfiguration(), uncompressed_pdf=False)
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint returned no bytes")
    return pdf


def render_pdf(data: ReportData, *, charts: dict[str, str] | None = None) -> bytes:
    """The report as a PDF document."""
    return html_to_pdf(render_html(data, charts=charts), title=data.title)
