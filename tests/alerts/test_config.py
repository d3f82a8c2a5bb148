"""Configuration models, building through the registry, the message model and the error mapping."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from alerts.channels import (
    AlertMessage,
    Channel,
    Delivery,
    DingTalkChannelConfig,
    Link,
    Outcome,
    SlackChannelConfig,
    build_channel,
    parse_channel_config,
)
from alerts.channels.slack import SlackChannel
from alerts.testing import channel_settings, make_alert_message
from core.errors import ChannelError, ChannelUnavailable, ConfigError, is_retryable

TOKEN = "xoxb-0123456789-SECRETTOKEN"
URL = f"https://hooks.slack.com/services/T01/B02/{TOKEN}"


def test_union_parses_by_kind_and_hides_secrets() -> None:
    config = parse_channel_config({"kind": "slack", "name": "support", "webhook_url": URL})
    assert isinstance(config, SlackChannelConfig)
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in config.model_dump_json()
    ding = parse_channel_config(
        {
            "kind": "dingtalk",
            "name": "d",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "secret": "SECabc",
        }
    )
    assert isinstance(ding, DingTalkChannelConfig)
    assert "SECabc" not in repr(ding)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "slack", "name": "s", "webhook_url": f"ftp://hooks.slack.com/{TOKEN}"},
        {"kind": "slack", "name": "s", "webhook_url": TOKEN},
        {"kind": "slack", "name": "bad name!", "webhook_url": URL},
        {"kind": "slack", "name": "s", "webhook_url": URL, "extra": TOKEN},
        {"kind": "webhook", "name": "w", "url": URL, "secret": "tiny-key"},
        {"kind": "pager", "name": "p", "url": URL},
    ],
)
def test_invalid_configuration_never_echoes_its_input(data: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_channel_config(data)
    assert TOKEN not in str(info.value)
    assert "tiny-key" not in str(info.value)


def test_build_channel_from_model_or_data(tmp_path: Path) -> None:
    settings = channel_settings(tmp_path)
    from_data = build_channel({"kind": "slack", "name": "support", "webhook_url": URL}, settings)
    from_model = build_channel(SlackChannelConfig(name="support", webhook_url=URL), settings)
    for channel in (from_data, from_model):
        assert isinstance(channel, SlackChannel)
        assert isinstance(channel, Channel)
        assert (channel.name, channel.kind) == ("support", "slack")
        assert TOKEN not in repr(channel)
        channel.close()


def test_unknown_kind_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no earful\.channels component named 'pager'"):
        build_channel({"kind": "pager", "name": "p"}, channel_settings(tmp_path))
    with pytest.raises(ConfigError, match="needs a 'kind'"):
        build_channel({"name": "p"}, channel_settings(tmp_path))


def test_message_needs_an_aware_time_and_http_links() -> None:
    with pytest.raises(ValidationError):
        make_alert_message(created_at=datetime(2025, 1, 1))  # naive
    with pytest.raises(ValidationError, match="http"):
        Link(label="x", url="javascript:alert(1)")
    message = make_alert_message()
    with pytest.raises(ValidationError):
        message.title = "changed"  # type: ignore[misc]  # frozen
    assert AlertMessage.model_validate_json(message.model_dump_json()) == message


def test_delivery_maps_to_the_error_tree() -> None:
    Delivery(outcome=Outcome.sent, status=200).raise_for_outcome()
    with pytest.raises(ChannelUnavailable) as retry:
        Delivery(outcome=Outcome.retry, status=429, reason="HTTP 429", retry_after=7).raise_for_outcome()
    assert is_retryable(retry.value)
    assert retry.value.details == {"status": 429, "retry_after": 7}
    with pytest.raises(ChannelError) as failed:
        Delivery(outcome=Outcome.failed, status=404, reason="HTTP 404").raise_for_outcome()
    assert not is_retryable(failed.value)
    assert failed.value.http_status == 502


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv("EARFUL_ALERTS__SMTP__HOST", "smtp.example.com")
    monkeypatch.setenv("EARFUL_ALERTS__SMTP__PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("EARFUL_ALERTS__HTTP_TIMEOUT", "3.5")
    settings = Settings()
    assert settings.alerts.smtp.host == "smtp.example.com"
    assert settings.alerts.smtp.port == 587
    assert settings.alerts.smtp.starttls
    assert settings.alerts.http_timeout == 3.5
    assert "hunter2-smtp" not in repr(settings)


def test_an_unexpected_error_is_a_scrubbed_failure(tmp_path: Path) -> None:
    channel = build_channel(
        {"kind": "slack", "name": "support", "webhook_url": URL}, channel_settings(tmp_path)
    )

    def broken(message: AlertMessage) -> Delivery:
        raise RuntimeError(f"could not post to {URL}")

    channel.deliver = broken  # type: ignore[attr-defined]
    delivery = channel.send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.reason == "unexpected RuntimeError: could not post to ***"
    channel.close()
