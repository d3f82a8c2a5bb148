"""What every settings section shares: one base model, and the version that identifies Earful."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_seconds(value: Any) -> Any:
    """A duration as seconds: a number, or a string like ``"90"``, ``"30s"``, ``"5m"``, ``"1h"``.
    Anything else is left for pydantic to refuse with its own message."""
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found:
            return float(found.group(1)) * _UNIT_SECONDS[(found.group(2) or "s").lower()]
    return value


# Settings and config files write durations the way people say them; code reads float seconds.
Seconds = Annotated[float, BeforeValidator(parse_seconds)]


class Section(BaseModel):
    """Base of every nested settings section: unknown keys are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def earful_version() -> str:
    try:
        return version("earful")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
