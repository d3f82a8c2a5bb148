"""Alerting while following: the listen loop's hooks wired to one workspace's `AlertPipeline`.

- ``after_write`` runs the pipeline on each stored micro-batch in the loop's thread, then wakes the
  dispatcher, so an alert leaves as soon as it is queued instead of at the next poll of the outbox;
- a ticker thread steps every rule about once a second (windows close, digests and flatlines fall due,
  recovery notices go out even when nothing is fetched) and re-reads the rules now and then, so a rule
  added with ``earful alerts add`` while following takes effect without a restart;
- a dispatcher thread sends what the outbox holds, woken by new alerts, else every poll interval.

The pipeline is not thread-safe: one lock serialises ``process``, ``tick`` and ``reload_rules``. The
dispatcher only touches the outbox, whose claims are safe against any other dispatcher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import EarfulError
from core.models import EnrichedMention

if TYPE_CHECKING:
    from alerts.pipeline import AlertPipeline
    from flows.listen import AlertsSummary

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0  # the resolution of window closes, digests and flatlines while following
RELOAD_SECONDS = 10.0  # how soon a rule added or edited elsewhere is picked up


class FollowAlerting:
    """The hooks of :func:`flows.follow.run_follow` for `pipeline` (see the module docstring)."""

    def __init__(self, pipeline: AlertPipeline) -> None:
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._dispatcher = pipeline.dispatcher()
        self.sent = 0  # by the background dispatcher; the report adds them to the final rounds'
        self.failed = 0

    def after_write(self, batch: Sequence[EnrichedMention]) -> None:
        with self._lock:
            report = self.pipeline.process(batch)
        if report.enqueued:
            self._wake.set()

    def ticker(self, stop: threading.Event) -> None:
        since_reload = 0.0
        while not stop.wait(TICK_SECONDS):
            since_reload += TICK_SECONDS
            try:
                with self._lock:
                    if since_reload >= RELOAD_SECONDS:
                        since_reload = 0.0
                        self.pipeline.reload_rules()
                    report = self.pipeline.tick()
            except EarfulError as exc:  # a store outage: the next tick tries again
                log.warning("alert tick failed: %s", exc)
                continue
            if report.enqueued:
                self._wake.set()

    def dispatch(self, stop: threading.Event) -> None:
        interval = self._dispatcher.settings.poll_interval
        while not stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            try:
                while True:  # a full round may leave more due at once
                    round_ = self._dispatcher.run_once()
                    self.sent += round_.sent
                    self.failed += round_.failed
                    if round_.handled + round_.lost_races < self._dispatcher.settings.batch_size:
                        break
            except Exception:  # an outbox outage: logged, and the next round tries again
                log.exception("dispatch round failed")

    def finish(self) -> AlertsSummary:
        """After the loop stopped: the last tick and the deliveries due now (``finish_alerting``)."""
        from flows.listen import finish_alerting

        with self._lock:
            summary = finish_alerting(self.pipeline)
        summary.delivered += self.sent
        summary.failed += self.failed
        return summary


__all__ = ["RELOAD_SECONDS", "TICK_SECONDS", "FollowAlerting"]
