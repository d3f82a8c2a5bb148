"""`earful crm`: one module per area registers its commands on `crm_app` (crm.cli.app).

`earful customers` is the same group under its older name, kept so scripts written for it still run."""

from __future__ import annotations

from crm.cli import customers as customers
from crm.cli.app import crm_app

customers_app = crm_app

__all__ = ["crm_app", "customers_app"]
