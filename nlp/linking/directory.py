"""The customer lookups linking needs, as a protocol: nlp/ never imports index/ (DESIGN.md)."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from core.models import Customer

_NON_DIGITS = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
MIN_PHONE_DIGITS = 7


@runtime_checkable
class CustomerDirectory(Protocol):
    """Exact lookups over the customer master file. Each returns every customer that matches (an empty
    list when none). Implementations normalise both what they store and the arguments with the functions
    below (index/customers.py keeps a copy: index/ may not import nlp/), so callers pass raw values.
    `index.customers_testing.CustomerDirectoryContract` checks the behaviour."""

    def by_platform_user_id(self, platform: str, user_id: str) -> list[Customer]: ...

    def by_handle(self, platform: str, handle: str) -> list[Customer]: ...

    def by_handle_anywhere(self, handle: str) -> list[Customer]:
        """Customers with this handle on any platform: weak evidence, for scored candidates."""
        ...

    def by_email(self, email: str) -> list[Customer]: ...

    def by_phone(self, phone: str) -> list[Customer]: ...

    def by_order_number(self, order_number: str) -> list[Customer]:
        """Customers who placed this order (order numbers come from the master file's optional
        `order_numbers` column; they are kept by the directory, not in `Customer`)."""
        ...

    def get(self, customer_id: str) -> Customer | None:
        """The customer with this id (`Customer.id`), or None."""
        ...


def normalize_platform(platform: str) -> str:
    return platform.strip().lower()


def normalize_handle(handle: str) -> str:
    """Handles compare without '@' and case-insensitively, as platforms treat them."""
    return handle.strip().lstrip("@").casefold()


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def normalize_phone(phone: str) -> str:
    """Digits only: '+86 138-0013-8000' and '008613800138000' differ, '+86 138 0013 8000' does not.
    Fewer than 7 digits is not a phone number: ''."""
    digits = _NON_DIGITS.sub("", phone)
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def normalize_order_number(order_number: str) -> str:
    """'#a-12345' and 'A12345' are the same order: ASCII letters and digits only, upper case."""
    return _NON_ALNUM.sub("", order_number).upper()
