"""The customer lookups linking needs, as a protocol: nlp/ never imports index/ (DESIGN.md)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from core.models import Customer


@runtime_checkable
class CustomerDirectory(Protocol):
    """Exact lookups over the customer master file. Each returns every customer that matches (an empty
    list when none). Implementations normalise both what they store and the arguments with the functions
    of core/customer_keys.py (shared with crm/customers.py), so callers pass raw values.
    `crm.testing.CustomerDirectoryContract` checks the behaviour.

    A directory holds one workspace's customers, fixed when it is built (see `index.base`): linking
    in a workspace can only find that workspace's customers."""

    @property
    def workspace(self) -> str: ...

    def by_platform_user_id(self, platform: str, user_id: str) -> list[Customer]: ...

    def by_handle(self, platform: str, handle: str) -> list[Customer]: ...

    def by_handle_anywhere(self, handle: str) -> list[Customer]:
        """Customers with this handle on any platform: weak evidence, for scored candidates."""
        ...

    def by_email(self, email: str) -> list[Customer]: ...

    def by_phone(self, phone: str) -> list[Customer]: ...

    def by_order_number(self, order_number: str) -> list[Customer]:
        """Customers who placed this order (order numbers come from the master file's optional
        `order_numbers` column; they are kept by the directory, not in `Customer`)."""
        ...

    def get(self, customer_id: str) -> Customer | None:
        """The customer with this id (`Customer.id`), or None."""
        ...
