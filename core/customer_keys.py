"""Customer lookup keys: the one normalisation that customer linking (nlp/linking/) and the customer
stores (crm/customers.py) share, plus the customer master file's columns (crm/master_file.py
reads them, demo/site/customers.py writes them). Here in core because nlp/, index/ and
crawlers/ may not import one another (DESIGN.md layers).
"""

from __future__ import annotations

import re

from core.models import RawMention

_NON_DIGITS = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
MIN_PHONE_DIGITS = 7

# The customer master file (CSV): every column it may have, in the order the demo file writes them.
MASTER_FILE_COLUMNS = (
    "code",
    "name",
    "tier",
    "category",
    "industry",
    "emails",
    "phones",
    "handles",
    "user_ids",
    "birthday",
    "anniversary",
    "contract_renewal",
    "owner",
    "consent_marketing",
    "consent_profiling",
    "city",
    "country",
    "order_numbers",
)
MASTER_FILE_REQUIRED = ("code", "name")


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


def author_keys(mention: RawMention) -> tuple[str, ...]:
    """The keys link feedback about this mention's author is stored under, most stable first:
    `<platform>:id:<user id>`, `<platform>:@<handle>`, or `mention:<id>` for a mention without an author."""
    keys: list[str] = []
    author = mention.author
    platform = normalize_platform(mention.platform)
    if author is not None and author.native_id and author.native_id.strip():
        keys.append(f"{platform}:id:{author.native_id.strip()}")
    if author is not None and author.handle and normalize_handle(author.handle):
        keys.append(f"{platform}:@{normalize_handle(author.handle)}")
    return tuple(keys) or (f"mention:{mention.id}",)
