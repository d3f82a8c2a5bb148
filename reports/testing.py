"""A hand-made, realistic `ReportData` for tests and demos of the renderers (and of whatever shows a report):
a week of three brands in Asia/Shanghai, the own brand "Quillfinch" and two competitors, one of them with a
Chinese name ("声浪"); an alert spike and a detected spike; samples with links and Chinese text; alerts.

Every derived number (net sentiment, health index, shares, changes) is computed from the counts with the
definitions of `reports.data`, so the sample is consistent with itself: a test may recompute anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.models import SentimentLabel
from core.settings import ReportLanguage
from index.aggregations import format_key, zone
from reports.brands import BrandRole
from reports.build import health_index, net_sentiment, share_of_voice
from reports.dashboard import bucket_starts, change_percent
from reports.data import (
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
from reports.period import ReportPeriod, resolve_period

__all__ = ["SAMPLE_TIMEZONE", "empty_report_data", "sample_period", "sample_report_data"]

SAMPLE_TIMEZONE = "Asia/Shanghai"
_TITLES: dict[ReportLanguage, str] = {"en": "Weekly brand report", "zh": "每周品牌报告"}
_SPIKE_ALERT_ID = "alert-7f3a9c"


def sample_period() -> ReportPeriod:
    """Last week as of Monday 2026-03-09 in Shanghai: Monday 2 to Sunday 8 March 2026."""
    return resolve_period("last-week", tz=SAMPLE_TIMEZONE, now=datetime(2026, 3, 9, 8, tzinfo=zone("UTC")))


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=zone(SAMPLE_TIMEZONE))


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """`total` over len(weights) parts in proportion, rounded, the rest on the largest part."""
    parts = [int(total * weight / sum(weights)) for weight in weights]
    parts[max(range(len(weights)), key=lambda i: weights[i])] += total - sum(parts)
    return parts


def _rows(
    keys: Sequence[str],
    total: int,
    weights: Sequence[float],
    previous: int,
    previous_weights: Sequence[float],
) -> tuple[CountRow, ...]:
    now = _split(total, weights)
    before = _split(previous, previous_weights)
    rows = [
        CountRow(key=key, count=count, previous=prev, change_percent=change_percent(count, prev))
        for key, count, prev in zip(keys, now, before, strict=True)
    ]
    return tuple(sorted(rows, key=lambda row: (-row.count, row.key)))


def _tops(pairs: Sequence[tuple[str, int]]) -> tuple[CountRow, ...]:
    return tuple(CountRow(key=key, count=count) for key, count in pairs)


def _trend(
    keys: Sequence[str], volume: Sequence[int], positive: Sequence[float], negative: Sequence[float]
) -> tuple[SentimentPoint, ...]:
    """Per bucket: shares of positive and negative, a tenth unscored, the rest neutral."""
    points = []
    for key, count, pos, neg in zip(keys, volume, positive, negative, strict=True):
        p, n, u = round(count * pos), round(count * neg), round(count * 0.06)
        counts = SentimentCounts(positive=p, negative=n, unscored=u, neutral=count - p - n - u)
        points.append(SentimentPoint(key=key, counts=counts))
    return tuple(points)


def _sum(points: Sequence[SentimentPoint]) -> SentimentCounts:
    return SentimentCounts(
        **{
            label.value: sum(point.counts.of(label) for point in points)
            for label in (
                SentimentLabel.positive,
                SentimentLabel.neutral,
                SentimentLabel.negative,
                SentimentLabel.unscored,
            )
        }
    )


def _mention(
    ident: str,
    when: datetime,
    platform: str,
    author: str | None,
    text: str,
    url: str | None,
    sentiment: SentimentLabel,
    title: str | None = None,
) -> SampleMention:
    return SampleMention(
        id=ident,
        published_at=when,
        platform=platform,
        author=author,
        title=title,
        text=text,
        url=url,
        sentiment=sentiment,
    )


_POS, _NEG, _NEU = SentimentLabel.positive, SentimentLabel.negative, SentimentLabel.neutral


def _quillfinch_samples() -> BrandSamples:
    late = _mention(
        "m-q-501",
        _at(5, 9, 12),
        "weibo",
        "数码小王",
        "Quillfinch 的耳机三天了还没发货，客服只会说“请耐心等待”。#Quillfinch配送#",
        "https://weibo.com/1234567890/Qf5Aa1",
        _NEG,
    )
    broken = _mention(
        "m-q-502",
        _at(5, 11, 40),
        "reddit",
        "u/audio_mara",
        "Second Quillfinch order this month stuck at the depot. Support says 'a few more days'. "
        "Thinking about switching to Larkspur if this keeps up.",
        "https://www.reddit.com/r/headphones/comments/1b2c3d/quillfinch_delivery/",
        _NEG,
        title="Quillfinch delivery delays again?",
    )
    cancel = _mention(
        "m-q-503",
        _at(6, 20, 5),
        "xiaohongshu",
        "橙子不加糖",
        "等了一周，决定退订 Quillfinch 会员了，太失望。",
        "https://www.xiaohongshu.com/explore/65f0c1a2000000001203abcd",
        _NEG,
    )
    love = _mention(
        "m-q-504",
        _at(3, 14, 30),
        "x",
        "@gadgetgrace",
        "The Quillfinch Aria buds are the best thing I bought this year. Battery lasts forever.",
        "https://x.com/gadgetgrace/status/1765000000000000001",
        _POS,
    )
    review = _mention(
        "m-q-505",
        _at(7, 10, 0),
        "news",
        "TechDaily",
        "Quillfinch's new firmware fixes the pairing bug and adds a low-latency mode for games.",
        "https://techdaily.example.com/reviews/quillfinch-aria-firmware-2-1",
        _POS,
        title="Quillfinch Aria firmware 2.1 reviewed",
    )
    zh_love = _mention(
        "m-q-506",
        _at(8, 21, 18),
        "weibo",
        "林间小鹿",
        "音质真的惊艳，降噪也比上一代好很多，推荐 Quillfinch！",
        "https://weibo.com/2233445566/Qf8Zz9",
        _POS,
    )
    question = _mention(
        "m-q-507",
        _at(8, 22, 41),
        "appstore",
        None,
        "Does the Quillfinch app support multipoint on Android yet?",
        None,
        _NEU,
    )
    return BrandSamples(
        latest=(question, zh_love, review),
        positive=(zh_love, review, love),
        negative=(cancel, broken, late),
        complaints=(late, broken, cancel),
    )


def _larkspur_samples() -> BrandSamples:
    sale = _mention(
        "m-l-301",
        _at(7, 19, 2),
        "x",
        "@larkspur_audio",
        "Weekend flash sale: 30% off every Larkspur headset until Sunday midnight.",
        "https://x.com/larkspur_audio/status/1765500000000000002",
        _NEU,
    )
    happy = _mention(
        "m-l-302",
        _at(6, 9, 30),
        "reddit",
        "u/quietcommute",
        "Switched to Larkspur for the commute, the ANC is honestly good for the price.",
        "https://www.reddit.com/r/headphones/comments/1b4e5f/larkspur_anc/",
        _POS,
    )
    cracked = _mention(
        "m-l-303",
        _at(4, 16, 45),
        "weibo",
        "阿杰的测评",
        "Larkspur 耳机盒用了两个月就裂了，质量堪忧。",
        "https://weibo.com/3344556677/Lk4Cc3",
        _NEG,
    )
    return BrandSamples(latest=(sale, happy), positive=(happy,), negative=(cracked,), complaints=(cracked,))


def _shenglang_samples() -> BrandSamples:
    launch = _mention(
        "m-s-201",
        _at(8, 12, 0),
        "weibo",
        "声浪官方",
        "声浪 S3 新品今晚八点开售，首发赠送定制收纳盒。",
        "https://weibo.com/4455667788/Sl8Dd4",
        _NEU,
    )
    praise = _mention(
        "m-s-202",
        _at(6, 18, 20),
        "xiaohongshu",
        "小蓝鲸",
        "声浪这个价位的音质没话说，通勤党闭眼入。",
        "https://www.xiaohongshu.com/explore/65f2d3b4000000001302bcde",
        _POS,
    )
    slow = _mention(
        "m-s-203",
        _at(3, 8, 55),
        "zhihu",
        "匿名用户",
        "声浪的售后回复太慢了，等了五天才有人联系我。",
        "https://www.zhihu.com/question/612345678/answer/3345678901",
        _NEG,
    )
    return BrandSamples(latest=(launch, praise), positive=(praise,), negative=(slow,), complaints=(slow,))


def _brand(
    name: str,
    role: BrandRole,
    query: str,
    keys: Sequence[str],
    volume: Sequence[int],
    previous: int,
    positive: Sequence[float],
    negative: Sequence[float],
    previous_sentiment: SentimentCounts,
    **sections: object,
) -> BrandReport:
    trend = _trend(keys, volume, positive, negative)
    sentiment = _sum(trend)
    total = sum(volume)
    return BrandReport.model_validate(
        {
            "brand": name,
            "role": role,
            "query": query,
            "total": total,
            "previous": previous,
            "change_percent": change_percent(total, previous),
            "volume": tuple(VolumePoint(key=k, count=c) for k, c in zip(keys, volume, strict=True)),
            "sentiment": sentiment,
            "previous_sentiment": previous_sentiment,
            "net_sentiment": net_sentiment(sentiment),
            "previous_net_sentiment": net_sentiment(previous_sentiment),
            "health_index": health_index(sentiment),
            "previous_health_index": health_index(previous_sentiment),
            "sentiment_trend": trend,
            **sections,
        }
    )


def sample_report_data(language: ReportLanguage = "en") -> ReportData:
    """A week of Quillfinch against Larkspur and 声浪, with everything a report shows; `language` picks
    the report's labels (the data are the same in both)."""
    period = sample_period()
    starts = bucket_starts(period.start, period.end, "day", period.timezone)
    keys = [format_key(start) for start in starts]
    spike_key = keys[3]  # Thursday 5 March: a delivery backlog
    detected_key = keys[5]  # Saturday 7 March: Larkspur's flash sale
    quillfinch = _brand(
        "Quillfinch",
        BrandRole.own,
        'quillfinch OR "quill finch" OR 羽雀',
        keys,
        [120, 135, 128, 310, 142, 118, 96],
        930,
        [0.42, 0.44, 0.40, 0.22, 0.38, 0.45, 0.47],
        [0.14, 0.12, 0.15, 0.36, 0.20, 0.13, 0.11],
        SentimentCounts(positive=350, neutral=340, negative=190, unscored=50),
        spikes=(
            Spike(
                key=spike_key, count=310, reason="alert", label="Quillfinch volume", alert_id=_SPIKE_ALERT_ID
            ),
        ),
        platforms=_rows(
            ("weibo", "xiaohongshu", "reddit", "x", "news", "appstore"),
            1049,
            (34, 22, 16, 14, 8, 6),
            930,
            (33, 20, 18, 15, 9, 5),
        ),
        languages=_rows(("zh", "en", "ja"), 1049, (62, 33, 5), 930, (58, 37, 5)),
        intents=_tops(
            (
                ("complaint", 187),
                ("question", 142),
                ("praise", 131),
                ("purchase_intent", 77),
                ("churn_risk", 41),
                ("bug_report", 23),
                ("feature_request", 19),
            )
        ),
        complaint_reasons=_tops(
            (("delivery", 96), ("service", 38), ("price", 27), ("quality", 21), ("app_or_website", 12))
        ),
        complaints=187,
        churn_risk=41,
        top_authors=_tops(
            (
                ("数码小王", 14),
                ("@gadgetgrace", 11),
                ("u/audio_mara", 9),
                ("TechDaily", 7),
                ("林间小鹿", 6),
                ("橙子不加糖", 5),
            )
        ),
        top_sites=_tops(
            (
                ("weibo.com", 357),
                ("xiaohongshu.com", 231),
                ("reddit.com", 168),
                ("x.com", 147),
                ("apps.apple.com", 63),
                ("techdaily.example.com", 44),
            )
        ),
        negative_customers=(
            CustomerRow(customer_id="c-10042", name="林伟", tier="platinum", value_tier="key", negative=5),
            CustomerRow(
                customer_id="c-20417", name="Mara Jensen", tier="gold", value_tier="growth", negative=3
            ),
            CustomerRow(customer_id="c-31008", name="张芳", tier=None, value_tier="standard", negative=2),
            CustomerRow(
                customer_id="c-40391", name="Diego Alvarez", tier="silver", value_tier=None, negative=1
            ),
        ),
        samples=_quillfinch_samples(),
    )
    larkspur = _brand(
        "Larkspur",
        BrandRole.competitor,
        "larkspur",
        keys,
        [80, 76, 91, 85, 88, 170, 72],
        701,
        [0.30, 0.29, 0.31, 0.30, 0.28, 0.33, 0.30],
        [0.26, 0.27, 0.25, 0.26, 0.27, 0.22, 0.26],
        SentimentCounts(positive=230, neutral=280, negative=160, unscored=31),
        spikes=(Spike(key=detected_key, count=170, reason="detected", label="x1.8 the mean"),),
        platforms=_rows(("x", "reddit", "weibo", "news"), 662, (38, 30, 22, 10), 701, (35, 33, 22, 10)),
        languages=_rows(("en", "zh", "de"), 662, (70, 24, 6), 701, (72, 23, 5)),
        intents=_tops(
            (("purchase_intent", 96), ("question", 81), ("complaint", 74), ("praise", 66), ("churn_risk", 12))
        ),
        complaint_reasons=_tops((("quality", 44), ("price", 31), ("service", 12))),
        complaints=74,
        churn_risk=12,
        top_authors=_tops((("@larkspur_audio", 21), ("u/quietcommute", 6), ("阿杰的测评", 4))),
        top_sites=_tops((("x.com", 252), ("reddit.com", 199), ("weibo.com", 145), ("soundguys.example", 66))),
        samples=_larkspur_samples(),
    )
    shenglang = _brand(
        "声浪",
        BrandRole.competitor,
        "声浪 OR shenglang",
        keys,
        [40, 52, 47, 45, 58, 61, 49],
        301,
        [0.45, 0.43, 0.42, 0.41, 0.44, 0.46, 0.42],
        [0.15, 0.14, 0.16, 0.15, 0.13, 0.14, 0.15],
        SentimentCounts(positive=120, neutral=110, negative=50, unscored=21),
        platforms=_rows(("weibo", "xiaohongshu", "zhihu"), 352, (55, 35, 10), 301, (60, 30, 10)),
        languages=_rows(("zh",), 352, (1,), 301, (1,)),
        intents=_tops((("praise", 58), ("question", 44), ("purchase_intent", 39), ("complaint", 21))),
        complaint_reasons=_tops((("service", 15), ("delivery", 6))),
        complaints=21,
        churn_risk=0,
        top_authors=_tops((("声浪官方", 12), ("小蓝鲸", 5), ("匿名用户", 3))),
        top_sites=_tops((("weibo.com", 194), ("xiaohongshu.com", 123), ("zhihu.com", 35))),
        samples=_shenglang_samples(),
    )
    brands = (quillfinch, larkspur, shenglang)
    alerts = (
        FiredAlert(
            id=_SPIKE_ALERT_ID,
            rule_name="Quillfinch volume",
            kind="spike",
            severity="critical",
            key="quillfinch",
            fired_at=_at(5, 10, 20),
            window_start=_at(5, 9),
            mentions=64,
            status="acknowledged",
        ),
        FiredAlert(
            id="alert-2b81d4",
            rule_name="退订与流失",
            kind="threshold",
            severity="warning",
            key="quillfinch",
            fired_at=_at(5, 15, 0),
            window_start=_at(5, 14),
            mentions=12,
            status="resolved",
        ),
        FiredAlert(
            id="alert-c09e55",
            rule_name="Negative sentiment dip",
            kind="sentiment_dip",
            severity="warning",
            key="quillfinch",
            fired_at=_at(6, 8, 45),
            window_start=_at(5, 8, 45),
            mentions=97,
            status="open",
        ),
    )
    overlap = 32  # mentions that match two brands' queries count once in the total
    return ReportData(
        workspace="default",
        name="weekly",
        title=_TITLES[language],
        language=language,
        period=period,
        interval="day",
        generated_at=period.end + timedelta(hours=7, minutes=3),
        brands=brands,
        share_of_voice=share_of_voice(brands),
        alerts=alerts,
        total=sum(b.total for b in brands) - overlap,
    )


def empty_report_data(language: ReportLanguage = "en") -> ReportData:
    """The sample's week and brands with nothing counted: every bucket 0, ratios None, no alerts (what a
    report of a quiet period, or of brands whose queries match nothing, holds)."""
    sample = sample_report_data(language)
    brands = tuple(
        BrandReport(
            brand=b.brand,
            role=b.role,
            query=b.query,
            total=0,
            previous=0,
            volume=tuple(VolumePoint(key=p.key, count=0) for p in b.volume),
            sentiment_trend=tuple(SentimentPoint(key=p.key, counts=SentimentCounts()) for p in b.volume),
        )
        for b in sample.brands
    )
    return sample.model_copy(
        update={
            "brands": brands,
            "share_of_voice": tuple(
                ShareOfVoiceRow(brand=b.brand, role=b.role, mentions=0, share=0.0) for b in brands
            ),
            "alerts": (),
            "total": 0,
        }
    )
