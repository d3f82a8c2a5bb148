"""Channel configuration: one frozen model per kind, a union discriminated on ``kind``, and
:func:`build_channel`, which makes a :class:`Channel` through the ``earful.channels`` registry.

Every secret is a ``SecretStr``, webhook URLs included: Slack, WeCom, DingTalk and Feishu put the
token in the URL itself. Validation errors never echo the input (``hide_input_in_errors``), so a
mistyped URL does not end up in a log with its token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, field_validator

from alerts.channels.base import Channel
from core.errors import ConfigError
from core.registry import CHANNELS
from core.settings import Settings, get_settings

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


class _ChannelConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True, populate_by_name=True)

    name: str = Field(pattern=_NAME, description="The channel's name, as rules refer to it")

    def secrets(self) -> list[str]:
        """The secret values this configuration holds (for scrubbing; never log them)."""
        return [v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)]


def _http_url(value: SecretStr) -> SecretStr:
    if not re.match(r"^https?://[^\s/?#]+", value.get_secret_value()):
        raise ValueError("must be an absolute http(s) URL")  # the value itself is never repeated
    return value


SecretUrl = Annotated[SecretStr, AfterValidator(_http_url)]


class _HookConfig(_ChannelConfig):
    """A platform robot reached at a URL that carries its token; ``secret`` when it signs requests."""

    webhook_url: SecretUrl = Field(description="The robot's URL, token included")

    @property
    def endpoint(self) -> SecretStr:
        return self.webhook_url

    @property
    def signing_secret(self) -> str | None:
        secret = getattr(self, "secret", None)
        return secret.get_secret_value() if isinstance(secret, SecretStr) else None


class WebhookChannelConfig(_ChannelConfig):
    """Any HTTP endpoint: the message as JSON, signed with HMAC-SHA256 (see alerts.channels.webhook)."""

    kind: Literal["webhook"] = "webhook"
    url: SecretUrl = Field(description="Endpoint URL (secret: it may carry a token)")
    secret: SecretStr = Field(min_length=16, description="Shared key of the X-Earful-Signature HMAC")

    @property
    def endpoint(self) -> SecretStr:
        return self.url

    @property
    def signing_secret(self) -> str:
        return self.secret.get_secret_value()


class SlackChannelConfig(_HookConfig):
    kind: Literal["slack"] = "slack"
    webhook_url: SecretUrl = Field(description="Incoming webhook URL, https://hooks.slack.com/services/...")


class WeComChannelConfig(_HookConfig):
    kind: Literal["wecom"] = "wecom"
    webhook_url: SecretUrl = Field(
        description="Group robot URL, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
    )


class DingTalkChannelConfig(_HookConfig):
    kind: Literal["dingtalk"] = "dingtalk"
    webhook_url: SecretUrl = Field(
        description="Robot URL, https://oapi.dingtalk.com/robot/send?access_token=..."
    )
    secret: SecretStr | None = Field(
        None, description="The robot's signing secret ('SEC...'); None when it is secured otherwise"
    )


class FeishuChannelConfig(_HookConfig):
    kind: Literal["feishu"] = "feishu"
    webhook_url: SecretUrl = Field(
        description="Custom bot URL, https://open.feishu.cn/open-apis/bot/v2/hook/... (or larksuite.com)"
    )
    secret: SecretStr | None = Field(None, description="The bot's signature secret, when signing is on")


class EmailChannelConfig(_ChannelConfig):
    """Recipients and sender; the SMTP relay is the installation's (settings ``alerts.smtp``)."""

    kind: Literal["email"] = "email"
    to: tuple[str, ...] = Field(min_length=1, description="Recipient addresses")
    from_: str = Field(alias="from", description="Sender address")
    subject_prefix: str = Field("[Earful]", description="Put before the alert's headline in the subject")

    @field_validator("to", "from_")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        for address in (value,) if isinstance(value, str) else value:
            if not _ADDRESS.match(address):  # also refuses CR/LF: no header injection
                raise ValueError("not an e-mail address")
        return value

    @field_validator("subject_prefix")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must be one line")
        return value


ChannelConfig = Annotated[
    WebhookChannelConfig
    | SlackChannelConfig
    | EmailChannelConfig
    | WeComChannelConfig
    | DingTalkChannelConfig
    | FeishuChannelConfig,
    Field(discriminator="kind"),
]

# The members hide inputs in their errors, but a union reports at its own level: hide there too. A model
# that embeds ChannelConfig (a rule, an outbox row) should set hide_input_in_errors as well.
_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(
    ChannelConfig, config=ConfigDict(hide_input_in_errors=True)
)


def parse_channel_config(data: Mapping[str, Any]) -> ChannelConfig:
    """A built-in channel's configuration from stored data (a rule file, the outbox's row)."""
    return _ADAPTER.validate_python(data)


def build_channel(config: BaseModel | Mapping[str, Any], settings: Settings | None = None) -> Channel:
    """The channel of `config` (a model or its data), made by the ``earful.channels`` entry point named
    by its ``kind``; a plugin's channel validates its own data through its ``config_model``.

    Raises ``ConfigError`` for an unknown kind and ``NotConfigured`` when the installation lacks what
    the kind needs (e-mail without an SMTP host)."""
    kind = config.get("kind") if isinstance(config, Mapping) else getattr(config, "kind", None)
    if not isinstance(kind, str):
        raise ConfigError("a channel configuration needs a 'kind'")
    factory = CHANNELS.load(kind)
    if isinstance(config, Mapping):
        model: type[BaseModel] | None = getattr(factory, "config_model", None)
        config = model.model_validate(config) if model is not None else parse_channel_config(config)
    channel = factory(config, settings or get_settings())
    if not isinstance(channel, Channel):
        raise ConfigError(f"the {kind!r} entry point did not make a Channel", details={"kind": kind})
    return channel
