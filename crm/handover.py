"""Handover: when a staff member leaves, their customers (`Customer.owner`) and their open cases
(`Case.assignee`) move to someone else, so the company keeps its customers and nobody asks a customer
to tell their story again (the cases keep their mentions, notes and history; the customer's 360 view
keeps everything else).

`transfer(from_, to, ...)` moves both, records the move in each case's history (``assignee``: from ->
to, by whoever ran it) and returns what moved; with ``dry_run`` it only says what would move. Resolved
and closed cases keep their assignee: they are the record of who did the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import Field

from core.errors import InvalidInput
from core.models import Customer, Frozen
from crm.cases import Case, CaseFilter, CaseStore


class OwnedCustomers(Protocol):
    """What a handover needs of the customer directory (both stores in crm/customers.py provide it)."""

    @property
    def workspace(self) -> str: ...

    def by_owner(self, owner: str) -> list[Customer]: ...

    def set_owner(self, customer_ids: Sequence[str], owner: str | None) -> list[Customer]: ...


class TransferReport(Frozen):
    from_: str = Field(alias="from")
    to: str
    dry_run: bool
    customers: tuple[str, ...] = Field((), description="Codes of the customers whose owner moved")
    cases: tuple[str, ...] = Field((), description="Ids of the open cases whose assignee moved")


def _handing(from_: str, to: str, by: str, now: datetime) -> Callable[[Case], Case]:
    """The change that moves a case from `from_` to `to`, unless it was closed or reassigned meanwhile."""
    return lambda case: case.assign(to, by=by, now=now) if case.is_open and case.assignee == from_ else case


def transfer(
    from_: str,
    to: str,
    *,
    customers: OwnedCustomers,
    cases: CaseStore,
    by: str,
    now: datetime,
    dry_run: bool = False,
) -> TransferReport:
    """Move `from_`'s customers and open cases to `to` (see the module docstring)."""
    from_, to = from_.strip(), to.strip()
    if not from_ or not to:
        raise InvalidInput("a transfer needs both --from and --to", details={"from": from_, "to": to})
    if from_ == to:
        raise InvalidInput(f"cannot transfer from {from_!r} to themselves", details={"from": from_, "to": to})
    if customers.workspace != cases.workspace:
        raise InvalidInput(
            "the customer directory and the case store belong to different workspaces",
            details={"directory": customers.workspace, "cases": cases.workspace},
        )
    owned = customers.by_owner(from_)
    assigned = cases.list(CaseFilter(assignee=from_, open_only=True))
    if not dry_run:
        customers.set_owner([c.id for c in owned], to)
        moved: list[Case] = []
        for case in assigned:
            moved.append(cases.update(case.id, _handing(from_, to, by, now)))
        assigned = [c for c in moved if c.assignee == to]
    return TransferReport.model_validate(
        {
            "from": from_,
            "to": to,
            "dry_run": dry_run,
            "customers": tuple(c.code for c in owned),
            "cases": tuple(c.id for c in assigned),
        }
    )
