"""Customer linking in the listen flow: a file source, the real SQLite store and the SQLite customer
directory next to it (the master file imported as `earful customers import` does), run as plain code
(`listen_flow.fn()`: the same wiring as under Prefect)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import flows.listen
from core.errors import StoreUnavailable
from core.models import DEFAULT_WORKSPACE, Author, Customer, CustomerLink, EnrichedMention, RawMention
from core.settings import Settings
from crm.customers import SQLiteCustomerDirectory
from crm.master_file import import_master_file
from flows.listen import listen_flow
from flows.sources_config import SourceConfig, SourcesConfig
from flows.wiring import LinkingEnricher, build_enricher
from index.backends.sqlite import SQLiteMentionStore
from index.base import MentionFilter, SearchRequest
from index.query import RuleSet
from index.query.fields import TIER_METADATA_KEY
from tests.flows.helpers import make_settings

PLATFORM = "shop"
MASTER = [
    "code,name,tier,emails,handles,user_ids,consent_profiling,country",
    "C001,Ana Lima,gold,,shop:@ana_l,shop:u1,yes,PT",  # by platform user id
    "C002,Ben Stone,silver,,shop:@benny,,yes,GB",  # by handle only
    "C003,Carla Diaz,platinum,,shop:@carla,shop:u3,no,ES",  # no profiling consent: never linked
    "C004,Dora Park,bronze,dora@mail.example,,,yes,US",  # by the email she writes in her mention
]
EXPORT = [
    "id,body,created,uid,user,name",
    "1,Battery died after a week and I want a refund,2026-01-01T10:00:00Z,u1,ana_l,Ana Lima",
    "2,Love the new earbuds,2026-01-02T10:00:00Z,u2,benny,Ben Stone",
    "3,Support never answered my ticket,2026-01-03T10:00:00Z,u3,carla,Carla Diaz",
    "4,Write to me at dora@mail.example about the late parcel,2026-01-04T10:00:00Z,u4,dp,",
    "5,Just browsing the shop,2026-01-05T10:00:00Z,u9,stranger,Sam",
    "6,The refund finally arrived,2026-01-06T10:00:00Z,u1,ana_l,Ana Lima",
]
MAPPING = {
    "native_id": "id",
    "text": "body",
    "published_at": "created",
    "author_id": "uid",
    "author_handle": "user",
    "author_name": "name",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join(EXPORT) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def directory(settings: Settings, tmp_path: Path) -> Iterator[SQLiteCustomerDirectory]:
    master = tmp_path / "customers.csv"
    master.write_text("\n".join(MASTER) + "\n", encoding="utf-8")
    with SQLiteCustomerDirectory.from_settings(settings, workspace=DEFAULT_WORKSPACE) as d:
        report = import_master_file(master, d)
        assert (report.created, report.rejected) == (4, [])
        yield d


def _sources(export: Path) -> SourcesConfig:
    return SourcesConfig(
        sources=(
            SourceConfig(name="shop", type="file", path=str(export), platform=PLATFORM, mapping=MAPPING),
        )
    )


def _by_native_id(settings: Settings) -> dict[str, EnrichedMention]:
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        return {m.native_id: m for m in store.export()}


def test_mentions_carry_customer_links_with_method_confidence_and_evidence(
    settings: Settings, export: Path, directory: SQLiteCustomerDirectory
) -> None:
    report = listen_flow.fn(sources=_sources(export), settings=settings)
    assert report.ok
    mentions = _by_native_id(settings)
    ana, ben, dora = (directory.by_code(code) for code in ("C001", "C002", "C004"))
    assert ana is not None
    assert ben is not None
    assert dora is not None

    for native_id in ("1", "6"):
        link = mentions[native_id].customer
        assert link is not None
        assert (link.customer_id, link.method, link.confidence) == (ana.id, "platform_user_id", 1.0)
        assert f"{PLATFORM} user id u1" in link.evidence

    link = mentions["2"].customer
    assert link is not None
    assert (link.customer_id, link.method) == (ben.id, "handle")
    assert settings.nlp.link_threshold <= link.confidence < 1.0
    assert f"handle @benny on {PLATFORM}" in link.evidence

    link = mentions["4"].customer
    assert link is not None
    assert (link.customer_id, link.method) == (dora.id, "email")
    assert "email d***@mail.example in text" in link.evidence  # masked: evidence is stored

    assert mentions["5"].customer is None  # nobody in the master file
    # The store answers by customer, as `earful customers show` asks it.
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        assert store.count(MentionFilter(customer_ids=(ana.id,))) == 2
        assert store.count(MentionFilter(linked=True)) == 4


def test_linked_mentions_carry_the_customer_tier_that_tier_queries_read(
    settings: Settings, export: Path, directory: SQLiteCustomerDirectory
) -> None:
    """`tier:` in a rule (the VIP complaint preset) or a search reads the linked customer's tier, which
    the flow stamps on each linked mention; an unlinked mention has none."""
    listen_flow.fn(sources=_sources(export), settings=settings)
    mentions = _by_native_id(settings)
    tiers = {native_id: m.metadata.get(TIER_METADATA_KEY) for native_id, m in mentions.items()}
    assert tiers == {"1": "gold", "2": "silver", "3": None, "4": "bronze", "5": None, "6": "gold"}
    ruleset = RuleSet()
    ruleset.add("vip", "tier:(gold OR platinum)")
    batch = list(mentions.values())
    assert {m.native_id for m, hits in zip(batch, ruleset.match(batch), strict=True) if hits} == {"1", "6"}
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        page = store.search(SearchRequest(query="tier:gold", limit=10))
        assert {hit.native_id for hit in page.hits} == {"1", "6"}


def test_a_customer_without_profiling_consent_is_never_linked(
    settings: Settings, export: Path, directory: SQLiteCustomerDirectory
) -> None:
    carla = directory.by_code("C003")
    assert carla is not None
    assert not carla.consent.profiling
    listen_flow.fn(sources=_sources(export), settings=settings)
    assert _by_native_id(settings)["3"].customer is None  # her user id and handle both match
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        assert store.count(MentionFilter(customer_ids=(carla.id,))) == 0


def test_a_rejected_pair_is_not_linked_on_the_next_run(
    settings: Settings, export: Path, directory: SQLiteCustomerDirectory
) -> None:
    listen_flow.fn(sources=_sources(export), settings=settings)
    first = _by_native_id(settings)["2"]
    ben = directory.by_code("C002")
    assert ben is not None
    assert first.customer is not None
    assert first.customer.customer_id == ben.id

    directory.record_feedback(f"{PLATFORM}:id:u2", ben.id, "reject", first.id)  # as link-feedback does
    with export.open("a", encoding="utf-8") as f:
        f.write("7,Earbuds still great a month later,2026-01-07T10:00:00Z,u2,benny,Ben Stone\n")
        f.write("8,Second refund request,2026-01-08T10:00:00Z,u1,ana_l,Ana Lima\n")
    report = listen_flow.fn(sources=_sources(export), settings=settings)
    assert report.source("shop").indexed == 2  # the cursor: only the new rows
    mentions = _by_native_id(settings)
    assert mentions["7"].customer is None  # the same handle, name and user id: rejected all the same
    link = mentions["8"].customer
    assert link is not None
    assert link.method == "platform_user_id"


def test_the_link_threshold_comes_from_settings(
    tmp_path: Path, export: Path, directory: SQLiteCustomerDirectory
) -> None:
    strict = make_settings(tmp_path / "home", nlp={"link_threshold": 0.99})
    listen_flow.fn(sources=_sources(export), settings=strict)
    mentions = _by_native_id(strict)
    assert mentions["1"].customer is not None  # a platform user id is certain (1.0)
    assert mentions["2"].customer is None  # a handle is not that sure
    assert mentions["4"].customer is None  # nor an email


def test_the_flow_closes_the_customer_directory(
    settings: Settings, export: Path, directory: SQLiteCustomerDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[LinkingEnricher] = []

    def spy(settings: Settings, *, workspace: str) -> LinkingEnricher:
        built.append(build_enricher(settings, workspace=workspace))
        return built[-1]

    monkeypatch.setattr(flows.listen, "build_enricher", spy)
    listen_flow.fn(sources=_sources(export), settings=settings)
    assert len(built) == 1
    closed = built[0].directory
    assert isinstance(closed, SQLiteCustomerDirectory)
    assert closed._conn is None  # opened to link, closed when the run ended


def test_an_empty_directory_links_nothing_without_looking_anyone_up(settings: Settings) -> None:
    enricher = build_enricher(settings, workspace=DEFAULT_WORKSPACE)
    directory = enricher.directory
    assert isinstance(directory, SQLiteCustomerDirectory)
    lookups: list[str] = []
    original = directory._by_key

    def counting(field: str, value: str) -> list[Customer]:
        lookups.append(field)
        return original(field, value)

    directory._by_key = counting  # type: ignore[method-assign]
    mention = RawMention(
        platform=PLATFORM,
        native_id="1",
        source="shop",
        text="Write to me at ana@mail.example",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        author=Author(platform=PLATFORM, native_id="u1", handle="ana_l"),
    )
    try:
        [enriched] = enricher.enrich([mention])
    finally:
        enricher.close()
    assert enriched.customer is None
    assert lookups == []  # one count per batch, no lookups per mention


def test_an_unreachable_directory_leaves_the_batch_unlinked_not_failed(
    settings: Settings, directory: SQLiteCustomerDirectory
) -> None:
    calls: list[str] = []

    class Down:
        def link(self, mention: RawMention) -> CustomerLink | None:
            calls.append(mention.native_id)
            raise StoreUnavailable("directory down")

    enricher = build_enricher(settings, workspace=DEFAULT_WORKSPACE)
    enricher.linker = Down()
    mentions = [
        RawMention(
            platform=PLATFORM,
            native_id=str(n),
            source="shop",
            text="hello",
            published_at=datetime(2026, 1, 1, tzinfo=UTC),
            author=Author(platform=PLATFORM, native_id="u1"),
        )
        for n in range(3)
    ]
    try:
        enriched = enricher.enrich(mentions)
    finally:
        enricher.close()
    assert [m.customer for m in enriched] == [None, None, None]  # still enriched: it reaches the store
    assert calls == ["0"]  # the rest of the batch does not wait on a dead directory
    assert enricher.unlinked_batches == 1
