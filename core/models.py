"""Frozen boundary models shared by every layer.

Datetimes are always timezone-aware (naive ones are rejected, not guessed); collections are tuples
so a frozen model is really immutable.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    field_validator,
    model_validator,
)

from core.errors import InvalidInput
from core.ids import alert_hit_id, customer_id, mention_id, saved_search_id


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (add an offset or 'Z')")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Scalar = str | int | float | bool | None


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- workspaces ----------------------------------------------------------------------------------
# A tenant. Lowercase so it can be part of a file path and an index name on every file system, and
# without the ids' separator so `core.ids.scoped_doc_id` is unambiguous.
WORKSPACE_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,62}$"
WorkspaceId = Annotated[str, StringConstraints(pattern=WORKSPACE_PATTERN)]
DEFAULT_WORKSPACE: Final = "default"
"""The workspace of everything stored before workspaces existed, and of a CLI run without --workspace."""
_WORKSPACE = re.compile(WORKSPACE_PATTERN)


def check_workspace(workspace: str) -> str:
    """The workspace id itself, or InvalidInput: stores call it once, when they are built."""
    if not isinstance(workspace, str) or not _WORKSPACE.fullmatch(workspace):
        raise InvalidInput(
            f"invalid workspace id {workspace!r}: 1-63 of a-z, 0-9, '_' and '-', starting with a letter "
            "or digit",
            details={"workspace": repr(workspace)},
        )
    return workspace


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


# --- enrichment vocabulary -----------------------------------------------------------------------
class SentimentLabel(StrEnum):
    negative = "negative"
    neutral = "neutral"
    positive = "positive"
    unscored = "unscored"  # a language we do not score: no confident wrong answer


class IntentLabel(StrEnum):
    complaint = "complaint"
    question = "question"
    praise = "praise"
    purchase_intent = "purchase_intent"
    churn_risk = "churn_risk"
    bug_report = "bug_report"
    feature_request = "feature_request"


class AspectLabel(StrEnum):
    price = "price"
    delivery = "delivery"
    quality = "quality"
    service = "service"
    app_or_website = "app_or_website"
    other = "other"


class Tier(StrEnum):
    platinum = "platinum"
    gold = "gold"
    silver = "silver"
    bronze = "bronze"
    standard = "standard"


class WritePolicy(StrEnum):
    """How an upsert treats a mention that is already stored."""

    overwrite = "overwrite"  # replace it (re-enrichment, corrections)
    create = "create"  # keep the stored one (backfills that must not clobber newer enrichment)
    if_newer = "if_newer"  # replace only when the incoming version is newer (out-of-order replays)


class ModelRef(Frozen):
    """Which model made an enrichment, so history can be re-enriched when a model improves."""

    name: str
    version: str


# --- collection ----------------------------------------------------------------------------------
class Author(Frozen):
    platform: str
    native_id: str | None = Field(None, description="The platform's stable user id, when it has one")
    handle: str | None = Field(None, description="@handle or user name, without the @")
    display_name: str | None = None
    url: str | None = None
    location: str | None = None
    profile_text: str | None = None
    followers: int | None = Field(None, ge=0)


class RawMention(Frozen):
    """A mention as a source collected it, before enrichment."""

    platform: str = Field(min_length=1, description="Where it was said: twitter, reddit, web, appstore...")
    native_id: str = Field(min_length=1, description="The platform's own id, or the canonical URL")
    source: str = Field(min_length=1, description="Name of the configured source that collected it")
    text: str
    title: str | None = None
    url: str | None = None
    site: str | None = Field(None, description="Domain or community: example.com, r/headphones")
    author: Author | None = None
    published_at: AwareDatetime
    collected_at: AwareDatetime = Field(default_factory=utcnow)
    lang_hint: str | None = Field(None, description="Language the source claims, if any (ISO 639-1)")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2, when known")
    rating: float | None = Field(None, ge=0, le=10, description="Review stars, when the source has them")
    product: str | None = None
    thread_id: str | None = None
    parent_native_id: str | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = Field((), description="@handles mentioned in the text, without the @")
    metadata: dict[str, Scalar] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived_id(cls, data: Any) -> Any:
        # `id` is derived from (platform, native_id); stored documents carry it, inputs never set it.
        if isinstance(data, dict) and "id" in data:
            data = {k: v for k, v in data.items() if k != "id"}
        return data

    @field_validator("platform")
    @classmethod
    def _platform_lower(cls, value: str) -> str:
        return value.strip().lower()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return mention_id(self.platform, self.native_id)


class Sentiment(Frozen):
    label: SentimentLabel
    score: float = Field(0.0, ge=-1, le=1, description="Negative to positive, -1..1")
    confidence: float = Field(0.0, ge=0, le=1)


class Intent(Frozen):
    label: IntentLabel
    confidence: float = Field(ge=0, le=1)


class Aspect(Frozen):
    """An aspect the mention talks about, with the author's sentiment about that aspect."""

    label: AspectLabel
    polarity: SentimentLabel
    confidence: float = Field(ge=0, le=1, description="Of the aspect being present")


class CustomerLink(Frozen):
    customer_id: str
    confidence: float = Field(ge=0, le=1)
    method: Literal["platform_user_id", "handle", "email", "phone", "order_number", "scored", "manual"]
    evidence: tuple[str, ...] = ()


class Tags(Frozen):
    """What a tagger says about one mention."""

    lang: str | None = None
    sentiment: Sentiment | None = None
    intents: tuple[Intent, ...] = ()
    aspects: tuple[Aspect, ...] = ()
    model: ModelRef


class EnrichedMention(RawMention):
    """A mention with what enrichment added. Every enrichment names the model that made it."""

    lang: str = Field("und", description="Detected language, ISO 639-1 or 'und'")
    sentiment: Sentiment = Sentiment(label=SentimentLabel.unscored)
    intents: tuple[Intent, ...] = ()
    aspects: tuple[Aspect, ...] = ()
    customer: CustomerLink | None = None
    models: tuple[ModelRef, ...] = Field((), description="Every model that contributed")
    enriched_at: AwareDatetime = Field(default_factory=utcnow)

    @classmethod
    def from_raw(cls, raw: RawMention, **enrichment: Any) -> EnrichedMention:
        data = raw.model_dump()
        data.update(enrichment)
        return cls.model_validate(data)

    def to_raw(self) -> RawMention:
        return RawMention.model_validate(self.model_dump(include=set(RawMention.model_fields)))


# --- CRM -----------------------------------------------------------------------------------------
class Contact(Frozen):
    kind: Literal["email", "phone"]
    value: str


class Handle(Frozen):
    platform: str
    handle: str | None = None
    user_id: str | None = None


class Consent(Frozen):
    marketing: bool = False
    profiling: bool = Field(False, description="May mentions be linked to this customer at all")
    updated_at: AwareDatetime | None = None


class Customer(Frozen):
    """A row of the customer master file."""

    code: str = Field(min_length=1)
    name: str
    tier: Tier = Tier.standard
    category: str | None = Field(None, description="Customer category: consumer, business, vip...")
    industry: str | None = None
    contacts: tuple[Contact, ...] = ()
    handles: tuple[Handle, ...] = ()
    birthday: date | None = None
    anniversary: date | None = Field(None, description="A date the customer celebrates with the company")
    contract_renewal: date | None = Field(None, description="When the customer's contract is up for renewal")
    owner: str | None = Field(None, description="The staff member who owns the account")
    consent: Consent = Consent()
    city: str | None = None
    country: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return customer_id(self.code)


# --- searches and alert hits (alert rules: alerts.rules.Rule) -------------------------------------
class SavedSearch(Frozen):
    """A query saved under a name by its owner."""

    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, description="Query language text (checked when saved)")
    description: str | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return saved_search_id(self.owner, self.name)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" in data:
            data = {k: v for k, v in data.items() if k != "id"}
        return data


class Span(Frozen):
    field: str = "text"
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class AlertHit(Frozen):
    rule_id: str
    key: str = Field(description="Deduplication key: the rule fires once per key and mention")
    mention_id: str
    matched_at: AwareDatetime = Field(default_factory=utcnow)
    spans: tuple[Span, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        return alert_hit_id(self.rule_id, self.key, self.mention_id)


class SourceCursor(Frozen):
    """Where a source stopped. Saved only after the batch it ends is indexed."""

    source: str
    value: str | None = Field(None, description="Opaque to everyone but the source")
    updated_at: AwareDatetime = Field(default_factory=utcnow)


class Rejected(Frozen):
    """An input item that could not become a mention, with where it was and why."""

    source: str
    locator: str = Field(description="Where: 'file.csv:17', a URL, an API page")
    reason: str
    raw: str | None = Field(None, description="The offending input, truncated")


def parse_datetime(value: str | datetime | date | int | float) -> datetime:
    """Parse a timestamp from exports: ISO 8601, epoch seconds or milliseconds. Naive means UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        dt = datetime.fromtimestamp(seconds, UTC)
    else:
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return parse_datetime(float(text))
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
