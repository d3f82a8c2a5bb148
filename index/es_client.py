"""Build the Elasticsearch client from settings, and translate its errors into Earful's error tree.

Nothing here runs at import time: the client is built when a store (or a command) asks for it.
The transport retries connection errors, timeouts and gateway errors (502/503/504) itself, without a
delay; 429 is left to the bulk writer, which retries it with exponential backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.errors import StoreError, StoreUnavailable
from core.settings import ElasticsearchSettings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

# Retried by the transport. 429 is not: it needs a backoff, which the transport does not do.
TRANSPORT_RETRY_STATUSES = (502, 503, 504)


def build_client(settings: ElasticsearchSettings) -> Elasticsearch:
    """An `Elasticsearch` client configured from ``settings`` (hosts, auth, TLS, timeouts, retries)."""
    from elasticsearch import Elasticsearch

    options: dict[str, Any] = {
        "request_timeout": settings.request_timeout,
        "retry_on_timeout": True,
        "max_retries": settings.max_retries,
        "retry_on_status": TRANSPORT_RETRY_STATUSES,
        "verify_certs": settings.verify_certs,
    }
    if settings.api_key is not None:
        options["api_key"] = settings.api_key.get_secret_value()
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password is not None else ""
        options["basic_auth"] = (settings.username, password)
    if settings.ca_certs is not None:
        options["ca_certs"] = str(settings.ca_certs)
    return Elasticsearch(list(settings.hosts), **options)


def api_error_details(exc: Exception) -> dict[str, Any]:
    """Status, error type and reason of an Elasticsearch error, for `EarfulError.details`."""
    details: dict[str, Any] = {"exception": type(exc).__name__}
    status = getattr(getattr(exc, "meta", None), "status", None)
    if isinstance(status, int):
        details["status"] = status
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        details["type"] = error.get("type")
        details["reason"] = error.get("reason")
    elif error is not None:
        details["reason"] = str(error)
    else:
        details["reason"] = str(exc)
    return details


def is_unavailable_status(status: int) -> bool:
    """Statuses that mean "try again later": overloaded (429) or a server-side failure (5xx)."""
    return status == 429 or status >= 500


def translate(exc: Exception, action: str) -> StoreError:
    """The Earful error for an exception the Elasticsearch client raised during ``action``."""
    from elasticsearch import ApiError, SerializationError, TransportError

    if isinstance(exc, SerializationError):  # a body that is not JSON: retrying will not help
        return StoreError(f"could not {action}: {exc}", details={"action": action, "reason": str(exc)})
    if isinstance(exc, ApiError):
        details = api_error_details(exc)
        details["action"] = action
        status = details.get("status", 500)
        if is_unavailable_status(status):
            return StoreUnavailable(f"Elasticsearch could not {action} (HTTP {status})", details=details)
        return StoreError(f"Elasticsearch rejected {action}: {details.get('reason')}", details=details)
    if isinstance(exc, TransportError):
        # Connection refused, timeouts, TLS failures: after the transport's own retries.
        return StoreUnavailable(
            f"Elasticsearch is unreachable ({action}): {exc}",
            details={"action": action, "exception": type(exc).__name__, "reason": str(exc)},
        )
    return StoreError(f"Unexpected error during {action}: {exc!r}", details={"action": action})


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a block of client calls, re-raising client errors as StoreUnavailable or StoreError."""
    from elasticsearch import ApiError, TransportError

    try:
        yield
    except (ApiError, TransportError) as exc:
        raise translate(exc, action) from exc
