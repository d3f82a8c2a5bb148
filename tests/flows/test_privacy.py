"""`earful crm forget` and `earful crm export` end to end: a customer and everything that points to them
in every store (CRM, mentions, alerts, outbox, spool, rejected items) on SQLite and Elasticsearch; an
author's mentions; an access request as one JSON document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alerts.channels.config import parse_channel_config
from alerts.store import build_alert_stores
from alerts.store_testing import make_alert
from alerts.testing import make_alert_message
from alerts.workflow import ASSIGNMENT_RULE, WorkflowChange, build_workflow_store, update_workflow
from core.models import Author, CustomerLink, EnrichedMention, Rejected
from core.settings import Settings, StoreSettings
from crawlers.rejected import RejectedLog
from crm.cases.store import build_case_store
from crm.cases.testing import make_case
from crm.cli import crm_app
from crm.customers import CustomerRecord, LinkVerdict, build_customer_directory
from crm.identity.audit import build_merge_audit_store
from crm.identity.testing import merge_record
from crm.interactions import build_interaction_store
from crm.orders import build_order_store
from crm.records_testing import interaction, order
from crm.scores import CustomerScore, build_score_store
from crm.testing import ANA, BO
from flows.privacy import forget
from flows.spool import Spool
from index.backends import build_mention_store
from index.base import MentionFilter
from index.testing.corpus import enriched_mention
from tests.index.stores import es_test_settings

WS = "acme"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _mention(native_id: str, platform: str, handle: str, customer: str | None = None) -> EnrichedMention:
    link = CustomerLink(customer_id=customer, confidence=0.9, method="handle") if customer else None
    return enriched_mention(
        native_id,
        f"post {native_id}",
        platform=platform,
        author=Author(platform=platform, handle=handle),
        customer=link,
    )


ANA_LINKED = _mention("1", "demo", "@Ana_L", ANA.id)
ANA_UNLINKED = _mention("2", "twitter", "analima")  # her handle, not linked (yet)
BO_LINKED = _mention("3", "demo", "bochen", BO.id)
KIM = _mention("4", "twitter", "kim")
ANA_SPOOLED = _mention("5", "twitter", "analima")
HOOK = parse_channel_config(
    {
        "kind": "webhook",
        "name": "hook",
        "url": "https://hooks.example/earful",
        "secret": "s3cret-shared-0123456",
    }
)


def _fill(settings: Settings) -> None:
    with build_customer_directory(settings, workspace=WS) as directory:
        directory.upsert([CustomerRecord(customer=ANA, order_numbers=("#A1",)), CustomerRecord(customer=BO)])
        directory.put_feedback(
            [
                LinkVerdict(author_key="demo:@ana_l", customer_id=ANA.id, verdict="confirm", at_us=1),
                LinkVerdict(author_key="demo:@bochen", customer_id=BO.id, verdict="confirm", at_us=2),
            ]
        )
    mentions = build_mention_store(settings, workspace=WS)
    mentions.upsert([ANA_LINKED, ANA_UNLINKED, BO_LINKED, KIM])
    mentions.close()
    for build, records in (
        (build_order_store, [order(1, ANA.id), order(2, ANA.id), order(3, BO.id)]),
        (build_interaction_store, [interaction(1, ANA.id), interaction(2, BO.id)]),
    ):
        store: Any = build(settings, workspace=WS)
        store.upsert(records)
        store.close()
    cases = build_case_store(settings, workspace=WS)
    cases.create(make_case(ANA, mention_ids=(ANA_LINKED.id,)).add_note("rang her", by="mei", now=T0))
    cases.create(make_case(BO, title="bo's"))
    cases.close()
    scores = build_score_store(settings, workspace=WS)
    scores.replace_all(
        [
            CustomerScore(customer_id=c.id, customer_code=c.code, computed_at=T0, skipped="no orders")
            for c in (ANA, BO)
        ]
    )
    scores.close()
    audit = build_merge_audit_store(settings, workspace=WS)
    audit.add(merge_record("mg-1", CustomerRecord(customer=ANA), CustomerRecord(customer=BO)))
    audit.close()
    alerts = build_alert_stores(settings, workspace=WS)
    for alert in (make_alert(ANA_LINKED.id, key="ana"), make_alert(BO_LINKED.id, key="bo")):
        alerts.alerts.add(alert)
        alerts.outbox.enqueue(make_alert_message(alert_id=alert.id, workspace=WS), "hook", now=T0)
    # Ana's mention is assigned (its notice queued to the assignment channel), noted and tagged; Bo's too
    workflows = build_workflow_store(settings, workspace=WS)
    notify = settings.model_copy(
        update={"alerts": settings.alerts.model_copy(update={"assignment_channels": ["hook"]})}
    )
    for mention in (ANA_LINKED, BO_LINKED):
        change = WorkflowChange(assignee="li.wei", add_tags=("refund",))
        update = update_workflow(
            workflows,
            alerts.outbox,
            notify,
            mention=mention,
            change=change,
            actor="mei",
            at=T0,
            channels={"hook": HOOK},
        )
        assert update.notice is not None
        assert update.notice.channels == ("hook",)
        workflows.add_note(mention.id, "mei", f"rang about {mention.id}", T0)
    workflows.close()
    alerts.close()
    Spool(settings.spool_dir, workspace=WS).put("feed", [ANA_SPOOLED, KIM])
    RejectedLog(settings.rejected_dir, workspace=WS).append(
        "feed",
        [
            Rejected(source="feed", locator="feed.csv:3", reason="no date", raw="twitter,@analima,hi"),
            Rejected(source="feed", locator="feed.csv:4", reason="no date", raw="twitter,@analimax,hi"),
        ],
    )


def _check_forgotten(settings: Settings) -> None:
    with build_customer_directory(settings, workspace=WS) as directory:
        assert directory.get(ANA.id) is None
        assert directory.feedback_of(ANA.id) == []
        assert directory.get(BO.id) is not None
        assert len(directory.feedback_of(BO.id)) == 1
    mentions = build_mention_store(settings, workspace=WS)
    left = {m.id for m in mentions.export(MentionFilter())}
    mentions.close()
    assert left == {BO_LINKED.id, KIM.id}
    for build in (build_order_store, build_interaction_store):
        store: Any = build(settings, workspace=WS)
        assert (store.count(ANA.id), store.count(BO.id)) == (0, 1)
        store.close()
    cases = build_case_store(settings, workspace=WS)
    assert {c.customer_id for c in cases.list()} == {BO.id}
    cases.close()
    scores = build_score_store(settings, workspace=WS)
    assert scores.get(ANA.id) is None
    assert scores.get(BO.id) is not None
    scores.close()
    audit = build_merge_audit_store(settings, workspace=WS)
    assert audit.list() == []  # the merge had Ana on one side
    audit.close()
    alerts = build_alert_stores(settings, workspace=WS)
    assert [a.key for a in alerts.alerts.list()] == ["bo"]
    assert {r.message.rule for r in alerts.outbox.list()} == {"VIP complaints", ASSIGNMENT_RULE}  # Bo's two
    assert all(
        BO_LINKED.id in r.message.model_dump_json()
        for r in alerts.outbox.list()
        if r.message.rule == ASSIGNMENT_RULE
    )
    alerts.close()
    with build_workflow_store(settings, workspace=WS) as workflows:
        assert [w.mention_id for w in workflows.list()] == [BO_LINKED.id]
        assert workflows.notes(ANA_LINKED.id) == []
        assert workflows.history(ANA_LINKED.id) == []
    spool = Spool(settings.spool_dir, workspace=WS)
    assert [m.id for path in spool.pending() for m in spool.load(path)] == [KIM.id]
    assert [r.locator for r in RejectedLog(settings.rejected_dir, workspace=WS).read("feed")] == [
        "feed.csv:4"
    ]


EXPECTED = {
    "customers": 1,
    "link feedback": 1,
    "mentions": 2,
    "orders": 2,
    "interactions": 1,
    "cases": 1,
    "scores": 1,
    "merges": 1,
    "workflow": 1,
    "alerts": 1,
    "outbox": 2,
    "spool": 1,
    "rejected": 1,
}


def test_forget_a_customer_everywhere_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store=StoreSettings(backend="sqlite"))
    _fill(settings)
    runner = CliRunner()
    exported = runner.invoke(crm_app, ["export", ANA.code, "--workspace", WS, "--home", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert document["customer"]["code"] == ANA.code
    assert {m["id"] for m in document["mentions"]} == {ANA_LINKED.id, ANA_UNLINKED.id}
    assert (len(document["orders"]), len(document["interactions"]), len(document["cases"])) == (2, 1, 1)
    assert document["cases"][0]["notes"][0]["text"] == "rang her"
    assert [v["author_key"] for v in document["link_feedback"]] == ["demo:@ana_l"]
    assert document["scores"]["customer_code"] == ANA.code
    assert [m["id"] for m in document["merges"]] == ["mg-1"]
    assert [a["key"] for a in document["alerts"]] == ["ana"]
    assert document["order_numbers"] == ["#A1"]
    [workflow] = document["workflow"]
    assert workflow["state"]["mention_id"] == ANA_LINKED.id
    assert workflow["state"]["assignee"] == "li.wei"
    assert [n["text"] for n in workflow["notes"]] == [f"rang about {ANA_LINKED.id}"]
    assert [h["action"] for h in workflow["history"]] == ["note", "tagged", "assigned"]

    result = runner.invoke(crm_app, ["forget", ANA.code, "--workspace", WS, "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = dict(line.rsplit(maxsplit=1) for line in result.output.splitlines()[2:])
    assert {k.strip(): int(v) for k, v in rows.items()} == {**EXPECTED, "total": sum(EXPECTED.values())}
    _check_forgotten(settings)
    again = runner.invoke(crm_app, ["forget", ANA.code, "--workspace", WS, "--home", str(tmp_path)])
    assert again.exit_code == 1
    assert "no customer" in again.output


def test_forget_an_author_deletes_their_mentions_and_feedback(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store=StoreSettings(backend="sqlite"))
    _fill(settings)
    report = forget(settings, workspace=WS, author="Twitter:@AnaLima")
    assert report.subject == "twitter:analima"
    assert report.removed["mentions"] == 1
    assert (report.removed["spool"], report.removed["rejected"], report.removed["alerts"]) == (1, 1, 0)
    mentions = build_mention_store(settings, workspace=WS)
    assert mentions.get(ANA_UNLINKED.id) is None
    assert mentions.get(ANA_LINKED.id) is not None  # another handle's
    mentions.close()
    with build_customer_directory(settings, workspace=WS) as directory:
        assert directory.get(ANA.id) is not None  # the customer record is not the author's to erase
    result = CliRunner().invoke(crm_app, ["forget", "--author", "nocolon", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert CliRunner().invoke(crm_app, ["forget", "--home", str(tmp_path)]).exit_code == 2


@pytest.mark.integration
def test_forget_a_customer_everywhere_on_elasticsearch(es_url: str, es_prefix: str, tmp_path: Path) -> None:
    settings = es_test_settings(es_url, es_prefix, refresh="wait_for").model_copy(
        update={"home": tmp_path, "store": StoreSettings(backend="elasticsearch")}
    )
    _fill(settings)
    report = forget(settings, workspace=WS, customer=ANA.code)
    assert report.removed == EXPECTED
    _check_forgotten(settings)
