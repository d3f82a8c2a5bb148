"""`earful crm scores`: the workspace's customers by value (key customers first) with RFM, segment,
tier, lifetime value and churn risk with its reasons; `earful crm scores CUSTOMER`: one customer's
explanation. ``--recompute`` scores the workspace again first (`crm.scores.recompute_scores`)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.cli_options import Home, Workspace, home_settings
from core.models import DEFAULT_WORKSPACE
from crm.cli.app import crm_app

if TYPE_CHECKING:
    from crm.scores import CustomerScore


class SegmentArg(StrEnum):
    champions = "champions"
    loyal = "loyal"
    potential_loyalist = "potential-loyalist"
    new = "new"
    promising = "promising"
    need_attention = "need-attention"
    about_to_sleep = "about-to-sleep"
    at_risk = "at-risk"
    cant_lose_them = "cant-lose-them"
    hibernating = "hibernating"
    lost = "lost"


class TierArg(StrEnum):
    key = "key"
    growth = "growth"
    standard = "standard"


def score_json(score: CustomerScore) -> dict[str, Any]:
    """A score as `--json` prints it: the stored record, amounts as strings (exact decimals)."""
    return score.model_dump(mode="json")


def _row(score: CustomerScore) -> str:
    name = f"{score.customer_name} ({score.customer_code})"
    if score.skipped:
        return f"{name:<32} skipped: {score.skipped}"
    tier = score.tier.value if score.tier else "-"
    rfm = score.rfm.code if score.rfm else "-"
    segment = score.segment.value if score.segment else "no orders"
    clv = score.lifetime.clv if score.lifetime and score.lifetime.clv is not None else None
    churn = score.churn
    reasons = "; ".join(r.text for r in churn.reasons) if churn else ""
    return (
        f"{name:<32} {tier:<8} {rfm:<4} {segment:<18} {'-' if clv is None else f'{clv:,.2f}':>12} "
        f"{churn.risk if churn else 0:>5.2f}  {reasons}"
    )


@crm_app.command("scores")
def scores_cmd(
    customer: Annotated[
        str | None, typer.Argument(help="A customer code (or id): show that customer's explanation")
    ] = None,
    recompute: Annotated[bool, typer.Option("--recompute", help="Score the workspace again first")] = False,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the first N customers")] = None,
    segment: Annotated[SegmentArg | None, typer.Option("--segment", help="Only this RFM segment")] = None,
    tier: Annotated[TierArg | None, typer.Option("--tier", help="Only this value tier")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON")] = False,
    workspace: Workspace = DEFAULT_WORKSPACE,
    home: Home = None,
) -> None:
    """Customers by value, key customers first: RFM, segment, value tier, CLV, churn risk and why."""
    from core.errors import EarfulError
    from core.ids import customer_id
    from crm.scores import Segment, ValueTier, build_score_store, recompute_scores

    settings = home_settings(home)
    if recompute:
        try:
            report = recompute_scores(settings, workspace=workspace)
        except EarfulError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(
            f"scored {report.scored} customers ({report.skipped} skipped), "
            f"{report.ignored_orders} orders ignored",
            err=as_json,
        )
        for note in report.parameters.notes:
            typer.echo(f"  note: {note}", err=as_json)
    store = build_score_store(settings, workspace=workspace)
    try:
        if customer is not None:
            found = store.get(customer_id(customer)) or store.get(customer)
            if found is None:
                typer.echo(f"error: no score for customer {customer!r} in workspace {workspace!r}", err=True)
                raise typer.Exit(1)
            _show(found, as_json)
            return
        wanted_segment = (
            Segment(segment.value.replace("-", " ").replace("cant", "can't")) if segment else None
        )
        scores = store.list(segment=wanted_segment, tier=ValueTier(tier.value) if tier else None, limit=top)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([score_json(s) for s in scores], ensure_ascii=False, indent=2))
        return
    if not scores:
        typer.echo("no scores: run `earful crm scores --recompute` after importing customers and orders")
        return
    typer.echo(f"{'customer':<32} {'tier':<8} {'RFM':<4} {'segment':<18} {'CLV':>12} {'churn':>5}  reasons")
    for score in scores:
        typer.echo(_row(score))


def _show(score: CustomerScore, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(score_json(score), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{score.customer_name} ({score.customer_code})  scored {score.computed_at.isoformat()[:16]}")
    for line in score.explanation:
        typer.echo(f"  {line}")
    if score.churn:
        for reason in score.churn.reasons:
            typer.echo(f"    - {reason.text} (+{reason.contribution:.2f})")
    p = score.parameters
    models = []
    if p.bgnbd:
        models.append("BG/NBD " + ", ".join(f"{k}={v:.3f}" for k, v in p.bgnbd.items()))
    if p.gamma_gamma:
        models.append("Gamma-Gamma " + ", ".join(f"{k}={v:.3f}" for k, v in p.gamma_gamma.items()))
    typer.echo("model: " + ("; ".join(models) or "none fitted"))
    for note in p.notes:
        typer.echo(f"  note: {note}")
