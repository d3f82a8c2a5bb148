"""The `earful crm` command group; each area's commands live in their own module of `crm.cli` and
register themselves on it when `crm.cli` is imported."""

from __future__ import annotations

import typer

crm_app = typer.Typer(
    name="crm",
    help="Social CRM: the customer master file, 360 views, links to mentions.",
    no_args_is_help=True,
)
