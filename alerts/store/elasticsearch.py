"""The alerting stores on Elasticsearch: one small index each, named from the configured prefix.

- ``<prefix>-alert-rules``, ``<prefix>-alerts``, ``<prefix>-alert-outbox``, ``<prefix>-alert-state``:
  created on first use with explicit, strict mappings (one shard; the replicas of the mention index).
  Each document keeps the record itself in ``doc`` (stored, not indexed) and, beside it, the keyword
  and date fields that filters and sorts read, and the ``workspace`` keyword that every query filters
  on; its ``_id`` is `core.ids.scoped_doc_id` of the workspace and the record's key.
- Every write is read back at once (a saved rule, an added alert, an enqueued, claimed or settled
  delivery: the next `due` must not offer a claimed record), so it uses ``refresh="wait_for"``; the
  indices refresh every 200 ms, so that costs at most that. Correctness does not rest on it: a search
  that still saw a record before its claim would carry the older sequence number, and claiming with
  it fails.
- Every read-modify-write is optimistic (``if_seq_no``/``if_primary_term``): a rule's save and an
  alert's status change retry on a conflict, an outbox claim or transition reports it (two dispatchers
  never both take one record). The revision of an outbox record is ``"<seq_no>:<primary_term>"``.
- The feed of alerts (`AlertStore.changed_since`) reads ``added_at`` and ``changed_at``, the writer's
  clock when it added and last moved the alert. Writers in several processes stamp and index
  concurrently, and a refresh may show a later mark before an earlier one, so the feed holds back the
  changes of the last `FEED_SETTLE` before the reader's clock: by then every earlier write is indexed
  and refreshed (clocks within that much of each other). An index created before these fields gets
  them added to its mapping (allowed on a strict mapping); its older alerts are simply not in the feed.

The client is built from the settings on first use, or shared (``client=``): `build_alert_stores`
gives the four stores one client.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from alerts.channels.base import AlertMessage
from alerts.inbox import Alert, AlertStatus
from alerts.outbox import DeliveryState, OutboxRecord
from alerts.rules import Rule
from alerts.store import common
from alerts.store.base import AlertChange, AlertFilter, ChangeMark, ListMark
from core.errors import StoreError
from core.ids import scoped_doc_id
from core.models import parse_datetime, utcnow
from index.backends.elasticsearch import es_datetime
from index.es_client import translated
from index.es_scoped import ScopedElasticsearch
from index.schema import WORKSPACE_FIELD, WORKSPACE_MAPPING

if TYPE_CHECKING:
    pass

REFRESH_INTERVAL = "200ms"
#: How long the feed of alerts waits before it trusts that every change stamped earlier is readable:
#: the refresh interval, a slow write and some clock difference between writers, with room to spare.
FEED_SETTLE = timedelta(seconds=2)
_PAGE = 1000
_CONFLICT_RETRIES = 8
_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 8191}
_DATE: dict[str, Any] = {"type": "date_nanos"}
_DOC: dict[str, Any] = {"type": "object", "enabled": False}  # the record itself, returned as is
_STORED_TEXT: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": False}
_META = {"managed_by": "earful", "workspaces": True}

Hit = dict[str, Any]


def _mappings(keywords: str, dates: str = "", **fields: dict[str, Any]) -> dict[str, Any]:
    """Strict mappings: the workspace, the keyword and date fields named (space-separated), `fields`."""
    properties = {
        WORKSPACE_FIELD: WORKSPACE_MAPPING,
        **dict.fromkeys(keywords.split(), _KEYWORD),
        **dict.fromkeys(dates.split(), _DATE),
        **fields,
    }
    return {"dynamic": "strict", "_meta": _META, "properties": properties}


def _revision(found: Mapping[str, Any]) -> str:
    return f"{found['_seq_no']}:{found['_primary_term']}"


def _if_revision(revision: str | None) -> tuple[int | None, int | None]:
    """(if_seq_no, if_primary_term) of a revision; (None, None) for an unconditional write."""
    if revision is None:
        return None, None
    seq_no, _, term = revision.partition(":")
    if not seq_no.isdigit() or not term.isdigit():
        raise StoreError(f"not an Elasticsearch revision: {revision!r}", details={"revision": revision})
    return int(seq_no), int(term)


class _ElasticsearchAlertIndex(ScopedElasticsearch):
    """One workspace's view of one alerting index; subclasses name it and map it."""

    suffix: ClassVar[str]
    mappings: ClassVar[dict[str, Any]]

    @property
    def index(self) -> str:
        return f"{self.prefix}-{self.suffix}"

    def ensure_ready(self) -> None:
        """Create the index when missing (idempotent; a concurrent creation is fine)."""
        self._create_index(self.index, self.mappings, refresh_interval=REFRESH_INTERVAL)
        self._ready = True

    # --- primitives ------------------------------------------------------------------------------
    def _id(self, key: str) -> str:
        return scoped_doc_id(self._workspace, key)

    def _body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {**fields, WORKSPACE_FIELD: self._workspace}

    def _fetch(self, key: str, action: str) -> tuple[dict[str, Any], str] | None:
        """The stored source of `key` in this workspace and its revision (a realtime get)."""
        client = self._ensure()
        with translated(action):
            found = client.options(ignore_status=404).get(index=self.index, id=self._id(key))
        if not found.get("found") or found["_source"].get(WORKSPACE_FIELD) != self._workspace:
            return None
        return found["_source"], _revision(found.body)

    def _create(self, key: str, fields: Mapping[str, Any], action: str) -> bool:
        """Store a new document; False when one of that key is already there."""
        from elasticsearch import ConflictError

        client = self._ensure()
        with translated(action):
            try:
                client.create(
                    index=self.index, id=self._id(key), document=self._body(fields), refresh="wait_for"
                )
            except ConflictError:
                return False
        return True

    def _put(self, key: str, fields: Mapping[str, Any], action: str, *, revision: str | None) -> str | None:
        """Write a document (only over `revision` when given): its new revision, None on a conflict."""
        from elasticsearch import ConflictError

        client = self._ensure()
        if_seq_no, if_primary_term = _if_revision(revision)
        with translated(action):
            try:
                written = client.index(
                    index=self.index,
                    id=self._id(key),
                    document=self._body(fields),
                    refresh="wait_for",
                    if_seq_no=if_seq_no,
                    if_primary_term=if_primary_term,
                )
            except ConflictError:
                return None
        return _revision(written.body)

    def _update(
        self, key: str, change: Callable[[dict[str, Any] | None], dict[str, Any]], action: str
    ) -> dict[str, Any]:
        """Read, change and write back `key`, again from the top when someone wrote in between."""
        for _ in range(_CONFLICT_RETRIES):
            found = self._fetch(key, action)
            if found is None:
                body = change(None)
                if self._create(key, body, action):
                    return body
                continue
            body = change(found[0])
            if self._put(key, body, action, revision=found[1]) is not None:
                return body
        raise StoreError(f"could not {action}: too many concurrent writers", details={"key": key})

    def _delete(self, key: str, action: str) -> bool:
        client = self._ensure()
        with translated(action):
            found = client.options(ignore_status=404).delete(
                index=self.index, id=self._id(key), refresh="wait_for"
            )
        return bool(found.get("result") == "deleted")

    def _search(
        self, query: dict[str, Any], sort: builtins.list[Any], action: str, limit: int | None = None
    ) -> builtins.list[Hit]:
        """Every hit (search_after pages), or the first `limit`; with revisions."""
        client = self._ensure()
        hits: builtins.list[Hit] = []
        after: builtins.list[Any] | None = None
        while limit is None or len(hits) < limit:
            size = _PAGE if limit is None else min(_PAGE, limit - len(hits))
            with translated(action):
                response = client.search(
                    index=self.index,
                    query=query,
                    sort=sort,
                    size=size,
                    search_after=after,
                    seq_no_primary_term=True,
                    track_total_hits=False,
                )
            page = response["hits"]["hits"]
            hits += [hit for hit in page if hit["_source"].get(WORKSPACE_FIELD) == self._workspace]
            if len(page) < size:
                break
            after = page[-1]["sort"]
        return hits

    def _count(self, query: dict[str, Any], action: str) -> int:
        client = self._ensure()
        with translated(action):
            return int(client.count(index=self.index, query=query)["count"])


# --- rules ---------------------------------------------------------------------------------------
class ElasticsearchRuleStore(_ElasticsearchAlertIndex):
    suffix = "alert-rules"
    mappings = _mappings("id name", enabled={"type": "boolean"}, doc=_DOC)

    def save(self, rule: Rule | Mapping[str, Any], *, now: datetime | None = None) -> Rule:
        checked = common.checked_rule(common.rule_data(rule))

        def change(source: dict[str, Any] | None) -> dict[str, Any]:
            before = Rule.model_validate(source["doc"]) if source is not None else None
            stored = common.stored_rule(checked, before, now)
            return {
                "id": stored.id,
                "name": stored.name,
                "enabled": stored.enabled,
                "doc": stored.model_dump(mode="json"),
            }

        return Rule.model_validate(self._update(checked.id, change, "save a rule")["doc"])

    def get(self, rule_id: str) -> Rule | None:
        found = self._fetch(rule_id, "get a rule")
        return None if found is None else Rule.model_validate(found[0]["doc"])

    def list(self, *, enabled_only: bool = False) -> builtins.list[Rule]:
        query = self._scoped({"term": {"enabled": True}}) if enabled_only else self._scoped()
        hits = self._search(query, [{"name": "asc"}, {"id": "asc"}], "list rules")
        return [Rule.model_validate(hit["_source"]["doc"]) for hit in hits]

    def delete(self, rule_id: str) -> bool:
        return self._delete(rule_id, "delete a rule")


# --- alerts --------------------------------------------------------------------------------------
def _alert_fields(alert: Alert, added_at: str, changed_at: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule_id": alert.rule_id,
        "key": alert.key,
        "status": alert.status.value,
        "fired_at": es_datetime(alert.fired_at),
        "snoozed_until": es_datetime(alert.snoozed_until) if alert.snoozed_until is not None else None,
        "added_at": added_at,
        "changed_at": es_datetime(changed_at),
        "doc": alert.model_dump(mode="json"),
    }


def _after(field: str, value: str, after_id: str, *, ascending: bool) -> dict[str, Any]:
    """The documents after ``(value, id)`` in the order ``field`` (ascending or not), then id ascending."""
    beyond = "gt" if ascending else "lt"
    return {
        "bool": {
            "should": [
                {"range": {field: {beyond: value}}},
                {"bool": {"filter": [{"term": {field: value}}, {"range": {"id": {"gt": after_id}}}]}},
            ],
            "minimum_should_match": 1,
        }
    }


class ElasticsearchAlertStore(common.StatusMoves, _ElasticsearchAlertIndex):
    suffix = "alerts"
    mappings = _mappings("id rule_id key status", "fired_at snoozed_until added_at changed_at", doc=_DOC)

    def ensure_ready(self) -> None:
        """Create the index when missing; an index of an older Earful gets the feed's fields."""
        if not self._create_index(self.index, self.mappings, refresh_interval=REFRESH_INTERVAL):
            with translated("add the feed fields to the alerts index"):
                self.client.indices.put_mapping(
                    index=self.index, properties={"added_at": _DATE, "changed_at": _DATE}
                )
        self._ready = True

    def _query(self, filters: AlertFilter | None, after: ListMark | None = None) -> dict[str, Any]:
        f = filters or AlertFilter()
        clauses: builtins.list[dict[str, Any]] = [
            {"term": {field: str(value)}}
            for field, value in (("status", f.status), ("rule_id", f.rule_id), ("key", f.key))
            if value is not None
        ]
        if f.since is not None:
            clauses.append({"range": {"fired_at": {"gte": es_datetime(f.since)}}})
        if f.id_prefix is not None:
            clauses.append({"prefix": {"id": f.id_prefix}})
        if after is not None:
            clauses.append(_after("fired_at", es_datetime(after.fired_at), after.id, ascending=False))
        return self._scoped(*clauses)

    def add(self, alert: Alert) -> bool:
        now = utcnow()
        return self._create(alert.id, _alert_fields(alert, es_datetime(now), now), "add an alert")

    def delete(self, alert_ids: Sequence[str]) -> int:
        if not alert_ids:
            return 0
        return self._delete_where(self.index, {"terms": {"id": builtins.list(alert_ids)}}, what="alerts")

    def get(self, alert_id: str) -> Alert | None:
        found = self._fetch(alert_id, "get an alert")
        return None if found is None else Alert.model_validate(found[0]["doc"])

    def list(
        self, filters: AlertFilter | None = None, *, limit: int = 100, after: ListMark | None = None
    ) -> builtins.list[Alert]:
        sort = [{"fired_at": "desc"}, {"id": "asc"}]
        hits = self._search(self._query(filters, after), sort, "list alerts", common.check_limit(limit))
        return [Alert.model_validate(hit["_source"]["doc"]) for hit in hits]

    def count(self, filters: AlertFilter | None = None) -> int:
        return self._count(self._query(filters), "count alerts")

    def _move(self, alert_id: str, action: str, change: common.AlertChange) -> Alert:
        def changed(source: dict[str, Any] | None) -> dict[str, Any]:
            if source is None:
                raise common.not_found(alert_id)
            added = source.get("added_at") or source["fired_at"]  # an alert stored before the feed
            return _alert_fields(change(Alert.model_validate(source["doc"])), added, utcnow())

        return Alert.model_validate(self._update(alert_id, changed, action)["doc"])

    def changed_since(
        self, mark: ChangeMark | None, *, now: datetime, limit: int = 100
    ) -> builtins.list[AlertChange]:
        clauses: builtins.list[dict[str, Any]] = [
            {"range": {"changed_at": {"lte": es_datetime(now - FEED_SETTLE)}}}
        ]
        if mark is not None:
            clauses.append(_after("changed_at", es_datetime(mark.at), mark.id, ascending=True))
        sort = [{"changed_at": "asc"}, {"id": "asc"}]
        hits = self._search(
            self._scoped(*clauses), sort, "read the feed of alerts", common.check_limit(limit)
        )
        out = []
        for hit in hits:
            source = hit["_source"]
            out.append(
                AlertChange(
                    alert=Alert.model_validate(source["doc"]),
                    mark=ChangeMark(at=parse_datetime(source["changed_at"]), id=source["id"]),
                    added=ChangeMark(at=parse_datetime(source["added_at"]), id=source["id"]),
                )
            )
        return out

    def latest_mark(self, now: datetime) -> ChangeMark:
        # Changes of the last FEED_SETTLE are not settled: a reader starting now reads them next.
        return ChangeMark(at=now - FEED_SETTLE)

    def is_muted(self, rule_id: str, key: str, now: datetime) -> bool:
        query = self._scoped(
            {"term": {"rule_id": rule_id}},
            {"term": {"key": key}},
            {"term": {"status": AlertStatus.snoozed.value}},
            {"range": {"snoozed_until": {"gt": es_datetime(now)}}},
        )
        return self._count(query, "check a mute") > 0


# --- outbox --------------------------------------------------------------------------------------
def _outbox_key(alert_id: str, channel: str) -> str:
    return f"{alert_id}\x1f{channel}"


def _outbox_fields(record: OutboxRecord) -> dict[str, Any]:
    return {
        "alert_id": record.alert_id,
        "channel": record.channel,
        "state": record.state.value,
        "next_attempt_at": es_datetime(record.next_attempt_at),
        "created_at": es_datetime(record.created_at),
        "doc": record.model_dump(mode="json", exclude={"revision"}),
    }


def _from_hit(source: Mapping[str, Any], revision: str) -> OutboxRecord:
    return OutboxRecord.model_validate({**source["doc"], "revision": revision})


class ElasticsearchOutboxStore(common.OutboxTransitions, _ElasticsearchAlertIndex):
    suffix = "alert-outbox"
    mappings = _mappings("alert_id channel state", "next_attempt_at created_at", doc=_DOC)

    def delete(self, alert_ids: Sequence[str]) -> int:
        if not alert_ids:
            return 0
        return self._delete_where(
            self.index, {"terms": {"alert_id": builtins.list(alert_ids)}}, what="deliveries"
        )

    def enqueue(
        self, message: AlertMessage, channel: str, *, now: datetime, not_before: datetime | None = None
    ) -> bool:
        common.check_owned(message, self._workspace)
        record = common.pending(message, channel, now, not_before)
        key = _outbox_key(record.alert_id, channel)
        return self._create(key, _outbox_fields(record), "enqueue a delivery")

    def get(self, alert_id: str, channel: str) -> OutboxRecord | None:
        found = self._fetch(_outbox_key(alert_id, channel), "get a delivery")
        return None if found is None else _from_hit(*found)

    def _records(
        self, clauses: builtins.list[dict[str, Any]], sort: builtins.list[Any], action: str, limit: int
    ) -> builtins.list[OutboxRecord]:
        hits = self._search(self._scoped(*clauses), sort, action, common.check_limit(limit))
        return [_from_hit(hit["_source"], _revision(hit)) for hit in hits]

    def list(
        self, *, state: DeliveryState | None = None, alert_id: str | None = None, limit: int = 100
    ) -> builtins.list[OutboxRecord]:
        clauses: builtins.list[dict[str, Any]] = [
            {"term": {field: str(value)}}
            for field, value in (("state", state), ("alert_id", alert_id))
            if value is not None
        ]
        sort = [{"created_at": "asc"}, {"alert_id": "asc"}, {"channel": "asc"}]
        return self._records(clauses, sort, "list deliveries", limit)

    def due(
        self, now: datetime, limit: int = 100, *, exclude_channels: Collection[str] = ()
    ) -> builtins.list[OutboxRecord]:
        clauses: builtins.list[dict[str, Any]] = [
            {"term": {"state": DeliveryState.pending.value}},
            {"range": {"next_attempt_at": {"lte": es_datetime(now)}}},
        ]
        if exclude_channels:
            clauses.append({"bool": {"must_not": {"terms": {"channel": sorted(set(exclude_channels))}}}})
        sort = [{"next_attempt_at": "asc"}, {"alert_id": "asc"}, {"channel": "asc"}]
        return self._records(clauses, sort, "list due deliveries", limit)

    def _swap(self, record: OutboxRecord, updated: OutboxRecord, action: str) -> OutboxRecord | None:
        key = _outbox_key(record.alert_id, record.channel)
        revision = self._put(key, _outbox_fields(updated), action, revision=record.revision)
        return None if revision is None else updated.model_copy(update={"revision": revision})

    def counts(self) -> dict[DeliveryState, int]:
        client = self._ensure()
        with translated("count deliveries"):
            response = client.search(
                index=self.index,
                query=self._scoped(),
                size=0,
                aggs={"states": {"terms": {"field": "state", "size": len(DeliveryState)}}},
            )
        out = common.zero_counts()
        buckets = response["aggregations"]["states"]["buckets"]
        out.update({DeliveryState(b["key"]): int(b["doc_count"]) for b in buckets})
        return out


# --- engine state --------------------------------------------------------------------------------
class ElasticsearchEngineStateStore(_ElasticsearchAlertIndex):
    suffix = "alert-state"
    mappings = _mappings("rule_id", "updated_at", state=_STORED_TEXT)

    def save(self, rule_id: str, state: Mapping[str, Any]) -> None:
        text = common.state_json(rule_id, state)
        fields = {"rule_id": rule_id, "state": text, "updated_at": es_datetime(utcnow())}
        self._put(rule_id, fields, "save engine state", revision=None)

    def load(self, rule_id: str) -> dict[str, Any] | None:
        found = self._fetch(rule_id, "load engine state")
        if found is None:
            return None
        loaded: dict[str, Any] = json.loads(found[0]["state"])
        return loaded

    def delete(self, rule_id: str) -> bool:
        return self._delete(rule_id, "delete engine state")

    def rule_ids(self) -> builtins.list[str]:
        hits = self._search(self._scoped(), [{"rule_id": "asc"}], "list engine states")
        return [str(hit["_source"]["rule_id"]) for hit in hits]
