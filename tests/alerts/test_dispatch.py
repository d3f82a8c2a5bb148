"""The dispatcher against real local receivers, on both store backends: a receiver that is down loses
nothing and gets each alert exactly once when it is back; 429 with Retry-After waits at least that long;
a 4xx is failed once; a restart continues where the last dispatcher stopped; two dispatchers racing on
one outbox never deliver a record twice. Time is a ManualClock: nothing sleeps for a backoff."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from alerts.channels import Channel, build_channel
from alerts.channels.base import AlertMessage, Delivery
from alerts.dispatch import Dispatcher, DispatchReport, backoff
from alerts.outbox import DeliveryState
from alerts.store import OutboxStore, build_alert_stores
from alerts.store_testing import BACKEND_PARAMS, T0, WORKSPACE, backend_settings, message_for
from alerts.testing import CONTRACT_TIMEOUT, Fault, ManualClock, WebhookReceiver
from core.settings import AlertsSettings, DispatchSettings, Settings

CHANNEL = "support-hook"
RULES = DispatchSettings(base_delay=5, max_delay=60, jitter=0.2, max_attempts=6, lease=120)
OpenOutbox = Callable[[], OutboxStore]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Settings:
    base = backend_settings(request, backend, tmp_path)
    return base.model_copy(update={"alerts": AlertsSettings(http_timeout=CONTRACT_TIMEOUT, dispatch=RULES)})


@pytest.fixture
def open_outbox(settings: Settings) -> Iterator[OpenOutbox]:
    """New outbox objects on the same storage at each call (a restart), all closed at the end."""
    made = []

    def make() -> OutboxStore:
        made.append(build_alert_stores(settings, workspace=WORKSPACE))
        made[-1].ensure_ready()
        return made[-1].outbox

    yield make
    for stores in made:
        stores.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@dataclass
class Rig:
    """An outbox and a dispatcher whose channel reaches the test's webhook receiver."""

    outbox: OutboxStore
    dispatch: Dispatcher


@pytest.fixture
def rig(open_outbox: OpenOutbox, receiver: WebhookReceiver, settings: Settings, clock: ManualClock) -> Rig:
    outbox = open_outbox()
    return Rig(outbox, dispatcher(outbox, webhook(receiver, settings), clock))


def webhook(receiver: WebhookReceiver, settings: Settings) -> Channel:
    return build_channel({**receiver.channel_config(), "name": CHANNEL}, settings)


def dispatcher(outbox: OutboxStore, channel: Channel, clock: ManualClock, **channels: Channel) -> Dispatcher:
    return Dispatcher(outbox, {CHANNEL: channel, **channels}, clock, settings=RULES, rng=random.Random(7))


def delivered(receiver: WebhookReceiver) -> Counter[str]:
    """Alert id -> how many requests for it passed the receiver's checks (a scripted fault's included)."""
    return Counter(r.json()["alert_id"] for r in receiver.accepted)


def enqueue(outbox: OutboxStore, count: int, channel: str = CHANNEL) -> list[str]:
    ids = [f"alert-{n:03d}" for n in range(count)]
    for alert_id in ids:
        assert outbox.enqueue(message_for(alert_id), channel, now=T0)
    return ids


def drain(dispatch: Dispatcher, clock: ManualClock, rounds: int, step: float = RULES.max_delay) -> None:
    for _ in range(rounds):
        dispatch.run_once()
        clock.advance(step)


def test_due_deliveries_are_sent_once(rig: Rig, receiver: WebhookReceiver, clock: ManualClock) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    ids = enqueue(outbox, 3)
    report = dispatch.run_once()
    assert (report.sent, report.retried, report.failed, report.lost_races) == (3, 0, 0, 0)
    assert report.outcomes == {f"{i}/{CHANNEL}": DeliveryState.sent for i in ids}
    assert dispatch.run_once().handled == 0
    assert delivered(receiver) == dict.fromkeys(ids, 1)
    assert outbox.counts() == {DeliveryState.pending: 0, DeliveryState.sent: 3, DeliveryState.failed: 0}
    record = outbox.get(ids[0], CHANNEL)
    assert record is not None
    assert (record.attempts, record.last_status, record.sent_at) == (1, 200, T0)


def test_a_receiver_that_is_down_loses_nothing_and_gets_each_alert_once_when_back(
    rig: Rig, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    ids = enqueue(outbox, 5)
    receiver.stop()  # down for "minutes": four rounds of refused connections
    drain(dispatch, clock, rounds=4)
    assert outbox.counts()[DeliveryState.pending] == 5
    record = outbox.get(ids[0], CHANNEL)
    assert record is not None
    assert record.attempts == 4
    assert record.last_reason  # why it is still pending, for the inbox
    assert receiver.token not in record.last_reason
    receiver.start()  # back, on the same port
    drain(dispatch, clock, rounds=3)
    assert delivered(receiver) == dict.fromkeys(ids, 1)
    assert outbox.counts()[DeliveryState.sent] == 5


def test_unavailable_answers_are_retried_with_backoff_then_delivered(
    rig: Rig, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    [alert_id] = enqueue(outbox, 1)
    receiver.inject(Fault.unavailable, times=3)
    waits = []
    for _ in range(3):
        assert dispatch.run_once().retried == 1
        record = outbox.get(alert_id, CHANNEL)
        assert record is not None
        assert record.last_status == 503
        waits.append((record.next_attempt_at - clock()).total_seconds())
        assert dispatch.run_once(record.next_attempt_at - timedelta(microseconds=1)).handled == 0
        clock.now = record.next_attempt_at
    assert all(0.8 * base <= w <= base for w, base in zip(waits, (5, 10, 20), strict=True))
    assert dispatch.run_once().sent == 1
    assert len(receiver.accepted) == 4  # three 503s, one success
    assert delivered(receiver)[alert_id] == 4


def test_429_with_retry_after_waits_at_least_that_long(
    rig: Rig, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    [alert_id] = enqueue(outbox, 1)
    receiver.inject(Fault.rate_limited, retry_after=300)  # more than max_delay: still honoured
    assert dispatch.run_once().retried == 1
    record = outbox.get(alert_id, CHANNEL)
    assert record is not None
    assert record.last_status == 429
    assert record.next_attempt_at >= T0 + timedelta(seconds=300)
    assert dispatch.run_once(T0 + timedelta(seconds=299)).handled == 0
    assert len(receiver.received) == 1
    clock.advance(300)
    assert dispatch.run_once().sent == 1
    assert len(receiver.received) == 2


def test_a_4xx_is_failed_once_and_never_retried(
    rig: Rig, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    [alert_id] = enqueue(outbox, 1)
    receiver.inject(Fault.rejected)
    assert dispatch.run_once().failed == 1
    drain(dispatch, clock, rounds=3, step=3600)
    assert len(receiver.received) == 1
    record = outbox.get(alert_id, CHANNEL)
    assert record is not None
    assert (record.state, record.attempts, record.last_status) == (DeliveryState.failed, 1, 404)
    assert record.last_reason
    assert receiver.token not in record.last_reason  # the 404 page echoed the URL: scrubbed


def test_a_delivery_that_keeps_failing_is_failed_after_max_attempts(
    rig: Rig, receiver: WebhookReceiver, clock: ManualClock
) -> None:
    outbox, dispatch = rig.outbox, rig.dispatch
    [alert_id] = enqueue(outbox, 1)
    receiver.inject(Fault.unavailable, times=100)
    drain(dispatch, clock, rounds=RULES.max_attempts + 2)
    record = outbox.get(alert_id, CHANNEL)
    assert record is not None
    assert (record.state, record.attempts) == (DeliveryState.failed, RULES.max_attempts)
    assert record.last_reason.startswith(f"gave up after {RULES.max_attempts} attempts: ")
    assert len(receiver.received) == RULES.max_attempts


def test_a_channel_missing_from_the_mapping_is_failed_with_the_reason(
    open_outbox: OpenOutbox, receiver: WebhookReceiver, settings: Settings, clock: ManualClock
) -> None:
    outbox = open_outbox()
    enqueue(outbox, 1, channel="gone-slack")
    assert dispatcher(outbox, webhook(receiver, settings), clock).run_once().failed == 1
    [record] = outbox.list()
    assert record.state is DeliveryState.failed
    assert record.last_reason == "channel 'gone-slack' is not configured"


def test_a_restart_continues_where_the_last_dispatcher_stopped(
    open_outbox: OpenOutbox, receiver: WebhookReceiver, settings: Settings, clock: ManualClock
) -> None:
    outbox = open_outbox()
    ids = enqueue(outbox, 4)
    receiver.inject(Fault.unavailable, times=2)
    first = dispatcher(outbox, webhook(receiver, settings), clock).run_once()
    assert (first.sent, first.retried) == (2, 2)
    # a dispatcher that claimed a record and died before settling it
    late = open_outbox()
    late.enqueue(message_for("alert-late"), CHANNEL, now=clock())
    [orphan] = late.due(clock())
    assert late.claim(orphan, now=clock(), lease=timedelta(seconds=RULES.lease)) is not None
    # restart: new store objects, a new dispatcher and a new channel, on the same storage
    again = dispatcher(open_outbox(), webhook(receiver, settings), clock)
    clock.advance(RULES.max_delay)
    assert again.run_once().sent == 2
    clock.advance(RULES.lease)
    assert again.run_once().sent == 1  # the orphan, once its lease ran out
    assert delivered(receiver) == {**dict.fromkeys(ids[:2], 2), **dict.fromkeys(ids[2:], 1), "alert-late": 1}
    assert open_outbox().counts()[DeliveryState.sent] == 5


def test_two_dispatchers_racing_never_deliver_a_record_twice(
    open_outbox: OpenOutbox, receiver: WebhookReceiver, settings: Settings, clock: ManualClock
) -> None:
    ids = enqueue(open_outbox(), 12)
    racers = [dispatcher(open_outbox(), webhook(receiver, settings), clock) for _ in range(2)]
    reports: list[DispatchReport] = []
    barrier = threading.Barrier(len(racers))

    def race(racer: Dispatcher) -> None:
        barrier.wait()
        reports.append(racer.run_once())

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 12
    assert delivered(receiver) == dict.fromkeys(ids, 1)
    assert open_outbox().counts()[DeliveryState.sent] == 12


class _Raising:
    name, kind = CHANNEL, "raising"

    def send(self, message: AlertMessage) -> Delivery:
        raise RuntimeError("boom at https://hooks.example/secret-token-123456")

    def close(self) -> None:
        pass


def test_a_channel_that_raises_is_retried_without_its_text(
    open_outbox: OpenOutbox, clock: ManualClock
) -> None:
    outbox = open_outbox()
    [alert_id] = enqueue(outbox, 1)
    report = Dispatcher(outbox, {CHANNEL: _Raising()}, clock, settings=RULES).run_once()
    assert report.retried == 1
    record = outbox.get(alert_id, CHANNEL)
    assert record is not None
    assert record.last_reason == "channel raised RuntimeError"


def test_run_forever_stops_when_told(
    open_outbox: OpenOutbox, receiver: WebhookReceiver, settings: Settings
) -> None:
    outbox = open_outbox()
    ids = enqueue(outbox, 2)
    stop = threading.Event()
    fast = RULES.model_copy(update={"poll_interval": 0.05})
    dispatch = Dispatcher(outbox, {CHANNEL: webhook(receiver, settings)}, lambda: T0, settings=fast)
    thread = threading.Thread(target=dispatch.run_forever, args=(stop,))
    thread.start()
    for _ in range(200):
        if len(receiver.accepted) == 2:
            break
        threading.Event().wait(0.05)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert delivered(receiver) == dict.fromkeys(ids, 1)


# --- pure parts ----------------------------------------------------------------------------------
def test_backoff_doubles_with_jitter_and_stays_under_max_delay() -> None:
    rng = random.Random(1)
    for attempts, base in ((1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (50, 60), (10_000, 60)):
        for _ in range(20):
            assert 0.8 * base <= backoff(attempts, RULES, rng) <= base
    exact = RULES.model_copy(update={"jitter": 0.0})
    assert backoff(3, exact, rng) == 20


def test_a_lease_shorter_than_a_send_is_refused() -> None:
    with pytest.raises(ValidationError, match="lease"):
        AlertsSettings(http_timeout=30, dispatch=DispatchSettings(lease=45))
