from __future__ import annotations

import importlib
import json
import pickle
import pkgutil

import pytest
from pydantic import BaseModel, Field, ValidationError, model_validator

from core import errors
from core.errors import (
    EarfulError,
    PartialWriteError,
    RateLimited,
    StoreUnavailable,
    is_retryable,
    validation_reason,
)


def all_error_classes() -> list[type[EarfulError]]:
    found: list[type[EarfulError]] = []
    pending: list[type[EarfulError]] = [EarfulError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_pickles_with_its_state(cls: type[EarfulError]) -> None:
    err = cls("boom", details={"k": 1})
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls
    assert str(again) == "boom"
    assert again.details["k"] == 1
    assert again.retryable == err.retryable
    assert again.to_dict()["error"]["code"] == cls.code


def test_error_classes_are_all_in_the_one_module() -> None:
    # Import every module of the project so that an error class defined anywhere is seen.
    for package in ("core", "crawlers", "nlp", "index", "flows", "api"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".replicas." not in info.name and not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    outside = [
        f"{cls.__module__}.{cls.__name__}" for cls in all_error_classes() if cls.__module__ != errors.__name__
    ]
    assert outside == []


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in all_error_classes()]
    assert len(codes) == len(set(codes))


def test_json_shape() -> None:
    shape = StoreUnavailable("es down", details={"host": "x"}).to_dict()
    assert shape == {
        "error": {
            "code": "store_unavailable",
            "status": 503,
            "message": "es down",
            "retryable": True,
            "details": {"host": "x"},
        }
    }


def test_retryable_decides_by_type() -> None:
    assert is_retryable(StoreUnavailable("x"))
    assert is_retryable(RateLimited("slow", retry_after=2.5))
    assert not is_retryable(errors.InvalidInput("bad row"))
    assert not is_retryable(ValueError("not ours"))


def test_partial_write_keeps_failures_and_retryability() -> None:
    err = pickle.loads(
        pickle.dumps(PartialWriteError("2 failed", failures=[{"id": "a"}], retryable_failures=True))
    )
    assert err.failures == [{"id": "a"}]
    assert err.retryable is True
    assert err.http_status == 503
    assert RateLimited("x", retry_after=3).retry_after == 3
    assert pickle.loads(pickle.dumps(RateLimited("x", retry_after=3))).retry_after == 3


# --- the HTTP mapping ----------------------------------------------------------------------------------
# The table of core/errors.py's docstring, as data: a new class must be added here (and there) on purpose.
HTTP_STATUS = {
    "EarfulError": 500,
    "ConfigError": 500,
    "NotConfigured": 500,
    "DatasetMissing": 500,
    "InvalidInput": 400,
    "QuerySyntaxError": 400,
    "RuleInvalid": 400,
    "NotFound": 404,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "CsrfFailed": 403,
    "Conflict": 409,
    "PayloadTooLarge": 413,
    "LoginThrottled": 429,
    "SourceError": 502,
    "SourceUnavailable": 503,
    "RateLimited": 503,
    "UnsafeTarget": 400,
    "ResponseTooLarge": 502,
    "PlatformApiError": 502,
    "StoreError": 502,
    "StoreUnavailable": 503,
    "PartialWriteError": 502,
    "SchemaError": 503,
    "SpoolCorrupt": 500,
    "EnrichmentError": 500,
    "ModelUnavailable": 500,
    "ChannelError": 502,
    "ChannelUnavailable": 503,
    "ListenIncomplete": 503,
    "InfraError": 500,
}
# Failures of something upstream of Earful: never 429 (the client is not throttled), never 401/403 (its
# credentials are fine), never 500 (Earful has no bug): 502 or 503.
UPSTREAM = (errors.SourceError, errors.StoreError, errors.ChannelError)
NOT_UPSTREAM = (errors.UnsafeTarget, errors.SpoolCorrupt)  # the client's URL; Earful's own spool file


def test_the_status_table_covers_the_whole_tree() -> None:
    assert sorted(cls.__name__ for cls in all_error_classes()) == sorted(HTTP_STATUS)


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_http_status_of_every_error(cls: type[EarfulError]) -> None:
    err = cls("boom")
    assert err.http_status == cls.http_status == HTTP_STATUS[cls.__name__]
    assert err.to_dict()["error"]["status"] == cls.http_status
    assert cls.http_status in (400, 401, 403, 404, 409, 413, 429, 500, 502, 503)
    if issubclass(cls, UPSTREAM) and not issubclass(cls, NOT_UPSTREAM):
        assert cls.http_status in (502, 503), f"{cls.__name__}: an upstream failure must be 502 or 503"
    if cls.retryable:
        assert cls.http_status == 503, f"{cls.__name__} is retryable: 503 tells the client to come back"


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_retryable_agrees_at_class_and_instance_level(cls: type[EarfulError]) -> None:
    assert isinstance(cls.retryable, bool)  # a value, not a property object (which is always truthy)
    err = cls("boom")
    assert err.retryable is cls.retryable
    assert is_retryable(err) is cls.retryable
    assert pickle.loads(pickle.dumps(err)).retryable is cls.retryable


def test_a_partial_write_is_retryable_only_when_its_failures_are() -> None:
    plain = PartialWriteError("1 failed", failures=[{"id": "a", "reason": "mapping"}])
    assert PartialWriteError.retryable is False
    assert plain.retryable is PartialWriteError.retryable is False
    assert plain.http_status == PartialWriteError.http_status == 502
    transient = PartialWriteError("1 throttled", failures=[{"id": "a"}], retryable_failures=True)
    assert transient.retryable is True
    assert is_retryable(transient)
    assert transient.http_status == 503
    assert transient.to_dict()["error"] | {"details": {}} == {
        "code": "partial_write",
        "status": 503,
        "message": "1 throttled",
        "retryable": True,
        "details": {},
    }
    assert PartialWriteError.retryable is False  # the instance did not change its class


def test_upstream_throttling_and_refusals_do_not_leak_their_status() -> None:
    limited = RateLimited("reddit: HTTP 429", retry_after=30.0)
    assert limited.http_status == 503
    assert limited.to_dict()["error"]["status"] == 503
    refused = errors.PlatformApiError("x: credentials rejected (HTTP 401)", details={"status": 401})
    assert refused.http_status == 502
    assert refused.to_dict()["error"]["details"]["status"] == 401  # the platform's status stays a detail


# The client's own credentials and throttling: the only 401, 403 and 429 of the tree, none upstream.
CLIENT_ONLY = {401: "Unauthenticated", 403: "Forbidden", 429: "LoginThrottled"}


def test_401_403_429_belong_to_the_client_alone() -> None:
    for cls in all_error_classes():
        if cls.http_status in CLIENT_ONLY:
            root = getattr(errors, CLIENT_ONLY[cls.http_status])
            assert issubclass(cls, root), f"{cls.__name__}: {cls.http_status} is for the client's own"
            assert not issubclass(cls, UPSTREAM)


def test_login_throttled_says_when_to_come_back() -> None:
    err = errors.LoginThrottled("too many failed logins", retry_after=899.2)
    assert err.retry_after == 900
    assert err.to_dict()["error"]["details"] == {"retry_after": 900}
    assert pickle.loads(pickle.dumps(err)).retry_after == 900
    assert errors.CsrfFailed("no token").http_status == 403
    assert isinstance(errors.CsrfFailed("no token"), errors.Forbidden)


def test_every_error_has_the_one_json_shape() -> None:
    for cls in all_error_classes():
        shape = cls("boom", details={"k": 1}).to_dict()
        assert list(shape) == ["error"]
        assert set(shape["error"]) == {"code", "status", "message", "retryable", "details"}
        json.dumps(shape, allow_nan=False)


# --- the one validation-error formatter ------------------------------------------------------------------
class _Author(BaseModel):
    handle: str


class _Row(BaseModel):
    rating: int = Field(le=10)
    author: _Author

    @model_validator(mode="after")
    def _whole(self) -> _Row:
        if self.rating == 7:
            raise ValueError("seven is unlucky")
        return self


def _error(data: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        _Row.model_validate(data)
    return info.value


def test_validation_reason_locates_each_error_and_never_echoes_the_input() -> None:
    exc = _error({"rating": 99, "author": {"handle": None}})
    assert validation_reason(exc) == (
        "rating: Input should be less than or equal to 10; author.handle: Input should be a valid string"
    )
    assert validation_reason(exc, invalid=True).startswith("invalid rating: ")
    assert "; invalid author.handle: " in validation_reason(exc, invalid=True)
    secret = _error({"rating": "s3cr3t-token", "author": {"handle": "a"}})
    assert "s3cr3t" not in validation_reason(secret)
    assert "http" not in validation_reason(secret)  # no documentation links


def test_validation_reason_names_the_whole_object_when_there_is_no_location() -> None:
    exc = _error({"rating": 7, "author": {"handle": "a"}})
    assert validation_reason(exc) == "item: Value error, seven is unlucky"
    assert validation_reason(exc, subject="row", invalid=True) == "invalid row: Value error, seven is unlucky"
