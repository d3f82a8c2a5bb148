"""The named channels of a workspace, as rules refer to them (``channels: [support-slack]``).

They are data in a YAML file: ``settings.alerts.channels_file``, else ``channels.yaml`` in the
workspace's directory under home. Each entry is a channel configuration (``alerts.channels.config``)::

    channels:
      - name: support-slack
        kind: slack
        webhook_url: ${SLACK_SUPPORT_URL}    # ${VAR} reads the environment: keep tokens out of the file
      - {name: oncall, kind: webhook, url: "https://example.com/hook", secret: "${HOOK_SECRET}"}

A bad entry is refused with its place (``file:channels[1].url: ...``) and never with its value: URLs
and secrets are secret.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alerts.channels.base import AlertMessage, Delivery, Severity
from alerts.channels.config import ChannelConfig, build_channel, parse_channel_config
from core.errors import ConfigError, NotFound
from core.models import utcnow
from core.settings import Settings
from core.workspaces import workspace_dir

CHANNELS_FILE = "channels.yaml"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def channels_file(settings: Settings, *, workspace: str) -> Path:
    """Where `workspace`'s channels are defined."""
    return settings.alerts.channels_file or workspace_dir(settings.home, workspace) / CHANNELS_FILE


def _expand(value: Any, where: str, problems: list[str], environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                problems.append(f"{where}: the environment variable {name} is not set")
                return ""
            return environ[name]

        return _VARIABLE.sub(variable, value)
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]", problems, environ) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}", problems, environ) for k, v in value.items()}
    return value


def parse_channels(
    data: Any, *, source: str = "<channels>", environ: Mapping[str, str] | None = None
) -> dict[str, ChannelConfig]:
    """Channel configurations by name from decoded YAML (``{channels: [...]}`` or a list); raises
    ConfigError listing every problem, located, without the offending values."""
    environ = os.environ if environ is None else environ
    items = data.get("channels") if isinstance(data, dict) else data
    if data is None:
        return {}
    if not isinstance(items, list):
        raise ConfigError(f"{source}: expected 'channels:' with a list of channels")
    problems: list[str] = []
    out: dict[str, ChannelConfig] = {}
    for index, item in enumerate(items):
        where = f"{source}:channels[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with name and kind")
            continue
        try:
            config = parse_channel_config(_expand(item, where, problems, environ))
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                loc = [str(p) for p in error["loc"]]
                if loc and loc[0] == item.get("kind"):  # the union puts the kind's tag first
                    loc = loc[1:]
                problems.append(f"{where}{''.join('.' + p for p in loc)}: {error['msg']}")
            continue
        if config.name in out:
            problems.append(f"{where}.name: the name {config.name!r} is used twice")
            continue
        out[config.name] = config
    if problems:
        raise ConfigError("; ".join(problems), details={"file": source, "errors": problems})
    return out


def load_channels(path: Path | str, *, environ: Mapping[str, str] | None = None) -> dict[str, ChannelConfig]:
    """The channels of a YAML file; a missing file means no channel (alerts are then stored in the
    inbox only)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}", details={"file": str(path)}) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}", details={"file": str(path)}) from exc
    return parse_channels(data, source=str(path), environ=environ)


def workspace_channels(settings: Settings, *, workspace: str) -> dict[str, ChannelConfig]:
    """`workspace`'s channel configurations by name."""
    return load_channels(channels_file(settings, workspace=workspace))


def probe_message(workspace: str, channel: str, now: datetime | None = None) -> AlertMessage:
    """The message `send_probe` sends: plainly a test, with a fresh id (each probe is a new delivery)."""
    return AlertMessage(
        alert_id=f"test-{uuid.uuid4().hex[:16]}",
        workspace=workspace,
        rule="Channel test",
        title=f"Test message from Earful to {channel}",
        severity=Severity.info,
        summary="If you can read this, Earful's alerts reach this channel. Nothing needs to be done.",
        created_at=now or utcnow(),
    )


def send_probe(settings: Settings, *, workspace: str, name: str) -> Delivery:
    """Send one test message through `workspace`'s channel `name` now, bypassing the outbox, and
    return the channel's answer. NotFound when the workspace has no channel of that name."""
    configs = workspace_channels(settings, workspace=workspace)
    config = configs.get(name)
    if config is None:
        where = channels_file(settings, workspace=workspace)
        known = ", ".join(configs) or "none"
        raise NotFound(
            f"no channel {name!r} in {where} (channels: {known})",
            details={"channel": name, "file": str(where)},
        )
    channel = build_channel(config, settings)
    try:
        return channel.send(probe_message(workspace, name))
    finally:
        channel.close()


def dump_channel(config: BaseModel) -> dict[str, Any]:
    """A channel's configuration as shown to people: secrets masked."""
    return config.model_dump(mode="json", by_alias=True)


__all__ = [
    "CHANNELS_FILE",
    "channels_file",
    "dump_channel",
    "load_channels",
    "parse_channels",
    "probe_message",
    "send_probe",
    "workspace_channels",
]
