"""Build a report's data (`reports.data.ReportData`) from store aggregations.

`build_report(mentions, brands, period)` reads through the `MentionStore` protocol only, so both backends
give the same report on the same corpus. Every number is an aggregation: a search's ``total``, its facets
or its histogram (``limit=0``); mentions are read as hits only where the report shows them (the samples,
a few per section) and to tell which brand a spike alert's mentions are about.

The store calls of one brand, each with the brand's query and the period's bounds (a bounded number, so a
month over 100,000 mentions builds in seconds on either store):

1. the period, with a histogram (the volume chart), the facets platform, lang, sentiment, intent, author
   and site, and the latest mentions as hits (``samples`` of them);
2. the previous period, with the facets platform, lang and sentiment;
3. to 5. one search per sentiment label positive, neutral and negative, each with its histogram: the
   sentiment trend (unscored is the volume less the three); the positive and negative ones also return
   their samples, and the negative one the ``customer`` facet (the linked customers with the most
   negative mentions);
6. the complaints and churn risks, for their samples (skipped when ``samples`` is 0);
7. to 12. one count per aspect label: ``(<query>) AND aspect:<label>.negative`` (the complaint reasons;
   aspects are not a facet field);
13. only when spike alerts fired in the period: which of their mentions match the brand (a spike alert
    is annotated on the chart of each brand its mentions are about, or on every chart when it names no
    mention);

then one `customers.get` and one `scores.get` per customer row (at most ``top``). The report adds one
search: the distinct mentions of any brand (the brands' queries OR'ed as one query).

Facets are asked for with `FACET_SIZE` buckets, so the platform and language breakdowns (compared with
the previous period key by key) and the intents are complete before they are cut to ``top`` rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal, Protocol

from core.errors import InvalidInput, QuerySyntaxError, StoreError
from core.models import AspectLabel, EnrichedMention, IntentLabel, SentimentLabel
from core.settings import ReportLanguage
from index.aggregations import bucket_start, format_key, order_terms
from index.base import (
    MAX_SEARCH_LIMIT,
    Bucket,
    FacetField,
    Interval,
    MentionFilter,
    MentionStore,
    SearchPage,
    SearchRequest,
)
from index.query import And, FieldFilter, Node, Or, parse, to_text
from reports.brands import Brand, brand_key
from reports.dashboard import DashboardRequest, bucket_starts, change_percent, resolve_interval
from reports.data import (
    MIN_SPIKE,
    BrandReport,
    BrandSamples,
    CountRow,
    CustomerRow,
    FiredAlert,
    ReportData,
    SampleMention,
    SentimentCounts,
    SentimentPoint,
    ShareOfVoiceRow,
    Spike,
    VolumePoint,
)
from reports.period import ReportPeriod

if TYPE_CHECKING:
    from crm.customers import CustomerStore
    from crm.scores.store import ScoreStore

__all__ = [
    "FACET_SIZE",
    "SAMPLE_CHARS",
    "AlertLike",
    "build_report",
    "cut_text",
    "health_index",
    "net_sentiment",
    "share_of_voice",
]

#: Buckets asked of every facet: enough for every platform, language and intent; cut to `top` here.
FACET_SIZE: Final = 1000
#: A sample mention's text is cut to this many characters.
SAMPLE_CHARS: Final = 280
_TRAILER: Final = "…"
#: What a detected spike's annotation says, per report language.
_DETECTED_LABEL: Final[dict[ReportLanguage, str]] = {
    "en": "x{ratio:.1f} the mean",
    "zh": "均值的 {ratio:.1f} 倍",
}
_TREND_LABELS: Final = (SentimentLabel.positive, SentimentLabel.neutral, SentimentLabel.negative)
_COMPLAINTS: Final = (IntentLabel.complaint, IntentLabel.churn_risk)


class AlertLike(Protocol):
    """What a report reads of an alert (`alerts.inbox.Alert` has it; reports cannot import alerts)."""

    @property
    def id(self) -> str: ...

    @property
    def rule_name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def decision(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def fired_at(self) -> datetime: ...

    @property
    def window_start(self) -> datetime | None: ...

    @property
    def mention_ids(self) -> Sequence[str]: ...

    @property
    def status(self) -> str: ...


def net_sentiment(counts: SentimentCounts) -> float | None:
    """(positive - negative) / (positive + negative) * 100; None without either."""
    scored = counts.positive + counts.negative
    return None if scored == 0 else (counts.positive - counts.negative) / scored * 100


def health_index(counts: SentimentCounts) -> float | None:
    """positive / (positive + negative) * 100; None without either."""
    scored = counts.positive + counts.negative
    return None if scored == 0 else counts.positive / scored * 100


def cut_text(text: str, limit: int = SAMPLE_CHARS) -> str:
    """`text` with its whitespace runs made single spaces, cut to at most `limit` characters at a word
    boundary with an ellipsis (at the limit itself when the last word would take more than half of it,
    as in Chinese, which has no spaces)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - len(_TRAILER)]
    if flat[len(head)] != " ":  # the cut falls inside a word: back up to the space before it
        space = head.rfind(" ")
        if space > limit // 2:
            head = head[:space]
    return head.rstrip() + _TRAILER


def _share(part: int, whole: int) -> float:
    return part / whole * 100 if whole else 0.0


def _sentiment(facet: Sequence[Bucket]) -> SentimentCounts:
    counts = {b.key: b.count for b in facet}
    return SentimentCounts(**{label.value: counts.get(label.value, 0) for label in SentimentLabel})


def _rows(buckets: Sequence[Bucket], top: int) -> tuple[CountRow, ...]:
    return tuple(CountRow(key=b.key, count=b.count) for b in buckets[:top])


def _compared_rows(current: Sequence[Bucket], previous: Sequence[Bucket], top: int) -> tuple[CountRow, ...]:
    """The keys of both periods, by count, then previous count (descending), then key; cut to `top`."""
    now = {b.key: b.count for b in current}
    before = {b.key: b.count for b in previous}
    keys = sorted(now.keys() | before.keys(), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
    return tuple(
        CountRow(
            key=key,
            count=now.get(key, 0),
            previous=before.get(key, 0),
            change_percent=change_percent(now.get(key, 0), before.get(key, 0)),
        )
        for key in keys[:top]
    )


def _sample(mention: EnrichedMention) -> SampleMention:
    author = mention.author
    return SampleMention(
        id=mention.id,
        published_at=mention.published_at,
        platform=mention.platform,
        author=(author.handle or author.display_name) if author is not None else None,
        title=mention.title,
        text=cut_text(mention.text),
        url=mention.url,
        sentiment=mention.sentiment.label,
    )


def _samples(page: SearchPage | None) -> tuple[SampleMention, ...]:
    return () if page is None else tuple(_sample(m) for m in page.hits)


def _in_period(alert: AlertLike, period: ReportPeriod) -> bool:
    return period.start <= alert.fired_at < period.end


@dataclass(frozen=True)
class _Buckets:
    """The period's calendar buckets: every key, oldest first, and where each is."""

    interval: Interval
    tz: str
    keys: tuple[str, ...]

    @property
    def position(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.keys)}

    def counts(self, histogram: Sequence[Bucket]) -> list[int]:
        """A histogram's counts on every bucket (0 where it has none)."""
        counts = [0] * len(self.keys)
        position = self.position
        for bucket in histogram:
            if bucket.key not in position:
                raise StoreError(
                    f"the store answered a histogram bucket outside the period: {bucket.key}",
                    details={"key": bucket.key, "interval": self.interval, "tz": self.tz},
                )
            counts[position[bucket.key]] = bucket.count
        return counts

    def key_of(self, instant: datetime) -> str:
        return format_key(bucket_start(instant, self.interval, self.tz))


class _Brand:
    """The searches of one brand (module docstring), each with its query and a period's bounds."""

    def __init__(self, store: MentionStore, brand: Brand, node: Node, period: ReportPeriod) -> None:
        self.store = store
        self.brand = brand
        self.node = node
        self.period = period

    def search(
        self,
        *,
        previous: bool = False,
        query: str | None = None,
        limit: int = 0,
        facets: Sequence[FacetField] = (),
        facet_size: int = FACET_SIZE,
        histogram: _Buckets | None = None,
        **filters: object,
    ) -> SearchPage:
        since, until = (
            (self.period.previous_start, self.period.previous_end)
            if previous
            else (self.period.start, self.period.end)
        )
        return self.store.search(
            SearchRequest(
                query=query if query is not None else self.brand.query,
                filters=MentionFilter.model_validate({**filters, "since": since, "until": until}),
                limit=limit,
                facets=tuple(facets),
                facet_size=facet_size,
                histogram=histogram.interval if histogram is not None else None,
                histogram_tz=histogram.tz if histogram is not None else "UTC",
            )
        )

    def complaint_reasons(self, top: int) -> tuple[CountRow, ...]:
        counts = (
            (
                label.value,
                self.search(
                    query=to_text(And((self.node, FieldFilter("aspect", f"{label.value}.negative"))))
                ).total,
            )
            for label in AspectLabel
        )
        return _rows(order_terms(counts, top), top)

    def spike_alert_matches(self, alerts: Sequence[AlertLike]) -> set[str]:
        """The ids, among the spike alerts' mentions, of those matching the brand (any time)."""
        ids = list(dict.fromkeys(i for alert in alerts for i in alert.mention_ids))[:MAX_SEARCH_LIMIT]
        if not ids:
            return set()
        page = self.store.search(
            SearchRequest(query=self.brand.query, filters=MentionFilter(ids=tuple(ids)), limit=len(ids))
        )
        return {m.id for m in page.hits}


def _spikes(
    volume: Sequence[int],
    buckets: _Buckets,
    alerts: Sequence[AlertLike],
    language: ReportLanguage,
) -> tuple[Spike, ...]:
    """The alert spikes, each on the bucket of its window's start (of its firing when the window began
    before the period), then the detected buckets that no alert annotates already."""
    position = buckets.position
    found: list[tuple[int, Spike]] = []
    for alert in alerts:
        key = buckets.key_of(alert.window_start or alert.fired_at)
        if key not in position:
            key = buckets.key_of(alert.fired_at)
        if key not in position:
            continue
        at = position[key]
        found.append(
            (at, Spike(key=key, count=volume[at], reason="alert", label=alert.rule_name, alert_id=alert.id))
        )
    annotated = {at for at, _ in found}
    if volume:
        mean = statistics.fmean(volume)
        threshold = mean + 2 * statistics.pstdev(volume)
        for at, count in enumerate(volume):
            if at not in annotated and count >= MIN_SPIKE and count > threshold:
                label = _DETECTED_LABEL[language].format(ratio=count / mean)
                found.append((at, Spike(key=buckets.keys[at], count=count, reason="detected", label=label)))
    found.sort(key=lambda item: (item[0], item[1].reason, item[1].label))
    return tuple(spike for _, spike in found)


def _customer_rows(
    facet: Sequence[Bucket], customers: CustomerStore | None, scores: ScoreStore | None
) -> tuple[CustomerRow, ...]:
    rows: list[CustomerRow] = []
    for bucket in facet:
        customer = customers.get(bucket.key) if customers is not None else None
        score = scores.get(bucket.key) if scores is not None else None
        rows.append(
            CustomerRow(
                customer_id=bucket.key,
                name=customer.name if customer is not None else bucket.key,
                tier=customer.tier.value if customer is not None else None,
                value_tier=score.tier.value if score is not None and score.tier is not None else None,
                negative=bucket.count,
            )
        )
    return tuple(rows)


def _brand_report(
    searches: _Brand,
    buckets: _Buckets,
    *,
    spike_alerts: Sequence[AlertLike],
    customers: CustomerStore | None,
    scores: ScoreStore | None,
    language: ReportLanguage,
    top: int,
    samples: int,
) -> BrandReport:
    brand = searches.brand
    now = searches.search(
        limit=samples, facets=("platform", "lang", "sentiment", "intent", "author", "site"), histogram=buckets
    )
    before = searches.search(previous=True, facets=("platform", "lang", "sentiment"))
    by_label: dict[SentimentLabel, SearchPage] = {
        label: searches.search(
            sentiments=(label,),
            histogram=buckets,
            limit=samples if label is not SentimentLabel.neutral else 0,
            facets=("customer",) if label is SentimentLabel.negative else (),
            facet_size=top,
        )
        for label in _TREND_LABELS
    }
    complaints = searches.search(intents=_COMPLAINTS, limit=samples) if samples else None

    volume = buckets.counts(now.histogram)
    trend = {label: buckets.counts(page.histogram) for label, page in by_label.items()}
    points: list[SentimentPoint] = []
    for at, key in enumerate(buckets.keys):
        scored = {label.value: counts[at] for label, counts in trend.items()}
        # unscored is what the three labels leave (never below 0, should a write land between searches)
        unscored = max(volume[at] - sum(scored.values()), 0)
        points.append(SentimentPoint(key=key, counts=SentimentCounts(**scored, unscored=unscored)))

    if spike_alerts:
        matched = searches.spike_alert_matches(spike_alerts)
        spike_alerts = [a for a in spike_alerts if not a.mention_ids or matched.intersection(a.mention_ids)]
    sentiment = _sentiment(now.facets.get("sentiment", ()))
    previous_sentiment = _sentiment(before.facets.get("sentiment", ()))
    intents = now.facets.get("intent", ())
    intent_counts = {b.key: b.count for b in intents}
    negative = by_label[SentimentLabel.negative]
    return BrandReport(
        brand=brand.name,
        role=brand.role,
        query=brand.query,
        total=now.total,
        previous=before.total,
        change_percent=change_percent(now.total, before.total),
        volume=tuple(VolumePoint(key=key, count=n) for key, n in zip(buckets.keys, volume, strict=True)),
        spikes=_spikes(volume, buckets, spike_alerts, language),
        platforms=_compared_rows(now.facets.get("platform", ()), before.facets.get("platform", ()), top),
        languages=_compared_rows(now.facets.get("lang", ()), before.facets.get("lang", ()), top),
        sentiment=sentiment,
        previous_sentiment=previous_sentiment,
        net_sentiment=net_sentiment(sentiment),
        previous_net_sentiment=net_sentiment(previous_sentiment),
        health_index=health_index(sentiment),
        previous_health_index=health_index(previous_sentiment),
        sentiment_trend=tuple(points),
        intents=_rows(intents, top),
        complaint_reasons=searches.complaint_reasons(top),
        complaints=intent_counts.get(IntentLabel.complaint.value, 0),
        churn_risk=intent_counts.get(IntentLabel.churn_risk.value, 0),
        top_authors=_rows(now.facets.get("author", ()), top),
        top_sites=_rows(now.facets.get("site", ()), top),
        negative_customers=_customer_rows(negative.facets.get("customer", ())[:top], customers, scores),
        samples=BrandSamples(
            latest=_samples(now),
            positive=_samples(by_label[SentimentLabel.positive]),
            negative=_samples(negative),
            complaints=_samples(complaints),
        ),
    )


def share_of_voice(reports: Sequence[BrandReport]) -> tuple[ShareOfVoiceRow, ...]:
    """Each brand's share of the brands' mentions, positive and negative mentions (`reports.data`)."""
    mentions = sum(r.total for r in reports)
    previous = sum(r.previous for r in reports)
    positive = sum(r.sentiment.positive for r in reports)
    negative = sum(r.sentiment.negative for r in reports)
    return tuple(
        ShareOfVoiceRow(
            brand=r.brand,
            role=r.role,
            mentions=r.total,
            share=_share(r.total, mentions),
            previous_share=_share(r.previous, previous) if previous else None,
            positive=r.sentiment.positive,
            positive_share=_share(r.sentiment.positive, positive),
            negative=r.sentiment.negative,
            negative_share=_share(r.sentiment.negative, negative),
        )
        for r in reports
    )


def _fired(alert: AlertLike) -> FiredAlert:
    return FiredAlert(
        id=alert.id,
        rule_name=alert.rule_name,
        kind=str(alert.kind),
        severity=str(alert.severity),
        decision=str(alert.decision),
        key=alert.key,
        fired_at=alert.fired_at,
        window_start=alert.window_start,
        mentions=len(alert.mention_ids),
        status=str(alert.status),
    )


def _parsed(brands: Sequence[Brand]) -> list[Node]:
    """Each brand's query parsed; InvalidInput naming the brand for one that does not parse, and for a
    brand given twice."""
    if not brands:
        raise InvalidInput("a report needs at least one brand", details={"field": "brands"})
    seen: set[str] = set()
    nodes: list[Node] = []
    for brand in brands:
        if brand_key(brand.name) in seen:
            raise InvalidInput(
                f"brand {brand.name!r} is in the report twice",
                details={"field": "brands", "brand": brand.name},
            )
        seen.add(brand_key(brand.name))
        try:
            nodes.append(parse(brand.query))
        except QuerySyntaxError as exc:
            raise InvalidInput(
                f"brand {brand.name!r} has an invalid query: {exc.message}",
                details={**exc.details, "field": "query", "brand": brand.name, "query": brand.query},
            ) from exc
    return nodes


def build_report(
    mentions: MentionStore,
    brands: Sequence[Brand],
    period: ReportPeriod,
    *,
    name: str = "",
    title: str = "",
    language: ReportLanguage = "en",
    interval: Interval | Literal["auto"] = "auto",
    customers: CustomerStore | None = None,
    scores: ScoreStore | None = None,
    alerts: Sequence[AlertLike] = (),
    top: int = 10,
    samples: int = 3,
    now: datetime | None = None,
) -> ReportData:
    """The report of `brands` over `period` from `mentions` (one workspace's store).

    `customers` and `scores` name and tier the customers with negative mentions (their ids alone
    without them); `alerts` are the workspace's alerts around the period: those fired in it are listed,
    and the spike alerts annotate the volume charts. `interval` ``auto`` takes hours up to two days,
    days up to 92, weeks beyond. InvalidInput for no brand, a brand whose query does not parse, a
    `top` or `samples` out of range or too many buckets; the store's errors as they are."""
    nodes = _parsed(brands)
    if not 1 <= top <= 100:
        raise InvalidInput("top must be 1 to 100", details={"field": "top", "value": top})
    if not 0 <= samples <= 20:
        raise InvalidInput("samples must be 0 to 20", details={"field": "samples", "value": samples})
    resolved = resolve_interval(
        DashboardRequest(start=period.start, end=period.end, interval=interval, tz=period.timezone)
    )
    starts = bucket_starts(period.start, period.end, resolved, period.timezone)
    buckets = _Buckets(interval=resolved, tz=period.timezone, keys=tuple(format_key(s) for s in starts))
    fired = sorted(
        (a for a in alerts if _in_period(a, period)), key=lambda a: (a.fired_at, a.id), reverse=True
    )
    spike_alerts = [a for a in fired if a.kind == "spike"]
    reports = [
        _brand_report(
            _Brand(mentions, brand, node, period),
            buckets,
            spike_alerts=spike_alerts,
            customers=customers,
            scores=scores,
            language=language,
            top=top,
            samples=samples,
        )
        for brand, node in zip(brands, nodes, strict=True)
    ]
    anyone = nodes[0] if len(nodes) == 1 else Or(tuple(nodes))
    total = mentions.search(
        SearchRequest(
            query=to_text(anyone), filters=MentionFilter(since=period.start, until=period.end), limit=0
        )
    ).total
    return ReportData(
        workspace=mentions.workspace,
        name=name,
        title=title or name or " / ".join(b.name for b in brands),
        language=language,
        period=period,
        interval=resolved,
        generated_at=now or datetime.now(UTC),
        brands=tuple(reports),
        share_of_voice=share_of_voice(reports),
        alerts=tuple(_fired(a) for a in fired),
        total=total,
    )
