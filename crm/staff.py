"""The staff directory of a workspace: who the account owners are, where and how they want reminders.

It is data in a YAML file, ``settings.crm.reminders.staff_file``, else ``staff.yaml`` in the workspace's
directory under home (next to the alert channels' ``channels.yaml``)::

    staff:
      - id: alice                 # what Customer.owner holds (compared without case)
        name: Alice Wang
        timezone: Asia/Shanghai   # her "today" and the hour her digest goes out
        channels: [alice-wecom]   # alert channels (names in channels.yaml) her reminders go to
        language: zh              # en or zh
      - {id: bob, timezone: America/Los_Angeles, channels: [sales-slack]}

A bad entry is refused with its place, file, line and field (``staff.yaml:4: staff[1].timezone: ...``).
An owner the file does not list (or a missing file) gets the workspace's defaults from
``settings.crm.reminders`` (time zone, channels, language): reminders never wait for the file.
Whether the channels exist is checked where they are known (the reminders flow), since crm/ does not
read the alerting configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError
from core.settings import ReminderSettings, Settings, ZoneName
from core.workspaces import workspace_dir

STAFF_FILE = "staff.yaml"
Language = Literal["en", "zh"]


class StaffMember(BaseModel):
    """One entry of the staff file; unset fields fall back to the workspace's reminder settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="The staff id, as Customer.owner names the account owner")
    name: str | None = Field(None, description="Display name; default the id")
    timezone: ZoneName | None = Field(None, description="IANA time zone; default the workspace's")
    channels: tuple[str, ...] | None = Field(None, description="Alert channels for the reminders")
    language: Language | None = Field(None, description="Language of the digest: en or zh")


class Recipient(BaseModel):
    """Who a digest is for, with every default resolved: what the flow and the CLI use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    timezone: str
    channels: tuple[str, ...]
    language: Language
    listed: bool = Field(description="False for an owner the staff file does not list (defaults only)")


def owner_key(owner: str) -> str:
    """How owner names compare: stripped, without case ("Alice " and "alice" are one owner)."""
    return owner.strip().casefold()


class StaffDirectory:
    """The staff of a workspace by id, resolving anyone to a `Recipient` with the workspace defaults."""

    def __init__(self, members: Mapping[str, StaffMember] | None = None, *, source: str = "<staff>") -> None:
        self.members = {owner_key(m.id): m for m in (members or {}).values()}
        self.source = source

    def __len__(self) -> int:
        return len(self.members)

    def resolve(self, owner: str, defaults: ReminderSettings) -> Recipient:
        member = self.members.get(owner_key(owner))
        if member is None:
            return Recipient(
                id=owner,
                name=owner,
                timezone=defaults.timezone,
                channels=tuple(defaults.default_channels),
                language=defaults.default_language,
                listed=False,
            )
        return Recipient(
            id=member.id,
            name=member.name or member.id,
            timezone=member.timezone or defaults.timezone,
            channels=tuple(defaults.default_channels) if member.channels is None else member.channels,
            language=member.language or defaults.default_language,
            listed=True,
        )


def staff_file(settings: Settings, *, workspace: str) -> Path:
    """Where `workspace`'s staff directory is."""
    return settings.crm.reminders.staff_file or workspace_dir(settings.home, workspace) / STAFF_FILE


def _item_lines(text: str) -> list[int]:
    """The 1-based line of each entry of the ``staff:`` list (or of a top-level list), for locating
    errors; [] when the shape is not that (the shape error is reported on its own)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    node: Any = root
    if isinstance(root, yaml.MappingNode):
        node = next((value for key, value in root.value if getattr(key, "value", None) == "staff"), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def parse_staff(data: Any, *, source: str = "<staff>", lines: list[int] | None = None) -> StaffDirectory:
    """The staff directory from decoded YAML (``{staff: [...]}`` or a list); raises ConfigError listing
    every problem located as ``source:line: staff[i].field: message``."""
    if data is None:
        return StaffDirectory(source=source)
    items = data.get("staff") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(
            f"{source}: expected 'staff:' with a list of staff members", details={"file": source}
        )
    lines = lines or []
    problems: list[str] = []
    members: dict[str, StaffMember] = {}
    for index, item in enumerate(items):
        line = f":{lines[index]}" if index < len(lines) else ""
        where = f"{source}{line}: staff[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with at least an id")
            continue
        try:
            member = StaffMember.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in error["loc"])
                problems.append(f"{where}{loc}: {error['msg']}")
            continue
        if owner_key(member.id) in members:
            problems.append(f"{where}.id: the id {member.id!r} is listed twice")
            continue
        members[owner_key(member.id)] = member
    if problems:
        raise ConfigError("; ".join(problems), details={"file": source, "errors": problems})
    return StaffDirectory(members, source=source)


def load_staff(path: Path | str) -> StaffDirectory:
    """The staff directory of a YAML file; a missing file is an empty directory (everyone gets the
    workspace defaults)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except FileNotFoundError:
        return StaffDirectory(source=str(path))
    except (OSError, yaml.YAMLError) as exc:  # a YAML error carries its own line and column
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"{path}: cannot be read as YAML: {reason}", details={"file": str(path)}) from exc
    return parse_staff(data, source=str(path), lines=_item_lines(text))


def workspace_staff(settings: Settings, *, workspace: str) -> StaffDirectory:
    """`workspace`'s staff directory."""
    return load_staff(staff_file(settings, workspace=workspace))


__all__ = [
    "STAFF_FILE",
    "Recipient",
    "StaffDirectory",
    "StaffMember",
    "load_staff",
    "owner_key",
    "parse_staff",
    "staff_file",
    "workspace_staff",
]
