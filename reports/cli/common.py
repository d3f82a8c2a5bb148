"""What the `earful reports` commands share: errors shown as ``error: ...`` lines with the exit status of
their kind, the workspace's report store opened and closed, models built from options with located
errors, and how a schedule reads. Nothing heavy at module level."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from core.errors import EarfulError, InvalidInput, validation_reason

if TYPE_CHECKING:
    from rich.console import Console

    from core.settings import Settings
    from reports.schedule import ReportSchedule
    from reports.store import ReportStore

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

#: Exit status of a command whose input is wrong (a bad query, an unknown brand, a cron that never fires).
BAD_INPUT = 2
#: Exit status of a command that failed otherwise (a store down, a broken configuration).
FAILED = 1


def error_lines(exc: EarfulError) -> list[str]:
    """An error as lines: each problem of ``details["errors"]`` (a file's entries) on its own, else the
    message on one line."""
    problems = exc.details.get("errors")
    if isinstance(problems, list) and problems:
        return [" ".join(str(p).split()) for p in problems]
    return [" ".join(exc.message.split()) or type(exc).__name__]


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """`command`, with the errors of the error tree shown as ``error: ...`` lines on stderr (never a
    traceback) and exit status 2 for bad input (a 4xx error: invalid, not found), 1 otherwise."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except EarfulError as exc:
            for line in error_lines(exc):
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(BAD_INPUT if 400 <= exc.http_status < 500 else FAILED) from None

    return run


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


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
    "BAD_INPUT",
    "FAILED",
    "console",
    "duration_text",
    "error_lines",
    "reason",
    "report_store",
    "reported",
    "schedule_text",
    "validated",
    "warn",
]
