"""What a report holds: the numbers of every section, per brand, for one period. `reports.build` fills it
from store aggregations; `reports.render` turns it into HTML, PDF, CSV and XLSX; the API serves it as
JSON. Nothing here reads a store.

Definitions (what the report's glossary says, in both languages):

- change: percent change against the previous period, None when the previous period counted nothing;
- net sentiment: (positive - negative) / (positive + negative) * 100, from -100 to 100 (Talkwalker's);
- brand health index: positive / (positive + negative) * 100, from 0 to 100 (SentiOne's);
  both None when a brand has no positive and no negative mention;
- share of voice: a brand's mentions over the sum of every reported brand's mentions (a mention that
  matches two brands' queries counts for both, as in Brandwatch's competitive analysis);
- complaint reasons: aspects mentioned with negative polarity, counted per mention;
- spikes: buckets of the volume chart an alert of kind ``spike`` fired for, and buckets whose count is
  over the mean plus two standard deviations of the period's buckets (and at least `MIN_SPIKE`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.models import AwareDatetime, Frozen, SentimentLabel
from core.settings import ReportLanguage
from index.base import Interval
from reports.brands import BrandRole
from reports.period import ReportPeriod

MIN_SPIKE = 5  # a bucket with fewer mentions is never called a spike, whatever the baseline


class CountRow(Frozen):
    """One row of a top list or breakdown: a key (platform, language, author, site, intent, aspect) and
    its count in the period; `previous` where the section compares periods."""

    key: str
    count: int = Field(ge=0)
    previous: int | None = Field(None, ge=0)
    change_percent: float | None = None


class SentimentCounts(Frozen):
    positive: int = Field(0, ge=0)
    neutral: int = Field(0, ge=0)
    negative: int = Field(0, ge=0)
    unscored: int = Field(0, ge=0)

    def of(self, label: SentimentLabel) -> int:
        return int(getattr(self, label.value))

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative + self.unscored


class SentimentPoint(Frozen):
    """One bucket of the sentiment trend: its key (ISO start in the report's zone) and counts."""

    key: str
    counts: SentimentCounts


class VolumePoint(Frozen):
    key: str = Field(description="ISO start of the bucket in the report's time zone")
    count: int = Field(ge=0)


class Spike(Frozen):
    key: str = Field(description="The bucket it is annotated on")
    count: int = Field(ge=0)
    reason: Literal["alert", "detected"]
    label: str = Field(description="What the annotation says: the alert's rule name, or 'x3.2 the mean'")
    alert_id: str | None = None


class SampleMention(Frozen):
    """A mention shown as an example, with its link."""

    id: str
    published_at: AwareDatetime
    platform: str
    author: str | None = None
    title: str | None = None
    text: str = Field(description="At most 280 characters, cut at a word with an ellipsis")
    url: str | None = None
    sentiment: SentimentLabel = SentimentLabel.unscored


class CustomerRow(Frozen):
    """A linked customer with negative mentions in the period."""

    customer_id: str
    name: str
    tier: str | None = Field(None, description="Master-file tier (platinum...), when the customer has one")
    value_tier: str | None = Field(None, description="Value tier of the last scores run, when scored")
    negative: int = Field(ge=0, description="Negative mentions in the period")


class BrandSamples(Frozen):
    latest: tuple[SampleMention, ...] = ()
    positive: tuple[SampleMention, ...] = ()
    negative: tuple[SampleMention, ...] = ()
    complaints: tuple[SampleMention, ...] = Field((), description="Intent complaint or churn_risk")


class BrandReport(Frozen):
    """Every section of one brand."""

    brand: str
    role: BrandRole
    query: str
    # volume
    total: int = Field(ge=0)
    previous: int = Field(ge=0)
    change_percent: float | None = None
    volume: tuple[VolumePoint, ...] = Field((), description="Every bucket of the period, empty ones as 0")
    spikes: tuple[Spike, ...] = ()
    platforms: tuple[CountRow, ...] = Field((), description="With previous and change")
    languages: tuple[CountRow, ...] = Field((), description="With previous and change")
    # sentiment
    sentiment: SentimentCounts = SentimentCounts()
    previous_sentiment: SentimentCounts = SentimentCounts()
    net_sentiment: float | None = None
    previous_net_sentiment: float | None = None
    health_index: float | None = None
    previous_health_index: float | None = None
    sentiment_trend: tuple[SentimentPoint, ...] = ()
    # what people want and complain about
    intents: tuple[CountRow, ...] = ()
    complaint_reasons: tuple[CountRow, ...] = Field((), description="Aspects with negative polarity")
    complaints: int = Field(0, ge=0, description="Mentions with intent complaint")
    churn_risk: int = Field(0, ge=0, description="Mentions with intent churn_risk")
    # who and where
    top_authors: tuple[CountRow, ...] = ()
    top_sites: tuple[CountRow, ...] = ()
    negative_customers: tuple[CustomerRow, ...] = ()
    samples: BrandSamples = BrandSamples()


class ShareOfVoiceRow(Frozen):
    brand: str
    role: BrandRole
    mentions: int = Field(ge=0)
    share: float = Field(ge=0, le=100, description="Percent of every reported brand's mentions")
    previous_share: float | None = Field(None, ge=0, le=100)
    positive: int = Field(0, ge=0)
    positive_share: float = Field(0.0, ge=0, le=100, description="Percent of the brands' positive mentions")
    negative: int = Field(0, ge=0)
    negative_share: float = Field(0.0, ge=0, le=100, description="Percent of the brands' negative mentions")


class FiredAlert(Frozen):
    """An alert that fired in the period (the alert inbox's record, as the report shows it)."""

    id: str
    rule_name: str
    kind: str
    severity: str
    decision: str = "fire"
    key: str = ""
    fired_at: AwareDatetime
    window_start: AwareDatetime | None = None
    mentions: int = Field(0, ge=0)
    status: str = "open"


class ReportData(Frozen):
    """One report: every number it shows, nothing rendered."""

    workspace: str
    name: str = Field(description="The report definition's name ('' for an ad-hoc report)")
    title: str
    language: ReportLanguage = "en"
    period: ReportPeriod
    interval: Interval = Field(description="Bucket of the volume and sentiment charts")
    generated_at: AwareDatetime
    brands: tuple[BrandReport, ...] = ()
    share_of_voice: tuple[ShareOfVoiceRow, ...] = ()
    alerts: tuple[FiredAlert, ...] = ()
    total: int = Field(0, ge=0, description="Distinct mentions of any reported brand in the period")

    @property
    def timezone(self) -> str:
        return self.period.timezone


__all__ = [
    "MIN_SPIKE",
    "BrandReport",
    "BrandSamples",
    "CountRow",
    "CustomerRow",
    "FiredAlert",
    "ReportData",
    "SampleMention",
    "SentimentCounts",
    "SentimentPoint",
    "ShareOfVoiceRow",
    "Spike",
    "VolumePoint",
]
