"""Engine properties: a restart decides what an uninterrupted run decides, cooldowns are never
violated, replays count once, windows tile DST days, keys split multi-valued fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.engine import AlertEngine, Decision, DecisionKind, Observation, RuleEngine, keys_of, observe
from alerts.engine.windows import window_bounds
from alerts.rules import Rule
from core.models import Author, EnrichedMention, Sentiment, SentimentLabel
from tests.alerts.engine_support import T0, burst, hours, make_rule, obs, run

SPECS: list[dict[str, Any]] = [
    {"kind": "every_match"},
    {"kind": "digest", "every": "30m"},
    {"kind": "threshold", "window": "10m", "min_count": 3},
    {"kind": "spike", "window": "10m", "periods": 4, "min_count": 3, "direction": "both"},
    {"kind": "spike", "window": "10m", "baseline": "seasonal", "weeks": 2, "min_count": 2},
    {"kind": "sentiment_dip", "window": "10m", "periods": 2, "min_volume": 2, "k": 0.5},
    {"kind": "flatline", "window": "10m", "min_count": 2},
]

Batch = tuple[float, list[tuple[float, int, bool]]]  # (step minute, [(published minute, key, negative)])

batches = st.lists(
    st.tuples(
        st.floats(0, 30),
        st.lists(st.tuples(st.floats(-15, 5), st.integers(0, 2), st.booleans()), max_size=8),
    ),
    min_size=1,
    max_size=25,
)


def feed_of(raw: list[Batch]) -> list[tuple[datetime, list[Observation]]]:
    feed, minute, n = [], 0.0, 0
    for gap, items in raw:
        minute += gap
        batch = []
        for offset, key, negative in items:
            n += 1
            batch.append(
                obs(T0 + timedelta(minutes=minute + offset), f"m{n}", negative=negative, author=f"a{key}")
            )
        feed.append((T0 + timedelta(minutes=minute), batch))
    return feed


def decide(
    rule: Rule, feed: list[tuple[datetime, list[Observation]]], split: int | None = None
) -> list[Decision]:
    engine = AlertEngine([rule])
    out: list[Decision] = []
    for i, (now, batch) in enumerate(feed):
        if i == split:  # a restart: only the JSON survives
            engine = AlertEngine.load([rule], engine.dump_state())
        out.extend(engine.step({rule.id: batch}, now)[rule.id].decisions)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(SPECS), raw=batches, split=st.integers(0, 25), grouped=st.booleans())
def test_a_restart_decides_what_an_uninterrupted_run_decides(
    spec: dict[str, Any], raw: list[Batch], split: int, grouped: bool
) -> None:
    rule = make_rule(spec, group_by=["author"] if grouped else [])
    feed = feed_of(raw)
    assert decide(rule, feed, split) == decide(rule, feed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(SPECS[:1] + SPECS[2:]), raw=batches, cooldown=st.sampled_from([0, 5, 20, 60]))
def test_a_key_is_never_alerted_twice_within_its_cooldown(
    spec: dict[str, Any], raw: list[Batch], cooldown: int
) -> None:
    rule = make_rule(spec, group_by=["author"], cooldown=f"{cooldown}m")
    last: dict[str, datetime] = {}
    for d in decide(rule, feed_of(raw)):
        if d.kind is DecisionKind.alert:
            if d.key in last:
                assert d.decided_at - last[d.key] >= timedelta(minutes=cooldown)
            last[d.key] = d.decided_at


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(SPECS[1:]), raw=batches)
def test_a_replayed_batch_counts_once(spec: dict[str, Any], raw: list[Batch]) -> None:
    rule = make_rule(spec)
    feed = feed_of(raw)
    doubled = [(now, batch + batch) for now, batch in feed]  # a rerun delivers every mention again
    assert decide(rule, doubled) == decide(rule, feed)


def test_state_json_round_trips_exactly() -> None:
    rule = make_rule(SPECS[3], group_by=["author"])
    engine = AlertEngine([rule])
    engine.step({rule.id: burst(0, 7, author="a,b")}, hours(0.5))
    text = engine.dump_state()
    again = AlertEngine.load([rule], text)
    assert again.dump_state() == text
    assert again.state == engine.state


def test_a_changed_rule_starts_afresh_and_a_renamed_one_does_not() -> None:
    rule = make_rule(SPECS[3])
    engine = AlertEngine([rule])
    engine.step({rule.id: burst(0, 7)}, hours(0.5))
    engine.set_rules([rule.edited(hours(1), name="renamed", severity="critical")])
    assert engine.engine(rule.id).state.keys
    engine.set_rules([rule.edited(hours(1), spec={**SPECS[3], "periods": 5})])
    assert not engine.engine(rule.id).state.keys


def test_disabled_rules_are_not_fed() -> None:
    rule = make_rule({"kind": "every_match"}, enabled=False)
    assert AlertEngine([rule]).step({rule.id: [obs(T0, "m")]}, T0) == {}


def test_a_mention_counts_under_each_of_its_values() -> None:
    keys = keys_of(("hashtag", "lang"), {"hashtag": ("refund", "late", "refund"), "lang": ()})
    assert [k for k, _ in keys] == ["hashtag=refund&lang=", "hashtag=late&lang="]
    assert keys_of(("site",), {"site": ("a&b=c",)})[0][0] == "site=a%26b%3Dc"
    assert keys_of((), {}) == [("", ())]


def test_observe_reads_fields_as_the_query_language_does() -> None:
    mention = EnrichedMention(
        platform="Reddit",
        native_id="1",
        source="reddit-main",
        text="refund please #Refund #late",
        hashtags=("#Refund", "late"),
        author=Author(platform="reddit", handle="@Sam", followers=42),
        published_at=T0,
        sentiment=Sentiment(label=SentimentLabel.negative),
    )
    o = observe(mention, ("author", "hashtag", "source", "platform", "collector"))
    assert o.fields == {
        "author": ("sam",),
        "hashtag": ("refund", "late"),
        "source": ("reddit",),
        "platform": ("reddit",),
        "collector": ("reddit-main",),
    }
    assert (o.negative, o.rank, o.mention_id) == (1, 42.0, mention.id)


def test_windows_tile_the_dst_days_in_the_rules_zone() -> None:
    zone = "Europe/Paris"
    for day in (datetime(2025, 3, 30, tzinfo=UTC), datetime(2025, 10, 26, tzinfo=UTC)):
        for window in (300, 3600, 6 * 3600, 86400):
            t = day.timestamp() - 6 * 3600
            end_of_day = t + 3 * 86400
            while t < end_of_day:
                start, end = window_bounds(t, window, zone)
                assert start <= t < end <= start + window
                assert window_bounds(end, window, zone)[0] == end  # no gap, no overlap
                if window <= 3600:
                    assert end - start == window  # never cut short: DST moves whole hours
                t = end
    # hourly windows on the 25-hour day: 25 of them between two local midnights
    midnight = datetime(2025, 10, 25, 22, tzinfo=UTC).timestamp()
    starts, t = [], midnight
    while t < midnight + 25 * 3600:
        starts.append(t)
        t = window_bounds(t, 3600, zone)[1]
    assert len(starts) == 25


def test_a_day_window_is_the_local_day() -> None:
    start, end = window_bounds(datetime(2025, 3, 30, 12, tzinfo=UTC).timestamp(), 86400, "Europe/Paris")
    assert datetime.fromtimestamp(start, UTC) == datetime(2025, 3, 29, 23, tzinfo=UTC)
    assert end - start == 23 * 3600


def test_a_window_cut_short_counts_as_a_full_one() -> None:
    # 6-hour windows on Paris's 23-hour day: 00:00-07:00? no: by elapsed time 00-06 real hours,
    # ..., the last (18h-23h real) is 5 hours long; its 5 mentions count as 6.
    rule = make_rule({"kind": "flatline", "window": "6h", "min_count": 6}, timezone="Europe/Paris")
    engine = RuleEngine(rule)
    midnight = datetime(2025, 3, 29, 23, tzinfo=UTC)
    engine.start(midnight)
    last = midnight + timedelta(hours=18)
    feed = [
        (
            midnight + timedelta(hours=6 * i + 1),
            [obs(midnight + timedelta(hours=6 * i, minutes=j), f"{i}-{j}") for j in range(6)],
        )
        for i in range(3)
    ]
    feed.append((last + timedelta(hours=1), [obs(last + timedelta(minutes=j), f"l{j}") for j in range(5)]))
    feed.append((last + timedelta(hours=6), []))
    assert run(engine, feed) == []  # 5 in 5 hours is the rate of 6 in 6
    assert engine.state.closed_until == int((midnight + timedelta(hours=23)).timestamp())
