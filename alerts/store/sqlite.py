"""The alerting stores on SQLite: their own tables in the mentions database file (or another one).

Tables (version 2 of the ``alerts`` table set, recorded in ``earful_meta`` as
``alerts_schema_version`` and migrated by `index.backends.sqlite_schema.ensure_table_set`); each keeps
the record's JSON in ``doc`` and, beside it, the columns that filters and sorts read; every key leads
with the workspace:
- ``alert_rules``: ``(workspace, id)``, name and enabled;
- ``alerts``: ``(workspace, id)``, rule, key, status, fired and snoozed-until times, and the marks of
  the feed (`AlertStore.changed_since`): ``added_us`` and ``changed_us``, the store's clock when it added
  and last moved the alert, strictly increasing within a workspace (a mark is taken in the write
  transaction, past the workspace's latest), so the order of marks is the order of commits and a
  reader resuming after a mark misses nothing. Version 1 lacked them; its alerts get their fired
  time as both marks;
- ``alert_outbox``: ``(workspace, alert_id, channel)``, state, next attempt, created, and ``version``:
  the revision that claims and transitions compare and increment;
- ``alert_engine_state``: ``(workspace, rule_id)``, the engine's JSON text.

Connections, transactions and error translation are the mention store's (`index.backends.sqlite_db`).
Read-modify-writes (a rule's save, an alert's status change) run in an IMMEDIATE transaction under the
write lock; an outbox transition is one conditional UPDATE.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.channels.base import AlertMessage
from alerts.inbox import Alert, AlertStatus
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.rules import Rule
from alerts.store import common
from alerts.store.base import AlertChange, AlertFilter, ChangeMark, ListMark
from core.models import utcnow
from index.aggregations import from_epoch_micros, to_epoch_micros
from index.backends.sqlite_db import ScopedSQLite
from index.backends.sqlite_schema import ensure_table_set

SCHEMA_VERSION = 2
_ALERTS_CHANGED_INDEX = "CREATE INDEX IF NOT EXISTS alerts_changed ON alerts (workspace, changed_us, id)"
_DDL = (
    "CREATE TABLE IF NOT EXISTS alert_rules (workspace TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, "
    "enabled INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workspace, id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS alerts (workspace TEXT NOT NULL, id TEXT NOT NULL, rule_id TEXT NOT NULL, "
    "key TEXT NOT NULL, status TEXT NOT NULL, fired_us INTEGER NOT NULL, snoozed_until_us INTEGER, "
    "doc TEXT NOT NULL, added_us INTEGER NOT NULL DEFAULT 0, changed_us INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (workspace, id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS alerts_fired ON alerts (workspace, fired_us, id)",
    "CREATE INDEX IF NOT EXISTS alerts_rule_key ON alerts (workspace, rule_id, key, status)",
    _ALERTS_CHANGED_INDEX,
    "CREATE TABLE IF NOT EXISTS alert_outbox (workspace TEXT NOT NULL, alert_id TEXT NOT NULL, "
    "channel TEXT NOT NULL, state TEXT NOT NULL, next_us INTEGER NOT NULL, created_us INTEGER NOT NULL, "
    "version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workspace, alert_id, channel)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (workspace, state, next_us)",
    "CREATE TABLE IF NOT EXISTS alert_engine_state (workspace TEXT NOT NULL, rule_id TEXT NOT NULL, "
    "state TEXT NOT NULL, updated_us INTEGER NOT NULL, PRIMARY KEY (workspace, rule_id)) WITHOUT ROWID",
)
# version -> statements to the next version (`ensure_table_set`).
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE alerts ADD COLUMN added_us INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE alerts ADD COLUMN changed_us INTEGER NOT NULL DEFAULT 0",
        "UPDATE alerts SET added_us = fired_us, changed_us = fired_us",
        _ALERTS_CHANGED_INDEX,
    ),
}


def ensure_alert_tables(conn: sqlite3.Connection) -> None:
    ensure_table_set(conn, name="alerts", version=SCHEMA_VERSION, ddl=_DDL, migrations=_MIGRATIONS)


class _SQLiteAlertTables(ScopedSQLite):
    """One workspace's view of the alerting tables: ``(settings, workspace=)`` or ``(path=, workspace=)``.
    Nothing is opened before first use."""

    def _prepare(self, conn: sqlite3.Connection) -> None:
        ensure_alert_tables(conn)

    def _one(self, operation: str, sql: str, *params: Any) -> Any:
        """The first column of the first row of a query within this workspace (None without a row)."""
        with self._db.session(operation) as conn:
            row = conn.execute(sql, (self._workspace, *params)).fetchone()
        return None if row is None else row[0]

    def _delete_each(self, operation: str, sql: str, keys: Sequence[str]) -> int:
        """Run a ``DELETE ... WHERE workspace = ? AND <key> = ?`` per key in one write; rows removed."""
        with self._db.writing(operation) as conn:
            return sum(conn.execute(sql, (self._workspace, key)).rowcount for key in dict.fromkeys(keys))

    def _column(self, operation: str, sql: str, params: list[Any]) -> list[Any]:
        with self._db.session(operation) as conn:
            return [row[0] for row in conn.execute(sql, [self._workspace, *params])]


# --- rules ---------------------------------------------------------------------------------------
class SQLiteRuleStore(_SQLiteAlertTables):
    def save(self, rule: Rule | Mapping[str, Any], *, now: datetime | None = None) -> Rule:
        checked = common.checked_rule(common.rule_data(rule))
        with self._db.writing("save a rule") as conn:
            row = conn.execute(
                "SELECT doc FROM alert_rules WHERE workspace = ? AND id = ?", (self._workspace, checked.id)
            ).fetchone()
            stored = common.stored_rule(checked, Rule.model_validate_json(row[0]) if row else None, now)
            conn.execute(
                "INSERT OR REPLACE INTO alert_rules (workspace, id, name, enabled, doc) "
                "VALUES (?, ?, ?, ?, ?)",
                (self._workspace, stored.id, stored.name, int(stored.enabled), stored.model_dump_json()),
            )
        return stored

    def get(self, rule_id: str) -> Rule | None:
        doc = self._one("get a rule", "SELECT doc FROM alert_rules WHERE workspace = ? AND id = ?", rule_id)
        return None if doc is None else Rule.model_validate_json(doc)

    def list(self, *, enabled_only: bool = False) -> list[Rule]:
        enabled = " AND enabled = 1" if enabled_only else ""
        docs = self._column(
            "list rules", f"SELECT doc FROM alert_rules WHERE workspace = ?{enabled} ORDER BY name, id", []
        )
        return [Rule.model_validate_json(doc) for doc in docs]

    def delete(self, rule_id: str) -> bool:
        with self._db.writing("delete a rule") as conn:
            cursor = conn.execute(
                "DELETE FROM alert_rules WHERE workspace = ? AND id = ?", (self._workspace, rule_id)
            )
        return cursor.rowcount > 0


# --- alerts --------------------------------------------------------------------------------------
def _alert_where(filters: AlertFilter | None, after: ListMark | None = None) -> tuple[str, list[Any]]:
    clauses: list[str] = ["workspace = ?"]
    params: list[Any] = []
    f = filters or AlertFilter()
    for column, value in (("status", f.status), ("rule_id", f.rule_id), ("key", f.key)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    if f.since is not None:
        clauses.append("fired_us >= ?")
        params.append(to_epoch_micros(f.since))
    if f.id_prefix is not None:
        clauses.append("substr(id, 1, ?) = ?")  # not LIKE: a prefix may hold % or _
        params.extend([len(f.id_prefix), f.id_prefix])
    if after is not None:  # list order is (fired_us DESC, id ASC)
        fired = to_epoch_micros(after.fired_at)
        clauses.append("(fired_us < ? OR (fired_us = ? AND id > ?))")
        params.extend([fired, fired, after.id])
    return " AND ".join(clauses), params


_ALERT_COLUMNS = "workspace, id, rule_id, key, status, fired_us, snoozed_until_us, doc, added_us, changed_us"
_ALERT_VALUES = ", ".join("?" * len(_ALERT_COLUMNS.split(", ")))


def _alert_row(workspace: str, alert: Alert, added_us: int, changed_us: int) -> tuple[Any, ...]:
    snoozed = to_epoch_micros(alert.snoozed_until) if alert.snoozed_until is not None else None
    return (
        workspace,
        alert.id,
        alert.rule_id,
        alert.key,
        alert.status.value,
        to_epoch_micros(alert.fired_at),
        snoozed,
        alert.model_dump_json(),
        added_us,
        changed_us,
    )


class SQLiteAlertStore(common.StatusMoves, _SQLiteAlertTables):
    def _next_mark(self, conn: sqlite3.Connection) -> int:
        """The mark of a change being written (in the write transaction): the clock, or just past the
        workspace's latest mark when the clock is not (several writes in one microsecond, a clock set
        back), so marks follow the order of commits."""
        latest = conn.execute(
            "SELECT max(changed_us) FROM alerts WHERE workspace = ?", (self._workspace,)
        ).fetchone()[0]
        return max(to_epoch_micros(utcnow()), (latest or 0) + 1)

    def add(self, alert: Alert) -> bool:
        with self._db.writing("add an alert") as conn:
            mark = self._next_mark(conn)
            cursor = conn.execute(
                f"INSERT OR IGNORE INTO alerts ({_ALERT_COLUMNS}) VALUES ({_ALERT_VALUES})",
                _alert_row(self._workspace, alert, mark, mark),
            )
        return cursor.rowcount > 0

    def delete(self, alert_ids: Sequence[str]) -> int:
        return self._delete_each(
            "delete alerts", "DELETE FROM alerts WHERE workspace = ? AND id = ?", alert_ids
        )

    def get(self, alert_id: str) -> Alert | None:
        doc = self._one("get an alert", "SELECT doc FROM alerts WHERE workspace = ? AND id = ?", alert_id)
        return None if doc is None else Alert.model_validate_json(doc)

    def list(
        self, filters: AlertFilter | None = None, *, limit: int = 100, after: ListMark | None = None
    ) -> list[Alert]:
        clause, params = _alert_where(filters, after)
        docs = self._column(
            "list alerts",
            f"SELECT doc FROM alerts WHERE {clause} ORDER BY fired_us DESC, id LIMIT ?",
            [*params, common.check_limit(limit)],
        )
        return [Alert.model_validate_json(doc) for doc in docs]

    def count(self, filters: AlertFilter | None = None) -> int:
        clause, params = _alert_where(filters)
        return int(self._column("count alerts", f"SELECT count(*) FROM alerts WHERE {clause}", params)[0])

    def _move(self, alert_id: str, action: str, change: common.AlertChange) -> Alert:
        with self._db.writing(action) as conn:
            row = conn.execute(
                "SELECT doc, added_us FROM alerts WHERE workspace = ? AND id = ?", (self._workspace, alert_id)
            ).fetchone()
            if row is None:
                raise common.not_found(alert_id)
            moved = change(Alert.model_validate_json(row[0]))
            conn.execute(
                f"INSERT OR REPLACE INTO alerts ({_ALERT_COLUMNS}) VALUES ({_ALERT_VALUES})",
                _alert_row(self._workspace, moved, row[1], self._next_mark(conn)),
            )
        return moved

    def changed_since(
        self, mark: ChangeMark | None, *, now: datetime, limit: int = 100
    ) -> builtins.list[AlertChange]:
        # `now` is not needed: marks are taken in commit order, so whatever is readable is settled.
        at, after_id = (to_epoch_micros(mark.at), mark.id) if mark is not None else (-1, "")
        with self._db.session("read the feed of alerts") as conn:
            rows = conn.execute(
                "SELECT doc, added_us, changed_us, id FROM alerts WHERE workspace = ? "
                "AND (changed_us > ? OR (changed_us = ? AND id > ?)) ORDER BY changed_us, id LIMIT ?",
                (self._workspace, at, at, after_id, common.check_limit(limit)),
            ).fetchall()
        return [
            AlertChange(
                alert=Alert.model_validate_json(doc),
                mark=ChangeMark(at=from_epoch_micros(changed), id=alert_id),
                added=ChangeMark(at=from_epoch_micros(added), id=alert_id),
            )
            for doc, added, changed, alert_id in rows
        ]

    def latest_mark(self, now: datetime) -> ChangeMark:
        with self._db.session("read the feed of alerts") as conn:
            row = conn.execute(
                "SELECT changed_us, id FROM alerts WHERE workspace = ? ORDER BY changed_us DESC, id DESC "
                "LIMIT 1",
                (self._workspace,),
            ).fetchone()
        return common.FEED_ORIGIN if row is None else ChangeMark(at=from_epoch_micros(row[0]), id=row[1])

    def is_muted(self, rule_id: str, key: str, now: datetime) -> bool:
        found = self._one(
            "check a mute",
            "SELECT 1 FROM alerts WHERE workspace = ? AND rule_id = ? AND key = ? AND status = ? "
            "AND snoozed_until_us > ? LIMIT 1",
            rule_id,
            key,
            AlertStatus.snoozed.value,
            to_epoch_micros(now),
        )
        return found is not None


# --- outbox --------------------------------------------------------------------------------------
_OUTBOX_COLUMNS = "doc, version"


def _record(doc: str, version: int) -> OutboxRecord:
    return OutboxRecord.model_validate_json(doc).model_copy(update={"revision": str(version)})


def _outbox_values(record: OutboxRecord) -> tuple[str, int, str]:
    doc = record.model_copy(update={"revision": ""}).model_dump_json()
    return record.state.value, to_epoch_micros(record.next_attempt_at), doc


class SQLiteOutboxStore(common.OutboxTransitions, _SQLiteAlertTables):
    def enqueue(
        self, message: AlertMessage, channel: str, *, now: datetime, not_before: datetime | None = None
    ) -> bool:
        common.check_owned(message, self._workspace)
        record = common.pending(message, channel, now, not_before)
        state, next_us, doc = _outbox_values(record)
        with self._db.session("enqueue a delivery") as conn, self._db.write_lock:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO alert_outbox (workspace, alert_id, channel, state, next_us, "
                "created_us, version, doc) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                (self._workspace, record.alert_id, channel, state, next_us, to_epoch_micros(now), doc),
            )
        return cursor.rowcount > 0

    def _records(self, operation: str, where: str, params: list[Any], tail: str) -> list[OutboxRecord]:
        sql = f"SELECT {_OUTBOX_COLUMNS} FROM alert_outbox WHERE workspace = ?{where} {tail}"
        with self._db.session(operation) as conn:
            rows = conn.execute(sql, [self._workspace, *params]).fetchall()
        return [_record(doc, version) for doc, version in rows]

    def delete(self, alert_ids: Sequence[str]) -> int:
        return self._delete_each(
            "delete deliveries", "DELETE FROM alert_outbox WHERE workspace = ? AND alert_id = ?", alert_ids
        )

    def get(self, alert_id: str, channel: str) -> OutboxRecord | None:
        found = self._records("get a delivery", " AND alert_id = ? AND channel = ?", [alert_id, channel], "")
        return found[0] if found else None

    def list(
        self, *, state: DeliveryState | None = None, alert_id: str | None = None, limit: int = 100
    ) -> list[OutboxRecord]:
        where = ""
        params: builtins.list[Any] = []
        if state is not None:
            where, params = f"{where} AND state = ?", [*params, DeliveryState(state).value]
        if alert_id is not None:
            where, params = f"{where} AND alert_id = ?", [*params, alert_id]
        tail = "ORDER BY created_us, alert_id, channel LIMIT ?"
        return self._records("list deliveries", where, [*params, common.check_limit(limit)], tail)

    def due(
        self, now: datetime, limit: int = 100, *, exclude_channels: Collection[str] = ()
    ) -> builtins.list[OutboxRecord]:
        excluded = sorted(set(exclude_channels))
        where = " AND state = ? AND next_us <= ?"
        if excluded:
            where += f" AND channel NOT IN ({', '.join('?' * len(excluded))})"
        return self._records(
            "list due deliveries",
            where,
            [DeliveryState.pending.value, to_epoch_micros(now), *excluded, common.check_limit(limit)],
            "ORDER BY next_us, alert_id, channel LIMIT ?",
        )

    def _swap(self, record: OutboxRecord, updated: OutboxRecord, action: str) -> OutboxRecord | None:
        state, next_us, doc = _outbox_values(updated)
        with self._db.session(action) as conn, self._db.write_lock:
            cursor = conn.execute(
                "UPDATE alert_outbox SET state = ?, next_us = ?, doc = ?, version = version + 1 "
                "WHERE workspace = ? AND alert_id = ? AND channel = ? AND version = ? AND state = ?",
                (
                    state,
                    next_us,
                    doc,
                    self._workspace,
                    record.alert_id,
                    record.channel,
                    int(record.revision or 0),
                    DeliveryState.pending.value,
                ),
            )
        if cursor.rowcount != 1:
            return None
        return updated.model_copy(update={"revision": str(int(record.revision) + 1)})

    def counts(self) -> dict[DeliveryState, int]:
        out = common.zero_counts()
        with self._db.session("count deliveries") as conn:
            rows = conn.execute(
                "SELECT state, count(*) FROM alert_outbox WHERE workspace = ? GROUP BY state",
                (self._workspace,),
            )
            out.update({DeliveryState(state): int(n) for state, n in rows})
        return out


# --- engine state --------------------------------------------------------------------------------
class SQLiteEngineStateStore(_SQLiteAlertTables):
    def save(self, rule_id: str, state: Mapping[str, Any]) -> None:
        text = common.state_json(rule_id, state)
        with self._db.session("save engine state") as conn, self._db.write_lock:
            conn.execute(
                "INSERT OR REPLACE INTO alert_engine_state (workspace, rule_id, state, updated_us) "
                "VALUES (?, ?, ?, ?)",
                (self._workspace, rule_id, text, to_epoch_micros(utcnow())),
            )

    def load(self, rule_id: str) -> dict[str, Any] | None:
        text = self._one(
            "load engine state",
            "SELECT state FROM alert_engine_state WHERE workspace = ? AND rule_id = ?",
            rule_id,
        )
        if text is None:
            return None
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    def delete(self, rule_id: str) -> bool:
        with self._db.session("delete engine state") as conn, self._db.write_lock:
            cursor = conn.execute(
                "DELETE FROM alert_engine_state WHERE workspace = ? AND rule_id = ?",
                (self._workspace, rule_id),
            )
        return cursor.rowcount > 0

    def rule_ids(self) -> list[str]:
        return [
            str(rule_id)
            for rule_id in self._column(
                "list engine states",
                "SELECT rule_id FROM alert_engine_state WHERE workspace = ? ORDER BY rule_id",
                [],
            )
        ]
