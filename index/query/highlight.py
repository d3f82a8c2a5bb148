"""Highlights from the spans a match carries (`index.query.evaluate`): the same marked-up fragments
whichever engine found the mention, since both backends and the rule matcher share the evaluator.

`highlight(mention, spans)` returns, per field ("title", "text"), fragments of the original text with
every matched span wrapped in `pre`/`post` (overlapping or touching spans merged), like the
``highlight`` section of an Elasticsearch response. A field shorter than `fragment_size` is one
fragment; a longer one is cut around the matches, at spaces where it can, with an ellipsis at each cut.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from core.models import EnrichedMention, Span

ELLIPSIS = "\u2026"


def _merged(spans: Sequence[Span], field: str, size: int) -> list[tuple[int, int]]:
    ranges = sorted((max(0, s.start), min(size, s.end)) for s in spans if s.field == field)
    out: list[tuple[int, int]] = []
    for start, end in ranges:
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _cut_left(text: str, at: int, limit: int) -> int:
    """A start at or after `at` (but before `limit`) that does not split a word, when there is one."""
    if at <= 0:
        return 0
    space = text.find(" ", at - 1, limit)
    return space + 1 if space >= 0 else at


def _cut_right(text: str, at: int, limit: int) -> int:
    if at >= len(text):
        return len(text)
    space = text.rfind(" ", limit, at + 1)
    return space if space >= 0 else at


def fragments(
    text: str,
    ranges: Sequence[tuple[int, int]],
    *,
    pre: str = "<em>",
    post: str = "</em>",
    fragment_size: int = 160,
    max_fragments: int = 3,
    escape: Callable[[str], str] = html.escape,
) -> list[str]:
    """Fragments of `text` around the (sorted, disjoint) `ranges`, each range marked."""
    if not ranges:
        return []
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    if len(text) <= fragment_size:
        windows.append((0, len(text), list(ranges)))
    else:
        for start, end in ranges:
            if windows and end - windows[-1][0] <= fragment_size:  # still fits the current fragment
                windows[-1][2].append((start, end))
                windows[-1] = (windows[-1][0], max(windows[-1][1], end), windows[-1][2])
                continue
            if len(windows) == max_fragments:
                break
            windows.append((start, end, [(start, end)]))
        padded: list[tuple[int, int, list[tuple[int, int]]]] = []
        for first, last, inside in windows:
            room = max(0, fragment_size - (last - first))
            floor = padded[-1][1] if padded else 0  # fragments do not overlap
            left = _cut_left(text, max(floor, first - room // 2), first)
            right = _cut_right(text, min(len(text), last + room - (first - left)), last)
            padded.append((left, right, inside))
        windows = padded
    out: list[str] = []
    for left, right, inside in windows:
        parts = [ELLIPSIS] if left > 0 else []
        at = left
        for start, end in inside:
            parts += [escape(text[at:start]), pre, escape(text[start:end]), post]
            at = end
        parts.append(escape(text[at:right]))
        if right < len(text):
            parts.append(ELLIPSIS)
        out.append("".join(parts).strip())
    return out


def highlight(
    mention: EnrichedMention,
    spans: Sequence[Span],
    *,
    pre: str = "<em>",
    post: str = "</em>",
    fragment_size: int = 160,
    max_fragments: int = 3,
    escape: Callable[[str], str] = html.escape,
) -> dict[str, list[str]]:
    """Marked-up fragments per field that has a matched span ("title", "text"). `escape` is applied to
    the mention's text (not to `pre`/`post`); pass ``str`` for plain text such as a terminal."""
    out: dict[str, list[str]] = {}
    for field, value in (("title", mention.title or ""), ("text", mention.text)):
        ranges = _merged(spans, field, len(value))
        found = fragments(
            value,
            ranges,
            pre=pre,
            post=post,
            fragment_size=fragment_size,
            max_fragments=max_fragments,
            escape=escape,
        )
        if found:
            out[field] = found
    return out
