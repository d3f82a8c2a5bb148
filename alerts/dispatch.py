"""The dispatcher: sends the outbox's due deliveries through their channels and records each answer.

    dispatcher = Dispatcher(stores.outbox, {"support-slack": slack, ...}, clock=utcnow)
    report = dispatcher.run_once()        # one round: every due record, claimed, sent, settled
    dispatcher.run_forever(stop_event)    # rounds every `poll_interval` seconds until the event is set

Each due record is claimed first (`OutboxStore.claim`: one more attempt and a lease, compare-and-set),
so two dispatchers on one outbox never send one record twice; then its channel's :class:`Delivery`
settles it:

- ``sent`` -> ``mark_sent``;
- ``retry`` (down, timed out, throttled) -> ``mark_retry`` after an exponential backoff with jitter,
  ``base_delay * 2**(attempts - 1)`` capped at ``max_delay`` and shortened at random by up to
  ``jitter`` of itself, and never sooner than the ``retry_after`` the endpoint asked for; after
  ``max_attempts`` attempts -> ``mark_failed`` with the last reason;
- ``failed`` (a 4xx: bad URL, secret or payload) -> ``mark_failed`` at once, never retried;
- a record whose channel is not in the mapping -> ``mark_failed`` ("channel ... is not configured"),
  unless the channel is ``held`` (named but not buildable here, e.g. e-mail without an SMTP host):
  its records stay pending, untouched, until a dispatcher that can send them runs;
- a channel that raises (the built-in ones never do) -> retried like ``retry``; the reason names the
  exception's type only, since its text may quote a URL with a token in it.

A dispatcher that dies after a claim leaves the record to be retried when its lease ends, so nothing is
lost; the price is that a record whose channel accepted it just before the crash is sent again.
Settings: ``EARFUL_ALERTS__DISPATCH__*`` (`core.settings.DispatchSettings`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.channels.base import Channel, Delivery, Outcome
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.store.base import OutboxStore
from core.models import utcnow
from core.settings import DispatchSettings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class DispatchReport:
    """What one round did, by record."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_races: int = 0  # claimed by another dispatcher first, or settled under us
    outcomes: dict[str, DeliveryState] = field(default_factory=dict)  # "<alert id>/<channel>" -> state

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def backoff(attempts: int, settings: DispatchSettings, rng: random.Random) -> float:
    """Seconds before the next attempt after `attempts` attempts (>= 1), jitter included."""
    raw = min(settings.max_delay, settings.base_delay * 2.0 ** max(0, min(attempts - 1, 62)))
    return raw * (1 - settings.jitter * rng.random())


class Dispatcher:
    """Sends one outbox's due deliveries through `channels` (configured name -> channel)."""

    def __init__(
        self,
        outbox: OutboxStore,
        channels: Mapping[str, Channel],
        clock: Clock = utcnow,
        *,
        settings: DispatchSettings | None = None,
        rng: random.Random | None = None,
        held: Collection[str] = (),
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        # Channels this installation cannot build (NotConfigured): their records wait, pending.
        self.held = frozenset(held)
        self.clock = clock
        self.settings = settings or DispatchSettings()
        self._rng = rng or random.Random()

    def run_once(self, now: datetime | None = None) -> DispatchReport:
        """One round over the records due at `now` (default: the clock's now), at most `batch_size`."""
        report = DispatchReport()
        now = now or self.clock()
        for record in self.outbox.due(now, self.settings.batch_size, exclude_channels=self.held):
            self._deliver(record, now, report)
        return report

    def run_forever(self, stop: threading.Event) -> None:
        """Rounds until `stop` is set; a round that handled a full batch is followed at once by another."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:  # a store outage: logged, and the next round tries again
                log.exception("dispatch round failed")
                report = DispatchReport()
            if report.handled + report.lost_races < self.settings.batch_size:
                stop.wait(self.settings.poll_interval)

    # --- one record ------------------------------------------------------------------------------
    def _deliver(self, record: OutboxRecord, now: datetime, report: DispatchReport) -> None:
        lease = timedelta(seconds=self.settings.lease)
        claimed = self.outbox.claim(record, now=now, lease=lease)
        if claimed is None:
            report.lost_races += 1
            return
        channel = self.channels.get(claimed.channel)
        if channel is None:
            reason = f"channel {claimed.channel!r} is not configured"
            self._settle(claimed, Delivery(outcome=Outcome.failed, reason=reason), report)
            return
        try:
            delivery = channel.send(claimed.message)
        except Exception as exc:  # outside the protocol; the text may hold a secret, the type does not
            delivery = Delivery(outcome=Outcome.retry, reason=f"channel raised {type(exc).__name__}")
        self._settle(claimed, delivery, report)

    def _settle(self, record: OutboxRecord, delivery: Delivery, report: DispatchReport) -> None:
        at = self.clock()
        outbox, status = self.outbox, delivery.status
        if delivery.outcome is Outcome.sent:
            done, state = outbox.mark_sent(record, at=at, status=status), DeliveryState.sent
        elif delivery.outcome is Outcome.retry and record.attempts < self.settings.max_attempts:
            wait = backoff(record.attempts, self.settings, self._rng)
            if delivery.retry_after is not None:
                wait = max(wait, delivery.retry_after)
            next_at = at + timedelta(seconds=wait)
            reason = delivery.reason or "channel unavailable"
            done = outbox.mark_retry(record, next_attempt_at=next_at, reason=reason, at=at, status=status)
            state = DeliveryState.pending
        else:
            reason = delivery.reason or "channel refused the message"
            if delivery.outcome is Outcome.retry:
                reason = f"gave up after {record.attempts} attempts: {reason}"
            done = outbox.mark_failed(record, reason=reason, at=at, status=status)
            state = DeliveryState.failed
        if not done:  # our lease ran out and another dispatcher took the record over
            report.lost_races += 1
            return
        report.outcomes[f"{record.alert_id}/{record.channel}"] = state
        if state is DeliveryState.sent:
            report.sent += 1
        elif state is DeliveryState.pending:
            report.retried += 1
        else:
            report.failed += 1
            log.warning("delivery of alert %s to %r failed: %s", record.alert_id, record.channel, reason)


__all__ = ["Clock", "DispatchReport", "Dispatcher", "backoff"]
