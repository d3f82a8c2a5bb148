"""A customer's cases on their timeline (`crm.timeline.timeline`'s `sources`): each case's history
(opened, status, assignee, priority...) and its notes, so whoever takes the customer over reads the
whole story in one place."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from crm.cases.model import Case
from crm.cases.store import CaseFilter, CaseStore
from crm.timeline import TimelineEntry, TimelineSource, cut

_SKIPPED = {"note", "mention"}  # notes are entries of their own; a joined mention is on the timeline already


def case_entries_of(case: Case) -> Iterator[TimelineEntry]:
    """One case's changes and notes as timeline entries (unordered)."""
    for change in case.history:
        if change.field in _SKIPPED:
            continue
        if change.field == "opened":
            title = f"case opened: {case.title}"
        else:
            title = f"case {change.field}: {change.before or '-'} -> {change.after or '-'}"
        yield TimelineEntry(kind="case", at=change.at, title=f"{title} (by {change.by})", ref=case.id)
    for note in case.notes:
        private = " (private)" if note.private else ""
        yield TimelineEntry(
            kind="case note", at=note.at, title=f"{note.author}{private}", detail=cut(note.text), ref=case.id
        )


def newest_entries(cases: Iterable[Case], n: int) -> list[TimelineEntry]:
    """The `n` newest entries of `cases`."""
    entries = (entry for case in cases for entry in case_entries_of(case))
    return heapq.nlargest(n, entries, key=lambda e: (e.at, e.kind, e.ref))


def case_entries(store: CaseStore) -> TimelineSource:
    """The timeline source of a customer's cases, open and closed."""

    def source(customer_id: str, n: int) -> list[TimelineEntry]:
        return newest_entries(store.list(CaseFilter(customer_id=customer_id)), n)

    return source


__all__ = ["case_entries", "case_entries_of", "newest_entries"]
