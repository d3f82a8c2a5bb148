"""Deterministic customer linking: exact identifiers only, strongest first.

1. the author's platform user id  -> confidence 1.0, method 'platform_user_id'
2. the author's handle on that platform -> 0.9, 'handle'
3. an email address or phone number written in the mention -> 0.8, 'email' / 'phone'

A step that matches several customers is ambiguous and links nobody (the next step may still link).
Customers who did not consent to profiling are never linked. Issue 5 adds scored, fuzzy candidates.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol, runtime_checkable

from core.models import Customer, CustomerLink, RawMention
from nlp.linking.directory import CustomerDirectory, normalize_email, normalize_phone

Method = Literal["platform_user_id", "handle", "email", "phone"]
CONFIDENCE: dict[Method, float] = {"platform_user_id": 1.0, "handle": 0.9, "email": 0.8, "phone": 0.8}

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# International or local numbers with separators: 8 to 15 digits once the separators are gone.
_PHONE_RE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,20}\d(?!\w)")


@runtime_checkable
class CustomerLinker(Protocol):
    def link(self, mention: RawMention) -> CustomerLink | None:
        """The customer who wrote `mention`, or None."""
        ...


class DeterministicLinker:
    def __init__(self, directory: CustomerDirectory, *, require_consent: bool = True) -> None:
        self.directory = directory
        self.require_consent = require_consent

    def link(self, mention: RawMention) -> CustomerLink | None:
        author = mention.author
        if author is not None and author.native_id:
            found = self._one(self.directory.by_platform_user_id(mention.platform, author.native_id))
            if found:
                return _link(found, "platform_user_id", f"{mention.platform} user id {author.native_id}")
        if author is not None and author.handle:
            found = self._one(self.directory.by_handle(mention.platform, author.handle))
            if found:
                return _link(found, "handle", f"handle @{author.handle.lstrip('@')} on {mention.platform}")
        return self._from_text(f"{mention.title or ''}\n{mention.text}")

    def _from_text(self, text: str) -> CustomerLink | None:
        matches: list[tuple[Method, str, Customer]] = []
        for email in dict.fromkeys(normalize_email(e) for e in _EMAIL_RE.findall(text)):
            matches += [
                ("email", f"email {_mask_email(email)} in text", c)
                for c in self._allowed(self.directory.by_email(email))
            ]
        for raw in _PHONE_RE.findall(text):
            phone = normalize_phone(raw)
            if 8 <= len(phone) <= 15:
                matches += [
                    ("phone", f"phone {_mask_phone(phone)} in text", c)
                    for c in self._allowed(self.directory.by_phone(phone))
                ]
        if len({customer.id for _, _, customer in matches}) != 1:
            return None  # nothing, or several people: ambiguous
        method: Method = "email" if any(m == "email" for m, _, _ in matches) else "phone"
        evidence = tuple(dict.fromkeys(e for _, e, _ in matches))
        return CustomerLink(
            customer_id=matches[0][2].id, confidence=CONFIDENCE[method], method=method, evidence=evidence
        )

    def _allowed(self, customers: list[Customer]) -> list[Customer]:
        return [c for c in customers if c.consent.profiling or not self.require_consent]

    def _one(self, customers: list[Customer]) -> Customer | None:
        distinct = {c.id: c for c in self._allowed(customers)}
        return next(iter(distinct.values())) if len(distinct) == 1 else None


def _link(customer: Customer, method: Method, evidence: str) -> CustomerLink:
    return CustomerLink(
        customer_id=customer.id, confidence=CONFIDENCE[method], method=method, evidence=(evidence,)
    )


def _mask_email(email: str) -> str:
    """Evidence is stored with the mention: keep enough to recognise the address, not to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(phone: str) -> str:
    return "*" * (len(phone) - 4) + phone[-4:]
