"""A person's verdict on a link between a mention and a customer, recorded so the linker learns
(nlp/linking/feedback.py) and applied to the stored mention at once: what `earful crm link-feedback` and
the API's confirm/reject do.

- **confirm**: that mention's author is this customer. Their mentions link to the customer from now on
  (confidence 1.0, method 'manual'), and this one is linked now.
- **reject**: the author is never this customer. This mention is unlinked when it was linked to them.

The verdict is stored under the mention's most stable author key with who gave it and when
(`crm.customers.LinkVerdict`); a later verdict on the same author and customer replaces it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import AwareDatetime, Field

from core.customer_keys import author_keys
from core.errors import InvalidInput, NotFound
from core.models import Customer, CustomerLink, EnrichedMention, Frozen
from crm.customers import LinkVerdict

if TYPE_CHECKING:
    from crm.customers import CustomerStore
    from index.base import MentionStore

Verdict = Literal["confirm", "reject"]


class LinkJudgement(Frozen):
    """What a verdict did."""

    verdict: Verdict
    mention_id: str
    customer_id: str
    customer_code: str
    author_key: str = Field(description="The author the verdict is about")
    by: str | None = Field(None, description="Who gave it")
    at: AwareDatetime
    link: CustomerLink | None = Field(None, description="The mention's link to a customer afterwards")
    changed: bool = Field(description="Whether the stored mention's link changed")


def verdict_at(verdict: LinkVerdict) -> datetime:
    return datetime.fromtimestamp(verdict.at_us / 1_000_000, tz=UTC)


def judge_link(
    directory: CustomerStore,
    store: MentionStore,
    *,
    mention_id: str,
    customer: Customer,
    verdict: str,
    by: str | None = None,
) -> LinkJudgement:
    """Record `verdict` ('confirm' or 'reject') on `mention_id`'s author being `customer`, and relink
    the stored mention accordingly. NotFound for a mention the workspace does not hold."""
    if directory.workspace != store.workspace:
        raise InvalidInput(
            "the customer directory and the mention store belong to different workspaces",
            details={"directory": directory.workspace, "store": store.workspace},
        )
    if verdict not in ("confirm", "reject"):
        raise InvalidInput(
            f"verdict must be 'confirm' or 'reject', not {verdict!r}", details={"verdict": verdict}
        )
    mention = store.get(mention_id)
    if mention is None:
        raise NotFound(
            f"no mention {mention_id!r} in workspace {store.workspace!r}",
            details={"mention_id": mention_id, "workspace": store.workspace},
        )
    key = author_keys(mention)[0]
    stored = LinkVerdict(
        author_key=key,
        customer_id=customer.id,
        verdict=verdict,
        mention_id=mention.id,
        at_us=time.time_ns() // 1000,
        by=by,
    )
    directory.put_feedback([stored])
    link: CustomerLink | None = mention.customer
    if verdict == "confirm":
        # the evidence the linker gives for a confirmed author (nlp/linking), so both read the same
        link = CustomerLink(
            customer_id=customer.id, confidence=1.0, method="manual", evidence=(f"confirmed for {key}",)
        )
    elif link is not None and link.customer_id == customer.id:
        link = None
    changed = link != mention.customer
    if changed:
        data = mention.model_dump()
        data["customer"] = link.model_dump() if link else None
        store.upsert([EnrichedMention.model_validate(data)])
        store.refresh()
    return LinkJudgement(
        verdict="confirm" if verdict == "confirm" else "reject",
        mention_id=mention.id,
        customer_id=customer.id,
        customer_code=customer.code,
        author_key=key,
        by=by,
        at=verdict_at(stored),
        link=link,
        changed=changed,
    )


def verdicts_by_mention(directory: CustomerStore, customer_id: str) -> dict[str, LinkVerdict]:
    """The newest verdict about `customer_id` given on each mention (verdicts without one left out)."""
    return {v.mention_id: v for v in directory.feedback_of(customer_id) if v.mention_id}


__all__ = ["LinkJudgement", "Verdict", "judge_link", "verdict_at", "verdicts_by_mention"]
