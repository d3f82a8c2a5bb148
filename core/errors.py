"""The one error tree of Earful.

Every error carries ``retryable``: flows retry on it, the API maps it to 503 instead of 4xx/500.
Errors are picklable (Prefect ships task exceptions across processes), so every subclass keeps its
constructor arguments in ``self.args`` order via ``__reduce__``.
"""

from __future__ import annotations

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


# --- enrichment ----------------------------------------------------------------------------------
class EnrichmentError(EarfulError):
    code = "enrichment_error"


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


# --- infrastructure ------------------------------------------------------------------------------
class InfraError(EarfulError):
    """Provisioning a local service failed (download, start, health)."""

    code = "infra_error"


def is_retryable(exc: BaseException) -> bool:
    """The single rule flows use to decide whether to retry."""
    return bool(getattr(exc, "retryable", False)) if isinstance(exc, EarfulError) else False
