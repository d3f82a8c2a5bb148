"""The worked examples of docs/alerts.md, "Rules and kinds", with the same numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.engine import DecisionKind, RuleEngine
from core.ids import alert_hit_id
from tests.alerts.engine_support import T0, burst, hours, make_rule, obs, run


def test_every_match_alerts_each_mention_and_a_cooldown_holds_one_key_back() -> None:
    rule = make_rule({"kind": "every_match"}, group_by=["author"], cooldown="10m")
    engine = RuleEngine(rule)
    at_ = [T0 + timedelta(minutes=m) for m in (0, 3, 12)]
    decisions = run(
        engine,
        [
            (at_[0], [obs(at_[0], "a1", author="sam"), obs(at_[0], "b1", author="kim")]),
            (at_[1], [obs(at_[1], "a2", author="sam")]),  # within sam's 10 minutes: held back
            (at_[2], [obs(at_[2], "a3", author="sam")]),
        ],
    )
    assert [(d.key, d.mention_ids, d.suppressed) for d in decisions] == [
        ("author=sam", ("a1",), 0),
        ("author=kim", ("b1",), 0),  # muting sam never silences kim
        ("author=sam", ("a3",), 1),
    ]
    assert decisions[0].id == alert_hit_id(rule.id, "author=sam", "a1")


def test_digest_every_6h_follows_the_wall_clock_across_the_spring_forward() -> None:
    # Paris springs forward on 2025-03-30 at 02:00 (UTC+1 -> UTC+2).
    rule = make_rule({"kind": "digest", "every": "6h"}, timezone="Europe/Paris")
    engine = RuleEngine(rule)
    start = datetime(2025, 3, 29, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    steps = [
        (start, [obs(start, "m1")]),
        (datetime(2025, 3, 29, 23, 0, tzinfo=UTC), []),  # 00:00 Paris: due
        (datetime(2025, 3, 30, 3, 0, tzinfo=UTC), [obs(start, "m2"), obs(start, "m3")]),
        (datetime(2025, 3, 30, 4, 0, tzinfo=UTC), []),  # 06:00 Paris (now UTC+2): due, 5 real hours later
    ]
    decisions = run(engine, steps)
    assert [(d.window_end, d.count, d.mention_ids) for d in decisions] == [
        (datetime(2025, 3, 29, 23, 0, tzinfo=UTC), 1, ("m1",)),
        (datetime(2025, 3, 30, 4, 0, tzinfo=UTC), 2, ("m2", "m3")),
    ]
    assert engine.state.next_due == datetime(2025, 3, 30, 10, 0, tzinfo=UTC).timestamp()  # 12:00 Paris


def test_digest_cron_at_nine_local_moves_an_hour_in_utc_across_the_spring_forward() -> None:
    rule = make_rule({"kind": "digest", "cron": "0 9 * * *", "send_empty": True}, timezone="Europe/Paris")
    engine = RuleEngine(rule)
    now = datetime(2025, 3, 29, 7, 0, tzinfo=UTC)
    dues = []
    for _ in range(3):
        engine.step([], now)
        assert engine.state.next_due is not None
        now = datetime.fromtimestamp(engine.state.next_due, UTC)
        dues.append(now)
    assert dues == [
        datetime(2025, 3, 29, 8, 0, tzinfo=UTC),  # 09:00 UTC+1
        datetime(2025, 3, 30, 7, 0, tzinfo=UTC),  # 09:00 UTC+2
        datetime(2025, 3, 31, 7, 0, tzinfo=UTC),
    ]


def test_threshold_counts_in_a_sliding_window() -> None:
    rule = make_rule({"kind": "threshold", "window": "10m", "min_count": 3})
    engine = RuleEngine(rule)
    times = [T0 + timedelta(minutes=m) for m in (0, 4, 12, 13)]
    decisions = []
    for i, when in enumerate(times):
        decisions += engine.step([obs(when, f"m{i}")], when).decisions
    # 10:00, 10:04, 10:12 never share 10 minutes; 10:13 makes 10:04-10:14 hold three
    [alert] = decisions
    assert alert.decided_at == times[3]
    assert (alert.window_start, alert.window_end, alert.current) == (
        times[1],
        times[1] + timedelta(minutes=10),
        3,
    )


def test_spike_trailing_alerts_early_keeps_alerting_and_recovers() -> None:
    rule = make_rule({"kind": "spike", "window": "1h", "periods": 6, "min_count": 10})
    engine = RuleEngine(rule)
    engine.start(T0)
    counts = [4, 6, 5, 7, 5, 3, 11, 14, 4, 5]
    decisions = run(engine, [(hours(h + 0.5), burst(h, n)) for h, n in enumerate(counts)])
    first, again, recovery = decisions
    assert (first.kind, first.decided_at, first.window_start) == (DecisionKind.alert, hours(6.5), hours(6))
    assert (first.current, first.baseline_mean, first.k) == (11, 5.0, 2.5)
    assert first.baseline_stdev == pytest.approx(5**0.5)  # the Poisson floor: the sample stdev is 1.41
    assert first.bound == pytest.approx(10.59, abs=0.01)
    assert (again.kind, again.repeat, again.current) == (DecisionKind.alert, True, 14)
    assert again.baseline_mean == pytest.approx(6.17, abs=0.01)
    assert again.bound == pytest.approx(12.95, abs=0.01)
    assert (recovery.kind, recovery.window_start, recovery.current) == (DecisionKind.recovery, hours(8), 4)


def test_spike_never_fires_on_small_numbers() -> None:
    rule = make_rule({"kind": "spike", "window": "1h", "periods": 6, "min_count": 10, "direction": "both"})
    engine = RuleEngine(rule)
    engine.start(T0)
    counts = [0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 1, 2, 1, 0]  # 0 over 0, 2 over 0, 0 after 1 or 2
    assert run(engine, [(hours(h + 0.5), burst(h, n)) for h, n in enumerate(counts)]) == []


def test_spike_seasonal_compares_with_the_same_hour_of_past_weeks() -> None:
    rule = make_rule({"kind": "spike", "window": "1h", "baseline": "seasonal", "weeks": 2, "min_count": 10})
    engine = RuleEngine(rule)
    engine.start(T0)
    feed = []
    for week, monday_nine in enumerate((40, 44, 60)):
        for hour in range(7 * 24 if week < 2 else 10):
            n = monday_nine if hour == 9 else 50 if 10 <= hour < 18 else 2  # busy days, quiet nights
            feed.append((hours(week * 168 + hour + 0.5), burst(week * 168 + hour, n, f"w{week}-")))
    alerts = [d for d in run(engine, feed) if d.kind is DecisionKind.alert]
    assert [(d.window_start, d.current, d.baseline_mean) for d in alerts] == [(hours(2 * 168 + 9), 60, 42.0)]
    assert alerts[0].bound == pytest.approx(58.2, abs=0.01)  # 42 + 2.5 x sqrt(42)


def test_sentiment_dip_compares_the_negative_share() -> None:
    rule = make_rule({"kind": "sentiment_dip", "window": "1h", "periods": 4, "min_volume": 20})
    engine = RuleEngine(rule)
    engine.start(T0)
    windows = [(100, 10), (100, 12), (100, 8), (100, 10), (10, 10), (100, 25)]
    feed = [(hours(h + 0.5), burst(h, n, negative=neg)) for h, (n, neg) in enumerate(windows)]
    feed.append((hours(6.5), []))  # closes the last window
    [alert] = run(engine, feed)
    assert (alert.window_start, alert.count, alert.current) == (hours(5), 100, 0.25)
    assert alert.baseline_mean == pytest.approx(0.10)
    assert alert.baseline_stdev == pytest.approx(0.03)  # sqrt(0.1 x 0.9 / 100): more than the sample's 0.016
    assert alert.bound == pytest.approx(0.175)
    assert alert.decided_at == hours(6.5)


def test_flatline_alerts_a_silent_collector_until_it_speaks_again() -> None:
    rule = make_rule({"kind": "flatline", "window": "1h", "min_count": 5}, group_by=["collector"])
    engine = RuleEngine(rule)
    engine.start(T0)
    feed = [
        (hours(0.5), burst(0, 12, collector="rss") + burst(0, 30, collector="reddit")),
        (hours(1.5), burst(1, 9, collector="rss") + burst(1, 30, collector="reddit")),
        (hours(2.5), burst(2, 30, collector="reddit")),  # rss says nothing from 02:00
        (hours(3.5), burst(3, 30, collector="reddit")),
        (hours(4.5), burst(4, 7, collector="rss") + burst(4, 30, collector="reddit")),
        (hours(5.5), []),
    ]
    decisions = run(engine, feed)
    assert [(d.kind, d.key, d.window_start, d.current, d.repeat) for d in decisions] == [
        (DecisionKind.alert, "collector=rss", hours(2), 0, False),
        (DecisionKind.alert, "collector=rss", hours(3), 0, True),
        (DecisionKind.recovery, "collector=rss", hours(4), 7, False),
    ]
    assert decisions[0].decided_at == hours(3.5)  # closed at 03:10, judged by the step at 03:30


def test_late_mentions_count_within_the_allowance_and_are_reported_beyond_it() -> None:
    rule = make_rule({"kind": "spike", "window": "1h", "late_allowance": "10m"})
    engine = RuleEngine(rule)
    engine.start(T0)
    step = engine.step([obs(hours(0.5), "on-time")], hours(1) + timedelta(minutes=5))
    assert step.late == ()
    assert engine.state.keys[""].open[int(T0.timestamp())] == (1, 0)
    engine.step([], hours(1) + timedelta(minutes=10))  # 01:10: 00:00-01:00 closes
    step = engine.step([obs(hours(0.9), "too-late")], hours(1) + timedelta(minutes=11))
    assert step.late == ("too-late",)
    assert engine.state.late_total == 1
