"""Deterministic customer linking: exact identifiers only, strongest first.

1. the author's platform user id  -> confidence 1.0, method 'platform_user_id'
2. the author's handle on that platform -> 0.9, 'handle'
3. an email address or phone number written in the mention -> 0.8, 'email' / 'phone'

A step that matches several customers is ambiguous and links nobody (the next step may still link).
Customers who did not consent to profiling are never linked. `ScoredLinker` (below) adds scored
candidates, a confidence threshold and confirm/reject feedback.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol, runtime_checkable

from core.customer_keys import author_keys, normalize_email, normalize_phone
from core.models import Customer, CustomerLink, RawMention
from nlp.linking.candidates import CandidateFinder, KeyKind
from nlp.linking.directory import CustomerDirectory
from nlp.linking.feedback import LinkFeedbackStore, Verdict
from nlp.linking.scorer import score

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


DEFAULT_THRESHOLD = 0.75  # the lead wires `nlp.link_threshold` into it
DEFAULT_MARGIN = 0.1


class ScoredLinker:
    """Candidates from exact keys, scored with soft signals; feedback first. See docs/customers.md.

    1. feedback (`LinkFeedbackStore`, keyed by `customer_keys.author_keys`): the newest confirmed customer
       links at 1.0, method 'manual'; rejected customers are dropped from the candidates for good;
    2. candidates (candidates.py) of customers who consented to profiling, scored (scorer.py); when a
       platform user id matches, only the customers it matches compete;
    3. the best links when its confidence >= `threshold` and it is clearly better than the runner-up:
       ahead by `margin`, or with at most half its doubt (1 - confidence); otherwise it is ambiguous
       and nobody is linked. The method is its strongest key when the keys alone reach
       the threshold, else 'scored' (the soft signals decided).
    """

    def __init__(
        self,
        directory: CustomerDirectory,
        *,
        feedback: LinkFeedbackStore | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
        require_consent: bool = True,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.directory = directory
        self.feedback = feedback
        self.threshold = threshold
        self.margin = margin
        self.require_consent = require_consent
        self.finder = CandidateFinder(directory)

    def _allowed(self, customer: Customer) -> bool:
        return customer.consent.profiling or not self.require_consent

    def link(self, mention: RawMention) -> CustomerLink | None:
        keys = author_keys(mention)
        verdicts = self.feedback.feedback_for(keys) if self.feedback is not None else {}
        for customer_id, verdict in reversed(verdicts.items()):  # newest first
            if verdict != Verdict.confirm:
                continue
            customer = self.directory.get(customer_id)
            if customer is not None and self._allowed(customer):
                return CustomerLink(
                    customer_id=customer.id,
                    confidence=1.0,
                    method="manual",
                    evidence=(f"confirmed for {keys[0]}",),
                )
        rejected = {cid for cid, verdict in verdicts.items() if verdict == Verdict.reject}
        candidates = [
            candidate
            for candidate in self.finder.find(mention)
            if candidate.customer.id not in rejected and self._allowed(candidate.customer)
        ]
        by_user_id = [c for c in candidates if "platform_user_id" in c.kinds]
        if by_user_id:  # the platform's own user id outranks every other key: the others are not rivals
            candidates = by_user_id
        scored = sorted(
            ((score(mention, candidate), candidate.customer) for candidate in candidates),
            key=lambda pair: (-pair[0].confidence, pair[1].id),
        )
        if not scored:
            return None
        best, customer = scored[0]
        if best.confidence < self.threshold:
            return None
        if len(scored) > 1 and not _clearly_better(best.confidence, scored[1][0].confidence, self.margin):
            return None  # two people fit about as well: ambiguous
        method: LinkMethod = (
            _KEY_METHODS[best.strongest]
            if best.key_confidence >= self.threshold and best.strongest in _KEY_METHODS
            else "scored"
        )
        return CustomerLink(
            customer_id=customer.id, confidence=best.confidence, method=method, evidence=best.evidence
        )


def _clearly_better(best: float, runner_up: float, margin: float) -> bool:
    return best - runner_up >= margin or (1.0 - best) * 2 <= (1.0 - runner_up)


LinkMethod = Literal["platform_user_id", "handle", "email", "phone", "order_number", "scored"]
_KEY_METHODS: dict[KeyKind, LinkMethod] = {
    "platform_user_id": "platform_user_id",
    "handle": "handle",
    "email": "email",
    "phone": "phone",
    "order_number": "order_number",
}
