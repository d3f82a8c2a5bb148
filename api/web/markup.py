"""Markup built in Python for templates, where what people wrote meets HTML.

`highlighted`: a highlighter fragment (`index.query.highlight`: HTML-escaped text with ``<em>`` marks)
as markup in which nothing but ``<em>`` is markup, whatever the fragment holds: each piece between the
marks is unescaped, then escaped again, and only balanced marks are put back. Never ``|safe`` on it.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

_MARK = re.compile(r"(</?em>)")


def highlighted(fragment: str | None) -> Markup | None:
    """`fragment` as safe markup with its ``<em>`` marks; None for no fragment."""
    if not fragment:
        return None
    out = Markup()
    depth = 0
    for piece in _MARK.split(fragment):
        if piece in ("<em>", "</em>"):
            opening = piece == "<em>"
            if opening or depth:  # a stray closing mark is dropped
                out += Markup(piece)
                depth += 1 if opening else -1
        elif piece:
            out += escape(html.unescape(piece))
    return out + Markup("</em>") * depth
