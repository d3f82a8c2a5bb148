"""`earful crm`: one module per area registers its commands on `crm_app` (crm.cli.app).

`earful customers` is the same group under its older name, kept so scripts written for it still run."""

from __future__ import annotations

from crm.cli import cases as cases
from crm.cli import customers as customers
from crm.cli import identity as identity
from crm.cli import privacy as privacy
from crm.cli import records as records
from crm.cli import reminders as reminders
from crm.cli import scores as scores
from crm.cli import segments as segments
from crm.cli.app import crm_app

customers_app = crm_app

__all__ = ["crm_app", "customers_app"]
