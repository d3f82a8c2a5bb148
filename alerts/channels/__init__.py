"""Channels deliver alerts: webhook, Slack, e-mail, WeCom, DingTalk and Feishu, each registered in the
``earful.channels`` entry point group. What the alert engine and the outbox use::

    channel = build_channel(config, settings)   # config: a ChannelConfig or its stored data
    delivery = channel.send(message)             # an AlertMessage; never raises for delivery problems
    delivery.outcome                              # sent | retry (after delivery.retry_after) | failed
    channel.close()

Contract suite and local receivers for tests: ``alerts.testing``.
"""

from alerts.channels.base import (
    AlertMessage,
    Channel,
    Delivery,
    Link,
    MessageField,
    MessageSection,
    Outcome,
    Severity,
)
from alerts.channels.config import (
    ChannelConfig,
    DingTalkChannelConfig,
    EmailChannelConfig,
    FeishuChannelConfig,
    SlackChannelConfig,
    WebhookChannelConfig,
    WeComChannelConfig,
    build_channel,
    parse_channel_config,
)

__all__ = [
    "AlertMessage",
    "Channel",
    "ChannelConfig",
    "Delivery",
    "DingTalkChannelConfig",
    "EmailChannelConfig",
    "FeishuChannelConfig",
    "Link",
    "MessageField",
    "MessageSection",
    "Outcome",
    "Severity",
    "SlackChannelConfig",
    "WeComChannelConfig",
    "WebhookChannelConfig",
    "build_channel",
    "parse_channel_config",
]
