"""Confirm/reject feedback on links, keyed by author: a person's verdict outranks any score.

A verdict is about an *author key* (who wrote the mention) and a customer:
- rejected: that author is never linked to that customer again, whatever the evidence;
- confirmed: that author's mentions link to that customer at confidence 1.0, method 'manual'.

Author keys: `<platform>:id:<user id>` when the platform gives a stable user id, `<platform>:@<handle>`
for the handle, and `mention:<id>` for a mention without an author. Feedback is recorded under the first
(most stable) key and looked up under all of them. `author_keys` lives in core/customer_keys.py, shared
with crm/customers.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Verdict(StrEnum):
    confirm = "confirm"
    reject = "reject"


@runtime_checkable
class LinkFeedbackStore(Protocol):
    """Where verdicts live. The customer directories of index/ implement it next to the customers."""

    def record_feedback(
        self, author_key: str, customer_id: str, verdict: str, mention_id: str | None = None
    ) -> None:
        """Store a verdict ('confirm' or 'reject'); a later verdict on the same pair replaces it."""
        ...

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        """customer id -> verdict for every customer judged for any of these keys, oldest verdict first
        (the newest wins when two keys disagree about one customer)."""
        ...


class InMemoryFeedbackStore:
    """A LinkFeedbackStore in a dict: for tests and for InMemoryCustomerDirectory."""

    def __init__(self) -> None:
        self._verdicts: dict[tuple[str, str], tuple[int, str]] = {}
        self._clock = 0  # insertion order stands in for time: deterministic in tests

    def record_feedback(
        self, author_key: str, customer_id: str, verdict: str, mention_id: str | None = None
    ) -> None:
        self._clock += 1
        self._verdicts[(author_key, customer_id)] = (self._clock, Verdict(verdict).value)

    def feedback_for(self, author_keys: Sequence[str]) -> dict[str, str]:
        wanted = set(author_keys)
        found = sorted(
            (tick, customer, verdict)
            for (key, customer), (tick, verdict) in self._verdicts.items()
            if key in wanted
        )
        out: dict[str, str] = {}
        for _, customer, verdict in found:
            out.pop(customer, None)  # re-insert so dict order stays oldest -> newest
            out[customer] = verdict
        return out
