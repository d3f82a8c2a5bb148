"""Files per workspace: where the spool, the rejected items and source health keep a workspace's files.

The stores on disk (`flows.spool.Spool`, `crawlers.rejected.RejectedLog`, `crawlers.health.HealthStore`) are
scoped to one workspace at construction, like the mention stores (`index.base`), and share this layout:
the files of workspace ``w`` under a root directory live in ``<root>/workspaces/<w>/``; files directly
in the root were written before workspaces and belong to the default workspace, which reads them too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.models import DEFAULT_WORKSPACE, check_workspace

RECORD_WORKSPACE = "workspace"
"""The key each JSONL record carries; a record without it was written before workspaces (default's)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_file_name(name: str) -> str:
    """A source name as a file name: anything but letters, digits, ``_ . -`` becomes ``_``."""
    return _UNSAFE.sub("_", name)[:100] or "_"


def workspace_dir(root: Path, workspace: str) -> Path:
    """``<root>/workspaces/<workspace>``: where `workspace`'s files live under `root`."""
    return root / "workspaces" / check_workspace(workspace)


class WorkspaceFiles:
    """A root directory seen from one workspace: its own `directory`, and for the default workspace the
    `legacy_directory` (the root itself) holding the files written before workspaces."""

    def __init__(self, root: Path | str, *, workspace: str) -> None:
        self.root = Path(root)
        self._workspace = check_workspace(workspace)
        self.directory = workspace_dir(self.root, workspace)
        self.legacy_directory = self.root if workspace == DEFAULT_WORKSPACE else None

    @property
    def workspace(self) -> str:
        """The workspace whose files these are; fixed when this was built."""
        return self._workspace

    def directories(self) -> list[Path]:
        """The existing directories to read, the legacy one first (its files are the older)."""
        return [d for d in (self.legacy_directory, self.directory) if d is not None and d.is_dir()]


def write_atomically(path: Path, lines: Iterator[str]) -> None:
    """Replace `path` with `lines` (temporary file, fsync, rename): a crash leaves the old file or the new."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line)
                fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry: a rename is durable only once it is on disk (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def scrub_jsonl(paths: Sequence[Path], workspace: str, drop: Callable[[dict[str, Any]], bool]) -> int:
    """Rewrite each JSONL file without the records of `workspace` that `drop` picks (atomically; a file
    left empty is removed); how many records went. Unreadable lines are kept: they are no one's."""
    removed = 0
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        kept: list[str] = []
        for line in lines:
            try:
                data = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                data = None
            if (
                isinstance(data, dict)
                and data.get(RECORD_WORKSPACE, DEFAULT_WORKSPACE) == workspace
                and drop(data)
            ):
                removed += 1
                continue
            kept.append(line)
        if len(kept) == len(lines):
            continue
        if any(line.strip() for line in kept):
            write_atomically(path, iter(kept))
        else:
            path.unlink()
            fsync_dir(path.parent)
    return removed
