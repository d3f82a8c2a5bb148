"""`AlertPipeline` on SQLite stores with a manual clock: every kind stores explained alerts and enqueues
their deliveries; a replay stores and enqueues nothing; a snooze mutes one key only; the state survives
a restart (a threshold reached across two processes, explained from the store); an unknown channel is
reported, not raised; a channel down for a while is delivered once, a 4xx is failed once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.channels import parse_channel_config
from alerts.channels.config import ChannelConfig
from alerts.inbox import Alert
from alerts.outbox import DeliveryState
from alerts.pipeline import AlertPipeline
from alerts.presets import preset
from alerts.store import AlertFilter, AlertStores, build_alert_stores
from alerts.testing import CONTRACT_TIMEOUT, Fault, ManualClock, WebhookReceiver
from core.models import (
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    Sentiment,
    SentimentLabel,
    Tier,
)
from core.settings import AlertsSettings, DispatchSettings, Settings
from crm.customers import CustomerRecord, SQLiteCustomerDirectory
from crm.segments import SegmentDefinition, SegmentFilter, build_segment_store
from crm.testing import ANA, BO
from index.backends.sqlite import SQLiteMentionStore
from index.testing.corpus import BASE_TIME, enriched_mention

WORKSPACE = "acme"
T0 = BASE_TIME + timedelta(hours=9)  # 09:00 UTC
HOOK = "support-hook"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    dispatch = DispatchSettings(base_delay=5, max_delay=60, jitter=0, max_attempts=4, lease=30)
    alerts = AlertsSettings(
        http_timeout=CONTRACT_TIMEOUT, dispatch=dispatch, public_url="https://earful.example.com"
    )
    return Settings(home=tmp_path, alerts=alerts)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def stores(settings: Settings) -> Iterator[AlertStores]:
    made = build_alert_stores(settings, workspace=WORKSPACE)
    made.ensure_ready()
    yield made
    made.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


@pytest.fixture
def channels(receiver: WebhookReceiver) -> dict[str, ChannelConfig]:
    return {HOOK: parse_channel_config({**receiver.channel_config(), "name": HOOK})}


def pipeline_of(
    settings: Settings,
    clock: ManualClock,
    channels: dict[str, ChannelConfig],
    mentions: SQLiteMentionStore | None = None,
) -> AlertPipeline:
    """A pipeline on new store objects over the same file (a second one is a restart)."""
    stores = build_alert_stores(settings, workspace=WORKSPACE)
    return AlertPipeline(stores, settings=settings, channels=channels, mentions=mentions, clock=clock)


def save_rule(stores: AlertStores, name: str, spec: dict[str, Any], **changes: Any) -> str:
    data = {"name": name, "owner": "support", "query": "refund", "spec": spec, "channels": [HOOK], **changes}
    return stores.rules.save(data, now=T0).id


def mention(
    native_id: str, when: datetime, text: str = "where is my refund", *, author: str = "sam", **fields: Any
) -> EnrichedMention:
    return enriched_mention(
        native_id,
        text,
        published_at=when,
        author=Author(platform="web", handle=author),
        url=f"https://forum.example.com/t/{native_id}",
        **{"site": "forum.example.com", **fields},
    )


def only_alert(stores: AlertStores, rule_id: str) -> Alert:
    [alert] = stores.alerts.list(AlertFilter(rule_id=rule_id))
    return alert


# --- every kind ------------------------------------------------------------------------------------
def test_every_match_alert_highlights_the_spans_links_the_mention_and_is_enqueued(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(
        stores, "Refunds", {"kind": "every_match"}, query="refund OR 退款", group_by=["author"]
    )
    with pipeline_of(settings, clock, channels) as pipeline:
        batch = [
            mention("1", T0, "Where is my <b>refund</b>?"),
            mention("2", T0, "我要退款，客服不回复", author="小明"),
            mention("3", T0, "love the sound"),
        ]
        report = pipeline.process(batch)
    assert (report.matched, report.alerts, report.enqueued, report.errors) == (2, 2, 2, [])
    alerts = {a.mention_ids[0]: a for a in stores.alerts.list(AlertFilter(rule_id=rule_id))}
    english = alerts[batch[0].id].explanation
    assert english.snippet == "Where is my &lt;b&gt;<em>refund</em>&lt;/b&gt;?"
    assert english.query == "refund OR 退款"
    assert [link.url for link in english.links] == ["https://forum.example.com/t/1"]
    chinese = alerts[batch[1].id]
    assert chinese.explanation.snippet == "我要<em>退款</em>，客服不回复"
    assert chinese.key == "author=%E5%B0%8F%E6%98%8E"
    record = stores.outbox.get(chinese.id, HOOK)
    assert record is not None
    assert record.state is DeliveryState.pending
    assert record.message.snippet == chinese.explanation.snippet
    assert record.message.title == "Refunds (author=小明)"


def test_digest_counts_the_period_and_lists_its_top_mentions(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(stores, "Refund digest", {"kind": "digest", "every": "1h", "top": 2})
    with pipeline_of(settings, clock, channels) as pipeline:
        pipeline.tick()  # 09:00: the first period starts
        clock.advance(600)
        pipeline.process(
            [mention("1", clock.now, "refund delayed again"), mention("2", clock.now, author="kim")]
        )
        assert pipeline.tick().alerts == 0  # not due yet
        clock.advance(3000)  # 10:00
        report = pipeline.tick()
    assert report.alerts == 1
    alert = only_alert(stores, rule_id)
    assert alert.decision == "digest"
    assert alert.explanation.numbers["count"] == 2
    assert {r.key for r in alert.explanation.top_authors} == {"@sam", "@kim"}
    assert "refund" in {r.key for r in alert.explanation.top_terms}
    assert len(alert.mention_ids) == 2


def test_threshold_alerts_on_the_batch_that_reaches_it(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(stores, "Refund burst", {"kind": "threshold", "window": "10m", "min_count": 3})
    with pipeline_of(settings, clock, channels) as pipeline:
        assert pipeline.process([mention("1", T0), mention("2", T0 + timedelta(minutes=2))]).alerts == 0
        clock.advance(300)
        report = pipeline.process([mention("3", T0 + timedelta(minutes=4), author="kim")])
    assert (report.alerts, report.enqueued) == (1, 1)
    explanation = only_alert(stores, rule_id).explanation
    assert explanation.numbers["count"] == 3
    assert explanation.numbers["bound"] == 3
    assert [(r.key, r.count) for r in explanation.top_authors] == [("@sam", 2), ("@kim", 1)]
    assert [(r.key, r.count) for r in explanation.top_sites] == [("forum.example.com", 3)]
    assert explanation.snippet is not None
    assert "<em>refund</em>" in explanation.snippet


def _hourly(
    pipeline: AlertPipeline, clock: ManualClock, counts: list[int], negative: list[int] | None = None
) -> None:
    """`counts[h]` mentions in hour h from T0 (the first `negative[h]` of them negative), each hour's
    batch processed at its half hour, then the clock at the next half hour and a tick."""
    for hour, count in enumerate(counts):
        start = T0 + timedelta(hours=hour)
        clock.now = start + timedelta(minutes=30)
        batch = [
            mention(
                f"h{hour}-{i}",
                start + timedelta(minutes=i % 30),
                "refund please",
                author=f"user{i % 3}",
                sentiment=Sentiment(
                    label=SentimentLabel.negative
                    if i < (negative or [0] * 99)[hour]
                    else SentimentLabel.neutral
                ),
            )
            for i in range(count)
        ]
        pipeline.process(batch)
        clock.now = start + timedelta(minutes=90)
        pipeline.tick()


def test_spike_alerts_with_its_baseline_and_the_window_terms(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    spec = {"kind": "spike", "window": "1h", "periods": 4, "k": 2.5, "min_count": 8, "late_allowance": "5m"}
    rule_id = save_rule(stores, "Refund spike", spec)
    with pipeline_of(settings, clock, channels) as pipeline:
        pipeline.tick(T0 + timedelta(minutes=5))  # the first window judged is 09:00-10:00
        _hourly(pipeline, clock, [2, 3, 2, 12])
    alert = only_alert(stores, rule_id)
    numbers = alert.explanation.numbers
    assert alert.decision == "fire"
    assert numbers["direction"] == "up"
    assert numbers["count"] == 12
    assert numbers["k"] == 2.5
    assert numbers["baseline_mean"] == pytest.approx(7 / 3, abs=0.01)
    assert numbers["window_start"] == (T0 + timedelta(hours=3)).isoformat()
    assert [r.key for r in alert.explanation.top_terms] == ["please", "refund"]
    assert stores.outbox.get(alert.id, HOOK) is not None


def test_sentiment_dip_alerts_when_the_window_closes(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    spec = {"kind": "sentiment_dip", "window": "1h", "periods": 4, "min_volume": 5, "late_allowance": "5m"}
    rule_id = save_rule(stores, "Refund mood", spec)
    with pipeline_of(settings, clock, channels) as pipeline:
        pipeline.tick(T0 + timedelta(minutes=5))  # the first window judged is 09:00-10:00
        _hourly(pipeline, clock, [10, 10, 10, 10], negative=[1, 1, 1, 8])
    alert = only_alert(stores, rule_id)
    assert alert.kind == "sentiment_dip"
    assert alert.explanation.numbers["current"] == 0.8
    assert alert.explanation.numbers["count"] == 10
    assert {r.key for r in alert.explanation.top_authors} == {"@user0", "@user1", "@user2"}


def test_flatline_alerts_a_silent_query_then_recovers(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    spec = {"kind": "flatline", "window": "1h", "min_count": 2, "late_allowance": "5m"}
    rule_id = save_rule(stores, "Forum silent", spec)
    with pipeline_of(settings, clock, channels) as pipeline:
        pipeline.tick(T0 + timedelta(minutes=5))  # the first window judged is 09:00-10:00
        _hourly(pipeline, clock, [3, 0, 3])
        late = pipeline.process([mention("late", T0 + timedelta(hours=1))])  # its window closed long ago
        assert (late.matched, late.late, late.alerts) == (1, 1, 0)
    fired, recovered = sorted(stores.alerts.list(AlertFilter(rule_id=rule_id)), key=lambda a: a.fired_at)
    assert (fired.decision, recovered.decision) == ("fire", "recovery")
    assert fired.explanation.numbers["count"] == 0
    assert fired.window_start == T0 + timedelta(hours=1)
    assert recovered.explanation.numbers["count"] == 3
    records = stores.outbox.list()
    assert {r.alert_id for r in records} == {fired.id, recovered.id}
    assert [r.message.title for r in records] == ["Forum silent", "Recovered: Forum silent"]


def test_a_linked_customer_s_tier_history_and_complaints_are_in_the_alert(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule = preset("vip_complaint", owner="support", overrides={"channels": [HOOK]})
    stores.rules.save(rule, now=T0)
    link = CustomerLink(customer_id=ANA.id, confidence=0.9, method="handle")
    complaint = (Intent(label=IntentLabel.complaint, confidence=0.9),)
    gold = {"customer_tier": "gold"}
    older = mention(
        "0", T0 - timedelta(days=2), "broken again", customer=link, intents=complaint, metadata=gold
    )
    batch = [
        mention("1", T0, "My order never came", customer=link, intents=complaint, metadata=gold),
        mention("2", T0, "Nobody answers", author="kim", intents=complaint),  # no tier: not linked
    ]
    with (
        SQLiteMentionStore(settings, workspace=WORKSPACE) as store,
        SQLiteCustomerDirectory.from_settings(settings, workspace=WORKSPACE) as directory,
    ):
        store.ensure_ready()
        directory.upsert([CustomerRecord(customer=ANA)])
        store.upsert([older, *batch])
        stores_ = build_alert_stores(settings, workspace=WORKSPACE)
        with AlertPipeline(
            stores_, settings=settings, channels=channels, mentions=store, customers=directory, clock=clock
        ) as pipeline:
            assert pipeline.process(batch).alerts == 1  # the one linked to a gold customer
    alert = only_alert(stores, rule.id)
    customer = alert.explanation.customer
    assert customer is not None
    assert (customer.name, customer.tier, customer.open_complaints) == ("Ana Lima", "gold", 2)
    assert customer.last_mentions == (batch[0].id, older.id)
    assert [link.url for link in alert.explanation.links] == [
        "https://forum.example.com/t/1",
        f"https://earful.example.com/customers/{ANA.id}",
    ]
    record = stores.outbox.get(alert.id, HOOK)
    assert record is not None
    assert record.message.severity.value == "critical"
    [section] = [s for s in record.message.sections if s.title == "Customer"]
    assert [(f.label, f.value) for f in section.fields][:3] == [
        ("Customer", "Ana Lima"),
        ("Tier", "gold"),
        ("Open complaints", "2"),
    ]


def test_no_crm_data_means_no_customer_section(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(stores, "Refunds", {"kind": "every_match"})
    link = CustomerLink(customer_id="cust-unknown", confidence=0.9, method="handle")
    with SQLiteCustomerDirectory.from_settings(settings, workspace=WORKSPACE) as directory:
        stores_ = build_alert_stores(settings, workspace=WORKSPACE)
        with AlertPipeline(
            stores_, settings=settings, channels=channels, customers=directory, clock=clock
        ) as p:
            assert p.process([mention("1", T0, customer=link)]).errors == []
    assert only_alert(stores, rule_id).explanation.customer is None


# --- idempotency and muting ------------------------------------------------------------------------
def test_a_replayed_batch_stores_nothing_new_and_enqueues_nothing(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    save_rule(stores, "Refunds", {"kind": "every_match"})
    save_rule(stores, "Refund burst", {"kind": "threshold", "window": "10m", "min_count": 2})
    batch = [mention("1", T0), mention("2", T0, author="kim")]
    with pipeline_of(settings, clock, channels) as pipeline:
        first = pipeline.process(batch)
        assert (first.alerts, first.enqueued) == (3, 3)
        clock.advance(60)
        again = pipeline.process(batch)
    assert (again.alerts, again.enqueued, again.duplicates) == (0, 0, 2)  # the threshold counts them once
    with pipeline_of(settings, clock, channels) as restarted:  # a rerun of the flow after a restart
        clock.advance(60)
        rerun = restarted.process(batch)
    assert (rerun.alerts, rerun.enqueued) == (0, 0)
    assert stores.alerts.count() == 3
    assert len(stores.outbox.list()) == 3


def test_snoozing_one_key_leaves_the_rule_s_other_keys_alerting(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(stores, "Refunds", {"kind": "every_match"}, group_by=["author"])
    with pipeline_of(settings, clock, channels) as pipeline:
        pipeline.process([mention("1", T0, author="sam")])
        sam = only_alert(stores, rule_id)
        stores.alerts.snooze(sam.id, until=T0 + timedelta(hours=1), by="agent", at=T0)
        clock.advance(60)
        report = pipeline.process(
            [mention("2", clock.now, author="sam"), mention("3", clock.now, author="kim")]
        )
        assert (report.alerts, report.muted, report.muted_keys) == (1, 1, ["Refunds: author=sam"])
        clock.advance(3600)  # the snooze is over
        assert pipeline.process([mention("4", clock.now, author="sam")]).alerts == 1
    assert stores.alerts.count(AlertFilter(rule_id=rule_id, key="author=kim")) == 1


# --- restart -----------------------------------------------------------------------------------------
def test_a_threshold_is_reached_across_two_processes_and_explained_from_the_store(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    spec = {"kind": "threshold", "window": "1h", "min_count": 3}
    rule_id = save_rule(stores, "Refund burst", spec, group_by=["site"])
    first = [
        mention("1", T0, author="sam"),
        mention("2", T0 + timedelta(minutes=5), author="sam"),
        mention("x", T0 + timedelta(minutes=6), author="kim", site="other.example.org"),  # another key
    ]
    with SQLiteMentionStore(settings, workspace=WORKSPACE) as store:
        store.ensure_ready()
        store.upsert(first)
        with pipeline_of(settings, clock, channels, store) as pipeline:
            assert pipeline.process(first).alerts == 0
        assert stores.state.load(rule_id) is not None
        clock.advance(1200)
        later = [mention("3", T0 + timedelta(minutes=20), author="kim")]
        store.upsert(later)
        with pipeline_of(settings, clock, channels, store) as restarted:
            report = restarted.process(later)
    assert report.alerts == 1
    explanation = only_alert(stores, rule_id).explanation
    assert explanation.numbers["count"] == 3
    # the new process saw one mention of the three: the window's authors come from the store,
    # narrowed to the key (the mention of other.example.org is left out)
    assert [(r.key, r.count) for r in explanation.top_authors] == [("@sam", 2), ("@kim", 1)]
    assert [(r.key, r.count) for r in explanation.top_sites] == [("forum.example.com", 3)]
    assert "refund" in {r.key for r in explanation.top_terms}


def test_reload_rules_picks_up_new_edited_and_disabled_rules(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    with pipeline_of(settings, clock, channels) as pipeline:
        assert pipeline.process([mention("1", T0)]).matched == 0  # no rules: nothing to do
        rule_id = save_rule(stores, "Refunds", {"kind": "every_match"})
        pipeline.reload_rules()
        assert pipeline.process([mention("2", T0)]).alerts == 1
        rule = stores.rules.get(rule_id)
        assert rule is not None
        stores.rules.save(rule.model_copy(update={"query": "cancel"}), now=T0)
        pipeline.reload_rules()
        assert pipeline.process([mention("3", T0)]).matched == 0
        assert pipeline.process([mention("4", T0, "I will cancel")]).alerts == 1
        stores.rules.save(rule.model_copy(update={"enabled": False}), now=T0)
        pipeline.reload_rules()
        assert pipeline.rules == []
        assert pipeline.process([mention("5", T0, "cancel")]).matched == 0


# --- channels ----------------------------------------------------------------------------------------
def test_an_unknown_channel_is_reported_and_the_alert_still_stored(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    save_rule(stores, "Refunds", {"kind": "every_match"}, channels=[HOOK, "nowhere"])
    with pipeline_of(settings, clock, channels) as pipeline:
        report = pipeline.process([mention("1", T0)])
    assert (report.alerts, report.enqueued) == (1, 1)
    assert len(report.errors) == 1
    assert "'nowhere'" in report.errors[0]


def test_a_channel_that_cannot_be_built_is_disabled_and_its_deliveries_wait(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    mail = parse_channel_config(
        {"kind": "email", "name": "mail", "to": ["a@example.com"], "from": "e@example.com"}
    )
    save_rule(stores, "Refunds", {"kind": "every_match"}, channels=["mail", HOOK])
    with pipeline_of(settings, clock, {**channels, "mail": mail}) as pipeline:
        pipeline.process([mention("1", T0)])
        report = pipeline.dispatcher().run_once()
        assert "mail" in pipeline.disabled_channels  # no SMTP host in the settings
    assert report.sent == 1
    assert stores.outbox.counts()[DeliveryState.pending] == 1


def test_a_channel_answering_500_is_delivered_once_after_retries_a_4xx_is_failed_once(
    settings: Settings,
    clock: ManualClock,
    stores: AlertStores,
    channels: dict[str, ChannelConfig],
    receiver: WebhookReceiver,
) -> None:
    rule_id = save_rule(stores, "Refunds", {"kind": "every_match"}, group_by=["author"])
    with pipeline_of(settings, clock, channels) as pipeline:
        receiver.inject(Fault.unavailable, times=2)
        pipeline.process([mention("1", T0)])
        dispatcher = pipeline.dispatcher()
        assert dispatcher.run_once().retried == 1
        assert dispatcher.run_once().handled == 0  # backing off
        clock.advance(5)
        assert dispatcher.run_once().retried == 1
        clock.advance(10)
        assert dispatcher.run_once().sent == 1
        clock.advance(600)
        assert dispatcher.run_once().handled == 0
        assert len(receiver.accepted) == 3  # two 503s, then the one delivery
        record = stores.outbox.get(only_alert(stores, rule_id).id, HOOK)
        assert record is not None
        assert (record.state, record.attempts, record.last_status) == (DeliveryState.sent, 3, 200)

        receiver.inject(Fault.rejected)
        pipeline.process([mention("2", clock.now, author="kim")])
        assert dispatcher.run_once().failed == 1
        clock.advance(3600)
        assert dispatcher.run_once().handled == 0  # never retried
    [failed] = stores.outbox.list(state=DeliveryState.failed)
    assert failed.last_status == 404
    assert failed.attempts == 1
    assert receiver.token not in failed.last_reason
    assert len(receiver.received) == 4


def test_a_rule_targeting_segments_alerts_only_on_their_customers_mentions(
    settings: Settings, clock: ManualClock, stores: AlertStores, channels: dict[str, ChannelConfig]
) -> None:
    rule_id = save_rule(stores, "Gold refunds", {"kind": "every_match"}, segments=["gold", "nobody"])
    with SQLiteCustomerDirectory.from_settings(settings, workspace=WORKSPACE) as directory:
        directory.upsert([CustomerRecord(customer=ANA), CustomerRecord(customer=BO)])
    segment_store = build_segment_store(settings, workspace=WORKSPACE)
    segment_store.upsert(
        [SegmentDefinition(name="gold", owner="support", filter=SegmentFilter(tiers=(Tier.gold,)))]
    )
    ana = CustomerLink(customer_id=ANA.id, confidence=0.9, method="handle")
    bo = CustomerLink(customer_id=BO.id, confidence=0.9, method="handle")
    with pipeline_of(settings, clock, channels) as pipeline:
        batch = [mention("1", T0, customer=ana), mention("2", T0, customer=bo), mention("3", T0)]
        assert pipeline.process(batch).alerts == 1  # Ana is gold; Bo is not; 3 is linked to nobody
        [alert] = stores.alerts.list(AlertFilter(rule_id=rule_id))
        assert alert.mention_ids == (batch[0].id,)
        # Bo turns gold: the cached memberships see it once refreshed (reload_rules), not before
        with SQLiteCustomerDirectory.from_settings(settings, workspace=WORKSPACE) as directory:
            directory.upsert([CustomerRecord(customer=BO.model_copy(update={"tier": Tier.gold}))])
        assert pipeline.process([mention("4", T0, customer=bo)]).alerts == 0
        pipeline.reload_rules()
        assert pipeline.process([mention("5", T0, customer=bo)]).alerts == 1
    segment_store.close()
