"""Input items that could not become mentions, kept with where they were and why: nothing is dropped
silently.

`RejectedLog` appends one workspace's rejected items to ``<source>.jsonl`` in its directory under
``settings.rejected_dir`` (`core.workspaces` layout: files directly in the root were written before
workspaces and belong to the default workspace). Every record carries its workspace. The flows write it;
``earful crm forget`` scrubs it; the web UI's sources page reads `summary`.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.models import DEFAULT_WORKSPACE, Rejected
from core.settings import Settings
from core.workspaces import RECORD_WORKSPACE, WorkspaceFiles, safe_file_name, scrub_jsonl

_SUFFIX = ".jsonl"


class RejectedSummary(BaseModel):
    """How many items of a source were rejected, and the latest of them."""

    model_config = ConfigDict(frozen=True)

    source: str
    count: int = 0
    latest: tuple[Rejected, ...] = Field((), description="The last ones, newest first")


class RejectedLog(WorkspaceFiles):
    """Appends one workspace's rejected input items to ``<source>.jsonl`` in its directory."""

    def path(self, source: str) -> Path:
        return self.directory / f"{safe_file_name(source)}{_SUFFIX}"

    def append(self, source: str, rejected: Sequence[Rejected]) -> Path | None:
        if not rejected:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(source)
        with path.open("a", encoding="utf-8") as fh:
            for item in rejected:
                record = {RECORD_WORKSPACE: self.workspace, **item.model_dump(mode="json")}
                fh.write(json.dumps(record, ensure_ascii=False))
                fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        return path

    def _files(self) -> list[Path]:
        return [p for d in self.directories() for p in sorted(d.glob(f"*{_SUFFIX}")) if p.is_file()]

    def scrub(self, drop: Callable[[dict[str, Any]], bool]) -> int:
        """Remove the rejected items `drop` picks from every source's file (privacy erasure)."""
        return scrub_jsonl(self._files(), self.workspace, drop)

    def _records(self, source: str) -> Iterator[Rejected]:
        """This workspace's rejected items of a source, oldest first (before workspaces, then since),
        streamed: a file only grows."""
        for directory in self.directories():
            path = directory / self.path(source).name
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        data = json.loads(line)
                        if data.pop(RECORD_WORKSPACE, DEFAULT_WORKSPACE) == self.workspace:
                            yield Rejected.model_validate(data)

    def read(self, source: str) -> list[Rejected]:
        """This workspace's rejected items of a source, oldest first (before workspaces, then since)."""
        return list(self._records(source))

    def summary(self, source: str, latest: int = 5) -> RejectedSummary:
        """The count of a source's rejected items and the `latest` last ones, newest first."""
        count, last = 0, deque[Rejected](maxlen=max(latest, 0))
        for item in self._records(source):
            count += 1
            last.append(item)
        return RejectedSummary(source=source, count=count, latest=tuple(reversed(last)))

    def sources(self) -> list[str]:
        """The sources with a file of rejected items (the name the items carry; sorted)."""
        names: set[str] = set()
        for path in self._files():
            with path.open(encoding="utf-8") as fh:
                first = next((line for line in fh if line.strip()), None)
            try:
                names.add(str(json.loads(first)["source"]) if first else path.stem)
            except (ValueError, KeyError, TypeError):
                names.add(path.stem)
        return sorted(names)


def build_rejected_log(settings: Settings, *, workspace: str) -> RejectedLog:
    """The workspace's rejected-item log under ``settings.rejected_dir``."""
    return RejectedLog(settings.rejected_dir, workspace=workspace)
