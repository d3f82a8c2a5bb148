"""`earful reports`: brands and competitors (`brands`), report definitions (add, list, show, remove,
import) and the archive of built reports. One module per area; each command is registered here, wrapped
so that errors of the error tree print as ``error: ...`` lines with exit status 2 for bad input and 1 for
other failures (`reports.cli.common.reported`). Nothing heavy is imported at module level."""

from __future__ import annotations

import typer

from reports.cli import archive, definitions, run
from reports.cli.brands import brands_app
from reports.cli.common import reported

reports_app = typer.Typer(
    name="reports",
    help="Reports for brand managers: brands and competitors, report definitions, built reports.",
    no_args_is_help=True,
)
reports_app.add_typer(brands_app, name="brands")

for _name, _command in (
    ("add", definitions.add_cmd),
    ("list", definitions.list_cmd),
    ("show", definitions.show_cmd),
    ("remove", definitions.remove_cmd),
    ("import", definitions.import_cmd),
    ("archive", archive.archive_cmd),
    ("run", run.run_cmd),
):
    reports_app.command(_name)(reported(_command))

__all__ = ["reports_app"]
