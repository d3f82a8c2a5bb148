"""The archive of built reports: every run's files (HTML, PDF, CSV zip, XLSX) and its record, on disk
under ``<settings.reports_dir>/<workspace>/<report or 'adhoc'>/<run id>/``, listed and downloaded by the
API, the UI and the CLI, attached to deliveries by path (the outbox keeps a path, never the bytes).

A run's id hashes (workspace, report, period start, period end, time zone, language) (`report_run_id`):
building the same report for the same period again replaces its files and keeps one entry, so a schedule
that fires twice archives (and delivers) one report.

A run is written whole or not at all: its files and ``manifest.json`` go to a hidden temporary folder
beside it (``.tmp-...``), which is then renamed into place; a run that is replaced is first renamed aside
(``.old-...``) and removed after. A crash leaves either the old run, the new one, or (between the two
renames) neither, never half of one; hidden folders are not runs, and the next save removes them. A
``manifest.json`` that does not read as an `ArchivedReport` of its folder is skipped with a warning.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC
from pathlib import Path
from typing import Final

from pydantic import Field, ValidationError

from core.errors import InvalidInput, NotFound, StoreError
from core.models import AwareDatetime, Frozen, check_workspace
from core.settings import ReportLanguage, Settings
from core.workspaces import fsync_dir
from reports.data import ReportData
from reports.definitions import FILE_EXTENSIONS, MEDIA_TYPES, ReportFormat
from reports.period import ReportPeriod

log = logging.getLogger(__name__)

MANIFEST: Final = "manifest.json"
ADHOC: Final = "adhoc"
"""The folder (and file name prefix) of a report built without a definition (`ReportData.name` '')."""
_REPORT_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # as `ReportDefinition.name`
_RUN_ID: Final = re.compile(r"^[0-9a-f]{32}$")
_FILE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")  # a plain name, never a path


class ArchivedFile(Frozen):
    format: ReportFormat
    filename: str = Field(
        pattern=_FILE_NAME.pattern,
        description="Within the run's folder: <report>-<first day>[_<last day>].<ext>",
    )
    media_type: str
    size: int = Field(ge=0)


class ArchivedReport(Frozen):
    """One built report, as `manifest.json` in its folder records it."""

    id: str = Field(pattern=_RUN_ID.pattern)
    workspace: str
    report: str = Field(
        pattern=rf"^$|{_REPORT_NAME.pattern}", description="The definition's name ('' for an ad-hoc report)"
    )
    title: str
    language: ReportLanguage
    timezone: str
    period_name: str
    start: AwareDatetime
    end: AwareDatetime
    built_at: AwareDatetime
    files: tuple[ArchivedFile, ...]
    total: int = Field(ge=0, description="Mentions the report counted (distinct, every brand)")
    brands: tuple[str, ...] = ()

    def file(self, fmt: ReportFormat | str) -> ArchivedFile | None:
        """The file of that format, if the run has one."""
        return next((f for f in self.files if f.format == fmt), None)


def report_run_id(workspace: str, report: str, period: ReportPeriod, language: str) -> str:
    """Id of a report run: a hash of (workspace, report, period bounds in UTC, time zone, language), 32 hex
    characters, the way `core.ids` makes ids. The same report of the same period is one run."""
    parts = (
        "report-run",
        workspace,
        report,
        period.start.astimezone(UTC).isoformat(),
        period.end.astimezone(UTC).isoformat(),
        period.timezone,
        language,
    )
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def check_report_name(report: str) -> str:
    """A report name that is safe as a folder and file name; InvalidInput for anything that could name
    another folder ('..', '/', a drive, a hidden name...)."""
    if not _REPORT_NAME.fullmatch(report):
        raise InvalidInput(
            f"invalid report name {report!r}: letters, digits, '-', '_', '.' (starting with a letter or "
            "a digit, at most 100)",
            details={"report": report},
        )
    return report


def check_run_id(run_id: str) -> str:
    """A run id as `report_run_id` makes them (32 lowercase hex characters); InvalidInput otherwise."""
    if not _RUN_ID.fullmatch(run_id):
        raise InvalidInput(
            f"invalid report run id {run_id!r}: 32 hexadecimal characters", details={"run_id": run_id}
        )
    return run_id


def file_name(report: str, period: ReportPeriod, fmt: ReportFormat) -> str:
    """``<report>-<first day>[_<last day>].<ext>``: the local days the period covers."""
    first, last = period.first_day, period.last_day
    days = first.isoformat() if first == last else f"{first.isoformat()}_{last.isoformat()}"
    return f"{report}-{days}.{FILE_EXTENSIONS[fmt]}"


def _write(path: Path, content: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())


class ReportArchive:
    """One workspace's built reports under ``settings.reports_dir``; nothing is created before a save."""

    def __init__(self, settings: Settings, *, workspace: str) -> None:
        self._workspace = check_workspace(workspace)
        self.root = settings.reports_dir / self._workspace

    @property
    def workspace(self) -> str:
        return self._workspace

    # --- writing ---------------------------------------------------------------------------------
    def save(self, data: ReportData, files: Mapping[ReportFormat, bytes]) -> ArchivedReport:
        """Archive one run: `files` (format -> content) and its manifest, atomically; a run of the same
        id (the same report, period and language) is replaced."""
        if data.workspace != self._workspace:
            raise InvalidInput(
                f"a report of workspace {data.workspace!r} cannot be archived in {self._workspace!r}",
                details={"workspace": data.workspace, "archive": self._workspace},
            )
        if not files:
            raise InvalidInput(
                "a report run needs at least one file to archive", details={"report": data.name}
            )
        report = check_report_name(data.name or ADHOC)
        run_id = report_run_id(self._workspace, data.name, data.period, data.language)
        contents: dict[ReportFormat, bytes] = {}
        for fmt, content in files.items():
            try:
                contents[ReportFormat(fmt)] = bytes(content)
            except ValueError:
                raise InvalidInput(
                    f"unknown report format {fmt!r}",
                    details={"format": str(fmt), "formats": list(ReportFormat)},
                ) from None
        entries = tuple(
            ArchivedFile(
                format=fmt,
                filename=file_name(report, data.period, fmt),
                media_type=MEDIA_TYPES[fmt],
                size=len(contents[fmt]),
            )
            for fmt in ReportFormat  # in the enum's order, whatever the mapping's
            if fmt in contents
        )
        archived = ArchivedReport(
            id=run_id,
            workspace=self._workspace,
            report=data.name,
            title=data.title,
            language=data.language,
            timezone=data.timezone,
            period_name=data.period.name,
            start=data.period.start,
            end=data.period.end,
            built_at=data.generated_at,
            files=entries,
            total=data.total,
            brands=tuple(b.brand for b in data.brands),
        )
        folder = self.root / report
        final = folder / run_id
        tmp = folder / f".tmp-{run_id}-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            for entry in entries:
                _write(tmp / entry.filename, contents[entry.format])
            _write(tmp / MANIFEST, archived.model_dump_json(indent=2).encode("utf-8"))
            fsync_dir(tmp)
            if final.exists():
                old = folder / f".old-{run_id}-{uuid.uuid4().hex}"
                final.rename(old)
                tmp.rename(final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(final)
            fsync_dir(folder)
        except OSError as exc:
            raise StoreError(
                f"could not archive report {report} in {folder}: {exc}",
                details={"report": report, "run_id": run_id, "path": str(folder)},
            ) from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self._sweep(folder, run_id)
        return archived

    def _sweep(self, folder: Path, run_id: str) -> None:
        """Remove what an interrupted save of this run left (hidden temporary or replaced folders)."""
        for stale in folder.glob(f".*-{run_id}-*"):
            shutil.rmtree(stale, ignore_errors=True)

    def delete(self, run_id: str) -> bool:
        """Remove a run's folder (renamed aside first, so it disappears at once); False when absent."""
        check_run_id(run_id)
        removed = False
        for folder in self._run_folders(run_id):
            aside = folder.with_name(f".del-{run_id}-{uuid.uuid4().hex}")
            try:
                folder.rename(aside)
            except FileNotFoundError:  # deleted in between
                continue
            except OSError as exc:
                raise StoreError(
                    f"could not delete report run {run_id} ({folder}): {exc}",
                    details={"run_id": run_id, "path": str(folder)},
                ) from exc
            shutil.rmtree(aside, ignore_errors=True)
            removed = True
        return removed

    # --- reading ---------------------------------------------------------------------------------
    def _report_folders(self, report: str | None) -> Iterator[Path]:
        if report is not None:
            folder = self.root / check_report_name(report or ADHOC)
            if folder.is_dir():
                yield folder
            return
        if self.root.is_dir():
            yield from (p for p in sorted(self.root.iterdir()) if p.is_dir() and not p.name.startswith("."))

    def _run_folders(self, run_id: str) -> builtins.list[Path]:
        return [folder / run_id for folder in self._report_folders(None) if (folder / run_id).is_dir()]

    def _load(self, folder: Path) -> ArchivedReport | None:
        """The run in `folder`, or None (with a warning naming the file) when its manifest is missing,
        unreadable or not this folder's run."""
        path = folder / MANIFEST
        try:
            archived = ArchivedReport.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("skipped the archived report %s: its manifest does not read (%s)", path, exc)
            return None
        if archived.id != folder.name or archived.workspace != self._workspace:
            log.warning(
                "skipped the archived report %s: its manifest is of run %s in workspace %s",
                path,
                archived.id,
                archived.workspace,
            )
            return None
        return archived

    def list(self, report: str | None = None, limit: int = 100) -> builtins.list[ArchivedReport]:
        """The runs (of one report: its definition's name, '' for ad-hoc ones), newest first by
        `built_at`; unreadable ones are skipped with a warning."""
        found: builtins.list[ArchivedReport] = []
        for folder in self._report_folders(report):
            for run in sorted(folder.iterdir()):
                if run.name.startswith(".") or not run.is_dir():
                    continue
                archived = self._load(run)
                if archived is not None and (report is None or archived.report == report):
                    found.append(archived)
        found.sort(key=lambda a: (a.built_at, a.id), reverse=True)
        return found[: max(int(limit), 0)]

    def get(self, run_id: str) -> ArchivedReport | None:
        check_run_id(run_id)
        for folder in self._run_folders(run_id):
            archived = self._load(folder)
            if archived is not None:
                return archived
        return None

    def folder(self, archived: ArchivedReport) -> Path:
        """Where a run's files are."""
        return self.root / check_report_name(archived.report or ADHOC) / check_run_id(archived.id)

    def file_path(self, run_id: str, fmt: ReportFormat | str) -> Path:
        """The file of one format of a run; NotFound (with what there is) when the run or the file is
        absent."""
        archived = self.get(run_id)
        if archived is None:
            raise NotFound(
                f"no archived report run {run_id} in workspace {self._workspace}",
                details={"run_id": run_id, "workspace": self._workspace},
            )
        entry = archived.file(fmt)
        formats = [f.format.value for f in archived.files]
        if entry is None:
            raise NotFound(
                f"report run {run_id} has no {fmt} file (it has: {', '.join(formats)})",
                details={"run_id": run_id, "format": str(fmt), "formats": formats},
            )
        path = self.folder(archived) / entry.filename
        if not path.is_file():
            raise NotFound(
                f"the {fmt} file of report run {run_id} is missing from the archive ({path})",
                details={"run_id": run_id, "format": str(fmt), "path": str(path)},
            )
        return path


__all__ = [
    "ADHOC",
    "MANIFEST",
    "ArchivedFile",
    "ArchivedReport",
    "ReportArchive",
    "check_report_name",
    "check_run_id",
    "file_name",
    "report_run_id",
]
