from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

from core import errors
from core.errors import EarfulError, PartialWriteError, RateLimited, StoreUnavailable, is_retryable


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
    assert RateLimited("x", retry_after=3).retry_after == 3
    assert pickle.loads(pickle.dumps(RateLimited("x", retry_after=3))).retry_after == 3
