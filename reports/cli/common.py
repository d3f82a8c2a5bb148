"""What the `earful reports` commands share: errors shown as ``error: ...`` lines with the exit status of
their kind, the workspace's report store opened and closed, models built from options with located
errors, and how a schedule reads. Nothing heavy at module level."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.cli_errors import reporting
from core.errors import InvalidInput, validation_reason

if TYPE_CHECKING:
    from rich.console import Console

    from core.settings import Settings
    from reports.schedule import ReportSchedule
    from reports.store import ReportStore

M = TypeVar("M", bound=BaseModel)
#: Errors as ``error: ...`` lines and the exit status of their kind (`core.cli_errors`).
reported = reporting()


def validated(model: type[M], subject: str, /, **fields: Any) -> M:
    """`model` built from `fields` (None left out: the model's default); InvalidInput naming `subject`
    and each field that is wrong."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(f"{subject}: {reason(exc, subject)}", details={"subject": subject}) from None


def reason(exc: ValidationError, subject: str) -> str:
    """`core.errors.validation_reason`, without pydantic's "Value error, " before our own messages."""
    return validation_reason(exc, subject=subject).replace("Value error, ", "")


@contextmanager
def report_store(settings: Settings, workspace: str) -> Iterator[ReportStore]:
    """The workspace's brands and report definitions, closed after."""
    from reports.store import build_report_store

    store = build_report_store(settings, workspace=workspace)
    try:
        yield store
    finally:
        store.close()


def console() -> Console:
    """A console that prints names, queries and titles as typed (nothing in them is read as markup)."""
    from rich.console import Console

    return Console(markup=False, highlight=False)


def duration_text(seconds: float) -> str:
    """90 -> '90s', 3600 -> '1h', 86400 -> '1d', 5400 -> '90m': the largest unit that divides it."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def schedule_text(schedule: ReportSchedule | None) -> str:
    """How a schedule reads in a table: ``cron 0 9 * * 1``, ``every 1d``, or ``-`` (run by hand)."""
    if schedule is None:
        return "-"
    if schedule.cron is not None:
        return f"cron {schedule.cron}"
    return f"every {duration_text(schedule.every or 0)}"


__all__ = [
    "console",
    "duration_text",
    "reason",
    "report_store",
    "reported",
    "schedule_text",
    "validated",
]
