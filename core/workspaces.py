"""Files per workspace: where the spool, the rejected items and source health keep a workspace's files.

The stores on disk (`flows.spool.Spool`, `flows.spool.RejectedLog`, `crawlers.health.HealthStore`) are
scoped to one workspace at construction, like the mention stores (`index.base`), and share this layout:
the files of workspace ``w`` under a root directory live in ``<root>/workspaces/<w>/``; files directly
in the root were written before workspaces and belong to the default workspace, which reads them too.
"""

from __future__ import annotations

from pathlib import Path

from core.models import DEFAULT_WORKSPACE, check_workspace


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
