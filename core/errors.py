"""The one error tree of Earful.

Every error carries ``retryable``: flows retry on it, the API maps it to 503 instead of 4xx/500.
Errors are picklable (Prefect ships task exceptions across processes), so every subclass keeps its
constructor arguments in ``self.args`` order via ``__reduce__``.
"""

from __future__ import annotations

import unicodedata
from typing import Any, ClassVar


class EarfulError(Exception):
    """Root of all errors Earful raises on purpose."""

    retryable: ClassVar[bool] = False
    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "earful_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details, self.__dict__))

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by the CLI and the HTTP API."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "retryable": self.retryable,
                "details": self.details,
            }
        }

    def __str__(self) -> str:
        return self.message


def _rebuild(
    cls: type[EarfulError], message: str, details: dict[str, Any], state: dict[str, Any]
) -> EarfulError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    err.message = message
    err.details = details
    return err


# --- configuration -------------------------------------------------------------------------------
class ConfigError(EarfulError):
    """Settings are invalid or contradict each other."""

    http_status = 500
    code = "config_error"


class NotConfigured(ConfigError):
    """A component lacks its configuration (credentials, URL...). It is logged as disabled."""

    code = "not_configured"


# --- input ---------------------------------------------------------------------------------------
class InvalidInput(EarfulError):
    """Input that will never become valid by retrying: a malformed row, a bad query."""

    http_status = 400
    code = "invalid_input"


class QuerySyntaxError(InvalidInput):
    """A query that cannot be parsed: where (`position`, an offset into `query`), what was expected,
    and a `render()` that shows the query with a caret under the position."""

    code = "query_syntax_error"

    def __init__(
        self,
        message: str,
        *,
        query: str = "",
        position: int = -1,
        expected: tuple[str, ...] = (),
        reason: str = "syntax",
        details: dict[str, Any] | None = None,
    ) -> None:
        where = {"position": position, "expected": list(expected), "reason": reason}
        super().__init__(message, details={**where, **(details or {})})
        self.query = query
        self.position = position
        self.expected = expected
        self.reason = reason  # a stable short name: unclosed_quote, wildcard_prefix, not_in_near...

    def render(self) -> str:
        """The query line, a caret under the error and the message (line/column 1-based)."""
        if self.position < 0 or not self.query:
            return f"error: {self.message}"
        pos = min(self.position, len(self.query))
        line_start = self.query.rfind("\n", 0, pos) + 1
        line_end = self.query.find("\n", pos)
        line = self.query[line_start : line_end if line_end >= 0 else len(self.query)]
        line_no = self.query.count("\n", 0, pos) + 1
        column = pos - line_start
        # East Asian wide characters take two terminal cells: keep the caret under the right one
        pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:column])
        where = f"line {line_no}, column {column + 1}" if "\n" in self.query else f"column {column + 1}"
        return f"{line}\n{' ' * pad}^\n{where}: {self.message}"


class NotFound(EarfulError):
    http_status = 404
    code = "not_found"


# --- collection ----------------------------------------------------------------------------------
class SourceError(EarfulError):
    """A source failed to fetch; the batch was not produced."""

    code = "source_error"


class SourceUnavailable(SourceError):
    """The remote side is down or timed out: try again later."""

    retryable = True
    http_status = 503
    code = "source_unavailable"


class RateLimited(SourceUnavailable):
    """The remote side asked us to slow down; ``retry_after`` seconds if it said so."""

    code = "rate_limited"
    http_status = 429

    def __init__(
        self, message: str, *, retry_after: float | None = None, details: dict[str, Any] | None = None
    ):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class UnsafeTarget(SourceError):
    """A URL the guard refuses to fetch (scheme, private address...). Never retried."""

    code = "unsafe_target"


class ResponseTooLarge(SourceError):
    """A response larger than the configured maximum was abandoned."""

    code = "response_too_large"


class ApiError(SourceError):
    """The API answered with an error that retrying will not fix (bad request, bad credentials)."""

    code = "api_error"


# --- storage -------------------------------------------------------------------------------------
class StoreError(EarfulError):
    """The store rejected an operation for a reason retrying will not fix (mapping, bad request)."""

    code = "store_error"


class StoreUnavailable(StoreError):
    """The store is down, overloaded (429) or timed out: the batch is retried or spooled."""

    retryable = True
    http_status = 503
    code = "store_unavailable"


class PartialWriteError(StoreError):
    """Some items of a bulk write failed. ``failures`` lists id and reason for each; nothing is hidden."""

    code = "partial_write"

    def __init__(
        self,
        message: str,
        *,
        failures: list[dict[str, Any]] | None = None,
        retryable_failures: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.failures: list[dict[str, Any]] = list(failures or [])
        self.retryable_failures = retryable_failures

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.retryable_failures


class SchemaError(StoreError):
    """The index or table layout does not match what the code expects; run `earful index migrate`."""

    code = "schema_error"


class SpoolCorrupt(StoreError):
    """A spool file that does not parse back into mentions (edited by hand, disk damage)."""

    code = "spool_corrupt"


# --- enrichment ----------------------------------------------------------------------------------
class EnrichmentError(EarfulError):
    code = "enrichment_error"


class DatasetMissing(NotConfigured):
    """The labelled training files are not where training expects them (settings nlp.datasets_dir)."""

    code = "dataset_missing"


class ModelUnavailable(EnrichmentError):
    """Model weights are missing or failed to load."""

    code = "model_unavailable"


# --- alerting ------------------------------------------------------------------------------------
class ChannelError(EarfulError):
    code = "channel_error"


class ChannelUnavailable(ChannelError):
    retryable = True
    http_status = 503
    code = "channel_unavailable"


# --- flows ---------------------------------------------------------------------------------------
class ListenIncomplete(EarfulError):
    """A listen run did not finish every source; what is not indexed is in the spool and cursors did not
    move past it. ``report`` (a flows.listen.ListenReport) says what happened per source."""

    retryable = True  # a partial outcome is safe to rerun: the spool and cursors make it exactly-once
    http_status = 503
    code = "listen_incomplete"

    def __init__(self, message: str, *, report: Any = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.report = report


# --- infrastructure ------------------------------------------------------------------------------
class InfraError(EarfulError):
    """Provisioning a local service failed (download, start, health)."""

    code = "infra_error"


def is_retryable(exc: BaseException) -> bool:
    """The single rule flows use to decide whether to retry."""
    return bool(getattr(exc, "retryable", False)) if isinstance(exc, EarfulError) else False
