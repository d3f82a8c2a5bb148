"""Deterministic ids: the same thing always gets the same id, so writes are idempotent."""

from __future__ import annotations

import hashlib

_SEP = "\x1f"  # unit separator: cannot occur in platform names and is rare in native ids


def _digest(*parts: str) -> str:
    return hashlib.blake2b(_SEP.join(parts).encode("utf-8"), digest_size=16).hexdigest()


def mention_id(platform: str, native_id: str) -> str:
    """Id of a mention: a hash of ``(platform, native id)``, 32 hex characters."""
    if not platform or not native_id:
        raise ValueError("mention_id needs a platform and a native id")
    return _digest("mention", platform.lower(), native_id)


def alert_hit_id(rule_id: str, key: str, mention: str) -> str:
    """Id of an alert hit: a hash of ``(rule, key, mention)``; a rerun alerts nobody twice."""
    return _digest("hit", rule_id, key, mention)


def customer_id(code: str) -> str:
    """Id of a customer from its master-file code (codes are unique in the master file)."""
    if not code:
        raise ValueError("customer_id needs a customer code")
    return _digest("customer", code.strip().upper())


def content_hash(text: str) -> str:
    """A short fingerprint of a text, used to spot exact re-posts."""
    return _digest("text", " ".join(text.split()).casefold())


def saved_search_id(owner: str, name: str) -> str:
    """Id of a saved search: one name per owner."""
    return _digest("search", owner, name)


def scoped_doc_id(workspace: str, doc_id: str) -> str:
    """Storage key of a thing in a workspace (an Elasticsearch ``_id``): a hash of ``(workspace, id)``.

    Public ids (`mention_id`, `customer_id`...) stay the same in every workspace, so the same mention
    or customer code in two workspaces stays two things only if the storage key includes the workspace;
    a delete by this key cannot reach another workspace's document."""
    if not workspace or not doc_id:
        raise ValueError("scoped_doc_id needs a workspace and an id")
    return _digest("scoped", workspace, doc_id)


def rule_id(name: str) -> str:
    """Default id of an alert rule, from the name it was created with; stored, so a rename keeps it.
    Case and surrounding blanks do not count: "VIP complaints" and "vip complaints " are one rule."""
    if not name.strip():
        raise ValueError("rule_id needs a name")
    return _digest("rule", " ".join(name.split()).casefold())


def alert_id(rule_id: str, key: str, occurrence: str) -> str:
    """Id of an alert decision: a hash of ``(rule, key, occurrence)`` where the occurrence is what makes
    it unique within its key (a window's start, a digest's due time), so a replay decides the same ids."""
    return _digest("alert", rule_id, key, occurrence)
