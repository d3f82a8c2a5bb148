"""Where a workspace's brands and report definitions are kept: the `ReportStore` protocol, on SQLite
(tables in the mentions database file) and on Elasticsearch (an index under the store's prefix), scoped
to one workspace when built, like every store (`index.base`). `reports.testing` holds its contract."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from reports.brands import Brand
from reports.definitions import ReportDefinition


@runtime_checkable
class ReportStore(Protocol):
    @property
    def workspace(self) -> str: ...

    def ensure_ready(self) -> None: ...

    def save_brand(self, brand: Brand) -> Brand:
        """Create or replace the brand of that key (case-folded name); keeps the first `created_at`."""
        ...

    def get_brand(self, name: str) -> Brand | None:
        """By name, whatever its case and spacing."""
        ...

    def list_brands(self) -> list[Brand]:
        """Own brand first, then product lines, then competitors; by name within a role."""
        ...

    def delete_brand(self, name: str) -> bool: ...

    def save_report(self, definition: ReportDefinition) -> ReportDefinition:
        """Create or replace the definition of that name; keeps the first `created_at`."""
        ...

    def get_report(self, name: str) -> ReportDefinition | None: ...

    def list_reports(self) -> list[ReportDefinition]:
        """By name."""
        ...

    def delete_report(self, name: str) -> bool: ...

    def close(self) -> None: ...


__all__ = ["ReportStore"]
