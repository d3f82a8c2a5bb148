"""core/customer_keys.py: the key normalisation shared by customer linking and the customer stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.customer_keys import (
    MASTER_FILE_COLUMNS,
    MASTER_FILE_REQUIRED,
    author_keys,
    normalize_email,
    normalize_handle,
    normalize_order_number,
    normalize_phone,
    normalize_platform,
)
from core.models import Author, RawMention


def mention(platform: str = "demo", author: Author | None = None) -> RawMention:
    return RawMention(
        platform=platform,
        native_id="n1",
        source="test",
        text="hi",
        author=author,
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_platform() -> None:
    assert normalize_platform(" Twitter ") == "twitter"


@pytest.mark.parametrize(
    ("raw", "key"), [(" @Ana_L ", "ana_l"), ("ÅSA", "åsa"), ("bo.chen", "bo.chen"), ("@", "")]
)
def test_handle(raw: str, key: str) -> None:
    assert normalize_handle(raw) == key


def test_email() -> None:
    assert normalize_email(" A@B.com") == "a@b.com"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+86 (138) 0013-8000", "8613800138000"),
        ("008613800138000", "008613800138000"),
        ("12-34", ""),  # fewer than 7 digits is not a phone number
        ("123-4567", "1234567"),
    ],
)
def test_phone(raw: str, key: str) -> None:
    assert normalize_phone(raw) == key


@pytest.mark.parametrize(("raw", "key"), [("#a-12345", "A12345"), (" 7654321 ", "7654321"), ("订单A1", "A1")])
def test_order_number(raw: str, key: str) -> None:
    assert normalize_order_number(raw) == key


def test_author_keys_most_stable_first() -> None:
    who = Author(platform="demo", native_id=" 42 ", handle="@Ana")
    assert author_keys(mention(author=who)) == ("demo:id:42", "demo:@ana")
    assert author_keys(mention("X", Author(platform="x", handle="b"))) == ("x:@b",)


def test_author_keys_without_an_author() -> None:
    anonymous = mention()
    assert author_keys(anonymous) == (f"mention:{anonymous.id}",)
    blank = mention(author=Author(platform="demo", native_id=" ", handle="@"))
    assert author_keys(blank) == (f"mention:{blank.id}",)


def test_master_file_columns() -> None:
    assert set(MASTER_FILE_REQUIRED) <= set(MASTER_FILE_COLUMNS)
    assert len(set(MASTER_FILE_COLUMNS)) == len(MASTER_FILE_COLUMNS)
