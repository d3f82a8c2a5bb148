"""The sources file (``sources.yaml``): which sources to listen to, and each one's own configuration.

```yaml
workspace: acme                   # optional: the workspace these sources listen for (default: 'default')
sources:
  - name: support-export          # unique; also the cursor key and the mentions' `source`
    type: file                    # an entry point in `earful.sources`
    enabled: true                 # optional, default true
    poll_interval: 5m             # optional, `listen --follow` only: default EARFUL_LISTEN__POLL_INTERVAL
    path: exports/tickets.csv     # everything else is the type's own configuration
    mapping: {native_id: ticket_id, text: body}
```

One file, one workspace: a run listens for one workspace, so its stores, cursors, spool, rejected
items and health all belong to it. A file without ``workspace:`` (every file written before
workspaces) belongs to whichever workspace the run is for, ``default`` unless told otherwise.

Relative paths in a source's configuration (keys ``path``, ``*_path``, ``*_file``, ``*_dir``) are
resolved against the directory of the YAML file, so a sources file works from any working directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ConfigError
from core.models import DEFAULT_WORKSPACE, WorkspaceId
from core.settings import Seconds

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_PATH_KEYS = re.compile(r"^(path|.+_path|.+_file|.+_dir)$")


class SourceConfig(BaseModel):
    """One entry of ``sources:``; keys other than name/type/enabled/poll_interval are the source's
    configuration."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: str = Field(description="Unique name: cursor key, spool and rejected file name, mentions' `source`")
    type: str = Field(min_length=1, description="Source type: an entry point in `earful.sources`")
    enabled: bool = Field(True, description="A disabled source is listed in the report, never fetched")
    # Declared, so it is the flow's and never reaches the source's own options (`from_config`).
    poll_interval: Seconds | None = Field(
        None,
        gt=0,
        description="`listen --follow`: wait between polls once caught up ('30s', '5m' or seconds); "
        "default `listen.poll_interval`",
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        # The name becomes a file name (spool, rejected): keep it to a safe alphabet.
        if not _NAME.match(value):
            raise ValueError(
                "use letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit"
            )
        return value

    @property
    def options(self) -> dict[str, Any]:
        """The type-specific configuration handed to ``Source.from_config``."""
        return dict(self.model_extra or {})


class SourcesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    workspace: WorkspaceId | None = Field(
        None, description="The workspace these sources belong to; none: the run's (default 'default')"
    )
    sources: tuple[SourceConfig, ...] = ()

    def workspace_for(self, requested: str | None = None) -> str:
        """The workspace a run of these sources is for: the one `requested` (a --workspace option),
        else the file's, else ``default``. A file naming another workspace than the one requested is
        a ConfigError: its sources would write into a workspace nobody asked for."""
        if requested is not None and self.workspace is not None and requested != self.workspace:
            raise ConfigError(
                f"the sources file is for workspace {self.workspace!r}, not {requested!r}",
                details={"file_workspace": self.workspace, "requested": requested},
            )
        return requested or self.workspace or DEFAULT_WORKSPACE

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, value: tuple[SourceConfig, ...]) -> tuple[SourceConfig, ...]:
        seen: set[str] = set()
        for source in value:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} appears twice")
            seen.add(source.name)
        return value

    @property
    def enabled(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.enabled)

    @property
    def poll_intervals(self) -> dict[str, float]:
        """The sources that set their own ``poll_interval``, in seconds."""
        return {s.name: s.poll_interval for s in self.sources if s.poll_interval is not None}

    @classmethod
    def load(cls, path: Path | str) -> SourcesConfig:
        """Read and validate a sources file; every problem is a ConfigError naming the file."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read sources file {path}: {exc}", details={"path": str(path)}) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"sources file {path} is not valid YAML: {exc}", details={"path": str(path)}
            ) from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                f"sources file {path} must be a mapping with a 'sources' list", details={"path": str(path)}
            )
        try:
            config = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                f"invalid sources file {path}: {exc}",
                details={"path": str(path), "errors": exc.errors(include_url=False, include_input=False)},
            ) from exc
        return config.resolve_paths(path.parent)

    def resolve_paths(self, base: Path) -> SourcesConfig:
        """Make relative path options absolute against `base` (the sources file's directory)."""
        resolved = []
        for source in self.sources:
            data = source.model_dump()
            for key, value in source.options.items():
                if _PATH_KEYS.match(key) and isinstance(value, str) and value:
                    data[key] = str((base / Path(value).expanduser()).resolve())
            resolved.append(SourceConfig.model_validate(data))
        return SourcesConfig(workspace=self.workspace, sources=tuple(resolved))
