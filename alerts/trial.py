"""Try a rule without alerting anyone: which stored mentions of a recent period it matches, with the
matched words highlighted (`index.query.highlight`, as search shows them), or whether a piece of text
would match it once tagged like a collected mention. Nothing is stored, decided or sent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from alerts.rules import Rule
from core.models import AwareDatetime, EnrichedMention, RawMention, utcnow
from index.base import MentionFilter, MentionStore, SearchRequest
from index.query import evaluate_query, parse
from index.query.highlight import highlight
from nlp.base import Tagger
from nlp.enricher import Enricher

Fragments = dict[str, tuple[str, ...]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrialHit(_Frozen):
    mention: EnrichedMention
    fragments: Fragments = {}


class StoredTrial(_Frozen):
    """The stored mentions published since `since` that the rule's query matches, newest first."""

    rule_id: str
    since: AwareDatetime
    total: int
    hits: tuple[TrialHit, ...]


class TextTrial(_Frozen):
    """Whether a text matches the rule's query once tagged, what matched, and how it was tagged."""

    rule_id: str
    matched: bool
    mention: EnrichedMention
    fragments: Fragments = {}


def stored_matches(rule: Rule, store: MentionStore, *, since: datetime, limit: int = 20) -> StoredTrial:
    """The mentions of `store` published since `since` that match `rule` (the newest `limit` of them,
    and how many in all)."""
    request = SearchRequest(
        query=rule.query, filters=MentionFilter(since=since), sort="newest", limit=limit, highlight=True
    )
    page = store.search(request)
    hits = tuple(TrialHit(mention=m, fragments=page.highlights.get(m.id, {})) for m in page.hits)
    return StoredTrial(rule_id=rule.id, since=since, total=page.total, hits=hits)


def text_matches(rule: Rule, text: str, tagger: Tagger, *, now: datetime | None = None) -> TextTrial:
    """Tag `text` with `tagger` (language, sentiment, intents, aspects) as the listen flow tags a
    mention, then evaluate the rule's query on it. Fields a text cannot have (its customer and tier,
    its author, site or source) never match."""
    raw = RawMention(
        platform="text", native_id="text", source="alerts-test", text=text, published_at=now or utcnow()
    )
    mention = Enricher(tagger).enrich([raw])[0]
    match = evaluate_query(parse(rule.query), mention)
    fragments: Fragments = {}
    if match is not None:
        fragments = {field: tuple(found) for field, found in highlight(mention, match.spans).items()}
    return TextTrial(rule_id=rule.id, matched=match is not None, mention=mention, fragments=fragments)


__all__ = ["StoredTrial", "TextTrial", "TrialHit", "stored_matches", "text_matches"]
