"""Data-subject requests on the alerting side: the alerts whose content names a person (one of their
mention ids or their customer id anywhere in the alert: mention ids, explanation, links, customer
section) and the outbox deliveries carrying them, found (`alerts_about`) and erased (`forget_in_alerts`).
The whole request runs in flows/privacy.py. A person's mentions take their workflow (state, notes,
history: `alerts.workflow`) with them: `workflows_about` exports it, `WorkflowStore.delete` erases it.

Every alert and delivery of the workspace is read to find them: their content is not indexed, and a
data-subject request is rare enough for a scan."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alerts.inbox import Alert
from alerts.store import AlertStores
from alerts.workflow.store import WorkflowStore

_ALL = 1_000_000  # history entries of one mention: all of them


def _names(text: str, needles: Collection[str]) -> bool:
    return any(needle in text for needle in needles)


def alerts_about(stores: AlertStores, needles: Collection[str]) -> list[Alert]:
    """The workspace's alerts whose stored content contains one of `needles`."""
    if not needles:
        return []
    everything = stores.alerts.list(limit=max(stores.alerts.count(), 1))
    return [a for a in everything if _names(a.model_dump_json(), needles)]


def forget_in_alerts(stores: AlertStores, needles: Collection[str]) -> dict[str, int]:
    """Delete the alerts about `needles` and every delivery of them or carrying them:
    ``{"alerts": n, "outbox": n}``."""
    alert_ids = {a.id for a in alerts_about(stores, needles)}
    if needles:
        records = stores.outbox.list(limit=max(sum(stores.outbox.counts().values()), 1))
        alert_ids |= {r.alert_id for r in records if _names(r.message.model_dump_json(), needles)}
    outbox = stores.outbox.delete(sorted(alert_ids))
    return {"alerts": stores.alerts.delete(sorted(alert_ids)), "outbox": outbox}


def workflows_about(store: WorkflowStore, mention_ids: Collection[str]) -> list[dict[str, Any]]:
    """The workflow of each of these mentions that has one (state, notes, history), JSON-ready."""
    out: list[dict[str, Any]] = []
    for mention_id in dict.fromkeys(mention_ids):
        state, notes = store.get(mention_id), store.notes(mention_id)
        history = store.history(mention_id, limit=_ALL)
        if state.version or notes or history:
            out.append(
                {
                    "state": state.model_dump(mode="json"),
                    "notes": [n.model_dump(mode="json") for n in notes],
                    "history": [h.model_dump(mode="json") for h in history],
                }
            )
    return out
