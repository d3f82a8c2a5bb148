"""From a matched mention to the engine's :class:`Observation`: its group_by values, read exactly as
the query language reads them (so a key ``author=sam`` is what ``author:sam`` matches)."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.engine.model import Observation
from core.models import EnrichedMention, SentimentLabel
from index.analysis import normalize
from index.query.fields import FIELDS


def group_values(mention: EnrichedMention, field: str) -> tuple[str, ...]:
    """The mention's values for a group_by field (``alerts.rules.GROUP_FIELDS``), normalised."""
    if field in FIELDS:
        return FIELDS[field].values_of(mention)
    raw = {"platform": mention.platform, "collector": mention.source, "product": mention.product}[field]
    value = normalize(raw.strip()) if field != "collector" and raw else raw
    return (value,) if value else ()


def observe(mention: EnrichedMention, group_by: Sequence[str]) -> Observation:
    """The observation of a mention for a rule grouped by `group_by`. A digest lists its top mentions
    by the author's followers (reach), then by recency."""
    followers = mention.author.followers if mention.author and mention.author.followers else 0
    return Observation(
        mention_id=mention.id,
        published_at=mention.published_at,
        fields={name: group_values(mention, name) for name in group_by},
        negative=int(mention.sentiment.label is SentimentLabel.negative),
        rank=float(followers),
    )
