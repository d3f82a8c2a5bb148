"""Merge and unmerge (crm/identity/merge.py) on both backends: the dry run, the round trip, link
feedback across merges with the real linker, the refusals; and duplicates found in a directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import InvalidInput, NotFound
from core.models import (
    Author,
    Consent,
    Contact,
    Customer,
    CustomerLink,
    EnrichedMention,
    Handle,
    RawMention,
    Tier,
)
from core.settings import Settings
from crm.customers import CustomerRecord, CustomerStore, build_customer_directory
from crm.identity.audit import MergeAudit, MergeRecord, build_merge_audit_store
from crm.identity.merge import CustomerIdentity, MergePlan
from index.backends import build_mention_store
from index.base import MentionStore
from nlp.linking.linker import ScoredLinker
from tests.contracts.test_customer_store import CUSTOMER_BACKENDS

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
ANA = Customer(
    code="C001",
    name="Ana Lima",
    tier=Tier.silver,
    consent=Consent(profiling=True),
    city="Lisbon",
    handles=(Handle(platform="demo", handle="ana_l", user_id="u1"),),
    contacts=(Contact(kind="email", value="ana@example.com"),),
)
ANA_TOO = Customer(  # the same person, entered again by another salesperson
    code="C002",
    name="Ana  LIMA",
    tier=Tier.gold,
    consent=Consent(profiling=True),
    birthday=date(1990, 4, 1),
    owner="li.wei",
    city="Porto",
    handles=(Handle(platform="twitter", handle="analima"),),
    contacts=(
        Contact(kind="email", value="ANA@example.com"),
        Contact(kind="phone", value="+351 912 345 678"),
    ),
)
BO = Customer(code="C003", name="Bo Chen", consent=Consent(profiling=True))
RECORDS = [
    CustomerRecord(customer=ANA, order_numbers=("#A1",)),
    CustomerRecord(customer=ANA_TOO, order_numbers=("#A2",)),
    CustomerRecord(customer=BO),
]


def mention(n: int, customer: Customer | None, handle: str = "someone") -> EnrichedMention:
    raw = RawMention(
        platform="demo",
        native_id=f"m{n}",
        source="test",
        text=f"mention {n}",
        published_at=NOW - timedelta(hours=n),
        author=Author(platform="demo", handle=handle),
    )
    link = (
        CustomerLink(customer_id=customer.id, confidence=0.85, method="handle", evidence=(f"e{n}",))
        if customer
        else None
    )
    return EnrichedMention.from_raw(raw, lang="en", customer=link)


MENTIONS = [mention(1, ANA_TOO), mention(2, ANA_TOO), mention(3, ANA), mention(4, BO), mention(5, None)]


@dataclass
class Stores:
    directory: CustomerStore
    mentions: MentionStore
    audit: MergeAudit
    settings: Settings

    @property
    def identity(self) -> CustomerIdentity:
        return CustomerIdentity(self.directory, self.mentions, self.audit)

    def snapshot(self) -> tuple[object, ...]:
        d = self.directory
        self.mentions.refresh()
        return (
            d.records(),
            [d.feedback_of(c.id) for c in (ANA, ANA_TOO, BO)],
            [self.mentions.get(m.id) for m in MENTIONS],
        )


StoresIn = Callable[[str], Stores]


@pytest.fixture(params=[pytest.param(n, marks=CUSTOMER_BACKENDS[n].marks) for n in sorted(CUSTOMER_BACKENDS)])
def stores_in(request: pytest.FixtureRequest) -> Iterator[StoresIn]:
    settings: Settings = CUSTOMER_BACKENDS[request.param].settings(request)
    made: list[Stores] = []

    def make(workspace: str) -> Stores:
        stores = Stores(
            build_customer_directory(settings, workspace=workspace),
            build_mention_store(settings, workspace=workspace, ensure_ready=True),
            build_merge_audit_store(settings, workspace=workspace),
            settings,
        )
        made.append(stores)
        return stores

    yield make
    for stores in made:
        stores.directory.close()
        stores.mentions.close()
        stores.audit.close()


@pytest.fixture
def stores(stores_in: StoresIn) -> Stores:
    stores = stores_in("default")
    stores.directory.upsert(RECORDS)
    stores.mentions.upsert(MENTIONS)
    stores.mentions.refresh()
    stores.directory.record_feedback("demo:@troll", ANA_TOO.id, "reject", "m9")
    stores.directory.record_feedback("demo:@fan", ANA_TOO.id, "confirm")
    return stores


def test_the_dry_run_says_what_would_change_and_changes_nothing(stores: Stores) -> None:
    before = stores.snapshot()
    plan = stores.identity.merge("C001", "c002", by="li.wei", dry_run=True)
    assert isinstance(plan, MergePlan)
    assert plan.filled == ("birthday", "owner", "tier (gold, higher)")
    assert plan.kept == ("city",)
    assert any("phone" in item for item in plan.added)
    assert any("twitter" in item for item in plan.added)
    assert "order number #A2" in plan.added
    assert not any("ANA@example.com" in item for item in plan.added)  # the same e-mail, normalised
    assert [v.author_key for v in plan.feedback_added] == ["demo:@troll", "demo:@fan"]
    assert {m.mention_id for m in plan.mentions} == {MENTIONS[0].id, MENTIONS[1].id}
    lines = plan.lines()
    assert lines[0].startswith("merge C002 (Ana  LIMA) into C001 (Ana Lima)")
    assert lines[-1] == "  re-point 2 linked mentions from C002 to C001"
    assert stores.snapshot() == before
    assert stores.audit.list() == []


def test_merge_then_unmerge_restores_both_customers_exactly(stores: Stores) -> None:
    before = stores.snapshot()
    record = stores.identity.merge("C001", "C002", by="li.wei")
    assert isinstance(record, MergeRecord)
    d = stores.directory
    assert d.get(ANA_TOO.id) is None
    merged = d.get(ANA.id)
    assert merged is not None
    assert merged.tier is Tier.gold
    assert merged.birthday == date(1990, 4, 1)
    assert merged.city == "Lisbon"
    assert [c.code for c in d.by_phone("+351912345678")] == ["C001"]  # the absorbed customer's keys
    assert [c.code for c in d.by_handle("twitter", "analima")] == ["C001"]
    assert d.order_numbers(ANA.id) == ("#A1", "#A2")
    stores.mentions.refresh()
    for m in MENTIONS[:2]:
        moved = stores.mentions.get(m.id)
        assert moved is not None
        assert moved.customer is not None
        assert moved.customer.customer_id == ANA.id
        assert moved.customer.evidence[-1] == f"merged from C002 ({record.id})"
    assert stores.mentions.get(MENTIONS[3].id) == MENTIONS[3]
    assert [(m.id, m.by, m.active) for m in stores.audit.list()] == [(record.id, "li.wei", True)]
    assert record.absorbed_before == RECORDS[1]

    result = stores.identity.unmerge(record.id, by="ana")
    assert (result.mentions_restored, result.mentions_left) == (2, 0)
    assert stores.snapshot() == before
    undone = stores.audit.get(record.id)
    assert undone is not None
    assert not undone.active
    assert undone.undone_by == "ana"


def test_feedback_holds_for_the_survivor_after_a_merge(stores: Stores) -> None:
    linker = ScoredLinker(stores.directory, feedback=stores.directory)

    def by(handle: str) -> RawMention:
        return mention(20, None, handle=handle).to_raw()

    assert linker.link(by("troll")) is None  # no key of anyone
    # the troll writes as @ana_l, ANA's handle: without the rejection copied, he would link to ANA
    stores.directory.record_feedback("demo:@ana_l", ANA_TOO.id, "reject")
    found = linker.link(by("ana_l"))
    assert found is not None
    assert found.customer_id == ANA.id
    record = stores.identity.merge("C001", "C002", by="li.wei")
    assert linker.link(by("ana_l")) is None  # rejected for the absorbed: still rejected for the survivor
    confirmed = linker.link(by("fan"))  # confirmed for the absorbed: now the survivor, by hand
    assert confirmed is not None
    assert (confirmed.customer_id, confirmed.method) == (ANA.id, "manual")
    stores.identity.unmerge(record.id, by="li.wei")
    found = linker.link(by("ana_l"))
    assert found is not None
    assert found.customer_id == ANA.id


def test_the_listen_flows_linking_respects_feedback_across_a_merge(stores: Stores) -> None:
    """The same through the wiring the listen flow uses (flows.wiring.build_enricher)."""
    from flows.wiring import build_enricher

    enricher = build_enricher(stores.settings, workspace="default")
    try:
        stores.directory.record_feedback("demo:@ana_l", ANA_TOO.id, "reject")
        stores.identity.merge("C001", "C002", by="li.wei")
        assert enricher.link(mention(21, None, handle="ana_l").to_raw()) is None
        confirmed = enricher.link(mention(22, None, handle="fan").to_raw())
        assert confirmed is not None
        assert (confirmed.customer_id, confirmed.method) == (ANA.id, "manual")
    finally:
        enricher.close()


def test_a_newer_verdict_of_the_survivor_wins_and_survives_the_unmerge(stores: Stores) -> None:
    stores.directory.record_feedback("demo:@troll", ANA.id, "confirm")  # newer than the reject of C002
    record = stores.identity.merge("C001", "C002", by="li.wei")
    assert [v.author_key for v in record.feedback_added] == ["demo:@fan"]
    assert stores.directory.feedback_for(["demo:@troll"])[ANA.id] == "confirm"
    stores.directory.record_feedback("demo:@fan", ANA.id, "reject")  # given after the merge: kept
    stores.identity.unmerge(record.id, by="li.wei")
    assert stores.directory.feedback_for(["demo:@fan"]) == {ANA_TOO.id: "confirm", ANA.id: "reject"}


def test_refusals(stores: Stores, stores_in: StoresIn) -> None:
    identity = stores.identity
    with pytest.raises(InvalidInput, match="into itself"):
        identity.merge("C001", ANA.id, by="li.wei")
    other = stores_in("tenant-b")
    other.directory.upsert([CustomerRecord(customer=Customer(code="C900", name="Ana Lima"))])
    with pytest.raises(NotFound, match="C900"):
        identity.merge("C001", "C900", by="li.wei")  # another workspace's customer is not found here
    with pytest.raises(InvalidInput, match="different workspaces"):
        CustomerIdentity(stores.directory, other.mentions, stores.audit)
    with pytest.raises(InvalidInput, match="needs the name"):
        identity.merge("C001", "C002", by=" ")
    first = identity.merge("C001", "C002", by="li.wei")
    with pytest.raises(InvalidInput, match="C002 was absorbed into C001"):
        identity.merge("C003", "C002", by="li.wei")
    with pytest.raises(InvalidInput, match="absorbed"):
        identity.merge("C002", "C003", by="li.wei")
    second = identity.merge("C003", "C001", by="li.wei")
    with pytest.raises(InvalidInput, match=f"{second.id}.*unmerge it first"):
        identity.unmerge(first.id, by="li.wei")
    identity.unmerge(second.id, by="li.wei")
    with pytest.raises(InvalidInput, match="undone already"):
        identity.unmerge(second.id, by="li.wei")
    with pytest.raises(NotFound):
        identity.unmerge("mg-nothing", by="li.wei")
    stores.directory.upsert([CustomerRecord(customer=ANA.model_copy(update={"city": "Faro"}))])
    with pytest.raises(InvalidInput, match="changed since the merge"):
        identity.unmerge(first.id, by="li.wei")
    stores.directory.upsert([RECORDS[1]])  # C002 imported again from the master file
    with pytest.raises(InvalidInput, match="in the directory again"):
        identity.unmerge(first.id, by="li.wei", force=True)
    stores.directory.delete([ANA_TOO.id])
    identity.unmerge(first.id, by="li.wei", force=True)
    assert stores.directory.records() == RECORDS


def test_duplicates_in_a_directory(stores: Stores) -> None:
    found = stores.identity.duplicates()
    assert [(c.first_code, c.second_code) for c in found] == [("C001", "C002")]
    assert found[0].reasons[0] == "same e-mail a***@example.com"
    assert "same name" in found[0].reasons
    assert "cities differ" in found[0].reasons
    everyone = stores.identity.duplicates(min_score=0.0)  # every blocked pair, however unlike
    assert [(c.first_code, c.second_code) for c in everyone] == [("C001", "C002")]  # C003 shares no block
