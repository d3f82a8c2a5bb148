"""Search cursors (`SearchRequest.search_after`, `SearchPage.next_cursor`), shared by the backends.

A cursor is base64url JSON: the engine, the sort, a fingerprint of what the request selects (query,
text, filters, sort) and the last hit's sort key in the engine's own order. Each engine defines its
key (relevance scores differ between engines); this module checks everything a client could have
damaged, so a malformed, tampered or foreign cursor is InvalidInput (400), never a store error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from core.errors import InvalidInput
from index.base import SearchRequest

#: One value of a sort key: an int (epoch micros, nanos), a float (a score) or a str (an id).
KeyValue = int | float | str
MAX_CURSOR_CHARS = 4096
_VERSION = 1


def _fingerprint(request: SearchRequest) -> str:
    """What a cursor must be used with: the same selection in the same order (not the page size)."""
    selection = request.model_dump(mode="json", include={"query", "text", "filters", "sort"})
    canonical = json.dumps(selection, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(engine: str, request: SearchRequest, key: Sequence[KeyValue]) -> str:
    """The cursor after the hit whose sort key is `key`."""
    payload = {"v": _VERSION, "e": engine, "f": _fingerprint(request), "k": list(key)}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refused(reason: str) -> InvalidInput:
    return InvalidInput(f"invalid search_after cursor: {reason}", details={"field": "search_after"})


def _fits(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float) and value == value  # not NaN
    if kind is int:
        return isinstance(value, int) and -(2**63) <= value < 2**63  # what a store's integers hold
    return isinstance(value, kind)


def decode_cursor(engine: str, request: SearchRequest, kinds: Sequence[type]) -> list[KeyValue] | None:
    """The sort key in `request.search_after` (None without one), checked against the request and the
    key's shape (`kinds`: the type of each value, in order). InvalidInput when it is malformed,
    tampered, another engine's or another search's, or given with an offset."""
    cursor = request.search_after
    if cursor is None:
        return None
    if request.offset:
        raise InvalidInput(
            "give either offset or search_after, not both",
            details={"field": "search_after", "offset": request.offset},
        )
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise _refused("empty or too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _refused("not a cursor this server made") from exc
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or not isinstance(payload.get("k"), list)
    ):
        raise _refused("not a cursor this server made")
    if payload.get("e") != engine:
        raise _refused("made by another store")
    if payload.get("f") != _fingerprint(request):
        raise _refused("made for another query, filters or sort")
    key: list[Any] = payload["k"]
    if len(key) != len(kinds) or not all(_fits(value, kind) for value, kind in zip(key, kinds, strict=True)):
        raise _refused("damaged sort key")
    return key
