"""How a command shows an error of the error tree: ``error: ...`` lines on stderr, never a traceback,
and the exit status of its kind. Shared by every package's commands (`alerts.cli`, `reports.cli`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from core.errors import EarfulError

P = ParamSpec("P")
R = TypeVar("R")

#: Exit status of a command whose input is wrong (a bad query, an unknown name, a cron that never fires).
BAD_INPUT = 2
#: Exit status of a command that failed otherwise (a store or channel down, a broken configuration).
FAILED = 1

ErrorLines = Callable[[EarfulError], list[str]]


def error_lines(exc: EarfulError) -> list[str]:
    """An error as lines: each problem of ``details["errors"]`` (a file's entries) on its own, else the
    message on one line."""
    problems = exc.details.get("errors")
    if isinstance(problems, list) and problems:
        return [" ".join(str(p).split()) for p in problems]
    return [" ".join(exc.message.split()) or type(exc).__name__]


def reporting(lines: ErrorLines = error_lines) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator: the command, with errors of the error tree shown by `lines` and exit status 2 for
    bad input (a 4xx error: invalid, not found), 1 otherwise."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except EarfulError as exc:
                for line in lines(exc):
                    typer.echo(f"error: {line}", err=True)
                raise typer.Exit(BAD_INPUT if 400 <= exc.http_status < 500 else FAILED) from None

        return run

    return decorate


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


__all__ = ["BAD_INPUT", "FAILED", "ErrorLines", "error_lines", "reporting", "warn"]
