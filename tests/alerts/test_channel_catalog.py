"""The channels file: names rules refer to, ${VAR} from the environment, located errors that never
repeat a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.channels.catalog import channels_file, dump_channel, load_channels, parse_channels
from alerts.channels.config import SlackChannelConfig, WebhookChannelConfig
from core.errors import ConfigError
from core.settings import Settings

SECRET = "s3cr3t-token-that-must-not-leak"


def test_channels_by_name_with_environment_variables(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "channels:\n"
        "  - {name: support-slack, kind: slack, webhook_url: '${SLACK_URL}'}\n"
        "  - {name: oncall, kind: webhook, url: 'https://example.com/hook', secret: '${HOOK_SECRET}'}\n",
        encoding="utf-8",
    )
    env = {"SLACK_URL": f"https://hooks.slack.com/services/{SECRET}", "HOOK_SECRET": "k" * 20}
    channels = load_channels(path, environ=env)
    assert list(channels) == ["support-slack", "oncall"]
    slack = channels["support-slack"]
    assert isinstance(slack, SlackChannelConfig)
    assert slack.webhook_url.get_secret_value().endswith(SECRET)
    assert isinstance(channels["oncall"], WebhookChannelConfig)
    assert SECRET not in str(dump_channel(slack))


def test_a_missing_file_means_no_channels(tmp_path: Path) -> None:
    assert load_channels(tmp_path / "absent.yaml") == {}


@pytest.mark.parametrize(
    ("data", "located"),
    [
        (
            {"channels": [{"name": "a", "kind": "webhook", "url": f"ftp://{SECRET}", "secret": "k" * 20}]},
            "f.yaml:channels[0].url: Value error, must be an absolute http(s) URL",
        ),
        ({"channels": [{"name": "a", "kind": "pager"}]}, "f.yaml:channels[0]: Input tag 'pager'"),
        (
            {"channels": [{"name": "a", "kind": "slack", "webhook_url": "${NOPE}"}]},
            "f.yaml:channels[0].webhook_url: the environment variable NOPE is not set",
        ),
        ({"channels": ["oops"]}, "f.yaml:channels[0]: expected a mapping"),
        ({"channels": {"name": "a"}}, "f.yaml: expected 'channels:' with a list"),
        (
            {
                "channels": [
                    {"name": "a", "kind": "slack", "webhook_url": "https://hooks.slack.com/x"},
                    {"name": "a", "kind": "slack", "webhook_url": "https://hooks.slack.com/y"},
                ]
            },
            "f.yaml:channels[1].name: the name 'a' is used twice",
        ),
    ],
)
def test_bad_channels_are_refused_with_their_place_and_without_their_values(
    data: object, located: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_channels(data, source="f.yaml", environ={})
    assert located in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.details)


def test_the_file_is_the_workspaces_unless_one_is_set(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert channels_file(settings, workspace="acme") == tmp_path / "workspaces" / "acme" / "channels.yaml"
    chosen = tmp_path / "mine.yaml"
    pinned = settings.model_copy(
        update={"alerts": settings.alerts.model_copy(update={"channels_file": chosen})}
    )
    assert channels_file(pinned, workspace="acme") == chosen
