from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from core.ids import alert_hit_id, customer_id, mention_id
from core.models import (
    AlertHit,
    Author,
    Customer,
    EnrichedMention,
    Intent,
    IntentLabel,
    ModelRef,
    RawMention,
    Sentiment,
    SentimentLabel,
    parse_datetime,
)

WHEN = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def raw(**overrides: object) -> RawMention:
    data: dict[str, object] = {
        "platform": "Reddit",
        "native_id": "t3_abc",
        "source": "reddit-main",
        "text": "The Aurora X2 headphones broke after a week",
        "published_at": WHEN,
        "author": Author(platform="reddit", native_id="u1", handle="sam"),
        "collected_at": WHEN + timedelta(minutes=5),
    }
    data.update(overrides)
    return RawMention.model_validate(data)


def test_mention_id_is_deterministic_and_platform_scoped() -> None:
    a, b = raw(), raw(text="edited text", collected_at=WHEN + timedelta(days=1))
    assert a != b
    assert a.id == b.id == mention_id("reddit", "t3_abc")
    assert raw(platform="x").id != a.id
    assert len(a.id) == 32


def test_platform_is_normalised_to_lower_case() -> None:
    assert raw().platform == "reddit"


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        raw(published_at=datetime(2026, 11, 1, 8, 30))


def test_models_are_frozen() -> None:
    mention = raw()
    with pytest.raises(ValidationError):
        mention.text = "changed"  # type: ignore[misc]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        raw(colour="red")


def test_enriched_round_trips_through_json_with_its_id() -> None:
    enriched = EnrichedMention.from_raw(
        raw(),
        lang="en",
        sentiment=Sentiment(label=SentimentLabel.negative, score=-0.6, confidence=0.9),
        intents=(Intent(label=IntentLabel.complaint, confidence=0.8),),
        models=(ModelRef(name="earful-lexicon", version="1.0.0"),),
    )
    document = enriched.model_dump(mode="json")
    assert document["id"] == enriched.id
    again = EnrichedMention.model_validate(document)
    assert again == enriched
    assert again.to_raw() == raw()


def test_default_sentiment_is_unscored_not_neutral() -> None:
    assert EnrichedMention.from_raw(raw()).sentiment.label is SentimentLabel.unscored


def test_hit_and_customer_ids() -> None:
    hit = AlertHit(rule_id="r1", key="r1", mention_id="m1", matched_at=WHEN)
    assert hit.id == alert_hit_id("r1", "r1", "m1") != alert_hit_id("r2", "r1", "m1")
    assert Customer(code=" c-001 ", name="Ada").id == customer_id("C-001")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-01T08:30:00Z", WHEN),
        ("2026-11-01T16:30:00+08:00", WHEN),
        ("2026-11-01T08:30:00", WHEN),
        (1793521800, WHEN),
        ("1793521800000", WHEN),
    ],
)
def test_parse_datetime(value: str | int, expected: datetime) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_parse_datetime_keeps_offsets() -> None:
    assert parse_datetime("2026-11-01T16:30:00+08:00").utcoffset() == timezone(timedelta(hours=8)).utcoffset(
        None
    )


def test_ids_need_both_parts() -> None:
    with pytest.raises(ValueError, match="native id"):
        mention_id("reddit", "")
