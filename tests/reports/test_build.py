"""reports.build over both mention stores: every number of a report equals what plain Python counts on the
hand-built corpus (tests/reports/corpus.py), never what a store says; time zones across both
daylight-saving changes, an empty period, a brand nobody mentions, customers from a real crm store."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from elasticsearch import Elasticsearch

from alerts.inbox import Alert
from core.errors import InvalidInput
from core.models import AspectLabel, EnrichedMention, IntentLabel, SentimentLabel
from core.registry import STORES
from core.settings import Settings
from crm.customers import SQLiteCustomerDirectory
from crm.scores.store import SQLiteScoreStore
from index.base import MentionStore, SearchPage, SearchRequest
from reports.brands import Brand
from reports.build import SAMPLE_CHARS, build_report, cut_text
from reports.data import MIN_SPIKE, ReportData, SampleMention
from reports.period import ReportPeriod, resolve_period
from tests.index.stores import es_test_settings
from tests.reports.corpus import (
    AUTUMN_KEYS,
    BRANDS,
    CORPUS,
    CUSTOMERS,
    EMPTY_BRAND,
    END,
    NEW_YORK,
    NOW,
    PREVIOUS_START,
    SCORES,
    START,
    TZ,
    UNKNOWN_CUSTOMER,
    WEEK_KEYS,
    brand_of,
)

TOP = 4
SAMPLES = 3
WEEK = resolve_period("last-week", tz=TZ, now=NOW)
_BY_ID = {m.id: m for m in CORPUS}


def _ids(*native: int) -> tuple[str, ...]:
    wanted = {f"m{n:03d}" for n in native}
    return tuple(m.id for m in CORPUS if m.native_id in wanted)


def _alert(
    name: str, kind: str, fired_at: datetime, window_start: datetime | None, ids: Sequence[str]
) -> Alert:
    return Alert(
        id=f"alert-{name.lower().replace(' ', '-')}",
        rule_id=f"rule-{name.lower().replace(' ', '-')}",
        rule_name=name,
        kind=kind,
        severity="critical" if kind == "spike" else "warning",
        window_start=window_start,
        fired_at=fired_at,
        mention_ids=tuple(ids),
    )


def _acme_on(day: int) -> list[str]:
    """Mentions of Acme alone on that day of March."""
    return [
        m.id
        for m in CORPUS
        if brand_of(m, "Acme")
        and not brand_of(m, "Nimbus")
        and m.published_at.astimezone(NEW_YORK).day == day
    ]


def _nimbus_before() -> list[str]:
    return [m.id for m in CORPUS if brand_of(m, "Nimbus") and PREVIOUS_START <= m.published_at < START][-3:]


ALERTS = (
    # on Acme's chart on Thursday (its window's day; it fired on Friday)
    _alert(
        "Acme volume spike",
        "spike",
        START + timedelta(days=4, hours=2),
        START + timedelta(days=3),
        _acme_on(5),
    ),
    # its window began in the week before: on the bucket it fired in, Monday, on Nimbus's chart
    _alert("Nimbus surge", "spike", START + timedelta(hours=1), START - timedelta(days=2), _nimbus_before()),
    # about no brand's mentions: on no chart, but listed
    _alert(
        "Weather spike", "spike", START + timedelta(days=1, hours=5), START + timedelta(days=1), _ids(510)
    ),
    # without mentions: on every brand's chart (Saturday)
    _alert("Site-wide spike", "spike", START + timedelta(days=5, hours=8), START + timedelta(days=5), ()),
    # not a spike: listed only; on the first instant of the period
    _alert("Every complaint", "every_match", START, None, _ids(500)),
    # outside the period: neither listed nor annotated
    _alert("Old spike", "spike", START - timedelta(seconds=1), START - timedelta(days=1), _acme_on(4)),
    _alert("Next spike", "spike", END, END - timedelta(hours=1), _acme_on(4)),
)
LISTED = ("Site-wide spike", "Acme volume spike", "Weather spike", "Nimbus surge", "Every complaint")


# --- the stores --------------------------------------------------------------------------------------
@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    es_cleanup: Callable[[Elasticsearch, str], None],
) -> Iterator[MentionStore]:
    """The corpus on one store per backend for the module (the tests only read)."""
    es_url, prefix = "", ""
    if request.param == "sqlite":
        settings = Settings(home=tmp_path_factory.mktemp("report-build"))
    else:
        es_url, prefix = request.getfixturevalue("es_url"), f"t-rep-{uuid.uuid4().hex[:8]}"
        settings = es_test_settings(es_url, prefix)
    built: MentionStore = STORES.create(request.param, settings, workspace="default")
    built.ensure_ready()
    built.upsert(CORPUS)
    built.refresh()
    yield built
    built.close()
    if prefix:
        with Elasticsearch(es_url, request_timeout=30) as client:
            es_cleanup(client, prefix)


@dataclass
class Crm:
    customers: SQLiteCustomerDirectory
    scores: SQLiteScoreStore


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crm]:
    """A real SQLite customer directory and score store holding `CUSTOMERS` and `SCORES`."""
    home = tmp_path_factory.mktemp("report-crm")
    customers = SQLiteCustomerDirectory(home / "crm.db", workspace="default")
    customers.upsert(CUSTOMERS)
    scores = SQLiteScoreStore(Settings(home=home), workspace="default")
    scores.ensure_ready()
    scores.replace_all(SCORES)
    yield Crm(customers, scores)
    customers.close()
    scores.close()


def _build(
    store: MentionStore, brands: Sequence[Brand], period: ReportPeriod, crm: Crm | None = None
) -> ReportData:
    return build_report(
        store,
        brands,
        period,
        name="weekly",
        customers=crm.customers if crm else None,
        scores=crm.scores if crm else None,
        alerts=ALERTS,
        top=TOP,
        samples=SAMPLES,
        now=NOW,
    )


# --- the reference: plain Python over the corpus ------------------------------------------------------
def day_key(at: datetime) -> str:
    day = at.astimezone(NEW_YORK).date()
    return datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).isoformat()


def hour_key(at: datetime) -> str:
    return at.astimezone(NEW_YORK).replace(minute=0, second=0, microsecond=0).isoformat()


def ranked(counts: Counter[str], top: int) -> list[dict[str, Any]]:
    rows = sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"key": k, "count": n, "previous": None, "change_percent": None} for k, n in rows]


def change(now: int, before: int) -> float | None:
    return None if before == 0 else (now - before) / before * 100


def compared(now: Counter[str], before: Counter[str], top: int) -> list[dict[str, Any]]:
    keys = sorted(now.keys() | before.keys(), key=lambda k: (-now[k], -before[k], k))[:top]
    return [
        {"key": k, "count": now[k], "previous": before[k], "change_percent": change(now[k], before[k])}
        for k in keys
    ]


def sentiments(mentions: Sequence[EnrichedMention]) -> dict[str, int]:
    counts = Counter(m.sentiment.label.value for m in mentions)
    return {label.value: counts[label.value] for label in SentimentLabel}


def net(counts: dict[str, int]) -> float | None:
    scored = counts["positive"] + counts["negative"]
    return None if not scored else (counts["positive"] - counts["negative"]) / scored * 100


def health(counts: dict[str, int]) -> float | None:
    scored = counts["positive"] + counts["negative"]
    return None if not scored else counts["positive"] / scored * 100


def samples(mentions: Sequence[EnrichedMention]) -> list[dict[str, Any]]:
    newest = sorted(mentions, key=lambda m: m.published_at, reverse=True)[:SAMPLES]
    return [
        SampleMention(
            id=m.id,
            published_at=m.published_at,
            platform=m.platform,
            author=m.author.handle if m.author else None,
            title=m.title,
            text=cut_text(m.text),
            url=m.url,
            sentiment=m.sentiment.label,
        ).model_dump(mode="json")
        for m in newest
    ]


@dataclass
class Expected:
    """What a brand's report must say, and the spikes stated by hand (alerts) that it must show."""

    keys: Sequence[str]
    key_of: Callable[[datetime], str]
    start: datetime
    end: datetime
    previous_start: datetime
    alert_spikes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def mentions(self, brand: str, since: datetime, until: datetime) -> list[EnrichedMention]:
        return [m for m in CORPUS if since <= m.published_at < until and brand_of(m, brand)]

    def brand(self, brand: Brand, *, with_crm: bool) -> dict[str, Any]:
        now = self.mentions(brand.name, self.start, self.end)
        before = self.mentions(brand.name, self.previous_start, self.start)
        per_key = Counter(self.key_of(m.published_at) for m in now)
        assert set(per_key) <= set(self.keys), "a mention fell outside every bucket"
        volume: list[dict[str, Any]] = [{"key": k, "count": per_key[k]} for k in self.keys]
        trend = [
            {
                "key": k,
                "counts": sentiments([m for m in now if self.key_of(m.published_at) == k]),
            }
            for k in self.keys
        ]
        counts, previous_counts = sentiments(now), sentiments(before)
        negative = [m for m in now if m.sentiment.label is SentimentLabel.negative]
        customers = Counter(m.customer.customer_id for m in negative if m.customer)
        names = {c.id: (c.name, c.tier.value) for c in CUSTOMERS}
        tiers = {s.customer_id: s.tier.value for s in SCORES if s.tier}
        reasons = Counter(
            label.value
            for m in now
            for label in AspectLabel
            if any(a.label is label and a.polarity is SentimentLabel.negative for a in m.aspects)
        )
        # spikes: the alerts' (stated by hand), then the buckets over mean + 2 stdev that none annotates
        spikes = list(self.alert_spikes.get(brand.name, []))
        taken = {s["key"] for s in spikes}
        counts_per_bucket = [per_key[k] for k in self.keys]
        mean = statistics.fmean(counts_per_bucket)
        limit = mean + 2 * statistics.pstdev(counts_per_bucket)
        for v in volume:
            if v["key"] not in taken and v["count"] >= MIN_SPIKE and v["count"] > limit:
                label = f"x{v['count'] / mean:.1f} the mean"
                spikes.append({"key": v["key"], "count": v["count"], "reason": "detected", "label": label})
        spikes = [{"alert_id": None, **s} for s in spikes]
        spikes.sort(key=lambda s: (self.keys.index(s["key"]), s["reason"], s["label"]))
        return {
            "brand": brand.name,
            "role": brand.role.value,
            "query": brand.query,
            "total": len(now),
            "previous": len(before),
            "change_percent": change(len(now), len(before)),
            "volume": volume,
            "spikes": spikes,
            "platforms": compared(Counter(m.platform for m in now), Counter(m.platform for m in before), TOP),
            "languages": compared(Counter(m.lang for m in now), Counter(m.lang for m in before), TOP),
            "sentiment": counts,
            "previous_sentiment": previous_counts,
            "net_sentiment": net(counts),
            "previous_net_sentiment": net(previous_counts),
            "health_index": health(counts),
            "previous_health_index": health(previous_counts),
            "sentiment_trend": trend,
            "intents": ranked(Counter(i for m in now for i in {x.label.value for x in m.intents}), TOP),
            "complaint_reasons": ranked(reasons, TOP),
            "complaints": sum(1 for m in now if any(i.label is IntentLabel.complaint for i in m.intents)),
            "churn_risk": sum(1 for m in now if any(i.label is IntentLabel.churn_risk for i in m.intents)),
            "top_authors": ranked(Counter(m.author.handle for m in now if m.author and m.author.handle), TOP),
            "top_sites": ranked(Counter(m.site for m in now if m.site), TOP),
            "negative_customers": [
                {
                    "customer_id": cid,
                    "name": names[cid][0] if with_crm and cid in names else cid,
                    "tier": names[cid][1] if with_crm and cid in names else None,
                    "value_tier": tiers.get(cid) if with_crm else None,
                    "negative": n,
                }
                for cid, n in sorted(customers.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
            ],
            "samples": {
                "latest": samples(now),
                "positive": samples([m for m in now if m.sentiment.label is SentimentLabel.positive]),
                "negative": samples(negative),
                "complaints": samples(
                    [
                        m
                        for m in now
                        if any(i.label in (IntentLabel.complaint, IntentLabel.churn_risk) for i in m.intents)
                    ]
                ),
            },
        }

    def report(self, brands: Sequence[Brand], *, with_crm: bool) -> dict[str, Any]:
        rows = [self.brand(b, with_crm=with_crm) for b in brands]
        totals = {name: sum(r[name] for r in rows) for name in ("total", "previous")} | {
            label: sum(r["sentiment"][label] for r in rows) for label in ("positive", "negative")
        }

        def share(part: int, whole: int) -> float:
            return part / whole * 100 if whole else 0.0

        return {
            "brands": rows,
            "share_of_voice": [
                {
                    "brand": r["brand"],
                    "role": r["role"],
                    "mentions": r["total"],
                    "share": share(r["total"], totals["total"]),
                    "previous_share": share(r["previous"], totals["previous"])
                    if totals["previous"]
                    else None,
                    "positive": r["sentiment"]["positive"],
                    "positive_share": share(r["sentiment"]["positive"], totals["positive"]),
                    "negative": r["sentiment"]["negative"],
                    "negative_share": share(r["sentiment"]["negative"], totals["negative"]),
                }
                for r in rows
            ],
            "total": len(
                {
                    m.id
                    for m in CORPUS
                    if self.start <= m.published_at < self.end and any(brand_of(m, b.name) for b in brands)
                }
            ),
        }


def assert_report(data: ReportData, expected: dict[str, Any]) -> None:
    """Section by section, so a failure names what differs."""
    got = data.model_dump(mode="json")
    assert len(got["brands"]) == len(expected["brands"])
    for brand, want in zip(got["brands"], expected["brands"], strict=True):
        for section, value in want.items():
            assert brand[section] == value, f"{want['brand']}: {section}"
    assert got["share_of_voice"] == expected["share_of_voice"]
    assert got["total"] == expected["total"]


def week_expected() -> Expected:
    def spike(name: str, day: int, brand: str, count: int | None = None) -> dict[str, Any]:
        alert = next(a for a in ALERTS if a.rule_name == name)
        n = (
            count
            if count is not None
            else len(
                [
                    m
                    for m in CORPUS
                    if START <= m.published_at < END
                    and brand_of(m, brand)
                    and day_key(m.published_at) == WEEK_KEYS[day]
                ]
            )
        )
        return {"key": WEEK_KEYS[day], "count": n, "reason": "alert", "label": name, "alert_id": alert.id}

    site_wide = {b.name: spike("Site-wide spike", 5, b.name) for b in (*BRANDS, EMPTY_BRAND)}
    return Expected(
        keys=WEEK_KEYS,
        key_of=day_key,
        start=START,
        end=END,
        previous_start=PREVIOUS_START,
        alert_spikes={
            "Acme": [spike("Acme volume spike", 3, "Acme"), site_wide["Acme"]],
            "Nimbus": [spike("Nimbus surge", 0, "Nimbus"), site_wide["Nimbus"]],
            "Orbit": [site_wide["Orbit"]],
            "Zephyr": [spike("Site-wide spike", 5, "Zephyr", 0)],
        },
    )


# --- the week: every number --------------------------------------------------------------------------
def test_the_week_period_is_the_corpus_week() -> None:
    assert (WEEK.start, WEEK.end, WEEK.previous_start, WEEK.previous_end) == (
        START,
        END,
        PREVIOUS_START,
        START,
    )


def test_every_number_of_the_week_matches_the_corpus(store: MentionStore, crm: Crm) -> None:
    data = _build(store, BRANDS, WEEK, crm)
    expected = week_expected().report(BRANDS, with_crm=True)
    assert_report(data, expected)
    # the report's frame
    assert (data.workspace, data.name, data.title, data.language) == ("default", "weekly", "weekly", "en")
    assert (data.period, data.interval, data.generated_at) == (WEEK, "day", NOW)
    assert [a.rule_name for a in data.alerts] == list(LISTED)
    assert (data.alerts[-1].fired_at, data.alerts[-1].mentions) == (START, 1)
    assert {a.kind for a in data.alerts} == {"spike", "every_match"}
    # the corpus exercises what it is meant to
    acme, nimbus, orbit = (r.model_dump(mode="json") for r in data.brands)
    assert (acme["total"], acme["previous"]) == (31, 20)
    assert acme["change_percent"] == pytest.approx(55.0)
    assert [s["reason"] for s in acme["spikes"]] == ["detected", "alert", "alert"]
    assert acme["spikes"][0]["label"] == "x3.2 the mean"
    assert (orbit["previous"], orbit["change_percent"]) == (0, None)
    assert data.share_of_voice[2].previous_share == 0.0
    assert sum(row.share for row in data.share_of_voice) == pytest.approx(100.0)
    assert data.total == 31 + 22 + 9 - 3  # three mentions are Acme's and Nimbus's at once
    assert any(row["key"] == "zh" for row in orbit["languages"])
    assert len(acme["platforms"]) == len(acme["top_authors"]) == TOP
    assert acme["samples"]["latest"][0]["text"].endswith("…")
    assert len(acme["samples"]["latest"][0]["text"]) <= SAMPLE_CHARS
    assert all(len(nimbus["samples"][part]) == SAMPLES for part in ("latest", "positive", "negative"))


def test_negative_customers_are_named_from_the_crm(store: MentionStore, crm: Crm) -> None:
    data = _build(store, BRANDS, WEEK, crm)
    rows = {row.customer_id: row for brand in data.brands for row in brand.negative_customers}
    ana, unknown = rows[CUSTOMERS[0].id], rows[UNKNOWN_CUSTOMER]
    assert (ana.name, ana.tier, ana.value_tier) == ("Ana Lima", "gold", "key")
    assert (unknown.name, unknown.tier, unknown.value_tier) == (UNKNOWN_CUSTOMER, None, None)
    # without the crm stores, ids stand for names
    bare = _build(store, BRANDS[:1], WEEK)
    assert all(row.name == row.customer_id and row.tier is None for row in bare.brands[0].negative_customers)
    assert bare.brands[0].negative_customers


# --- time zones --------------------------------------------------------------------------------------
def test_the_spring_week_has_seven_local_days(store: MentionStore) -> None:
    data = _build(store, BRANDS, WEEK)
    orbit = data.brands[2]
    assert tuple(p.key for p in orbit.volume) == WEEK_KEYS
    # 23:30 on Saturday (04:30 UTC on Sunday) is Saturday's; 23:30 on Sunday (03:30 UTC on Monday) Sunday's
    assert [p.count for p in orbit.volume] == [1, 0, 2, 1, 0, 2, 3]
    assert tuple(p.key for p in orbit.sentiment_trend) == WEEK_KEYS


def test_the_autumn_week_has_seven_local_days(store: MentionStore) -> None:
    period = resolve_period("2026-10-26..2026-11-01", tz=TZ)
    data = build_report(store, BRANDS[:1], period, now=NOW)
    acme = data.brands[0]
    assert tuple(p.key for p in acme.volume) == AUTUMN_KEYS
    # Monday's midnight; Saturday 23:30 EDT; Sunday's two 01:30s and 23:30 EST; not the next Monday
    assert [p.count for p in acme.volume] == [1, 0, 0, 0, 0, 1, 3]
    assert acme.total == 5
    expected = Expected(AUTUMN_KEYS, day_key, period.start, period.end, period.previous_start)
    assert acme.model_dump(mode="json")["volume"] == expected.brand(BRANDS[0], with_crm=False)["volume"]


def test_the_day_of_the_spring_change_has_23_hours(store: MentionStore, crm: Crm) -> None:
    period = resolve_period("2026-03-08..2026-03-08", tz=TZ)
    data = _build(store, BRANDS, period, crm)
    assert data.interval == "hour"
    keys = [p.key for p in data.brands[0].volume]
    assert len(keys) == 23
    assert keys[:3] == ["2026-03-08T00:00:00-05:00", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]
    expected = Expected(keys, hour_key, period.start, period.end, period.previous_start)
    assert_report(data, expected.report(BRANDS, with_crm=True))


# --- the edges ---------------------------------------------------------------------------------------
def test_an_empty_period_is_all_zeros(store: MentionStore) -> None:
    period = resolve_period("2025-01-06..2025-01-12", tz=TZ)
    data = _build(store, BRANDS, period)
    assert data.total == 0
    assert data.alerts == ()
    for brand in data.brands:
        assert (brand.total, brand.previous, brand.change_percent) == (0, 0, None)
        assert [p.count for p in brand.volume] == [0] * 7
        assert all(p.counts.total == 0 for p in brand.sentiment_trend)
        assert (brand.net_sentiment, brand.health_index, brand.previous_health_index) == (None, None, None)
        assert brand.platforms == brand.languages == brand.intents == brand.complaint_reasons == ()
        assert brand.top_authors == brand.top_sites == ()
        assert brand.negative_customers == ()
        assert brand.spikes == ()
        assert (brand.complaints, brand.churn_risk) == (0, 0)
        assert brand.samples.latest == brand.samples.negative == ()
    for row in data.share_of_voice:
        assert (row.mentions, row.share, row.previous_share, row.positive_share, row.negative_share) == (
            0,
            0.0,
            None,
            0.0,
            0.0,
        )


def test_a_brand_nobody_mentions_counts_zero(store: MentionStore) -> None:
    brands = (*BRANDS, EMPTY_BRAND)
    data = _build(store, brands, WEEK)
    assert_report(data, week_expected().report(brands, with_crm=False))
    zephyr = data.brands[3]
    assert (zephyr.total, zephyr.previous, zephyr.health_index) == (0, 0, None)
    assert data.share_of_voice[3].share == 0.0
    assert sum(row.share for row in data.share_of_voice) == pytest.approx(100.0)


def test_bad_brands_are_refused(store: MentionStore) -> None:
    bad = Brand.model_construct(name="Broken", query="acme AND (battery", role=BRANDS[0].role)
    with pytest.raises(InvalidInput, match="Broken") as caught:
        build_report(store, (BRANDS[0], bad), WEEK)
    assert caught.value.details["brand"] == "Broken"
    with pytest.raises(InvalidInput, match="at least one brand"):
        build_report(store, (), WEEK)
    with pytest.raises(InvalidInput, match="twice"):
        build_report(store, (BRANDS[0], BRANDS[0].model_copy(update={"name": "ACME"})), WEEK)
    with pytest.raises(InvalidInput, match="too many hour buckets"):
        build_report(store, BRANDS, resolve_period("last-month", tz=TZ, now=NOW), interval="hour")


class CountingStore:
    """A store that records the searches it passes on (the real store answers them)."""

    def __init__(self, store: MentionStore) -> None:
        self.store = store
        self.searches: list[SearchRequest] = []

    @property
    def workspace(self) -> str:
        return self.store.workspace

    def search(self, request: SearchRequest) -> SearchPage:
        self.searches.append(request)
        return self.store.search(request)


def test_a_report_counts_with_few_searches_and_reads_only_samples(store: MentionStore) -> None:
    counting = CountingStore(store)
    data = build_report(cast(MentionStore, counting), BRANDS, WEEK, alerts=ALERTS, samples=SAMPLES)
    assert data.total > 0
    assert len(counting.searches) <= 13 * len(BRANDS) + 1
    for request in counting.searches:
        # hits are read for samples only, or to tell which brand a spike alert's mentions are about
        assert request.limit <= SAMPLES or request.filters.ids
    # every search of the period's numbers has the period's bounds
    assert {(r.filters.since, r.filters.until) for r in counting.searches if not r.filters.ids} == {
        (WEEK.start, WEEK.end),
        (WEEK.previous_start, WEEK.previous_end),
    }


# --- no store needed ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("short  text\nhere", 280, "short text here"),
        ("one two three four", 12, "one two…"),
        ("one two three four", 18, "one two three four"),
        ("abcdefghijklmnop", 8, "abcdefg…"),  # one long word: cut inside it
        ("这个耳机的音质很好但是电池不行", 8, "这个耳机的音质…"),  # no spaces in Chinese
        ("word " + "x" * 20, 12, "word xxxxxx…"),  # the last word would lose more than half: cut in it
    ],
)
def test_cut_text(text: str, limit: int, cut: str) -> None:
    assert cut_text(text, limit) == cut
    assert len(cut) <= limit


def test_the_day_keys_of_the_reference() -> None:
    """The reference's own bucketing is right on the corpus's late-night mentions."""
    saturday = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)  # 23:30 EST on Saturday
    sunday = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)  # 23:30 EDT on Sunday
    assert (day_key(saturday), day_key(sunday)) == (WEEK_KEYS[5], WEEK_KEYS[6])
    assert all(day_key(START + timedelta(days=d, hours=12)) == WEEK_KEYS[d] for d in range(7))
