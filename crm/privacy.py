"""Data-subject requests (GDPR, PIPL) on the CRM side: what the workspace holds about one customer or
one author, erased (`forget_customer_records`, the mentions with `delete_mentions`) or exported
(`export_customer`). The alerting stores and the spool are the layers above: flows/privacy.py runs
the whole request (docs/customers.md, Privacy).

Which mentions are theirs: a customer's mentions are those linked to them (links are made from the
author: a linked mention is one they posted) and those posted from any of their handles, linked or
not. They are deleted, not unlinked: they are the person's own words and their profile. Mentions by
other people that name them in the text are not theirs to erase and are not linked to them (earful
links authors, not names), so nothing points at the customer from those and they stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.customer_keys import normalize_handle, normalize_platform
from core.models import Customer
from core.settings import Settings
from index.base import MentionFilter, MentionStore

#: The stores a forget reports on, in the order its table prints them.
CRM_STORES = ("customers", "link feedback", "orders", "interactions", "cases", "scores", "merges")


def resolve_customer(settings: Settings, *, workspace: str, customer: str) -> Customer:
    """The customer by code or id; NotFound otherwise."""
    from crm.customers import build_customer_directory, find_customer

    with build_customer_directory(settings, workspace=workspace) as directory:
        return find_customer(directory, customer)


def parse_author(text: str) -> tuple[str, str]:
    """``PLATFORM:HANDLE`` as (platform, handle), normalised the way link keys are."""
    platform, sep, handle = text.partition(":")
    if not sep or not platform.strip() or not normalize_handle(handle):
        from core.errors import InvalidInput

        raise InvalidInput(f"expected PLATFORM:HANDLE, got {text!r}", details={"author": text})
    return normalize_platform(platform), normalize_handle(handle)


def _author_filters(platform: str, handle: str) -> list[MentionFilter]:
    bare = handle.lstrip("@")
    return [MentionFilter(platforms=(platform,), authors=tuple(dict.fromkeys((bare, f"@{bare}", handle))))]


def mention_filters(customer: Customer) -> list[MentionFilter]:
    """The mentions that are the customer's: linked to them, or posted from one of their handles."""
    filters = [MentionFilter(customer_ids=(customer.id,))]
    for h in customer.handles:
        if h.handle and normalize_handle(h.handle):
            filters += _author_filters(normalize_platform(h.platform), normalize_handle(h.handle))
    return filters


def author_mention_filters(platform: str, handle: str) -> list[MentionFilter]:
    return _author_filters(platform, handle)


def mention_ids(store: MentionStore, filters: Iterable[MentionFilter]) -> list[str]:
    return list(dict.fromkeys(m.id for f in filters for m in store.export(f)))


def author_keys(customer: Customer) -> list[str]:
    """The link-feedback keys of the customer's handles (core.customer_keys.author_keys' format)."""
    keys = []
    for h in customer.handles:
        platform = normalize_platform(h.platform)
        if h.user_id and h.user_id.strip():
            keys.append(f"{platform}:id:{h.user_id.strip()}")
        if h.handle and normalize_handle(h.handle):
            keys.append(f"{platform}:@{normalize_handle(h.handle)}")
    return keys


def forget_customer_records(settings: Settings, *, workspace: str, customer_id: str) -> dict[str, int]:
    """Erase the customer from every CRM store; what each store removed (`CRM_STORES`)."""
    from crm.cases.store import build_case_store
    from crm.customers import build_customer_directory
    from crm.identity.audit import build_merge_audit_store
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from crm.scores import build_score_store

    removed: dict[str, int] = {}
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        verdicts = directory.feedback_of(customer_id)
        removed["link feedback"] = directory.delete_feedback(
            [(v.author_key, v.customer_id) for v in verdicts]
        )
        removed["customers"] = directory.delete([customer_id])
    finally:
        directory.close()
    for name, build in (("orders", build_order_store), ("interactions", build_interaction_store)):
        records = build(settings, workspace=workspace)
        try:
            removed[name] = records.delete_customer(customer_id)
        finally:
            records.close()
    cases = build_case_store(settings, workspace=workspace)
    try:
        removed["cases"] = cases.delete_customer(customer_id)
    finally:
        cases.close()
    scores = build_score_store(settings, workspace=workspace)
    try:
        removed["scores"] = int(scores.delete(customer_id))
    finally:
        scores.close()
    audit = build_merge_audit_store(settings, workspace=workspace)
    try:
        removed["merges"] = audit.delete_involving(customer_id)
    finally:
        audit.close()
    return {name: removed[name] for name in CRM_STORES}


def forget_author_feedback(settings: Settings, *, workspace: str, platform: str, handle: str) -> int:
    """Erase the link feedback stored under an author's key (every customer it was about)."""
    from crm.customers import build_customer_directory

    key = f"{platform}:@{handle}"
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        about = directory.feedback_for([key])
        return directory.delete_feedback([(key, customer) for customer in about])
    finally:
        directory.close()


def export_customer(settings: Settings, *, workspace: str, customer: Customer) -> dict[str, Any]:
    """Everything the CRM and the mention store hold about the customer, as JSON-ready data."""
    from crm.cases.store import CaseFilter, build_case_store
    from crm.customers import build_customer_directory
    from crm.identity.audit import build_merge_audit_store
    from crm.interactions import build_interaction_store
    from crm.orders import build_order_store
    from crm.scores import build_score_store
    from index.backends import build_mention_store

    cid = customer.id
    out: dict[str, Any] = {"workspace": workspace, "customer": customer.model_dump(mode="json")}
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        out["order_numbers"] = list(directory.order_numbers(cid))
        out["link_feedback"] = [v.model_dump(mode="json") for v in directory.feedback_of(cid)]
    finally:
        directory.close()
    mentions = build_mention_store(settings, workspace=workspace)
    try:
        found = {m.id: m for f in mention_filters(customer) for m in mentions.export(f)}
    finally:
        mentions.close()
    out["mentions"] = [m.model_dump(mode="json") for m in found.values()]
    for name, build in (("interactions", build_interaction_store), ("orders", build_order_store)):
        records = build(settings, workspace=workspace)
        try:
            out[name] = [r.model_dump(mode="json") for r in records.list(cid)]
        finally:
            records.close()
    cases = build_case_store(settings, workspace=workspace)
    try:
        out["cases"] = [c.model_dump(mode="json") for c in cases.list(CaseFilter(customer_id=cid))]
    finally:
        cases.close()
    scores = build_score_store(settings, workspace=workspace)
    try:
        score = scores.get(cid)
    finally:
        scores.close()
    out["scores"] = score.model_dump(mode="json") if score is not None else None
    audit = build_merge_audit_store(settings, workspace=workspace)
    try:
        merges = [m for m in audit.list() if cid in (m.survivor_id, m.absorbed_id)]
    finally:
        audit.close()
    out["merges"] = [m.model_dump(mode="json") for m in merges]
    return out
