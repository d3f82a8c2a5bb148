"""The scripted receivers behave as the outbox's tests will rely on."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from alerts.channels import Outcome, build_channel
from alerts.testing import Reply, SlackReceiver, channel_settings, make_alert_message


def test_scripted_503_with_retry_after_twice_then_the_normal_answer(tmp_path: Path) -> None:
    with SlackReceiver() as receiver:
        receiver.script(*[Reply(503, "down", {"Retry-After": "1"})] * 2)
        with closing(build_channel(receiver.channel_config(), channel_settings(tmp_path))) as channel:
            deliveries = [channel.send(make_alert_message()) for _ in range(3)]
    assert [d.outcome for d in deliveries] == [Outcome.retry, Outcome.retry, Outcome.sent]
    assert [d.retry_after for d in deliveries] == [1.0, 1.0, None]
    assert len(receiver.received) == 3


def test_a_wrong_token_is_answered_like_the_platform(tmp_path: Path) -> None:
    with SlackReceiver() as receiver:
        config = {**receiver.channel_config(), "webhook_url": receiver.url.replace(receiver.token, "0" * 32)}
        with closing(build_channel(config, channel_settings(tmp_path))) as channel:
            delivery = channel.send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.status == 404
    assert delivery.reason == "HTTP 404 Not Found: no_service"
    assert receiver.accepted == []
    assert receiver.received[0].problem == "no_service"
