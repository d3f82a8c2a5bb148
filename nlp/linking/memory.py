"""An in-memory CustomerDirectory: for tests and for small master files loaded at start."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from core.models import Customer
from nlp.linking.directory import normalize_email, normalize_handle, normalize_phone, normalize_platform


class InMemoryCustomerDirectory:
    def __init__(self, customers: Iterable[Customer] = ()) -> None:
        self._by_user_id: dict[tuple[str, str], list[Customer]] = defaultdict(list)
        self._by_handle: dict[tuple[str, str], list[Customer]] = defaultdict(list)
        self._by_email: dict[str, list[Customer]] = defaultdict(list)
        self._by_phone: dict[str, list[Customer]] = defaultdict(list)
        for customer in customers:
            self.add(customer)

    def add(self, customer: Customer) -> None:
        for handle in customer.handles:
            platform = normalize_platform(handle.platform)
            if handle.user_id:
                self._by_user_id[(platform, handle.user_id.strip())].append(customer)
            if handle.handle:
                self._by_handle[(platform, normalize_handle(handle.handle))].append(customer)
        for contact in customer.contacts:
            if contact.kind == "email":
                self._by_email[normalize_email(contact.value)].append(customer)
            elif phone := normalize_phone(contact.value):
                self._by_phone[phone].append(customer)

    def by_platform_user_id(self, platform: str, user_id: str) -> list[Customer]:
        return list(self._by_user_id.get((normalize_platform(platform), user_id.strip()), ()))

    def by_handle(self, platform: str, handle: str) -> list[Customer]:
        return list(self._by_handle.get((normalize_platform(platform), normalize_handle(handle)), ()))

    def by_email(self, email: str) -> list[Customer]:
        return list(self._by_email.get(normalize_email(email), ()))

    def by_phone(self, phone: str) -> list[Customer]:
        return list(self._by_phone.get(normalize_phone(phone), ()))
