"""What both mention stores share around the query language: reading a request's query, highlighting a
page of hits, checking a saved search. Kept here so the backends cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.models import EnrichedMention, SavedSearch
from index.base import SavedSearchStore, SearchRequest
from index.query import Node, evaluate_query, parse
from index.query.highlight import highlight


def request_query(request: SearchRequest) -> Node | None:
    """The parsed `request.query`; None when there is none. A blank query constrains nothing, like a
    blank `text`. Raises QuerySyntaxError (an InvalidInput) with the position when it does not parse."""
    if request.query is None or not request.query.strip():
        return None
    return parse(request.query)


def page_highlights(
    node: Node | None, hits: Iterable[EnrichedMention]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """mention id -> field -> fragments with ``<em>`` marks around what `node` matched, computed from the
    evaluator's spans (so every engine highlights alike). Hits with nothing to mark (a match through field
    operators or NOT only) are left out, as Elasticsearch leaves out hits without highlights."""
    if node is None:
        return {}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for mention in hits:
        match = evaluate_query(node, mention)
        marked = highlight(mention, match.spans) if match is not None else {}
        if marked:
            out[mention.id] = {field: tuple(fragments) for field, fragments in marked.items()}
    return out


def checked(search: SavedSearch) -> SavedSearch:
    """`search` when its query parses; QuerySyntaxError (an InvalidInput) otherwise."""
    parse(search.query)
    return search


def ordered(searches: Sequence[SavedSearch]) -> list[SavedSearch]:
    """The order of `SavedSearchStore.list_searches`: owner, then name (code points)."""
    return sorted(searches, key=lambda s: (s.owner, s.name))


def find_saved_search(store: SavedSearchStore, name: str, *, owner: str) -> SavedSearch | None:
    """The saved search called `name`: `owner`'s own, else the workspace's first of that name (by owner),
    since a workspace's members read each other's searches; None when there is none."""
    own = store.get_search(owner, name)
    if own is not None:
        return own
    return next((s for s in store.list_searches() if s.name == name), None)
