"""The one error tree of Earful.

Every error carries ``retryable``: flows retry on it, and the HTTP API answers it with 503. Errors are
picklable (Prefect ships task exceptions across processes): ``__reduce__`` rebuilds them with their
message, details and every attribute.

One HTTP mapping: ``http_status`` (class attribute; an instance may refine it, as
:class:`PartialWriteError` does) and one JSON shape, :meth:`EarfulError.to_dict`. The rule: a failure
of something *upstream* of Earful (a platform API, a site, the store, a channel) is 502 (it answered
badly) or 503 (it is unavailable or throttling us: retry later), never 429, 401/403 or 500, so that
Earful's own clients never read it as their own throttling, their own credentials or an Earful bug.

==========================  ======  =================================================================
Error                       Status  Why
==========================  ======  =================================================================
EarfulError                 500     an error of Earful's own that no subclass describes
ConfigError                 500     Earful's own settings are wrong: its operator must fix them
NotConfigured               500     a component lacks its settings (credentials, URL): the operator's
DatasetMissing              500     training data missing from Earful's own disk
InvalidInput                400     the client sent something that will never be valid
QuerySyntaxError            400     a query that does not parse (position and expected tokens)
RuleInvalid                 400     an alert rule (or a rule file) that does not validate, located
Unauthenticated             401     no valid credentials (API key or session): log in
Forbidden                   403     the credentials may not do this, or not in this workspace
CsrfFailed                  403     a session's state-changing request without its CSRF token
NotFound                    404     no such thing
Conflict                    409     it exists already (a user name), or clashes with what is stored
PayloadTooLarge             413     the request body exceeds the server's limit
LoginThrottled              429     too many failed logins: the *client* must wait (``retry_after``)
SourceError                 502     a source (site, platform) failed to produce the batch
SourceUnavailable           503     the source is down or timed out: retry later
RateLimited                 503     the *platform* throttles Earful (not 429: the client is not)
UnsafeTarget                400     the client asked for a URL the SSRF guard refuses
ResponseTooLarge            502     the upstream answer exceeded the size limit
PlatformApiError            502     the platform API refused (even its 401/403: not the client's)
StoreError                  502     the store rejected an operation
StoreUnavailable            503     the store is down, overloaded or timed out
PartialWriteError           502     some items were rejected; 503 when only retryable ones failed
SchemaError                 503     the store's layout is not the code's until `earful index migrate`
SpoolCorrupt                500     Earful's own spool file on its own disk is damaged
EnrichmentError             500     enrichment (Earful's own models) failed
ModelUnavailable            500     Earful's own model weights are missing or do not load
ChannelError                502     a notification channel (webhook, Slack...) refused
ChannelUnavailable          503     the channel is down: retry later
ListenIncomplete            503     a listen run left sources unfinished (spooled): rerun later
InfraError                  500     provisioning Earful's own local services failed
==========================  ======  =================================================================

``tests/core/test_errors.py`` holds this table as data and checks it against every class.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, ClassVar

from pydantic import ValidationError


class EarfulError(Exception):
    """Root of all errors Earful raises on purpose."""

    # Class-level defaults that an instance may refine (PartialWriteError); read them on the instance.
    retryable: bool = False
    http_status: int = 500
    code: ClassVar[str] = "earful_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details, self.__dict__))

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape shared by the CLI and the HTTP API (``status``: the HTTP status)."""
        return {
            "error": {
                "code": self.code,
                "status": self.http_status,
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


class RuleInvalid(InvalidInput):
    """An alert rule that does not validate. ``details["errors"]`` lists each problem with its ``loc``
    (file, rule index, then the field path) and message; a query error keeps its position there."""

    code = "rule_invalid"


class NotFound(EarfulError):
    http_status = 404
    code = "not_found"


# --- the HTTP API's own clients ------------------------------------------------------------------
class Unauthenticated(EarfulError):
    """No credentials, or credentials that are not (or no longer) valid: an unknown or revoked API key,
    an expired session, a disabled user, a wrong password."""

    http_status = 401
    code = "unauthenticated"


class Forbidden(EarfulError):
    """Valid credentials whose role lacks the permission, or a workspace the user is not a member of."""

    http_status = 403
    code = "forbidden"


class CsrfFailed(Forbidden):
    """A state-changing request authenticated by the session cookie without the session's CSRF token."""

    code = "csrf_failed"


class Conflict(EarfulError):
    """The thing exists already (a user name) or the change clashes with what is stored."""

    http_status = 409
    code = "conflict"


class PayloadTooLarge(InvalidInput):
    """A request body over the configured limit; refused before it is read."""

    http_status = 413
    code = "payload_too_large"


class LoginThrottled(EarfulError):
    """Too many failed logins for a user name or from an address: the client waits ``retry_after``
    seconds. The one 429 of the tree: it is Earful throttling its own client, never an upstream's limit."""

    http_status = 429
    code = "login_throttled"

    def __init__(
        self, message: str, *, retry_after: float | None = None, details: dict[str, Any] | None = None
    ) -> None:
        merged = dict(details or {})
        if retry_after is not None:
            merged["retry_after"] = math.ceil(retry_after)
        super().__init__(message, details=merged)
        self.retry_after: int | None = merged.get("retry_after")


# --- collection ----------------------------------------------------------------------------------
class SourceError(EarfulError):
    """A source failed to fetch; the batch was not produced."""

    http_status = 502
    code = "source_error"


class SourceUnavailable(SourceError):
    """The remote side is down or timed out: try again later."""

    retryable = True
    http_status = 503
    code = "source_unavailable"


class RateLimited(SourceUnavailable):
    """The remote side asked us to slow down; ``retry_after`` seconds if it said so.

    503, never 429: it is the platform throttling Earful, not Earful throttling its client."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, details: dict[str, Any] | None = None
    ):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class UnsafeTarget(SourceError):
    """A URL the guard refuses to fetch (scheme, private address...). Never retried."""

    http_status = 400
    code = "unsafe_target"


class ResponseTooLarge(SourceError):
    """A response larger than the configured maximum was abandoned."""

    code = "response_too_large"


class PlatformApiError(SourceError):
    """A platform's API answered with an error that retrying will not fix (bad request, bad credentials).

    502: the platform refused Earful, so even its 401/403 must not read as the client's credentials."""

    code = "platform_api_error"


# --- storage -------------------------------------------------------------------------------------
class StoreError(EarfulError):
    """The store rejected an operation for a reason retrying will not fix (mapping, bad request)."""

    http_status = 502
    code = "store_error"


class StoreUnavailable(StoreError):
    """The store is down, overloaded (429) or timed out: the batch is retried or spooled."""

    retryable = True
    http_status = 503
    code = "store_unavailable"


class PartialWriteError(StoreError):
    """Some items of a bulk write failed. ``failures`` lists id and reason for each; nothing is hidden.

    Not retryable as a class; an instance whose failures are all transient (the store's 429 on some
    items) is ``retryable`` and 503. The instance is the truth, as everywhere in the tree; it equals the
    class's when nothing transient failed."""

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
        if retryable_failures:
            self.retryable = True
            self.http_status = StoreUnavailable.http_status


class SchemaError(StoreError):
    """The index or table layout does not match what the code expects; run `earful index migrate`."""

    http_status = 503
    code = "schema_error"


class SpoolCorrupt(StoreError):
    """A spool file that does not parse back into mentions (edited by hand, disk damage)."""

    http_status = 500  # Earful's own file, not the store
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
    """A notification channel (webhook, Slack, e-mail...) refused a message."""

    http_status = 502
    code = "channel_error"


class ChannelUnavailable(ChannelError):
    """The channel is down or timed out: the outbox retries."""

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


def validation_reason(exc: ValidationError, *, subject: str = "item", invalid: bool = False) -> str:
    """A pydantic error as one located, human line: ``"rating: Input should be less than or equal to
    10; text: Field required"``. Errors of the whole object (no location) are located at `subject`
    ("item", "row"); `invalid` words each as ``"invalid rating: ..."``. Inputs are never included (a
    reason is stored with the rejected raw data already, and may be shown to people)."""
    prefix = "invalid " if invalid else ""
    return "; ".join(
        f"{prefix}{'.'.join(str(p) for p in error['loc']) or subject}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )
