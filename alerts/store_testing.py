"""Contract suites of the alerting stores, as pytest classes to subclass: `RuleStoreContract`,
`AlertStoreContract`, `OutboxStoreContract` and `EngineStateStoreContract`, each with its isolation
section (two workspaces on one backend share nothing: the same rule id or alert id stays two things,
and nothing is readable, listable, countable, ackable, claimable or deletable across).

A backend's test class provides one fixture, ``stores_in``: a callable ``workspace -> AlertStores`` that
builds new, ready store objects of that workspace on the backend under test, on the same storage every
time (the same SQLite file, the same indices), and closes them afterwards. Calling it again for a
workspace is a restart: new objects, the same data. ``tests/contracts/test_alert_stores.py`` runs all
four over every backend of `alerts.store.build_alert_stores`::

    class TestAlertStores(RuleStoreContract, AlertStoreContract, OutboxStoreContract,
                          EngineStateStoreContract):
        @pytest.fixture
        def stores_in(self, ...) -> Iterator[StoresIn]: ...

Times are fixed (`T0`), never the wall clock. This module imports pytest (it is test support).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.channels.base import AlertMessage, Severity
from alerts.inbox import (
    Alert,
    AlertStatus,
    CustomerSummary,
    Explanation,
    Ranked,
    window_alert_id,
)
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.rules import Rule
from alerts.store import (
    AlertFilter,
    AlertStore,
    AlertStores,
    ChangeMark,
    EngineStateStore,
    ListMark,
    OutboxStore,
    RuleStore,
)
from alerts.testing import make_alert_message, make_report_message
from core.errors import Conflict, InvalidInput, NotFound, RuleInvalid
from core.ids import alert_hit_id
from core.models import utcnow
from core.settings import ElasticsearchSettings, Settings, StoreSettings

__all__ = [
    "BACKEND_PARAMS",
    "BACKEND_SETTINGS",
    "OTHER_WORKSPACE",
    "T0",
    "WORKSPACE",
    "AlertStoreContract",
    "EngineStateStoreContract",
    "OutboxStoreContract",
    "RuleStoreContract",
    "StoresIn",
    "backend_settings",
    "make_alert",
    "make_rule",
    "message_for",
]

StoresIn = Callable[[str], AlertStores]  # workspace -> new, ready stores of it on the backend under test
WORKSPACE = "acme"
OTHER_WORKSPACE = "tenant-b"
T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
SPIKE = {"kind": "spike", "window": "1h"}
#: Later than any backend's settle time (`AlertStore.changed_since`): every change made is settled.
SETTLED = timedelta(minutes=5)


def _settled() -> datetime:
    """A reader's clock by which every change made so far has settled on every backend."""
    return utcnow() + SETTLED


def _sqlite_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, store=StoreSettings(backend="sqlite"))


def _elasticsearch_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    es = ElasticsearchSettings(
        hosts=[request.getfixturevalue("es_url")], index_prefix=request.getfixturevalue("es_prefix")
    )
    return Settings(home=tmp_path, store=StoreSettings(backend="elasticsearch"), elasticsearch=es)


#: backend name -> the settings of a test's stores on it: a file in `tmp_path` (SQLite), the test
#: cluster under the test's own prefix (Elasticsearch: the ``es_url`` and ``es_prefix`` fixtures of
#: tests/conftest.py). A backend `build_alert_stores` supports without an entry here has no contract run.
BACKEND_SETTINGS: dict[str, Callable[[pytest.FixtureRequest, Path], Settings]] = {
    "sqlite": _sqlite_settings,
    "elasticsearch": _elasticsearch_settings,
}
# As pytest params; Elasticsearch runs are integration tests (a real cluster, never skipped).
BACKEND_PARAMS: list[Any] = [
    pytest.param(name, marks=pytest.mark.integration, id=name) if name == "elasticsearch" else name
    for name in BACKEND_SETTINGS
]


def backend_settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Settings:
    return BACKEND_SETTINGS[backend](request, tmp_path)


def make_rule(name: str = "VIP complaints", **changes: Any) -> Rule:
    data: dict[str, Any] = {
        "name": name,
        "owner": "support",
        "query": "intent:complaint AND tier:(gold OR platinum)",
        "spec": {"kind": "every_match"},
        "group_by": ["customer"],
        "severity": "critical",
        "channels": ["support-slack"],
        "created_at": T0,
        "updated_at": T0,
    }
    return Rule.model_validate({**data, **changes})


def make_alert(
    mention: str = "m1", *, key: str = "c-42", rule: Rule | None = None, fired_at: datetime = T0
) -> Alert:
    """An every_match alert of `rule` (default: `make_rule()`) for one mention, with an explanation."""
    rule = rule or make_rule()
    explanation = Explanation(
        query=rule.query,
        numbers={"current": 12, "baseline": 3.25, "window": "1h"},
        top_terms=(Ranked(key="refund", count=7), Ranked(key="退款", count=3)),
        top_authors=(Ranked(key="@jane", count=2),),
        customer=CustomerSummary(customer_id="c-42", name="Jane Doe", tier="gold", open_complaints=2),
        snippet="still waiting for my <em>refund</em>",
    )
    return Alert.for_hit(rule, key, mention, fired_at=fired_at, explanation=explanation)


def message_for(alert_id: str, workspace: str = WORKSPACE) -> AlertMessage:
    return make_alert_message(alert_id=alert_id, workspace=workspace)


class _Stores:
    @pytest.fixture
    def stores_in(self) -> StoresIn:
        raise NotImplementedError("a backend's test class provides `stores_in`: workspace -> AlertStores")

    @pytest.fixture
    def stores(self, stores_in: StoresIn) -> AlertStores:
        return stores_in(WORKSPACE)

    @pytest.fixture
    def other(self, stores_in: StoresIn) -> AlertStores:
        return stores_in(OTHER_WORKSPACE)


# --- rules ---------------------------------------------------------------------------------------
class RuleStoreContract(_Stores):
    def test_is_a_rule_store_of_its_workspace(self, stores: AlertStores) -> None:
        assert isinstance(stores.rules, RuleStore)
        assert stores.rules.workspace == WORKSPACE

    def test_save_then_get(self, stores: AlertStores) -> None:
        rule = make_rule()
        saved = stores.rules.save(rule, now=T0 + timedelta(minutes=1))
        assert saved == rule.model_copy(update={"updated_at": T0 + timedelta(minutes=1)})
        assert stores.rules.get(rule.id) == saved
        assert stores.rules.get("no-such-rule") is None

    def test_replacing_keeps_created_at_and_maintains_updated_at(self, stores: AlertStores) -> None:
        rule = make_rule()
        stores.rules.save(rule, now=T0)
        later = T0 + timedelta(days=2)
        edited = rule.model_copy(update={"created_at": later, "updated_at": later, "severity": Severity.info})
        saved = stores.rules.save(edited, now=later + timedelta(seconds=5))
        assert saved.created_at == T0
        assert saved.updated_at == later + timedelta(seconds=5)
        assert saved.severity is Severity.info
        assert stores.rules.get(rule.id) == saved
        assert len(stores.rules.list()) == 1

    def test_a_renamed_rule_keeps_its_id_and_stays_one_rule(self, stores: AlertStores) -> None:
        rule = stores.rules.save(make_rule(), now=T0)
        renamed = stores.rules.save(rule.edited(T0 + timedelta(hours=1), name="Gold complaints"))
        assert renamed.id == rule.id
        assert [r.name for r in stores.rules.list()] == ["Gold complaints"]

    def test_data_is_validated_with_located_errors(self, stores: AlertStores) -> None:
        data = make_rule().model_dump(mode="json")
        with pytest.raises(RuleInvalid) as info:
            stores.rules.save({**data, "query": "refund AND", "id": "bad"})
        [problem] = info.value.details["errors"]
        assert problem["loc"] == ["query"]
        assert problem["context"]["position"] == 10
        assert "bad" in str(info.value)
        assert stores.rules.get("bad") is None

    def test_a_rule_built_without_validation_is_refused(self, stores: AlertStores) -> None:
        good = make_rule()
        sneaky = Rule.model_construct(**{**dict(good), "group_by": ("colour",)})
        with pytest.raises(RuleInvalid, match="group_by"):
            stores.rules.save(sneaky)
        assert stores.rules.list() == []

    def test_save_from_data(self, stores: AlertStores) -> None:
        saved = stores.rules.save(
            {"name": "Refund spike", "owner": "ops", "query": "refund", "spec": SPIKE},
            now=T0,
        )
        assert saved.kind == "spike"
        assert stores.rules.get(saved.id) == saved

    def test_list_by_name_and_enabled_only(self, stores: AlertStores) -> None:
        for name, enabled in (("b rule", True), ("a rule", False), ("c rule", True)):
            stores.rules.save(make_rule(name, enabled=enabled), now=T0)
        assert [r.name for r in stores.rules.list()] == ["a rule", "b rule", "c rule"]
        assert [r.name for r in stores.rules.list(enabled_only=True)] == ["b rule", "c rule"]

    def test_delete(self, stores: AlertStores) -> None:
        rule = stores.rules.save(make_rule(), now=T0)
        assert stores.rules.delete(rule.id) is True
        assert stores.rules.get(rule.id) is None
        assert stores.rules.list() == []
        assert stores.rules.delete(rule.id) is False

    def test_rules_survive_a_restart(self, stores: AlertStores, stores_in: StoresIn) -> None:
        rule = stores.rules.save(make_rule(), now=T0)
        assert stores_in(WORKSPACE).rules.get(rule.id) == rule

    # isolation
    def test_the_same_rule_id_in_two_workspaces_is_two_rules(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        mine = stores.rules.save(make_rule(), now=T0)
        theirs = other.rules.save(make_rule(owner="someone-else", enabled=False), now=T0)
        assert mine.id == theirs.id
        assert stores.rules.get(mine.id) == mine
        assert other.rules.get(theirs.id) == theirs
        assert other.rules.list(enabled_only=True) == []

    def test_nothing_of_a_rule_reaches_another_workspace(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        rule = stores.rules.save(make_rule(), now=T0)
        assert other.rules.get(rule.id) is None
        assert other.rules.list() == []
        assert other.rules.delete(rule.id) is False
        assert stores.rules.get(rule.id) == rule


# --- alerts --------------------------------------------------------------------------------------
class AlertStoreContract(_Stores):
    def test_is_an_alert_store_of_its_workspace(self, stores: AlertStores) -> None:
        assert isinstance(stores.alerts, AlertStore)
        assert stores.alerts.workspace == WORKSPACE

    def test_ids_are_deterministic(self) -> None:
        rule = make_rule()
        assert make_alert("m1").id == alert_hit_id(rule.id, "c-42", "m1") == make_alert("m1").id
        spike = make_rule("Spike", spec=SPIKE)
        fire = Alert.for_window(spike, "", T0, fired_at=T0 + timedelta(hours=1))
        assert fire.id == window_alert_id(spike.id, "", T0)
        again = Alert.for_window(spike, "", T0, fired_at=T0 + timedelta(hours=2), mention_ids=("x",))
        assert again.id == fire.id  # a replay decides the same id
        recovery = Alert.for_window(spike, "", T0, fired_at=T0, decision="recovery")
        other_window = Alert.for_window(spike, "", T0 + timedelta(hours=1), fired_at=T0)
        assert len({fire.id, recovery.id, other_window.id}) == 3

    def test_add_is_idempotent(self, stores: AlertStores) -> None:
        alert = make_alert()
        assert stores.alerts.add(alert) is True
        assert stores.alerts.add(alert) is False
        assert stores.alerts.add(alert.model_copy(update={"fired_at": T0 + timedelta(hours=1)})) is False
        assert stores.alerts.get(alert.id) == alert  # the first one stays, whole
        assert stores.alerts.count() == 1

    def test_get_unknown(self, stores: AlertStores) -> None:
        assert stores.alerts.get("nope") is None

    def test_list_newest_first_with_filters(self, stores: AlertStores) -> None:
        spike = make_rule("Spike", spec=SPIKE)
        alerts = [
            make_alert("m1", key="a", fired_at=T0),
            make_alert("m2", key="b", fired_at=T0 + timedelta(minutes=2)),
            make_alert("m3", key="a", fired_at=T0 + timedelta(minutes=1)),
            Alert.for_window(spike, "a", T0, fired_at=T0 + timedelta(minutes=3)),
        ]
        for alert in alerts:
            stores.alerts.add(alert)
        stores.alerts.ack(alerts[1].id, by="ana", at=T0 + timedelta(minutes=5))
        listed = stores.alerts.list()
        assert [a.id for a in listed] == [alerts[i].id for i in (3, 1, 2, 0)]
        assert [a.id for a in stores.alerts.list(limit=2)] == [alerts[3].id, alerts[1].id]
        assert stores.alerts.list(limit=0) == []
        rule_id = make_rule().id
        by_rule = stores.alerts.list(AlertFilter(rule_id=rule_id))
        assert [a.id for a in by_rule] == [alerts[i].id for i in (1, 2, 0)]
        by_key = stores.alerts.list(AlertFilter(rule_id=rule_id, key="a"))
        assert [a.id for a in by_key] == [alerts[2].id, alerts[0].id]
        opened = stores.alerts.list(AlertFilter(status=AlertStatus.open))
        assert [a.id for a in opened] == [alerts[i].id for i in (3, 2, 0)]
        since = stores.alerts.list(AlertFilter(since=T0 + timedelta(minutes=1)))
        assert [a.id for a in since] == [alerts[i].id for i in (3, 1, 2)]
        assert stores.alerts.count() == 4
        assert stores.alerts.count(AlertFilter(status=AlertStatus.acknowledged)) == 1
        assert stores.alerts.count(AlertFilter(key="a", since=T0 + timedelta(seconds=1))) == 2

    def test_list_by_id_prefix(self, stores: AlertStores) -> None:
        alerts = [make_alert(f"m{i}") for i in range(3)]
        for alert in alerts:
            stores.alerts.add(alert)
        target = alerts[1].id
        found = stores.alerts.list(AlertFilter(id_prefix=target[:10]))
        assert [a.id for a in found] == [target]
        assert stores.alerts.count(AlertFilter(id_prefix=target)) == 1
        assert stores.alerts.count(AlertFilter(id_prefix=target + "x")) == 0
        assert stores.alerts.count(AlertFilter(id_prefix="%")) == 0  # never a pattern

    def test_the_explanation_comes_back_whole(self, stores: AlertStores) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        got = stores.alerts.get(alert.id)
        assert got is not None
        assert got.explanation == alert.explanation
        assert got.explanation.numbers == {"current": 12, "baseline": 3.25, "window": "1h"}

    def test_status_changes_keep_a_history(self, stores: AlertStores) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        t1, t2, t3 = (T0 + timedelta(minutes=n) for n in (1, 2, 3))
        acked = stores.alerts.ack(alert.id, by="ana", at=t1, note="looking")
        assert acked.status is AlertStatus.acknowledged
        snoozed = stores.alerts.snooze(alert.id, until=t3 + timedelta(hours=1), by="bo", at=t2)
        assert snoozed.status is AlertStatus.snoozed
        assert snoozed.snoozed_until == t3 + timedelta(hours=1)
        resolved = stores.alerts.resolve(alert.id, by="ana", at=t3)
        assert resolved.snoozed_until is None
        assert stores.alerts.get(alert.id) == resolved
        assert [(h.status, h.by, h.at) for h in resolved.history] == [
            (AlertStatus.acknowledged, "ana", t1),
            (AlertStatus.snoozed, "bo", t2),
            (AlertStatus.resolved, "ana", t3),
        ]
        assert resolved.history[0].note == "looking"
        assert resolved.history[1].until == t3 + timedelta(hours=1)

    def test_status_changes_of_an_unknown_alert(self, stores: AlertStores) -> None:
        with pytest.raises(NotFound):
            stores.alerts.ack("nope", by="ana", at=T0)
        with pytest.raises(NotFound):
            stores.alerts.snooze("nope", until=T0 + timedelta(hours=1), by="ana", at=T0)
        with pytest.raises(NotFound):
            stores.alerts.resolve("nope", by="ana", at=T0)

    def test_a_move_to_the_status_it_has_is_a_conflict(self, stores: AlertStores) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        acked = stores.alerts.ack(alert.id, by="ana", at=T0)
        with pytest.raises(Conflict, match="already acknowledged by ana"):
            stores.alerts.ack(alert.id, by="bo", at=T0 + timedelta(minutes=1))
        assert stores.alerts.get(alert.id) == acked
        stores.alerts.snooze(alert.id, until=T0 + timedelta(hours=1), by="ana", at=T0)
        longer = stores.alerts.snooze(alert.id, until=T0 + timedelta(hours=2), by="bo", at=T0)
        assert longer.snoozed_until == T0 + timedelta(hours=2)  # a snooze may get a new end
        stores.alerts.resolve(alert.id, by="ana", at=T0)
        with pytest.raises(Conflict):
            stores.alerts.resolve(alert.id, by="ana", at=T0)
        assert len(stores.alerts.get(alert.id).history) == 4  # type: ignore[union-attr]

    def test_a_snooze_needs_a_future_expiry(self, stores: AlertStores) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        with pytest.raises(InvalidInput):
            stores.alerts.snooze(alert.id, until=T0, by="ana", at=T0)
        assert stores.alerts.get(alert.id) == alert

    def test_snoozing_mutes_one_key_of_one_rule_until_it_expires(self, stores: AlertStores) -> None:
        vip, other_rule = make_rule(), make_rule("Other rule")
        alert = make_alert("m1", key="c-42")
        stores.alerts.add(alert)
        stores.alerts.add(make_alert("m2", key="c-7"))
        stores.alerts.add(make_alert("m1", key="c-42", rule=other_rule))
        assert not stores.alerts.is_muted(vip.id, "c-42", T0)
        until = T0 + timedelta(hours=4)
        stores.alerts.snooze(alert.id, until=until, by="ana", at=T0)
        assert stores.alerts.is_muted(vip.id, "c-42", T0 + timedelta(hours=1))
        assert not stores.alerts.is_muted(vip.id, "c-7", T0 + timedelta(hours=1))  # the rule's other keys
        assert not stores.alerts.is_muted(other_rule.id, "c-42", T0 + timedelta(hours=1))
        assert not stores.alerts.is_muted(vip.id, "c-42", until)  # expired
        stores.alerts.ack(alert.id, by="ana", at=T0 + timedelta(minutes=1))
        assert not stores.alerts.is_muted(vip.id, "c-42", T0 + timedelta(hours=1))  # acked: unmuted

    def test_list_pages_after_a_mark(self, stores: AlertStores) -> None:
        alerts = [make_alert(f"m{i}", fired_at=T0 + timedelta(minutes=i % 3)) for i in range(7)]
        for alert in alerts:
            stores.alerts.add(alert)
        every = stores.alerts.list()
        pages: list[list[Alert]] = []
        after: ListMark | None = None
        while True:
            page = stores.alerts.list(limit=3, after=after)
            if not page:
                break
            pages.append(page)
            after = ListMark(fired_at=page[-1].fired_at, id=page[-1].id)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [a.id for p in pages for a in p] == [a.id for a in every]
        newest = every[0]
        mark = ListMark(fired_at=newest.fired_at, id=newest.id)
        rest = stores.alerts.list(AlertFilter(status=AlertStatus.open), after=mark)
        assert [a.id for a in rest] == [a.id for a in every[1:]]

    # the feed of changes
    def test_the_feed_gives_each_alert_once_in_the_order_of_its_latest_change(
        self, stores: AlertStores
    ) -> None:
        one, two, three = make_alert("m1"), make_alert("m2"), make_alert("m3")
        start = stores.alerts.latest_mark(utcnow())
        assert stores.alerts.changed_since(start, now=_settled()) == []
        for alert in (one, two, three):
            stores.alerts.add(alert)
        stores.alerts.ack(one.id, by="ana", at=T0)  # `at` is any time: the store stamps its own
        stores.alerts.add(one)  # already there: no change
        changes = stores.alerts.changed_since(start, now=_settled())
        assert [c.alert.id for c in changes] == [two.id, three.id, one.id]
        assert changes[-1].alert.status is AlertStatus.acknowledged
        assert all(c.new_since(start) for c in changes)
        marks = [c.mark for c in changes]
        assert marks == sorted(marks, key=ChangeMark.key)
        assert len(set(marks)) == 3
        assert changes[-1].added < changes[-1].mark  # added first, moved since
        assert stores.alerts.changed_since(None, now=_settled()) == changes  # None: from the start
        assert stores.alerts.changed_since(start, now=_settled(), limit=2) == changes[:2]
        resumed = stores.alerts.changed_since(changes[0].mark, now=_settled())
        assert resumed == changes[1:]
        assert stores.alerts.changed_since(changes[-1].mark, now=_settled()) == []

    def test_a_reader_resuming_after_its_last_mark_learns_of_new_and_moved_alerts(
        self, stores: AlertStores
    ) -> None:
        old, fresh = make_alert("m1"), make_alert("m2")
        stores.alerts.add(old)
        [seen] = stores.alerts.changed_since(None, now=_settled())
        stores.alerts.add(fresh)
        stores.alerts.resolve(old.id, by="ana", at=T0)
        later = stores.alerts.changed_since(seen.mark, now=_settled())
        assert [(c.alert.id, c.new_since(seen.mark)) for c in later] == [(fresh.id, True), (old.id, False)]
        assert later[1].alert.status is AlertStatus.resolved
        assert later[1].added == seen.added

    def test_the_latest_mark_is_after_what_is_there(self, stores: AlertStores) -> None:
        stores.alerts.add(make_alert("m1"))
        head = stores.alerts.latest_mark(utcnow())
        after = make_alert("m2")
        stores.alerts.add(after)
        # at least once: a backend that settles may repeat the changes of its last moments
        assert [c.alert.id for c in stores.alerts.changed_since(head, now=_settled())][-1] == after.id

    def test_the_feed_keeps_to_its_workspace(self, stores: AlertStores, other: AlertStores) -> None:
        alert = make_alert()
        start = other.alerts.latest_mark(utcnow())
        stores.alerts.add(alert)
        stores.alerts.ack(alert.id, by="ana", at=T0)
        assert other.alerts.changed_since(None, now=_settled()) == []
        assert other.alerts.changed_since(start, now=_settled()) == []
        assert [c.alert.id for c in stores.alerts.changed_since(None, now=_settled())] == [alert.id]

    def test_alerts_survive_a_restart(self, stores: AlertStores, stores_in: StoresIn) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        again = stores_in(WORKSPACE).alerts
        assert again.get(alert.id) == alert
        assert again.add(alert) is False

    # isolation
    def test_the_same_alert_id_in_two_workspaces_is_two_alerts(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        alert = make_alert()
        assert stores.alerts.add(alert) is True
        assert other.alerts.add(alert) is True
        other.alerts.resolve(alert.id, by="them", at=T0 + timedelta(minutes=1))
        assert stores.alerts.get(alert.id) == alert
        assert stores.alerts.count(AlertFilter(status=AlertStatus.resolved)) == 0

    def test_delete_removes_the_given_alerts_of_its_workspace(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        one, two = make_alert("m1"), make_alert("m2")
        for alert in (one, two):
            stores.alerts.add(alert)
        other.alerts.add(one)
        assert stores.alerts.delete([one.id, "nope"]) == 1
        assert stores.alerts.delete([]) == 0
        assert [a.id for a in stores.alerts.list()] == [two.id]
        assert other.alerts.get(one.id) == one

    def test_nothing_of_an_alert_reaches_another_workspace(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        alert = make_alert()
        stores.alerts.add(alert)
        stores.alerts.snooze(alert.id, until=T0 + timedelta(hours=1), by="ana", at=T0)
        assert other.alerts.get(alert.id) is None
        assert other.alerts.list() == []
        assert other.alerts.count() == 0
        assert not other.alerts.is_muted(alert.rule_id, alert.key, T0)
        with pytest.raises(NotFound):
            other.alerts.ack(alert.id, by="x", at=T0)
        with pytest.raises(NotFound):
            other.alerts.resolve(alert.id, by="x", at=T0)
        with pytest.raises(NotFound):
            other.alerts.snooze(alert.id, until=T0 + timedelta(days=1), by="x", at=T0)
        got = stores.alerts.get(alert.id)
        assert got is not None
        assert got.status is AlertStatus.snoozed
        assert len(got.history) == 1


# --- outbox --------------------------------------------------------------------------------------
class OutboxStoreContract(_Stores):
    def test_is_an_outbox_store_of_its_workspace(self, stores: AlertStores) -> None:
        assert isinstance(stores.outbox, OutboxStore)
        assert stores.outbox.workspace == WORKSPACE

    def test_enqueue_is_idempotent_per_alert_and_channel(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        message = message_for("a1")
        assert outbox.enqueue(message, "slack", now=T0) is True
        assert outbox.enqueue(message, "slack", now=T0 + timedelta(minutes=1)) is False
        assert outbox.enqueue(message, "email", now=T0) is True
        record = outbox.get("a1", "slack")
        assert record is not None
        assert (record.state, record.attempts, record.next_attempt_at) == (DeliveryState.pending, 0, T0)
        assert record.message == message
        assert record.created_at == T0
        assert outbox.get("a1", "nope") is None
        assert outbox.counts() == {DeliveryState.pending: 2, DeliveryState.sent: 0, DeliveryState.failed: 0}

    def test_a_report_keeps_its_html_body_and_the_paths_of_its_files(
        self, stores: AlertStores, tmp_path: Path
    ) -> None:
        message = make_report_message(tmp_path, workspace=WORKSPACE)
        assert stores.outbox.enqueue(message, "mail", now=T0) is True
        record = stores.outbox.get(message.alert_id, "mail")
        assert record is not None
        assert record.message == message
        assert record.message.html_body == message.html_body
        assert [a.path for a in record.message.attachments] == [a.path for a in message.attachments]
        claimed = stores.outbox.claim(stores.outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        assert claimed.message == message

    def test_a_message_of_another_workspace_is_refused(self, stores: AlertStores) -> None:
        with pytest.raises(InvalidInput):
            stores.outbox.enqueue(message_for("a1", OTHER_WORKSPACE), "slack", now=T0)
        assert stores.outbox.get("a1", "slack") is None

    def test_due_is_pending_and_due_most_overdue_first(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0 + timedelta(minutes=2))
        outbox.enqueue(message_for("a2"), "slack", now=T0)
        outbox.enqueue(message_for("a3"), "slack", now=T0, not_before=T0 + timedelta(hours=8))  # quiet hours
        outbox.enqueue(message_for("a4"), "slack", now=T0 + timedelta(minutes=1))
        assert [r.alert_id for r in outbox.due(T0 + timedelta(minutes=5))] == ["a2", "a4", "a1"]
        assert [r.alert_id for r in outbox.due(T0 + timedelta(minutes=5), limit=2)] == ["a2", "a4"]
        assert [r.alert_id for r in outbox.due(T0)] == ["a2"]
        assert [r.alert_id for r in outbox.due(T0 + timedelta(hours=8))] == ["a2", "a4", "a1", "a3"]

    def test_due_leaves_out_the_channels_held_back(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "email", now=T0)
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        outbox.enqueue(message_for("a2"), "wecom", now=T0)
        due = outbox.due(T0, exclude_channels=("email", "wecom"))
        assert [(r.alert_id, r.channel) for r in due] == [("a1", "slack")]
        assert len(outbox.due(T0, exclude_channels=())) == 3

    def test_a_claim_takes_one_attempt_and_a_lease(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        [record] = outbox.due(T0)
        claimed = outbox.claim(record, now=T0, lease=LEASE)
        assert claimed is not None
        assert (claimed.attempts, claimed.next_attempt_at) == (1, T0 + LEASE)
        assert outbox.get("a1", "slack") == claimed
        assert outbox.due(T0 + LEASE - timedelta(seconds=1)) == []
        assert outbox.claim(record, now=T0, lease=LEASE) is None  # stale: someone claimed it
        [expired] = outbox.due(T0 + LEASE)  # the claimer died: due again after its lease
        assert expired.attempts == 1

    def test_mark_sent(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        claimed = outbox.claim(outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        assert outbox.mark_sent(claimed, at=T0 + timedelta(seconds=1), status=200) is True
        record = outbox.get("a1", "slack")
        assert record is not None
        assert (record.state, record.sent_at, record.last_status) == (
            DeliveryState.sent,
            T0 + timedelta(seconds=1),
            200,
        )
        assert outbox.due(T0 + timedelta(days=1)) == []
        assert outbox.mark_sent(claimed, at=T0) is False  # stale
        with pytest.raises(InvalidInput):
            outbox.claim(record, now=T0, lease=LEASE)  # a sent record is final
        assert outbox.counts()[DeliveryState.sent] == 1

    def test_mark_retry_keeps_the_reason_and_reschedules(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        claimed = outbox.claim(outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        later = T0 + timedelta(seconds=30)
        assert outbox.mark_retry(claimed, next_attempt_at=later, reason="HTTP 503", at=T0, status=503)
        [record] = outbox.due(later)
        assert (record.state, record.attempts, record.last_status, record.last_reason) == (
            DeliveryState.pending,
            1,
            503,
            "HTTP 503",
        )
        assert outbox.due(later - timedelta(seconds=1)) == []
        assert not outbox.mark_retry(claimed, next_attempt_at=T0, reason="stale", at=T0)

    def test_mark_failed(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        claimed = outbox.claim(outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        assert outbox.mark_failed(claimed, reason="HTTP 404: no such hook", at=T0, status=404)
        record = outbox.get("a1", "slack")
        assert record is not None
        assert (record.state, record.last_status, record.last_reason) == (
            DeliveryState.failed,
            404,
            "HTTP 404: no such hook",
        )
        assert outbox.due(T0 + timedelta(days=1)) == []
        assert [r.alert_id for r in outbox.list(state=DeliveryState.failed)] == ["a1"]
        assert outbox.counts() == {DeliveryState.pending: 0, DeliveryState.sent: 0, DeliveryState.failed: 1}

    def test_a_long_reason_is_clipped(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        outbox.enqueue(message_for("a1"), "slack", now=T0)
        claimed = outbox.claim(outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        outbox.mark_failed(claimed, reason="x" * 5000, at=T0)
        record = outbox.get("a1", "slack")
        assert record is not None
        assert 0 < len(record.last_reason) <= 500

    def test_delete_removes_every_delivery_of_the_alerts(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        for channel in ("slack", "email"):
            stores.outbox.enqueue(message_for("a1"), channel, now=T0)
        stores.outbox.enqueue(message_for("a2"), "slack", now=T0)
        other.outbox.enqueue(message_for("a1", OTHER_WORKSPACE), "slack", now=T0)
        assert stores.outbox.delete(["a1", "a9"]) == 2
        assert stores.outbox.delete([]) == 0
        assert [(r.alert_id, r.channel) for r in stores.outbox.list()] == [("a2", "slack")]
        assert other.outbox.get("a1", "slack") is not None

    def test_list(self, stores: AlertStores) -> None:
        outbox = stores.outbox
        for n, channel in enumerate(("slack", "email", "webhook")):
            outbox.enqueue(message_for("a1"), channel, now=T0 + timedelta(seconds=n))
        outbox.enqueue(message_for("a2"), "slack", now=T0 + timedelta(seconds=9))
        assert [(r.alert_id, r.channel) for r in outbox.list()] == [
            ("a1", "slack"),
            ("a1", "email"),
            ("a1", "webhook"),
            ("a2", "slack"),
        ]
        assert [r.channel for r in outbox.list(alert_id="a1", limit=2)] == ["slack", "email"]
        assert [r.alert_id for r in outbox.list(state=DeliveryState.pending, alert_id="a2")] == ["a2"]
        assert outbox.list(state=DeliveryState.sent) == []

    def test_racing_claims_have_one_winner(self, stores: AlertStores, stores_in: StoresIn) -> None:
        stores.outbox.enqueue(message_for("a1"), "slack", now=T0)
        outboxes = [stores_in(WORKSPACE).outbox for _ in range(4)]
        seen = [outbox.due(T0) for outbox in outboxes]  # every dispatcher read the record
        assert all(len(records) == 1 for records in seen)
        wins: list[OutboxRecord] = []
        barrier = threading.Barrier(len(outboxes))

        def claim(index: int) -> None:
            barrier.wait()
            won = outboxes[index].claim(seen[index][0], now=T0, lease=LEASE)
            if won is not None:
                wins.append(won)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(outboxes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1
        assert stores.outbox.get("a1", "slack") == wins[0]

    def test_the_outbox_survives_a_restart(self, stores: AlertStores, stores_in: StoresIn) -> None:
        stores.outbox.enqueue(message_for("a1"), "slack", now=T0)
        claimed = stores.outbox.claim(stores.outbox.due(T0)[0], now=T0, lease=LEASE)
        assert claimed is not None
        again = stores_in(WORKSPACE).outbox
        assert again.get("a1", "slack") == claimed
        assert again.mark_sent(claimed, at=T0) is True  # the revision means the same to a new object

    # isolation
    def test_the_same_delivery_in_two_workspaces_is_two_records(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        assert stores.outbox.enqueue(message_for("a1"), "slack", now=T0) is True
        assert other.outbox.enqueue(message_for("a1", OTHER_WORKSPACE), "slack", now=T0) is True
        theirs = other.outbox.claim(other.outbox.due(T0)[0], now=T0, lease=LEASE)
        assert theirs is not None
        assert other.outbox.mark_sent(theirs, at=T0)
        mine = stores.outbox.get("a1", "slack")
        assert mine is not None
        assert mine.state is DeliveryState.pending
        assert mine.attempts == 0
        assert mine.message.workspace == WORKSPACE

    def test_nothing_of_a_delivery_reaches_another_workspace(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        stores.outbox.enqueue(message_for("a1"), "slack", now=T0)
        [record] = stores.outbox.due(T0)
        assert other.outbox.get("a1", "slack") is None
        assert other.outbox.due(T0 + timedelta(days=1)) == []
        assert other.outbox.list() == []
        assert set(other.outbox.counts().values()) == {0}
        assert other.outbox.claim(record, now=T0, lease=LEASE) is None
        assert other.outbox.mark_sent(record, at=T0) is False
        assert other.outbox.mark_failed(record, reason="x", at=T0) is False
        assert stores.outbox.get("a1", "slack") == record


# --- engine state --------------------------------------------------------------------------------
STATE: dict[str, Any] = {
    "version": 3,
    "windows": {"c-42": {"start": "2025-03-04T12:00:00+00:00", "count": 7, "mentions": ["m1", "m2"]}},
    "baseline": [1.5, 2.25, 0.1, 1e-9, -3],
    "cooldowns": {},
    "flags": [True, False, None],
    "note": '客户投诉 \u2028 "quoted"',
}


class EngineStateStoreContract(_Stores):
    def test_is_an_engine_state_store_of_its_workspace(self, stores: AlertStores) -> None:
        assert isinstance(stores.state, EngineStateStore)
        assert stores.state.workspace == WORKSPACE

    def test_save_and_load_any_json_object(self, stores: AlertStores) -> None:
        assert stores.state.load("r1") is None
        stores.state.save("r1", STATE)
        assert stores.state.load("r1") == STATE
        stores.state.save("r1", {"version": 4})
        assert stores.state.load("r1") == {"version": 4}
        stores.state.save("r2", {})
        assert stores.state.load("r2") == {}

    def test_not_json_is_refused(self, stores: AlertStores) -> None:
        with pytest.raises(InvalidInput):
            stores.state.save("r1", {"when": T0})
        with pytest.raises(InvalidInput):
            stores.state.save("r1", {"x": float("nan")})
        assert stores.state.load("r1") is None

    def test_rule_ids_and_delete(self, stores: AlertStores) -> None:
        for rule_id in ("r2", "r1", "r3"):
            stores.state.save(rule_id, {"n": rule_id})
        assert stores.state.rule_ids() == ["r1", "r2", "r3"]
        assert stores.state.delete("r2") is True
        assert stores.state.delete("r2") is False
        assert stores.state.load("r2") is None
        assert stores.state.rule_ids() == ["r1", "r3"]

    def test_state_survives_a_restart(self, stores: AlertStores, stores_in: StoresIn) -> None:
        stores.state.save("r1", STATE)
        assert stores_in(WORKSPACE).state.load("r1") == STATE

    # isolation
    def test_the_same_rule_in_two_workspaces_has_two_states(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        stores.state.save("r1", {"mine": 1})
        other.state.save("r1", {"theirs": 2})
        assert stores.state.load("r1") == {"mine": 1}
        assert other.state.load("r1") == {"theirs": 2}

    def test_nothing_of_a_state_reaches_another_workspace(
        self, stores: AlertStores, other: AlertStores
    ) -> None:
        stores.state.save("r1", STATE)
        assert other.state.load("r1") is None
        assert other.state.rule_ids() == []
        assert other.state.delete("r1") is False
        assert stores.state.load("r1") == STATE
