"""Customer segments: saved, named filters over the master file and the scores, evaluated to the
customers in them (docs/customers.md, Segments).

A definition is a small YAML or JSON document (`load_segment`): ``name``, ``owner``, ``description``
and ``filter``, a conjunction of typed conditions (every condition given must hold; a list inside one
condition is OR'ed). No query language: the fields are the conditions (`SegmentFilter`).

Profiling consent: a customer without ``consent.profiling`` is never in a segment that uses a
score-based condition (value tier, RFM segment, churn risk, sentiment): they have no scores (crm/scores
skips them) and their mentions are not linked, and evaluation checks the consent itself as well.

`SegmentStore` keeps definitions per workspace on SQLite (table ``crm_segments``) or Elasticsearch
(``<prefix>-segments``) with the shared record storage (crm/record_store.py; the owner takes the
record's customer column, the last update its time).
"""

from __future__ import annotations

import builtins
import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import yaml
from pydantic import AwareDatetime, Field, ValidationError, model_validator

from core.errors import InvalidInput
from core.models import Customer, Frozen, SentimentLabel, Tier, utcnow
from core.settings import Settings
from crm.cases.store import CaseFilter
from crm.record_store import ElasticsearchRecords, RecordKind, SQLiteRecords, UpsertCounts
from crm.scores.pareto import ValueTier
from crm.scores.rfm import Segment
from crm.scores.score import CustomerScore
from index.base import MentionFilter


class Range(Frozen):
    """A closed interval in [0, 1]; an open end is unbounded."""

    min: float | None = Field(None, ge=0, le=1)
    max: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class SegmentFilter(Frozen):
    """Every condition given must hold; the values of a list condition are alternatives."""

    tiers: tuple[Tier, ...] = Field((), description="Master-file tier")
    value_tiers: tuple[ValueTier, ...] = Field((), description="Pareto value tier (score)")
    rfm_segments: tuple[Segment, ...] = Field((), description="RFM segment (score)")
    churn_risk: Range | None = Field(None, description="Churn risk (score)")
    negative_share: Range | None = Field(None, description="Share of negative linked mentions (profiling)")
    platforms: tuple[str, ...] = Field((), description="The customer has a handle on one of these platforms")
    product_categories: tuple[str, ...] = Field(
        (), description="A product of one of their orders, or their master-file category"
    )
    owners: tuple[str, ...] = Field((), description="Account owner")
    has_open_case: bool | None = Field(None, description="Has (true) or has no (false) open case")

    @property
    def profiling(self) -> bool:
        """Whether a condition is score-based (customers without profiling consent never match)."""
        return bool(self.value_tiers or self.rfm_segments or self.churn_risk or self.negative_share)


class SegmentDefinition(Frozen):
    name: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=200)
    description: str = ""
    filter: SegmentFilter = SegmentFilter()
    updated_at: AwareDatetime = Field(default_factory=utcnow)


def parse_segment(data: Any, *, source: str = "<segment>") -> SegmentDefinition:
    """A definition from decoded data; problems raise InvalidInput, each located as file and field."""
    try:
        return SegmentDefinition.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"file": source, "loc": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        where = "; ".join(f"{p['file']}:{p['loc']}: {p['message']}" for p in problems)
        raise InvalidInput(f"invalid segment: {where}", details={"file": source, "errors": problems}) from exc


def load_segment(path: Path | str) -> SegmentDefinition:
    """The definition in a YAML (or, by suffix, JSON) file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot read: {exc.strerror or exc}", details={"file": str(path)}
        ) from exc
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: not valid YAML or JSON: {exc}", details={"file": str(path)}) from exc
    return parse_segment(data, source=str(path))


# --- evaluation ----------------------------------------------------------------------------------
@dataclass
class SegmentContext:
    """What conditions read besides the customer, loaded once for any number of segments."""

    scores: Mapping[str, CustomerScore] = field(default_factory=dict)
    open_case_customers: frozenset[str] = frozenset()
    products: Mapping[str, frozenset[str]] = field(default_factory=dict)
    negative_share: Callable[[str], float | None] = lambda _: None


def matches(customer: Customer, f: SegmentFilter, ctx: SegmentContext) -> bool:
    if f.profiling and not customer.consent.profiling:
        return False
    if f.tiers and customer.tier not in f.tiers:
        return False
    if f.owners and customer.owner not in f.owners:
        return False
    if f.platforms and not {h.platform.lower() for h in customer.handles} & {p.lower() for p in f.platforms}:
        return False
    if f.product_categories:
        have = {p.casefold() for p in ctx.products.get(customer.id, frozenset())}
        have |= {customer.category.casefold()} if customer.category else set()
        if not have & {c.casefold() for c in f.product_categories}:
            return False
    if f.has_open_case is not None and (customer.id in ctx.open_case_customers) != f.has_open_case:
        return False
    score = ctx.scores.get(customer.id)
    if f.value_tiers and (score is None or score.tier not in f.value_tiers):
        return False
    if f.rfm_segments and (score is None or score.segment not in f.rfm_segments):
        return False
    if f.churn_risk and (score is None or score.churn is None or not f.churn_risk.holds(score.churn.risk)):
        return False
    if f.negative_share:
        share = ctx.negative_share(customer.id)
        if share is None or not f.negative_share.holds(share):
            return False
    return True


class SegmentResult(Frozen):
    segment: SegmentDefinition
    members: tuple[Customer, ...]
    customers: int = Field(description="Customers evaluated")

    @property
    def count(self) -> int:
        return len(self.members)


def evaluate(
    definition: SegmentDefinition, customers: Iterable[Customer], ctx: SegmentContext
) -> SegmentResult:
    members: list[Customer] = []
    seen = 0
    for customer in customers:
        seen += 1
        if matches(customer, definition.filter, ctx):
            members.append(customer)
    return SegmentResult(segment=definition, members=tuple(members), customers=seen)


def load_context(settings: Settings, *, workspace: str, filters: Sequence[SegmentFilter]) -> SegmentContext:
    """Read what `filters` need from the workspace's stores (and nothing they do not)."""
    from crm.cases.store import build_case_store
    from crm.orders import build_order_store
    from crm.scores import build_score_store
    from index.backends import build_mention_store

    ctx = SegmentContext()
    if any(f.value_tiers or f.rfm_segments or f.churn_risk for f in filters):
        scores = build_score_store(settings, workspace=workspace)
        try:
            ctx.scores = {s.customer_id: s for s in scores.list()}
        finally:
            scores.close()
    if any(f.has_open_case is not None for f in filters):
        cases = build_case_store(settings, workspace=workspace)
        try:
            ctx.open_case_customers = frozenset(c.customer_id for c in cases.list(CaseFilter(open_only=True)))
        finally:
            cases.close()
    if any(f.product_categories for f in filters):
        orders = build_order_store(settings, workspace=workspace)
        products: dict[str, set[str]] = {}
        try:
            for order in orders.iter_all():
                products.setdefault(order.customer_id, set()).update(order.products)
        finally:
            orders.close()
        ctx.products = {k: frozenset(v) for k, v in products.items()}
    if any(f.negative_share for f in filters):
        mentions = build_mention_store(settings, workspace=workspace)
        shares: dict[str, float | None] = {}

        def negative(customer_id: str) -> float | None:
            if customer_id not in shares:
                share = mentions.sentiment_share(MentionFilter(customer_ids=(customer_id,)))
                shares[customer_id] = share.share(SentimentLabel.negative) if share.total else None
            return shares[customer_id]

        ctx.negative_share = negative
    return ctx


def evaluate_segments(
    settings: Settings, *, workspace: str, definitions: Sequence[SegmentDefinition]
) -> builtins.list[SegmentResult]:
    """Each definition evaluated over the workspace's customers (read once)."""
    from crm.customers import build_customer_directory

    ctx = load_context(settings, workspace=workspace, filters=[d.filter for d in definitions])
    directory = build_customer_directory(settings, workspace=workspace)
    try:
        customers = builtins.list(directory.iter_all())
    finally:
        directory.close()
    return [evaluate(d, customers, ctx) for d in definitions]


CSV_HEADER = ("code", "name", "tier", "category", "owner", "value_tier", "segment", "churn_risk")


def write_csv(result: SegmentResult, out: Path, scores: Mapping[str, CustomerScore] | None = None) -> int:
    """The members as CSV (UTF-8 with a BOM, for spreadsheet programs); returns the rows written."""
    scores = scores or {}
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for c in result.members:
            s = scores.get(c.id)
            writer.writerow(
                [
                    c.code,
                    c.name,
                    c.tier.value,
                    c.category or "",
                    c.owner or "",
                    s.tier.value if s and s.tier else "",
                    s.segment.value if s and s.segment else "",
                    f"{s.churn.risk:.3f}" if s and s.churn else "",
                ]
            )
    return len(result.members)


# --- memberships (alert rules that target segments) ----------------------------------------------
class SegmentMemberships:
    """Which customers are in which of a workspace's segments, cached: evaluated when first asked,
    again on `refresh` and once older than `max_age`. Between refreshes a customer who joined or left
    a segment (new scores, a new case, an edited master file) is seen as before: that is the staleness."""

    def __init__(self, settings: Settings, *, workspace: str, max_age: timedelta = timedelta(minutes=15)):
        self.settings = settings
        self.workspace = workspace
        self.max_age = max_age
        self._members: dict[str, frozenset[str]] | None = None
        self._at: datetime | None = None

    def refresh(self) -> None:
        self._members = None

    def members(self, names: Iterable[str], now: datetime | None = None) -> frozenset[str]:
        """The customer ids in any of the named segments (an unknown name has none)."""
        now = now or utcnow()
        if self._members is None or self._at is None or now - self._at > self.max_age:
            store = build_segment_store(self.settings, workspace=self.workspace)
            try:
                definitions = builtins.list(store.iter_all())
            finally:
                store.close()
            results = evaluate_segments(self.settings, workspace=self.workspace, definitions=definitions)
            self._members = {r.segment.name: frozenset(c.id for c in r.members) for r in results}
            self._at = now
        return frozenset().union(*(self._members.get(n, frozenset()) for n in names))


# --- the store -----------------------------------------------------------------------------------
class SegmentStore(Protocol):
    """One workspace's segment definitions, by name."""

    @property
    def workspace(self) -> str: ...

    def upsert(self, segments: Iterable[SegmentDefinition]) -> UpsertCounts: ...

    def get(self, name: str) -> SegmentDefinition | None: ...

    def iter_all(self, batch_size: int = 1000) -> Iterator[SegmentDefinition]: ...

    def count(self, customer_id: str | None = None) -> int: ...

    def delete(self, ids: Sequence[str]) -> int: ...

    def close(self) -> None: ...


SEGMENTS: RecordKind[SegmentDefinition] = RecordKind(
    model=SegmentDefinition,
    table="crm_segments",
    index_suffix="segments",
    key=lambda s: s.name,
    customer=lambda s: s.owner,
    at=lambda s: s.updated_at,
)


class SQLiteSegmentStore(SQLiteRecords[SegmentDefinition]):
    kind: ClassVar[RecordKind[Any]] = SEGMENTS


class ElasticsearchSegmentStore(ElasticsearchRecords[SegmentDefinition]):
    kind: ClassVar[RecordKind[Any]] = SEGMENTS


def build_segment_store(
    settings: Settings, *, workspace: str
) -> SQLiteSegmentStore | ElasticsearchSegmentStore:
    if settings.store.backend == "elasticsearch":
        return ElasticsearchSegmentStore(settings, workspace=workspace)
    return SQLiteSegmentStore(settings, workspace=workspace)
