"""Data-subject requests (GDPR, PIPL) across every layer: `forget` erases a customer, or one author,
from the CRM stores (crm/privacy.py), the mention store and the mentions' workflow, the alerting stores
(alerts/privacy.py), the spool (flows/spool.py) and the rejected-item files (crawlers/rejected.py);
`export` gathers everything held about a customer as one JSON document (an access request). `earful crm
forget` and `earful crm export` (crm/cli) run them through the ``earful.flows`` entry points ``forget``
and ``export``: crm may not import flows.

Plain functions, not Prefect flows: a request is run by a person, once, and must say at once what it
removed (docs/customers.md, Privacy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import Field

from alerts.privacy import alerts_about, forget_in_alerts, workflows_about
from alerts.store import build_alert_stores
from alerts.workflow import build_workflow_store
from core.customer_keys import normalize_handle, normalize_platform
from core.models import Customer, Frozen
from core.settings import Settings
from crawlers.rejected import RejectedLog
from crm.privacy import (
    author_mention_filters,
    export_customer,
    forget_author_feedback,
    forget_customer_records,
    mention_filters,
    mention_ids,
    parse_author,
    resolve_customer,
)
from flows.spool import Spool
from index.backends import build_mention_store
from index.base import MentionFilter


class ForgetReport(Frozen):
    """What a forget removed, per store, in the order it ran."""

    subject: str = Field(description="The customer (code) or author (platform:handle) forgotten")
    removed: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def _handle_pairs(customer: Customer | None, author: tuple[str, str] | None) -> set[tuple[str, str]]:
    pairs = {author} if author else set()
    for h in customer.handles if customer else ():
        if h.handle and normalize_handle(h.handle):
            pairs.add((normalize_platform(h.platform), normalize_handle(h.handle).lstrip("@")))
    return {(p, h.lstrip("@")) for p, h in pairs}


Drop = Callable[[dict[str, Any]], bool]


def _spooled_drop(ids: set[str], cid: str | None, pairs: set[tuple[str, str]]) -> Drop:
    """Whether a spooled mention (its JSON) is theirs: by id, link or author."""

    def drop(data: dict[str, Any]) -> bool:
        link, author = data.get("customer") or {}, data.get("author") or {}
        handle = normalize_handle(str(author.get("handle") or "")).lstrip("@")
        return (
            data.get("id") in ids
            or (cid is not None and link.get("customer_id") == cid)
            or (bool(handle) and (normalize_platform(str(data.get("platform", ""))), handle) in pairs)
        )

    return drop


def _rejected_drop(needles: set[str], pairs: set[tuple[str, str]]) -> Drop:
    """Whether a rejected item is theirs: its raw input names one of their ids or handles (as a whole
    word: a rejected item could not be parsed, so its text is all there is)."""
    words = [re.compile(rf"(?<![\w@])@?{re.escape(h)}(?!\w)", re.IGNORECASE) for _, h in pairs]

    def drop(data: dict[str, Any]) -> bool:
        raw = str(data.get("raw") or "")
        return any(n in raw for n in needles) or any(w.search(raw) for w in words)

    return drop


def forget(
    settings: Settings, *, workspace: str, customer: str | None = None, author: str | None = None
) -> ForgetReport:
    """Erase a customer (code or id) and everything pointing to them, or an author (PLATFORM:HANDLE)
    and their mentions. Each store is erased in turn; run it again after a failure (it is idempotent)."""
    if (customer is None) == (author is None):
        from core.errors import InvalidInput

        raise InvalidInput("give a customer or an author, not both", details={})
    found = resolve_customer(settings, workspace=workspace, customer=customer) if customer else None
    parsed = parse_author(author) if author else None
    filters: list[MentionFilter] = mention_filters(found) if found else author_mention_filters(*parsed)  # type: ignore[misc]
    removed: dict[str, int] = {}
    mentions = build_mention_store(settings, workspace=workspace)
    try:
        ids = mention_ids(mentions, filters)
        if found is not None:
            crm = forget_customer_records(settings, workspace=workspace, customer_id=found.id)
            removed |= {"customers": crm.pop("customers"), "link feedback": crm.pop("link feedback")}
        else:
            assert parsed is not None
            removed["link feedback"] = forget_author_feedback(
                settings, workspace=workspace, platform=parsed[0], handle=parsed[1]
            )
            crm = {}
        removed["mentions"] = mentions.delete(ids) if ids else 0
        removed |= crm
    finally:
        mentions.close()
    workflows = build_workflow_store(settings, workspace=workspace)
    try:  # the mentions' assignment, notes and history go with them
        removed["workflow"] = workflows.delete(ids)
    finally:
        workflows.close()
    cid = found.id if found else None
    needles = set(ids) | ({cid} if cid else set())
    stores = build_alert_stores(settings, workspace=workspace)
    try:
        removed |= forget_in_alerts(stores, needles)
    finally:
        stores.close()
    pairs = _handle_pairs(found, parsed)
    removed["spool"] = Spool(settings.spool_dir, workspace=workspace).scrub(
        _spooled_drop(set(ids), cid, pairs)
    )
    removed["rejected"] = RejectedLog(settings.rejected_dir, workspace=workspace).scrub(
        _rejected_drop(needles, pairs)
    )
    subject = found.code if found else f"{parsed[0]}:{parsed[1]}"  # type: ignore[index]
    return ForgetReport(subject=subject, removed=removed)


def export(settings: Settings, *, workspace: str, customer: str) -> dict[str, Any]:
    """Everything held about the customer (crm.privacy.export_customer) and the alerts about their
    mentions, as one JSON-ready document."""
    found = resolve_customer(settings, workspace=workspace, customer=customer)
    out = export_customer(settings, workspace=workspace, customer=found)
    needles = {m["id"] for m in out["mentions"]} | {found.id}
    stores = build_alert_stores(settings, workspace=workspace)
    try:
        about = alerts_about(stores, needles)
        out["alerts"] = [a.model_dump(mode="json") for a in about]
    finally:
        stores.close()
    workflows = build_workflow_store(settings, workspace=workspace)
    try:
        out["workflow"] = workflows_about(workflows, [m["id"] for m in out["mentions"]])
    finally:
        workflows.close()
    return out
