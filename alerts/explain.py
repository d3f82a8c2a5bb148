"""Why an alert fired, as the :class:`~alerts.inbox.Explanation` it carries to the support team.

- Every alert: the rule's query, the decision's numbers and reason.
- every_match: the matched spans of the mention highlighted (HTML-escaped, ``<em>`` marks; Chinese
  text works: offsets are characters), and a link to the mention.
- Windowed kinds and digests: the numbers of the window (current, baseline mean and deviation, k,
  bound, direction, window start and end, count) and its top terms, authors, sites and aspects. They
  come from the matched mentions the pipeline saw, kept in a bounded in-memory buffer per rule
  (:class:`RecentMentions`); when the buffer holds fewer of the window's mentions than the engine
  counted (the process restarted mid-window, or the buffer overflowed), from one read-only search of
  the mention store over the rule's query, the key and the window instead.
- The linked customer (a mention's link, or a ``customer`` key): name, tier, latest mentions and open
  complaints through ``crm.customer360``. Missing CRM data means no customer section, never an error.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerts.channels.base import Link
from alerts.engine import Decision, DecisionKind
from alerts.inbox import CustomerSummary, Explanation, Ranked
from alerts.rules import Flatline, Rule, SentimentDip, Spike, Threshold
from core.errors import EarfulError
from core.models import Customer, EnrichedMention, Span
from crm.customer360 import OrderNumbers, build_customer360
from index.analysis import bigrams, tokenize
from index.base import MentionFilter, MentionStore, SearchRequest
from index.query.ast import And, FieldFilter, Node
from index.query.fields import FIELDS
from index.query.highlight import ELLIPSIS, highlight
from index.query.parser import parse
from index.query.printer import to_text
from nlp.language import STOPWORDS

log = logging.getLogger(__name__)

TOP = 5  # entries of each top list
SNIPPET_CHARS = 160
LAST_MENTIONS = 3  # of the linked customer
MENTION_LINKS = 3  # of a windowed alert
FALLBACK_HITS = 200  # mentions a store fallback reads to count terms and aspects
_HTTP = re.compile(r"https?://[^\s/]+")


class CustomerLookup(OrderNumbers, Protocol):
    """What the explanation needs of a customer directory (`crm.customers` provides it)."""

    def get(self, customer_id: str) -> Customer | None: ...


@dataclass(frozen=True, slots=True)
class Seen:
    """A matched mention as the buffer keeps it: the mention, the spans the rule matched, the keys it
    counted under, and when the pipeline processed it."""

    mention: EnrichedMention
    spans: tuple[Span, ...]
    keys: frozenset[str]
    seen_at: datetime


class RecentMentions:
    """The matched mentions of each windowed or digest rule, newest last, at most `per_rule` of them;
    :meth:`prune` forgets those older than any window still to be explained."""

    def __init__(self, per_rule: int = 1000) -> None:
        self.per_rule = per_rule
        self._by_rule: dict[str, deque[Seen]] = {}

    def add(self, rule_id: str, seen: Seen) -> None:
        buffer = self._by_rule.get(rule_id)
        if buffer is None:
            buffer = self._by_rule[rule_id] = deque(maxlen=self.per_rule)
        buffer.append(seen)

    def window(self, rule_id: str, key: str, start: datetime, end: datetime, *, digest: bool) -> list[Seen]:
        """The key's mentions of the window: published in [start, end) (a digest: processed since
        `start`, as the digest counts them)."""
        out = []
        for seen in self._by_rule.get(rule_id, ()):
            when = seen.seen_at if digest else seen.mention.published_at
            if key in seen.keys and start <= when and (digest or when < end):
                out.append(seen)
        return out

    def prune(self, rules: Iterable[Rule], now: datetime) -> None:
        """Keep the buffers of `rules` only, each without mentions older than three windows (plus the
        late allowance) before `now`; a digest's buffer is bounded by its size alone."""
        keep: dict[str, deque[Seen]] = {}
        for rule in rules:
            buffer = self._by_rule.get(rule.id)
            if buffer is None:
                continue
            spec = rule.spec
            if isinstance(spec, Threshold | Spike | SentimentDip | Flatline):
                horizon = now - 3 * spec.window - spec.late_allowance
                while buffer and buffer[0].mention.published_at < horizon:
                    buffer.popleft()
            keep[rule.id] = buffer
        self._by_rule = keep

    def __len__(self) -> int:
        return sum(len(buffer) for buffer in self._by_rule.values())


# --- pieces --------------------------------------------------------------------------------------
def snippet(mention: EnrichedMention, spans: Sequence[Span]) -> str:
    """The matched text, HTML-escaped, the spans in ``<em>``; without spans (a rule of field filters
    only), the start of the text."""
    found = highlight(mention, spans, fragment_size=SNIPPET_CHARS, max_fragments=2)
    parts = [*found.get("title", ()), *found.get("text", ())]
    if parts:
        return f" {ELLIPSIS} ".join(parts)
    text = (
        mention.text if len(mention.text) <= SNIPPET_CHARS else mention.text[: SNIPPET_CHARS - 1] + ELLIPSIS
    )
    return html.escape(text)


def http_link(label: str, url: str | None) -> Link | None:
    """A message link, or None for a missing or non-http(s) URL (never a javascript: link)."""
    return Link(label=label, url=url) if url and _HTTP.match(url) else None


def _terms(mention: EnrichedMention) -> set[str]:
    """What a mention is about, for the top terms: its words without function words and short ones,
    and its Chinese two-character words (one character alone says little)."""
    text = f"{mention.title or ''}\n{mention.text}"
    tokens = tokenize(text)
    words = {
        t.text
        for t in tokens
        if not t.cjk and len(t.text) >= 3 and not t.text.isdigit() and t.text not in STOPWORDS
    }
    words.update(b for b in bigrams(tokens) if len(b) >= 2)
    return words


def _ranked(counter: Counter[str]) -> tuple[Ranked, ...]:
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return tuple(Ranked(key=key, count=count) for key, count in ordered)


@dataclass
class _Tops:
    terms: Counter[str]
    authors: Counter[str]
    sites: Counter[str]
    aspects: Counter[str]

    @classmethod
    def of(cls, mentions: Iterable[EnrichedMention]) -> _Tops:
        tops = cls(Counter(), Counter(), Counter(), Counter())
        for mention in mentions:
            tops.terms.update(_terms(mention))
            if mention.author and mention.author.handle:
                tops.authors["@" + mention.author.handle.lstrip("@")] += 1
            if mention.site:
                tops.sites[mention.site] += 1
            tops.aspects.update({f"{a.label.value}.{a.polarity.value}" for a in mention.aspects})
        return tops


def _numbers(decision: Decision) -> dict[str, float | int | str]:
    out: dict[str, float | int | str] = {}
    for name in ("current", "count", "baseline_mean", "baseline_stdev", "k", "bound"):
        value = getattr(decision, name)
        if value is not None:
            out[name] = int(value) if float(value).is_integer() else round(float(value), 4)
    if decision.baseline_size is not None:
        out["baseline_size"] = decision.baseline_size
    if decision.direction:
        out["direction"] = decision.direction
    for name in ("window_start", "window_end"):
        moment = getattr(decision, name)
        if moment is not None:
            out[name] = moment.isoformat()
    if decision.suppressed:
        out["suppressed"] = decision.suppressed
    if decision.repeat:
        out["repeat"] = "still holds"
    if decision.reason:
        out["reason"] = decision.reason
    return out


def _scoped_query(rule: Rule, key_fields: Sequence[tuple[str, str]]) -> tuple[Node, MentionFilter]:
    """The rule's query narrowed to one key: a query-language field filter per keyword field of the
    key, the collector and platform as store filters (a field without a value cannot be narrowed)."""
    node = parse(rule.query)
    extra: list[Node] = [FieldFilter(name, value) for name, value in key_fields if value and name in FIELDS]
    filters: dict[str, tuple[str, ...]] = {}
    for name, value in key_fields:
        if value and name in ("platform", "collector"):
            filters["platforms" if name == "platform" else "sources"] = (value,)
    if extra:
        node = And((node, *extra))
    return node, MentionFilter.model_validate(filters)


# --- the explainer -------------------------------------------------------------------------------
class Explainer:
    """Builds the explanation of each decision. `mentions` (read-only) serves the customer's history
    and the fallback of windowed alerts; `customers` the linked customer; both are optional."""

    def __init__(
        self,
        *,
        recent: RecentMentions | None = None,
        mentions: MentionStore | None = None,
        customers: CustomerLookup | None = None,
        public_url: str | None = None,
    ) -> None:
        self.recent = recent or RecentMentions()
        self.mentions = mentions
        self.customers = customers
        self.public_url = public_url.rstrip("/") if public_url else None

    def for_hit(
        self, rule: Rule, decision: Decision, mention: EnrichedMention, spans: Sequence[Span]
    ) -> Explanation:
        """An every_match alert: the mention's highlighted text, its customer, the links."""
        customer = self._customer(mention.customer.customer_id if mention.customer else None)
        links = [http_link("Mention", mention.url), self._customer_link(customer)]
        tops = _Tops.of([mention])
        return Explanation(
            query=rule.query,
            numbers=_numbers(decision),
            top_authors=_ranked(tops.authors),
            top_sites=_ranked(tops.sites),
            top_aspects=_ranked(tops.aspects),
            customer=customer,
            snippet=snippet(mention, spans),
            links=tuple(link for link in links if link is not None),
        )

    def for_window(self, rule: Rule, decision: Decision) -> Explanation:
        """A windowed alert, recovery or digest: the numbers and what the window was about."""
        digest = decision.kind is DecisionKind.digest
        seen: list[Seen] = []
        tops = _Tops(Counter(), Counter(), Counter(), Counter())
        if decision.window_start is not None and decision.window_end is not None:
            seen = self.recent.window(
                rule.id, decision.key, decision.window_start, decision.window_end, digest=digest
            )
            tops = _Tops.of(s.mention for s in seen)
            if len(seen) < (decision.count or 0) and self.mentions is not None:
                tops = self._from_store(rule, decision)  # the process restarted mid-window
        wanted = set(decision.mention_ids)
        shown = [s for s in seen if s.mention.id in wanted] or sorted(
            seen, key=lambda s: s.mention.published_at, reverse=True
        )
        key_customer = dict(decision.key_fields).get("customer")
        customer = self._customer(key_customer)
        links = [http_link("Mention", s.mention.url) for s in shown[:MENTION_LINKS]]
        links.append(self._customer_link(customer))
        return Explanation(
            query=rule.query,
            numbers=_numbers(decision),
            top_terms=_ranked(tops.terms),
            top_authors=_ranked(tops.authors),
            top_sites=_ranked(tops.sites),
            top_aspects=_ranked(tops.aspects),
            customer=customer,
            snippet=snippet(shown[0].mention, shown[0].spans) if shown else None,
            links=tuple(dict.fromkeys(link for link in links if link is not None)),
        )

    def _from_store(self, rule: Rule, decision: Decision) -> _Tops:
        """One search over the rule's query, the key and the window; its facets give the authors and
        sites, its hits the terms and aspects."""
        assert self.mentions is not None
        assert decision.window_start is not None
        try:
            node, filters = _scoped_query(rule, decision.key_fields)
            filters = filters.model_copy(
                update={"since": decision.window_start, "until": decision.window_end}
            )
            page = self.mentions.search(
                SearchRequest(
                    query=to_text(node),
                    filters=filters,
                    limit=FALLBACK_HITS,
                    facets=("author", "site"),
                    facet_size=TOP,
                )
            )
        except EarfulError as exc:  # the explanation is a courtesy: the alert still goes out
            log.warning("rule %r: window not explained from the store: %s", rule.name, exc)
            return _Tops(Counter(), Counter(), Counter(), Counter())
        tops = _Tops.of(page.hits)
        tops.authors = Counter({"@" + b.key.lstrip("@"): b.count for b in page.facets.get("author", ())})
        tops.sites = Counter({b.key: b.count for b in page.facets.get("site", ())})
        return tops

    def _customer(self, customer_id: str | None) -> CustomerSummary | None:
        if not customer_id or self.customers is None:
            return None
        try:
            customer = self.customers.get(customer_id)
            if customer is None:
                return None
            if self.mentions is None or self.mentions.workspace != self.customers.workspace:
                return CustomerSummary(customer_id=customer.id, name=customer.name, tier=customer.tier.value)
            view = build_customer360(customer, self.customers, self.mentions, latest=LAST_MENTIONS)
        except EarfulError as exc:  # CRM data missing or unreachable: no customer section
            log.warning("customer %s not added to the alert: %s", customer_id, exc)
            return None
        return CustomerSummary(
            customer_id=customer.id,
            name=customer.name,
            tier=customer.tier.value,
            open_complaints=view.open_complaints,
            last_mentions=tuple(m.id for m in view.latest),
        )

    def _customer_link(self, customer: CustomerSummary | None) -> Link | None:
        if customer is None or self.public_url is None:
            return None
        return http_link("Customer", f"{self.public_url}/customers/{customer.customer_id}")


__all__ = ["CustomerLookup", "Explainer", "RecentMentions", "Seen", "http_link", "snippet"]
