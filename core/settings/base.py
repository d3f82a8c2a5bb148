"""What every settings section shares: one base model, and the version that identifies Earful."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """Base of every nested settings section: unknown keys are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def earful_version() -> str:
    try:
        return version("earful")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
