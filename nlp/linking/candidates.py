"""Candidate customers for a mention, from exact keys only: no key, no candidate.

Keys, with the evidence each leaves (emails and phones masked: evidence is stored with the mention):
- the author's platform user id, and handle on that platform (strong);
- the author's handle on another platform (weak: people reuse handles, strangers too);
- emails and phone numbers in the text or the author's profile text;
- order numbers in the text: '#A12345', 'order no. 1234567', '订单号 1234567', '訂單編號: A-123456'.
Scoring (scorer.py) turns a candidate's keys and the softer signals into a confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from core.customer_keys import normalize_email, normalize_order_number, normalize_phone
from core.models import Customer, RawMention
from nlp.linking.directory import CustomerDirectory

KeyKind = Literal["platform_user_id", "handle", "handle_elsewhere", "email", "phone", "order_number"]

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# International or local numbers with separators: 8 to 15 digits once the separators are gone.
PHONE_RE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,20}\d(?!\w)")
_ORDER_RES = (
    re.compile(r"(?<![\w&])#\s?([A-Za-z]{0,3}-?\d{5,15})(?!\w)"),
    re.compile(
        r"\border\s*(?:no\.?|number|num|id|#)?\s*[:：#]?\s*([A-Za-z]{0,3}-?\d{4,15})(?!\w)", re.IGNORECASE
    ),
    re.compile(
        r"[订訂][单單](?:[编編]?[号號]|[编編][码碼])?\s*[:：#]?\s*([A-Za-z]{0,3}-?\d{4,15})(?![0-9A-Za-z])"
    ),
)
MIN_ORDER_DIGITS = 4


@dataclass(frozen=True, slots=True)
class KeyHit:
    kind: KeyKind
    evidence: str


@dataclass(slots=True)
class Candidate:
    customer: Customer
    hits: list[KeyHit] = field(default_factory=list)

    @property
    def kinds(self) -> set[KeyKind]:
        return {hit.kind for hit in self.hits}


def order_numbers_in(text: str) -> list[str]:
    """Normalised order numbers written in `text`, in order of appearance, without repeats."""
    found: dict[str, None] = {}
    for pattern in _ORDER_RES:
        for match in pattern.finditer(text):
            number = normalize_order_number(match.group(1))
            if sum(ch.isdigit() for ch in number) >= MIN_ORDER_DIGITS:
                found[number] = None
    return list(found)


def emails_in(text: str) -> list[str]:
    return list(dict.fromkeys(normalize_email(e) for e in EMAIL_RE.findall(text)))


def phones_in(text: str) -> list[str]:
    phones = (normalize_phone(raw) for raw in PHONE_RE.findall(text))
    return list(dict.fromkeys(p for p in phones if 8 <= len(p) <= 15))


class CandidateFinder:
    """Looks every key of a mention up in the directory; one Candidate per customer, with all its hits."""

    def __init__(self, directory: CustomerDirectory) -> None:
        self.directory = directory

    def find(self, mention: RawMention) -> list[Candidate]:
        found: dict[str, Candidate] = {}

        def add(customers: list[Customer], kind: KeyKind, evidence: str) -> None:
            for customer in customers:
                candidate = found.setdefault(customer.id, Candidate(customer))
                if all(hit.kind != kind or hit.evidence != evidence for hit in candidate.hits):
                    candidate.hits.append(KeyHit(kind, evidence))

        platform, author, directory = mention.platform, mention.author, self.directory
        if author is not None and author.native_id:
            user_id = author.native_id.strip()
            evidence = f"{platform} user id {user_id}"
            add(directory.by_platform_user_id(platform, user_id), "platform_user_id", evidence)
        if author is not None and author.handle:
            handle = author.handle.strip().lstrip("@")
            same = directory.by_handle(platform, handle)
            add(same, "handle", f"handle @{handle} on {platform}")
            same_ids = {c.id for c in same}
            elsewhere = [c for c in directory.by_handle_anywhere(handle) if c.id not in same_ids]
            add(elsewhere, "handle_elsewhere", f"handle @{handle} on another platform")
        text = f"{mention.title or ''}\n{mention.text}"
        profile = (author.profile_text or "") if author is not None else ""
        for where, body in (("text", text), ("profile", profile)):
            if not body:
                continue
            for email in emails_in(body):
                add(directory.by_email(email), "email", f"email {mask_email(email)} in {where}")
            for phone in phones_in(body):
                add(directory.by_phone(phone), "phone", f"phone {mask_phone(phone)} in {where}")
        for number in order_numbers_in(text):
            add(directory.by_order_number(number), "order_number", f"order number {number} in text")
        return list(found.values())


def mask_email(email: str) -> str:
    """Keep enough to recognise the address, not to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return "*" * (len(phone) - 4) + phone[-4:]
