"""Where data waits instead of being dropped.

* :class:`Spool`: a batch the store would not take (StoreUnavailable after retries) is written to
  the workspace's directory under ``settings.spool_dir`` as one JSONL file per batch, named
  ``<source>--<batch hash>.jsonl``, atomically (temporary file, fsync, rename): a crash leaves either the
  whole file or none. ``drain(store)`` re-upserts each file (ids are deterministic, so a replay
  duplicates nothing) and deletes a file only after its upsert succeeded.

The rejected input items (what could not become a mention) are kept by `crawlers.rejected.RejectedLog`.

The spool is scoped to one workspace at construction, like the stores: files live under
``<root>/workspaces/<workspace>/`` (`core.workspaces`) and every record carries the workspace.
Files directly in the root were written before workspaces: the default workspace reads (and drains)
them too. A spooled record of another workspace is never upserted: its file is quarantined.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import EarfulError, SpoolCorrupt, is_retryable
from core.models import DEFAULT_WORKSPACE, EnrichedMention, WritePolicy
from core.workspaces import (
    RECORD_WORKSPACE,
    WorkspaceFiles,
    fsync_dir,
    safe_file_name,
    scrub_jsonl,
    write_atomically,
)
from index.base import MentionStore

log = logging.getLogger(__name__)

_SUFFIX = ".jsonl"


def batch_hash(mentions: Sequence[EnrichedMention]) -> str:
    """The same batch gets the same name, so spooling it twice keeps one file."""
    digest = hashlib.blake2b(digest_size=12)
    for mention in mentions:
        digest.update(mention.id.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


class DrainReport(BaseModel):
    """What draining the spool did at the start of a run."""

    model_config = ConfigDict(extra="forbid")

    files: int = Field(0, description="Spool files indexed and deleted")
    mentions: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    remaining: int = Field(0, description="Spool files still waiting: the store went down again")
    quarantined: list[str] = Field(
        default_factory=list,
        description="Files that can never be indexed as "
        "they are, renamed *.corrupt or *.failed and kept for a human",
    )
    errors: list[str] = Field(default_factory=list)
    after_write_errors: list[str] = Field(
        default_factory=list, description="Failures of the hand-off after a drained batch (it is indexed)"
    )


class Spool(WorkspaceFiles):
    """One JSONL file per batch that could not be indexed, for one workspace."""

    def put(self, source: str, mentions: Sequence[EnrichedMention]) -> Path:
        """Write a batch durably; returns its file. Spooling the same batch again replaces it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{safe_file_name(source)}--{batch_hash(mentions)}{_SUFFIX}"
        head = f'{{"{RECORD_WORKSPACE}":"{self.workspace}",'  # a checked id: nothing to escape
        write_atomically(path, (head + m.model_dump_json()[1:] for m in mentions))
        log.warning("spooled %d mentions of %r to %s", len(mentions), source, path)
        return path

    def pending(self) -> list[Path]:
        """Spooled batch files, oldest first (a replay keeps the order they failed in)."""
        files = [
            p
            for directory in self.directories()
            for p in directory.iterdir()
            if p.is_file() and p.name.endswith(_SUFFIX) and not p.name.startswith(".")
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def scrub(self, drop: Callable[[dict[str, Any]], bool]) -> int:
        """Remove the spooled mentions `drop` picks (privacy erasure: flows/privacy.py)."""
        return scrub_jsonl(self.pending(), self.workspace, drop)

    def load(self, path: Path) -> list[EnrichedMention]:
        """The mentions of a spool file; SpoolCorrupt for an unreadable line or one of another workspace."""
        mentions: list[EnrichedMention] = []
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    owner = data.pop(RECORD_WORKSPACE, DEFAULT_WORKSPACE) if isinstance(data, dict) else None
                    if owner != self.workspace:
                        raise SpoolCorrupt(
                            f"spool file {path.name}:{number} belongs to workspace {owner!r}, "
                            f"not {self.workspace!r}",
                            details={"path": str(path), "line": number, "workspace": owner},
                        )
                    mentions.append(EnrichedMention.model_validate(data))
                except (ValidationError, ValueError) as exc:
                    raise SpoolCorrupt(
                        f"spool file {path.name}:{number} is unreadable: {exc}",
                        details={"path": str(path), "line": number},
                    ) from exc
        return mentions

    def drain(
        self,
        store: MentionStore,
        policy: WritePolicy = WritePolicy.overwrite,
        *,
        after_write: Callable[[Sequence[EnrichedMention]], object] | None = None,
    ) -> DrainReport:
        """Re-upsert every spooled batch, deleting each file only after its upsert succeeded (and
        `after_write`, alerting, had the batch: a crash in between drains and alerts it again, both
        idempotently; an exception in `after_write` is reported in ``after_write_errors``, and the
        file is drained all the same).

        A retryable failure stops the drain (the store is most likely down again) and is re-raised,
        leaving that file and the later ones in place. A file that can never go in (unreadable, or
        refused by the store for good) is renamed ``*.corrupt`` / ``*.failed`` and reported: it must
        not block the batches behind it, and it is not deleted.
        """
        report = DrainReport()
        pending = self.pending()
        for index, path in enumerate(pending):
            try:
                mentions = self.load(path)
                result = store.upsert(mentions, policy) if mentions else None
            except EarfulError as exc:
                if is_retryable(exc):
                    report.remaining += len(pending) - index
                    report.errors.append(f"{path.name}: {exc}")
                    raise
                suffix = ".corrupt" if isinstance(exc, SpoolCorrupt) else ".failed"
                path.replace(path.with_name(path.name + suffix))
                report.quarantined.append(path.name + suffix)
                report.errors.append(f"{path.name}: {exc}")
                log.error(
                    "spool file %s cannot be indexed (%s); kept as %s", path.name, exc, path.name + suffix
                )
                continue
            if result is not None:
                report.created += result.created
                report.updated += result.updated
                report.skipped += result.skipped
                if after_write is not None:
                    try:
                        after_write(mentions)
                    except Exception as exc:
                        log.error("spool file %s: after_write failed: %s", path.name, exc, exc_info=True)
                        report.after_write_errors.append(f"{path.name}: {type(exc).__name__}: {exc}")
            report.mentions += len(mentions)
            report.files += 1
            path.unlink()
            fsync_dir(path.parent)
            log.info("drained %s (%d mentions)", path.name, len(mentions))
        return report
