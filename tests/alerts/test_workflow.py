"""The mention workflow's pure change (`apply_change`) and the assignee's notice: queued in the real outbox
of a SQLite home to the channels of ``alerts.assignment_channels`` (looked up in the workspace's
channels.yaml), delivered by the alert dispatcher to a real loopback webhook receiver, retried when the
receiver is down; without assignment channels, recorded in the history only. The store contract is in
tests/contracts/test_workflow_store.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alerts.channels import build_channel
from alerts.channels.catalog import channels_file
from alerts.dispatch import Dispatcher
from alerts.outbox import DeliveryState
from alerts.store import AlertStores, build_alert_stores
from alerts.testing import ManualClock, WebhookReceiver
from alerts.workflow import (
    ASSIGNMENT_RULE,
    HistoryAction,
    MentionWorkflow,
    WorkflowChange,
    apply_change,
    assignment_message,
    build_workflow_store,
    update_workflow,
)
from alerts.workflow.store import SQLiteWorkflowStore
from alerts.workflow.testing import T0, at
from core.models import Author
from core.settings import AlertsSettings, DispatchSettings, Settings
from index.testing.corpus import enriched_mention

WS = "acme"
CHANNEL = "test-webhook"
MENTION = enriched_mention(
    "tw-1",
    "My <b>refund</b> still hasn't arrived & nobody answers",
    platform="twitter",
    author=Author(platform="twitter", handle="ana_l"),
    url="https://twitter.example/ana_l/status/1",
)


# --- the pure change -----------------------------------------------------------------------------
def test_apply_change_is_pure_and_orders_its_entries() -> None:
    state = MentionWorkflow.default(WS, "m1")
    change = WorkflowChange(
        starred=True, add_tags=("VIP",), priority="urgent", status="pending", assignee="li.wei"
    )
    after, entries = apply_change(state, change, actor=" mei ", at=T0)
    assert state == MentionWorkflow.default(WS, "m1")  # the input is untouched
    assert [e.action for e in entries] == [
        HistoryAction.assigned,
        HistoryAction.status,
        HistoryAction.priority,
        HistoryAction.tagged,
        HistoryAction.starred,
    ]
    assert {e.actor for e in entries} == {"mei"}
    assert len({e.id for e in entries}) == len(entries)
    again, same = apply_change(state, change, actor="mei", at=T0)
    assert (again, [e.id for e in same]) == (after, [e.id for e in entries])  # deterministic ids
    assert apply_change(after, change, actor="mei", at=at(1)) == (after, [])


def test_a_change_tells_a_cleared_assignee_from_an_absent_one() -> None:
    assert WorkflowChange.model_validate({"assignee": None}).sets_assignee
    assert not WorkflowChange.model_validate({"status": "closed"}).sets_assignee
    with pytest.raises(ValueError, match="extra"):
        WorkflowChange.model_validate({"asignee": "li.wei"})
    with pytest.raises(ValueError, match="status"):
        WorkflowChange.model_validate({"status": "resolved"})


# --- the notice ----------------------------------------------------------------------------------
def test_the_notice_names_the_mention_who_assigned_it_and_the_priority() -> None:
    state, [entry] = apply_change(
        MentionWorkflow(workspace=WS, mention_id=MENTION.id, priority="high"),
        WorkflowChange(assignee="li.wei"),
        actor="mei",
        at=T0,
    )
    message = assignment_message(MENTION, state, entry, public_url="https://earful.example/")
    assert message.alert_id == f"assign-{entry.id}"
    assert (message.rule, message.severity, message.created_at) == (ASSIGNMENT_RULE, "warning", T0)
    assert message.title == "Mention assigned to li.wei (high priority)"
    assert message.summary == "mei assigned a twitter mention by @ana_l to li.wei"
    assert message.snippet == "My &lt;b&gt;refund&lt;/b&gt; still hasn&#x27;t arrived &amp; nobody answers"
    fields = {f.label: f.value for s in message.sections for f in s.fields}
    assert fields["Mention"] == MENTION.id
    assert (fields["Platform"], fields["Author"]) == ("twitter", "@ana_l")
    assert (fields["Assigned to"], fields["Assigned by"], fields["Priority"]) == ("li.wei", "mei", "high")
    assert [(link.label, link.url) for link in message.links] == [
        ("Mention", "https://twitter.example/ana_l/status/1"),
        ("Open in Earful", f"https://earful.example/mentions/{MENTION.id}"),
    ]
    unsafe = MENTION.model_copy(update={"url": "javascript:alert(1)"})
    assert [link.label for link in assignment_message(unsafe, state, entry).links] == []


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


def _settings(tmp_path: Path, *channels: str) -> Settings:
    dispatch = DispatchSettings(base_delay=5, max_delay=60, jitter=0, max_attempts=5)
    return Settings(
        home=tmp_path,
        alerts=AlertsSettings(assignment_channels=list(channels), http_timeout=2, dispatch=dispatch),
    )


def _write_channels(settings: Settings, receiver: WebhookReceiver) -> None:
    path = channels_file(settings, workspace=WS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"channels": [receiver.channel_config()]}), encoding="utf-8")


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLiteWorkflowStore, AlertStores]]:
    settings = Settings(home=tmp_path)
    workflows, alerts = (
        build_workflow_store(settings, workspace=WS),
        build_alert_stores(settings, workspace=WS),
    )
    assert isinstance(workflows, SQLiteWorkflowStore)
    yield workflows, alerts
    workflows.close()
    alerts.close()


def test_an_assignment_reaches_the_webhook_after_dispatch(
    tmp_path: Path, receiver: WebhookReceiver, stores: tuple[SQLiteWorkflowStore, AlertStores]
) -> None:
    settings = _settings(tmp_path, CHANNEL)
    _write_channels(settings, receiver)
    workflows, alerts = stores
    update = update_workflow(
        workflows,
        alerts.outbox,
        settings,
        mention=MENTION,
        change=WorkflowChange(assignee="li.wei", priority="urgent"),
        actor="key:k-7",
        at=T0,
    )
    assert update.notice is not None
    assert (update.notice.channels, update.notice.missing, update.notice.queued) == ((CHANNEL,), (), True)
    assert update.notice.summary == f"li.wei is notified through {CHANNEL}"
    [record] = alerts.outbox.list()
    assert (record.channel, record.state, record.alert_id) == (
        CHANNEL,
        DeliveryState.pending,
        update.notice.message_id,
    )
    assert receiver.accepted == []  # queued, not sent: the dispatcher sends

    channel = build_channel(receiver.channel_config(), settings)
    clock = ManualClock(T0)
    dispatcher = Dispatcher(alerts.outbox, {CHANNEL: channel}, clock, settings=settings.alerts.dispatch)
    try:
        receiver.stop()  # down: the notice waits in the outbox
        assert dispatcher.run_once().retried == 1
        receiver.start()
        clock.advance(60)
        assert dispatcher.run_once().sent == 1
    finally:
        channel.close()
    [request] = receiver.accepted
    body = request.json()
    assert body["alert_id"] == update.notice.message_id
    assert body["rule"] == ASSIGNMENT_RULE
    assert body["title"] == "Mention assigned to li.wei (urgent priority)"
    assert body["severity"] == "critical"
    text = receiver.last_text()
    for expected in (
        MENTION.id,
        "twitter",
        "@ana_l",
        "key:k-7",
        "urgent",
        "https://twitter.example/ana_l/status/1",
    ):
        assert expected in text
    assert not any(secret in request.body.decode() for secret in receiver.secrets())
    assert alerts.outbox.counts()[DeliveryState.sent] == 1


def test_without_assignment_channels_the_assignment_is_in_the_history_only(
    tmp_path: Path, receiver: WebhookReceiver, stores: tuple[SQLiteWorkflowStore, AlertStores]
) -> None:
    settings = _settings(tmp_path)
    _write_channels(settings, receiver)  # the channel exists, but assignments are not sent to it
    workflows, alerts = stores
    update = update_workflow(
        workflows,
        alerts.outbox,
        settings,
        mention=MENTION,
        change=WorkflowChange(assignee="li.wei"),
        actor="mei",
        at=T0,
    )
    assert update.notice is not None
    assert not update.notice.queued
    assert update.notice.message_id is None
    assert "history only" in update.notice.summary
    assert alerts.outbox.list() == []
    assert [(e.action, e.after) for e in workflows.history(MENTION.id)] == [
        (HistoryAction.assigned, "li.wei")
    ]


def test_only_a_new_assignee_is_notified_and_unknown_channels_are_named(
    tmp_path: Path, receiver: WebhookReceiver, stores: tuple[SQLiteWorkflowStore, AlertStores]
) -> None:
    settings = _settings(tmp_path, CHANNEL, "nowhere")
    _write_channels(settings, receiver)
    workflows, alerts = stores
    first = update_workflow(
        workflows,
        alerts.outbox,
        settings,
        mention=MENTION,
        change=WorkflowChange(assignee="li.wei"),
        actor="mei",
        at=T0,
    )
    assert first.notice is not None
    assert (first.notice.channels, first.notice.missing) == ((CHANNEL,), ("nowhere",))
    assert "not in channels.yaml: nowhere" in first.notice.summary
    for change in (WorkflowChange(assignee="li.wei", status="pending"), WorkflowChange(assignee=None)):
        update = update_workflow(
            workflows, alerts.outbox, settings, mention=MENTION, change=change, actor="mei", at=at(1)
        )
        assert update.notice is None  # the same assignee again, or nobody: no notice
    again = update_workflow(
        workflows,
        alerts.outbox,
        settings,
        mention=MENTION,
        change=WorkflowChange(assignee="ana"),
        actor="mei",
        at=at(2),
    )
    assert again.notice is not None
    assert again.notice.message_id != first.notice.message_id
    assert [r.message.title for r in alerts.outbox.list()] == [
        "Mention assigned to li.wei (normal priority)",
        "Mention assigned to ana (normal priority)",
    ]
