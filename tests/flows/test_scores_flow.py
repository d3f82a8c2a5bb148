"""The scores flow on SQLite: customers, orders and linked mentions in the stores -> scores in the
score store (`scores_flow.fn()`, and once as a real flow run under Prefect's test harness); the nightly
deployment and the deployment file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from cronsim import CronSim

from core.models import (
    DEFAULT_WORKSPACE,
    Author,
    CustomerLink,
    EnrichedMention,
    Intent,
    IntentLabel,
    RawMention,
    Sentiment,
    SentimentLabel,
)
from core.settings import Settings
from crm.cases import build_case_store
from crm.cases.testing import make_case
from crm.customers import build_customer_directory
from crm.orders import build_order_store
from crm.scores import ValueTier, build_score_store
from crm.scores.testing import BIG, CUSTOMERS, LAPSED, NOW, PRIVATE, SALES, as_orders
from flows.scores import NIGHTLY_CRON, nightly_deployment, scores_flow
from index.backends import build_mention_store

ROOT = Path(__file__).resolve().parents[2]


def _complaint(n: int, days_ago: float) -> EnrichedMention:
    raw = RawMention(
        platform="demo",
        native_id=f"c{n}",
        source="test",
        text="I am done with this shop, cancelling everything",
        published_at=NOW - timedelta(days=days_ago),
        author=Author(platform="demo", handle="lapsed"),
    )
    return EnrichedMention.from_raw(
        raw,
        lang="en",
        sentiment=Sentiment(label=SentimentLabel.negative, score=-0.9, confidence=0.9),
        intents=(Intent(label=IntentLabel.churn_risk, confidence=0.9),),
        customer=CustomerLink(customer_id=LAPSED.id, confidence=0.9, method="handle", evidence=("handle",)),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    with build_customer_directory(settings, workspace=DEFAULT_WORKSPACE) as directory:
        directory.upsert(CUSTOMERS)
    orders = build_order_store(settings, workspace=DEFAULT_WORKSPACE)
    orders.upsert(as_orders(SALES, CUSTOMERS))
    orders.close()
    mentions = build_mention_store(settings, workspace=DEFAULT_WORKSPACE)
    # two recent complaints and one outside the 90-day lookback, which must not count
    mentions.upsert([_complaint(1, 2), _complaint(2, 10), _complaint(3, 200)])
    mentions.close()
    return settings


def test_the_flow_scores_every_customer_from_the_stores(settings: Settings) -> None:
    report = scores_flow.fn(settings=settings, workspace=DEFAULT_WORKSPACE, now=NOW)
    assert (report.scored, report.skipped) == (len(CUSTOMERS) - 1, 1)
    assert report.ignored_orders == 3  # the customer without profiling consent
    assert report.parameters.bgnbd is not None
    store = build_score_store(settings, workspace=DEFAULT_WORKSPACE)
    listed = store.list()
    assert len(listed) == len(CUSTOMERS)
    assert listed[0].customer_id == BIG.id
    assert {s.customer_id for s in store.list(tier=ValueTier.key)} >= {BIG.id, LAPSED.id}
    private = store.get(PRIVATE.id)
    assert private is not None
    assert private.skipped
    lapsed = store.get(LAPSED.id)
    assert lapsed is not None
    assert lapsed.churn is not None
    assert lapsed.churn.risk > 0.95
    assert [r.signal for r in lapsed.churn.reasons][:2] == ["recency", "intents"]
    assert "2 recent mentions about leaving or complaining" in {r.text for r in lapsed.churn.reasons}
    assert lapsed.churn.signals["negative"] == 0.5  # 2 of 2 in the window, shrunk: 2 / (2 + 2)
    assert lapsed.churn.signals["cases"] == 0  # no case yet
    # a rerun replaces the scores (a customer gone from the master file loses theirs)
    again = scores_flow.fn(settings=settings, workspace=DEFAULT_WORKSPACE, now=NOW + timedelta(days=1))
    assert again.scored == report.scored
    big = store.get(BIG.id)
    assert big is not None
    assert big.computed_at == NOW + timedelta(days=1)
    store.close()


def test_the_flow_counts_open_cases_from_the_case_store(settings: Settings) -> None:
    with build_case_store(settings, workspace=DEFAULT_WORKSPACE) as cases:
        cases.create(make_case(LAPSED, "Cancelling everything"))
        cases.create(make_case(LAPSED, "Refund missing"))
        closed = make_case(BIG, "Answered")
        cases.create(closed)
        cases.update(closed.id, lambda c: c.move_to("resolved", by="li.wei", now=NOW))
    scores_flow.fn(settings=settings, workspace=DEFAULT_WORKSPACE, now=NOW)
    with build_score_store(settings, workspace=DEFAULT_WORKSPACE) as store:
        lapsed, big = store.get(LAPSED.id), store.get(BIG.id)
    assert lapsed is not None
    assert lapsed.churn is not None
    assert "2 open complaints or cases" in {r.text for r in lapsed.churn.reasons}
    assert big is not None
    assert big.churn is not None
    assert big.churn.signals["cases"] == 0  # a resolved case is not open
    # a caller's own count wins over the store's
    scores_flow.fn(settings=settings, workspace=DEFAULT_WORKSPACE, now=NOW, open_cases=lambda _: 0)
    with build_score_store(settings, workspace=DEFAULT_WORKSPACE) as store:
        again = store.get(LAPSED.id)
    assert again is not None
    assert again.churn is not None
    assert again.churn.signals["cases"] == 0


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_runs_under_prefect(settings: Settings) -> None:
    report = scores_flow(settings=settings, workspace=DEFAULT_WORKSPACE, now=NOW)
    assert report.scored == len(CUSTOMERS) - 1
    with build_score_store(settings, workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == len(CUSTOMERS)


def test_the_nightly_deployment_and_the_deployment_file_agree() -> None:
    deployment = nightly_deployment("acme", timezone="Asia/Shanghai")
    assert deployment.entrypoint == "flows/scores.py:scores_flow"
    assert deployment.parameters == {"workspace": "acme"}
    assert deployment.schedules is not None
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == NIGHTLY_CRON  # type: ignore[union-attr]
    assert schedule.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
    declared = yaml.safe_load((ROOT / "infra" / "prefect" / "prefect.yaml").read_text(encoding="utf-8"))
    (entry,) = declared["deployments"]
    assert entry["entrypoint"] == deployment.entrypoint
    assert entry["schedules"][0]["cron"] == NIGHTLY_CRON
    next(CronSim(NIGHTLY_CRON, NOW.replace(tzinfo=None)))  # the cron parses
