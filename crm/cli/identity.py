"""`earful crm duplicates | merge | unmerge | merges`: find customers that are one person, merge them
(with a dry run), undo a merge, list the merge audit. The library is crm/identity/; this module parses,
calls it and renders."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from core.cli_options import Workspace
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

if TYPE_CHECKING:
    from crm.identity.merge import CustomerIdentity

_DEFAULT_MIN_SCORE = 0.9  # crm.identity.matcher.DEFAULT_MIN_SCORE, not imported at module level


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@contextmanager
def _identity(workspace: str) -> Iterator[CustomerIdentity]:
    """The workspace's directory, mention store and merge audit, closed afterwards; a refused or
    impossible request ends the command with its message and exit status 2."""
    from core.errors import InvalidInput, NotFound
    from core.settings import get_settings
    from crm.customers import build_customer_directory
    from crm.identity.audit import build_merge_audit_store
    from crm.identity.merge import CustomerIdentity
    from index.backends import build_mention_store

    settings = get_settings()
    directory = build_customer_directory(settings, workspace=workspace)
    mentions = build_mention_store(settings, workspace=workspace)
    audit = build_merge_audit_store(settings, workspace=workspace)
    try:
        yield CustomerIdentity(directory, mentions, audit)
    except (InvalidInput, NotFound) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        directory.close()
        mentions.close()
        audit.close()


@crm_app.command("duplicates")
def duplicates_cmd(
    min_score: float = typer.Option(
        _DEFAULT_MIN_SCORE, "--min-score", min=0.0, max=1.0, help="Show pairs scoring at least this"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the pairs as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Pairs of customers that are probably one person (same e-mail, phone or platform id; alike name,
    birthday, postal code, city, address), best first, each with its score and reasons."""
    with _identity(workspace) as identity:
        found = identity.duplicates(min_score=min_score)
    if as_json:
        typer.echo(json.dumps([c.model_dump(mode="json") for c in found], ensure_ascii=False, indent=2))
        return
    for c in found:
        typer.echo(f"{c.score:.3f}  {c.first_code}  {c.second_code}  {'; '.join(c.reasons)}")
    typer.echo(f"{len(found)} pairs at score >= {min_score}")


@crm_app.command("merge")
def merge_cmd(
    survivor: str = typer.Argument(..., help="The customer who stays (code or id)"),
    absorbed: str = typer.Argument(..., help="The customer folded into it (code or id)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would change; change nothing"),
    by: str = typer.Option(None, "--by", help="Who merges, for the audit (default: the login name)"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Merge customer B into customer A: fields filled, keys and order numbers unioned, link verdicts
    and linked mentions moved to A; B leaves the directory. Undo with `earful crm unmerge MERGE_ID`."""
    from crm.identity.merge import MergePlan

    with _identity(workspace) as identity:
        done = identity.merge(survivor, absorbed, by=by or _who(), dry_run=dry_run)
    if isinstance(done, MergePlan):
        typer.echo("dry run: nothing changed")
        for line in done.lines():
            typer.echo(line)
        return
    for line in done.changes:
        typer.echo(line)
    typer.echo(f"merged: {done.id} (undo: earful crm unmerge {done.id})")


@crm_app.command("unmerge")
def unmerge_cmd(
    merge_id: str = typer.Argument(..., help="The merge to undo (from `earful crm merges`)"),
    by: str = typer.Option(None, "--by", help="Who undoes it, for the audit (default: the login name)"),
    force: bool = typer.Option(
        False,
        "--force",
        help="Restore the survivor as it was even if it changed since (its changes are lost)",
    ),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """Undo a merge: both customers as they were, their link verdicts, and the mentions' links."""
    with _identity(workspace) as identity:
        result = identity.unmerge(merge_id, by=by or _who(), force=force)
    record = result.record
    typer.echo(
        f"unmerged {record.id}: {record.survivor_code} and {record.absorbed_code} restored; "
        f"{result.mentions_restored} mentions re-pointed back, {result.mentions_left} changed since and left"
    )


@crm_app.command("merges")
def merges_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON"),
    workspace: Workspace = DEFAULT_WORKSPACE,
) -> None:
    """The merge audit, newest first: who merged which customers when, and whether it was undone."""
    with _identity(workspace) as identity:
        records = identity.audit.list()
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
        return
    for r in records:
        state = f"undone {r.undone_at:%Y-%m-%d %H:%M} by {r.undone_by}" if r.undone_at else "active"
        typer.echo(
            f"{r.id}  {r.at:%Y-%m-%d %H:%M}  {r.absorbed_code} into {r.survivor_code}  by {r.by}  "
            f"{len(r.mentions)} mentions  {state}"
        )
    typer.echo(f"{len(records)} merges")
