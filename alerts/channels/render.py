"""Rendering an :class:`AlertMessage` as plain text, HTML and Markdown; the channels compose these.

Every piece of user data (titles, field values, the snippet) is escaped for the target format, so an
author name like ``**urgent** [click](https://evil)`` or ``<script>`` shows as typed, never as markup.
The snippet's ``<em>`` marks are the only markup that survives, rendered per format.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from alerts.channels.base import AlertMessage, Severity

SEVERITY_LABEL = {Severity.info: "INFO", Severity.warning: "WARNING", Severity.critical: "CRITICAL"}

_MARK = re.compile(r"<em>(.*?)</em>", re.DOTALL)
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]])")  # markup anywhere in a line; "(" only follows "]"
_MD_HEADING = re.compile(r"^(\s*)#", re.MULTILINE)


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """(text, highlighted?) pieces of a highlighted snippet, unescaped: each format escapes them its own
    way. A tag other than ``<em>`` stays text."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in _MARK.finditer(snippet):
        if match.start() > pos:
            parts.append((html.unescape(snippet[pos : match.start()]), False))
        parts.append((html.unescape(match.group(1)), True))
        pos = match.end()
    if pos < len(snippet):
        parts.append((html.unescape(snippet[pos:]), False))
    return parts


def render_snippet(snippet: str, escape: Callable[[str], str], mark: Callable[[str], str]) -> str:
    return "".join(mark(escape(text)) if hit else escape(text) for text, hit in snippet_parts(snippet))


def headline(message: AlertMessage) -> str:
    """``[CRITICAL] Title``: the one-line form (subjects, fallbacks, card titles)."""
    return f"[{SEVERITY_LABEL[message.severity]}] {message.title}"


def footer(message: AlertMessage) -> str:
    when = message.created_at.isoformat(timespec="seconds")
    return f"Rule {message.rule} · workspace {message.workspace} · {when} · alert {message.alert_id}"


def truncate_utf8(text: str, limit: int, marker: str = "\n…") -> str:
    """`text` cut to at most `limit` UTF-8 bytes, marker included, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(marker.encode("utf-8")))
    return data[:room].decode("utf-8", errors="ignore") + marker


# --- plain text (e-mail text part) --------------------------------------------------------------


def render_text(message: AlertMessage) -> str:
    lines = [headline(message)]
    if message.summary:
        lines += ["", message.summary]
    if message.snippet:
        # Plain text has no bold: the usual *stars* of plain-text mail mark the matched words.
        lines += ["", "> " + render_snippet(message.snippet, str, lambda t: f"*{t}*")]
    for section in message.sections:
        lines.append("")
        if section.title:
            lines.append(section.title)
        lines += [f"  {f.label}: {f.value}" for f in section.fields]
    if message.links:
        lines.append("")
        lines += [f"{link.label}: {link.url}" for link in message.links]
    lines += ["", "-- ", footer(message)]
    return "\n".join(lines)


# --- HTML (e-mail HTML part) --------------------------------------------------------------------

_COLOUR = {Severity.info: "#2f6fde", Severity.warning: "#c77700", Severity.critical: "#c62828"}


def render_html(message: AlertMessage) -> str:
    esc = html.escape
    out = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif">',
        f'<p style="color:{_COLOUR[message.severity]};font-weight:bold">'
        f"{esc(SEVERITY_LABEL[message.severity])}</p>",
        f"<h2>{esc(message.title)}</h2>",
    ]
    if message.summary:
        out.append(f"<p>{esc(message.summary)}</p>")
    if message.snippet:
        body = render_snippet(message.snippet, esc, lambda t: f"<b>{t}</b>")
        out.append(f'<blockquote style="border-left:3px solid #ccc;padding-left:8px">{body}</blockquote>')
    for section in message.sections:
        if section.title:
            out.append(f"<h3>{esc(section.title)}</h3>")
        rows = "".join(
            f'<tr><th align="left">{esc(f.label)}</th><td>{esc(f.value)}</td></tr>' for f in section.fields
        )
        if rows:
            out.append(f"<table>{rows}</table>")
    if message.links:
        links = " · ".join(f'<a href="{esc(link.url)}">{esc(link.label)}</a>' for link in message.links)
        out.append(f"<p>{links}</p>")
    out.append(f'<p style="color:#777;font-size:small">{esc(footer(message))}</p></body></html>')
    return "\n".join(out)


# --- Markdown (DingTalk, WeCom, Feishu lark_md) -------------------------------------------------


def md_escape(text: str) -> str:
    """Backslash-escape Markdown syntax and entity-escape angle brackets (the robots accept a few HTML
    tags such as ``<font>`` and ``<at>``: user text must never produce one)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_HEADING.sub(r"\1\\#", _MD_SPECIAL.sub(r"\\\1", text))


def md_snippet(snippet: str) -> str:
    return render_snippet(snippet, md_escape, lambda t: f"**{t}**")


def md_sections(message: AlertMessage) -> list[str]:
    """The explanation: a bold title per section, then ``**label**: value`` lines."""
    blocks: list[str] = []
    for section in message.sections:
        lines = [f"**{md_escape(section.title)}**"] if section.title else []
        lines += [f"- **{md_escape(f.label)}**: {md_escape(f.value)}" for f in section.fields]
        blocks.append("\n".join(lines))
    return blocks


def md_links(message: AlertMessage) -> str:
    # The URL is not escaped (it was validated as http(s)); a ")" in it would end the link early.
    return " · ".join(f"[{md_escape(link.label)}]({link.url.replace(')', '%29')})" for link in message.links)


def md_blocks(message: AlertMessage, *, quote_snippet: bool = True) -> list[str]:
    """The Markdown paragraphs below the title: summary, snippet, explanation, links. Each platform
    puts its own title (and colour) above them and the footer below."""
    blocks: list[str] = []
    if message.summary:
        blocks.append(md_escape(message.summary))
    if message.snippet:
        blocks.append(("> " if quote_snippet else "") + md_snippet(message.snippet))
    blocks += md_sections(message)
    if message.links:
        blocks.append(md_links(message))
    return blocks


def render_markdown(message: AlertMessage) -> str:
    """The whole message as Markdown (DingTalk)."""
    blocks = [f"**{md_escape(headline(message))}**", *md_blocks(message), md_escape(footer(message))]
    return "\n\n".join(blocks)
