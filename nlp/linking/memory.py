"""An in-memory CustomerDirectory: for tests and for small master files loaded at start."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from core.customer_keys import (
    normalize_email,
    normalize_handle,
    normalize_order_number,
    normalize_phone,
    normalize_platform,
)
from core.models import DEFAULT_WORKSPACE, Customer, check_workspace


class InMemoryCustomerDirectory:
    # It holds exactly the customers it is given, so it cannot leak another workspace's: the workspace
    # is a label here, defaulted, where the stored directories require it.
    def __init__(self, customers: Iterable[Customer] = (), *, workspace: str = DEFAULT_WORKSPACE) -> None:
        self._workspace = check_workspace(workspace)
        self._by_user_id: dict[tuple[str, str], list[Customer]] = defaultdict(list)
        self._by_handle: dict[tuple[str, str], list[Customer]] = defaultdict(list)
        self._by_email: dict[str, list[Customer]] = defaultdict(list)
        self._by_phone: dict[str, list[Customer]] = defaultdict(list)
        self._by_any_handle: dict[str, list[Customer]] = defaultdict(list)
        self._by_order: dict[str, list[Customer]] = defaultdict(list)
        self._by_id: dict[str, Customer] = {}
        for customer in customers:
            self.add(customer)

    @property
    def workspace(self) -> str:
        return self._workspace

    def add(self, customer: Customer, order_numbers: Sequence[str] = ()) -> None:
        """Add a customer (adding the same code twice is not supported: build a new directory)."""
        self._by_id[customer.id] = customer
        for order in order_numbers:
            if key := normalize_order_number(order):
                self._by_order[key].append(customer)
        for handle in customer.handles:
            platform = normalize_platform(handle.platform)
            if handle.user_id:
                self._by_user_id[(platform, handle.user_id.strip())].append(customer)
            if handle.handle:
                self._by_handle[(platform, normalize_handle(handle.handle))].append(customer)
                self._by_any_handle[normalize_handle(handle.handle)].append(customer)
        for contact in customer.contacts:
            if contact.kind == "email":
                self._by_email[normalize_email(contact.value)].append(customer)
            elif phone := normalize_phone(contact.value):
                self._by_phone[phone].append(customer)

    def by_platform_user_id(self, platform: str, user_id: str) -> list[Customer]:
        return list(self._by_user_id.get((normalize_platform(platform), user_id.strip()), ()))

    def by_handle(self, platform: str, handle: str) -> list[Customer]:
        return list(self._by_handle.get((normalize_platform(platform), normalize_handle(handle)), ()))

    def by_handle_anywhere(self, handle: str) -> list[Customer]:
        # a customer with the same handle on two platforms is one candidate, not two
        return list({c.id: c for c in self._by_any_handle.get(normalize_handle(handle), ())}.values())

    def by_email(self, email: str) -> list[Customer]:
        return list(self._by_email.get(normalize_email(email), ()))

    def by_phone(self, phone: str) -> list[Customer]:
        return list(self._by_phone.get(normalize_phone(phone), ()))

    def by_order_number(self, order_number: str) -> list[Customer]:
        return list(self._by_order.get(normalize_order_number(order_number), ()))

    def get(self, customer_id: str) -> Customer | None:
        return self._by_id.get(customer_id)
