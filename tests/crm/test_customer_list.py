"""The customer list (crm/customer_list.py) over a stored directory and score store (SQLite here; the
directory's `find` runs on both backends in tests/contracts/test_customer_store.py), and what the 360
view adds for its page: SLA states, coming dates, verdicts, the masked bank account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import InvalidInput
from core.models import Customer, Tier
from core.settings import Settings
from crm.cases import build_case_store
from crm.cases.testing import complaint, make_case
from crm.customer360 import build_customer360
from crm.customer_list import CustomerBrief, CustomerListQuery, list_customers
from crm.customers import CustomerRecord, SQLiteCustomerDirectory, build_customer_directory
from crm.link_feedback import judge_link
from crm.reminders import ReminderKind
from crm.scores import CustomerScore, ValueTier, build_score_store
from crm.scores.store import SQLiteScoreStore
from crm.scores.testing import CUSTOMERS, WORKSPACE, example_scores
from index.backends import build_mention_store

Stores = tuple[SQLiteCustomerDirectory, SQLiteScoreStore]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def scored(settings: Settings) -> Iterator[Stores]:
    """The scores' small workspace: its customers (two owned by li.wei, one gold) and their scores."""
    owned = {"K001": ("li.wei", Tier.gold), "R001": ("li.wei", Tier.standard)}
    customers = [
        c.model_copy(update={"owner": owned[c.code][0], "tier": owned[c.code][1]}) if c.code in owned else c
        for c in CUSTOMERS
    ]
    directory = build_customer_directory(settings, workspace=WORKSPACE)
    scores = build_score_store(settings, workspace=WORKSPACE)
    assert isinstance(directory, SQLiteCustomerDirectory)
    assert isinstance(scores, SQLiteScoreStore)
    directory.upsert(customers)
    scores.replace_all(example_scores())
    yield directory, scores
    directory.close()
    scores.close()


def codes(rows: tuple[CustomerBrief, ...]) -> list[str]:
    return [row.code for row in rows]


def test_every_customer_in_pages_with_their_score(scored: Stores) -> None:
    directory, scores = scored
    first = list_customers(directory, CustomerListQuery(limit=5), scores=scores)
    everyone = sorted(c.code for c in CUSTOMERS)
    assert (codes(first.rows), first.total, first.next_offset) == (everyone[:5], len(CUSTOMERS), 5)
    last = list_customers(directory, CustomerListQuery(limit=5, offset=15), scores=scores)
    assert (codes(last.rows), last.next_offset) == (everyone[15:], None)
    big = first.rows[0]
    stored = {s.customer_code: s for s in example_scores()}["K001"]
    assert big.score is not None
    assert (big.score.value_tier, big.score.segment) == (stored.tier, stored.segment)
    assert big.score.churn_risk == (stored.churn.risk if stored.churn else None)
    private = next(row for row in first.rows if row.code == "K005")
    assert private.score is not None
    assert private.score.skipped
    assert private.score.value_tier is None
    assert not hasattr(big, "contacts")
    assert "bank_account" not in CustomerBrief.model_fields
    unscored = list_customers(directory, CustomerListQuery(limit=1))
    assert unscored.rows[0].score is None  # no score store: no scores


def test_score_conditions_come_from_the_stored_scores(scored: Stores) -> None:
    directory, scores = scored
    stored = example_scores()

    def expect(keep: Callable[[CustomerScore], object]) -> list[str]:
        return sorted(s.customer_code for s in stored if keep(s))

    key = list_customers(directory, CustomerListQuery(value_tier=ValueTier.key), scores=scores)
    assert codes(key.rows) == expect(lambda s: s.tier is ValueTier.key)
    assert key.total == len(key.rows) > 0
    assert all(row.score and row.score.value_tier is ValueTier.key for row in key.rows)
    segment = stored[0].segment
    assert segment is not None
    by_segment = list_customers(directory, CustomerListQuery(segment=segment), scores=scores)
    assert codes(by_segment.rows) == expect(lambda s: s.segment is segment)
    risky = list_customers(directory, CustomerListQuery(churn_min=0.5), scores=scores)
    assert codes(risky.rows) == expect(lambda s: s.churn is not None and s.churn.risk >= 0.5)
    assert 0 < risky.total < len(CUSTOMERS)
    both = list_customers(
        directory,
        CustomerListQuery(value_tier=ValueTier.key, churn_min=0.5),
        scores=scores,
    )
    assert codes(both.rows) == expect(lambda s: s.tier is ValueTier.key and s.churn and s.churn.risk >= 0.5)
    without = list_customers(directory, CustomerListQuery(value_tier=ValueTier.key))
    assert (without.rows, without.total) == ((), 0)  # nobody has a score to meet it


def test_master_conditions_and_text_narrow_it(scored: Stores) -> None:
    directory, scores = scored
    mine = list_customers(directory, CustomerListQuery(owner="li.wei"), scores=scores)
    assert codes(mine.rows) == ["K001", "R001"]
    gold = list_customers(directory, CustomerListQuery(tier=Tier.gold), scores=scores)
    assert codes(gold.rows) == ["K001"]
    found = list_customers(directory, CustomerListQuery(q="regular"), scores=scores)
    assert codes(found.rows) == ["K001"]
    assert codes(list_customers(directory, CustomerListQuery(q="r00", owner="li.wei")).rows) == ["R001"]
    with pytest.raises(ValidationError):
        CustomerListQuery(churn_min=1.5)
    with pytest.raises(ValidationError):
        CustomerListQuery(limit=0)


def test_a_list_across_two_workspaces_is_refused(scored: Stores, settings: Settings) -> None:
    directory, _ = scored
    with build_score_store(settings, workspace="tenant-b") as other, pytest.raises(InvalidInput):
        list_customers(directory, CustomerListQuery(), scores=other)


# --- what the 360 page needs beyond the view's first sections -----------------------------------
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_the_view_holds_sla_states_coming_dates_verdicts_and_masks_the_bank(settings: Settings) -> None:
    ana = Customer(
        code="C001",
        name="Ana Lima",
        owner="li.wei",
        birthday=date(1986, 3, 9),  # a week after NOW: turns 40
        anniversary=date(2020, 2, 1),  # just passed: next year's
        contract_renewal=date(2025, 12, 31),  # passed: a one-off date, never again
        bank="ICBC",
        bank_account="6222 0212 3456 7890",
    )
    store = build_mention_store(settings, workspace="default")
    with (
        build_customer_directory(settings, workspace="default") as directory,
        build_case_store(settings, workspace="default") as cases,
    ):
        directory.upsert([CustomerRecord(customer=ana)])
        mention = complaint("m1", ana, at=NOW - timedelta(hours=30))
        store.upsert([mention])
        store.refresh()
        late = make_case(ana, opened_at=NOW - timedelta(days=3), now=NOW - timedelta(days=3))
        cases.create(late.model_copy(update={"mention_ids": (mention.id,)}))
        judge_link(directory, store, mention_id=mention.id, customer=ana, verdict="confirm", by="li.wei")

        view = build_customer360(ana, directory, store, cases=cases, feedback=directory, now=NOW)

        assert view.as_of == NOW
        assert [c.id for c in view.cases] == [late.id]
        assert view.sla[late.id] == late.sla(NOW)
        assert view.sla[late.id].breached  # three days without an answer
        assert [(r.kind, r.on, r.days_until, r.years) for r in view.reminders] == [
            (ReminderKind.birthday, date(2026, 3, 9), 7, 40),
            (ReminderKind.anniversary, date(2027, 2, 1), 336, 7),
        ]
        (verdict,) = view.verdicts
        assert (verdict.verdict, verdict.by, verdict.mention_id) == ("confirm", "li.wei", mention.id)
        assert view.verdict_on(mention.id) == verdict
        assert view.verdict_on("other") is None
        link = view.latest[0].link
        assert link is not None
        assert (link.customer_id, link.method, link.confidence) == (ana.id, "manual", 1.0)
        assert view.customer.bank_account == "6222 0212 3456 7890"  # the view itself is exact
        masked = view.masked()
        assert masked.customer.bank_account == "****7890"
        assert masked.customer.bank == "ICBC"
        assert "3456" not in masked.model_dump_json()
        week = build_customer360(ana, directory, store, now=NOW, upcoming=7)
        assert [r.kind for r in week.reminders] == [ReminderKind.birthday]
        assert (week.verdicts, week.sla) == ((), {})  # without feedback and cases: empty
    store.close()
