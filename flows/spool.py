"""Where data waits instead of being dropped.

* :class:`Spool`: a batch the store would not take (StoreUnavailable after retries) is written to
  ``settings.spool_dir`` as one JSONL file per batch, named ``<source>--<batch hash>.jsonl``, atomically
  (temporary file, fsync, rename): a crash leaves either the whole file or none. ``drain(store)``
  re-upserts each file (ids are deterministic, so a replay duplicates nothing) and deletes a file only
  after its upsert succeeded.
* :class:`RejectedLog`: input items that could not become mentions, appended to
  ``settings.rejected_dir/<source>.jsonl`` with where they were and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import EarfulError, SpoolCorrupt, is_retryable
from core.models import EnrichedMention, Rejected, WritePolicy
from index.base import MentionStore

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_SUFFIX = ".jsonl"


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:100] or "_"


def batch_hash(mentions: Sequence[EnrichedMention]) -> str:
    """The same batch gets the same name, so spooling it twice keeps one file."""
    digest = hashlib.blake2b(digest_size=12)
    for mention in mentions:
        digest.update(mention.id.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def _write_atomically(path: Path, lines: Iterator[str]) -> None:
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
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
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


class Spool:
    """One JSONL file per batch that could not be indexed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, source: str, mentions: Sequence[EnrichedMention]) -> Path:
        """Write a batch durably; returns its file. Spooling the same batch again replaces it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{_safe(source)}--{batch_hash(mentions)}{_SUFFIX}"
        _write_atomically(path, (m.model_dump_json() for m in mentions))
        log.warning("spooled %d mentions of %r to %s", len(mentions), source, path)
        return path

    def pending(self) -> list[Path]:
        """Spooled batch files, oldest first (a replay keeps the order they failed in)."""
        if not self.directory.is_dir():
            return []
        files = [
            p
            for p in self.directory.iterdir()
            if p.is_file() and p.name.endswith(_SUFFIX) and not p.name.startswith(".")
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def load(self, path: Path) -> list[EnrichedMention]:
        mentions: list[EnrichedMention] = []
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    mentions.append(EnrichedMention.model_validate_json(line))
                except ValidationError as exc:
                    raise SpoolCorrupt(
                        f"spool file {path.name}:{number} is unreadable: {exc}",
                        details={"path": str(path), "line": number},
                    ) from exc
        return mentions

    def drain(self, store: MentionStore, policy: WritePolicy = WritePolicy.overwrite) -> DrainReport:
        """Re-upsert every spooled batch, deleting each file only after its upsert succeeded.

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
            report.mentions += len(mentions)
            report.files += 1
            path.unlink()
            _fsync_dir(self.directory)
            log.info("drained %s (%d mentions)", path.name, len(mentions))
        return report


class RejectedLog:
    """Appends rejected input items to ``<dir>/<source>.jsonl``: nothing is dropped silently."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, source: str) -> Path:
        return self.directory / f"{_safe(source)}{_SUFFIX}"

    def append(self, source: str, rejected: Sequence[Rejected]) -> Path | None:
        if not rejected:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(source)
        with path.open("a", encoding="utf-8") as fh:
            for item in rejected:
                fh.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False))
                fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        return path

    def read(self, source: str) -> list[Rejected]:
        path = self.path(source)
        if not path.exists():
            return []
        return [
            Rejected.model_validate_json(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
