"""Reminders: the dates that fall due (leap days, year ends, one-off renewals), their order (key
customers first), the digest per owner, each owner's "today" in their own time zone, and the staff file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.models import Customer, Tier
from core.settings import ReminderSettings, Settings
from crm.reminders import (
    Reminder,
    ReminderDigest,
    ReminderKind,
    describe,
    digest_id,
    digests,
    due_reminders,
    next_occurrence,
    owner_digests,
)
from crm.staff import StaffDirectory, load_staff, parse_staff, staff_file, workspace_staff

LEAPLING = Customer(code="L29", name="Leap Ling", birthday=date(2000, 2, 29), owner="alice")


def _on(reminders: list[Reminder]) -> list[date]:
    return [r.on for r in reminders]


# --- leap days -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("leap_day", "expected"), [("feb28", date(2026, 2, 28)), ("mar1", date(2026, 3, 1))])
def test_a_feb_29_birthday_in_2026_falls_on_the_chosen_day(leap_day: str, expected: date) -> None:
    found = due_reminders([LEAPLING], today=date(2026, 2, 22), horizon=7, leap_day=leap_day)  # type: ignore[arg-type]
    assert _on(found) == [expected]
    assert found[0].years == 26
    assert describe(found[0]).endswith("turns 26")


@pytest.mark.parametrize("leap_day", ["feb28", "mar1"])
def test_a_feb_29_birthday_in_2028_falls_on_feb_29(leap_day: str) -> None:
    found = due_reminders([LEAPLING], today=date(2028, 2, 25), horizon=7, leap_day=leap_day)  # type: ignore[arg-type]
    assert _on(found) == [date(2028, 2, 29)]
    assert (found[0].days_until, found[0].years) == (4, 28)
    assert next_occurrence(LEAPLING.birthday, date(2028, 3, 1)) == date(2029, 2, 28)  # type: ignore[arg-type]


def test_feb_28_chosen_means_nothing_more_on_mar_1_of_a_common_year() -> None:
    assert due_reminders([LEAPLING], today=date(2026, 3, 1), horizon=7) == []
    assert _on(due_reminders([LEAPLING], today=date(2026, 3, 1), horizon=7, leap_day="mar1")) == [
        date(2026, 3, 1)
    ]


def test_the_days_are_seven_from_today_inclusive() -> None:
    assert due_reminders([LEAPLING], today=date(2026, 2, 20), horizon=7) == []  # Feb 28 is 8 days away
    assert [r.days_until for r in due_reminders([LEAPLING], today=date(2026, 2, 21), horizon=7)] == [7]
    assert [r.days_until for r in due_reminders([LEAPLING], today=date(2026, 2, 28), horizon=0)] == [0]


# --- year end, renewals, words ---------------------------------------------------------------------
def test_a_jan_2_birthday_is_seen_on_dec_28_with_next_years_age() -> None:
    customer = Customer(code="J02", name="Jan Two", birthday=date(1986, 1, 2))
    found = due_reminders([customer], today=date(2026, 12, 28), horizon=7)
    assert _on(found) == [date(2027, 1, 2)]
    assert (found[0].days_until, found[0].years) == (5, 41)
    assert due_reminders([customer], today=date(2026, 12, 28), horizon=4) == []


def test_a_contract_renewal_is_a_one_off_date() -> None:
    customer = Customer(code="R1", name="Renewing", contract_renewal=date(2027, 1, 20))
    horizon = {ReminderKind.contract_renewal: 30}
    found = due_reminders([customer], today=date(2026, 12, 28), horizon=horizon)
    assert [(r.kind, r.on, r.days_until, r.years) for r in found] == [
        (ReminderKind.contract_renewal, date(2027, 1, 20), 23, None)
    ]
    assert due_reminders([customer], today=date(2027, 1, 21), horizon=400) == []  # past: never again
    assert due_reminders([customer], today=date(2026, 11, 1), horizon=horizon) == []


def test_each_kind_has_its_own_horizon_and_an_absent_kind_is_not_reminded() -> None:
    customer = Customer(
        code="A1", name="Ann", birthday=date(1990, 1, 10), anniversary=date(2021, 1, 10),
        contract_renewal=date(2027, 1, 10),
    )  # fmt: skip
    found = due_reminders(
        [customer], today=date(2027, 1, 1), horizon={ReminderKind.birthday: 9, ReminderKind.anniversary: 8}
    )
    assert [r.kind for r in found] == [ReminderKind.birthday]


def test_the_words_in_english_and_chinese() -> None:
    customer = Customer(
        code="C9", name="李雷", birthday=date(1986, 12, 30), anniversary=date(2021, 12, 28), tier=Tier.gold
    )
    found = {r.kind: r for r in due_reminders([customer], today=date(2026, 12, 28), horizon=7)}
    birthday, anniversary = found[ReminderKind.birthday], found[ReminderKind.anniversary]
    assert describe(birthday) == "★ 李雷 (C9): birthday on 2026-12-30 (in 2 days), turns 40"
    assert describe(anniversary) == "★ 李雷 (C9): anniversary on 2026-12-28 (today), 5 years as a customer"
    assert describe(birthday, "zh") == "★ 李雷（C9）：2026-12-30 生日（2 天后），满 40 岁"
    assert describe(anniversary, "zh") == "★ 李雷（C9）：2026-12-28 周年纪念（今天），成为客户 5 年"


# --- order and digests ---------------------------------------------------------------------------
def test_key_customers_come_first_value_tier_then_tier_then_date() -> None:
    plain = Customer(code="P", name="Plain", birthday=date(1990, 1, 1))
    platinum = Customer(code="G", name="Platinum", birthday=date(1990, 1, 5), tier=Tier.platinum)
    key = Customer(code="K", name="Key by value", birthday=date(1990, 1, 7))
    asked: list[str] = []

    def value_tier(customer: Customer) -> str | None:
        asked.append(customer.code)
        return "key" if customer.code == "K" else "standard"

    found = due_reminders([plain, platinum, key], today=date(2026, 12, 31), horizon=7, value_tier=value_tier)
    assert [r.customer_code for r in found] == ["K", "G", "P"]
    assert [r.key for r in found] == [True, True, False]
    assert sorted(asked) == ["G", "K", "P"]
    due_reminders([plain], today=date(2026, 6, 1), horizon=7, value_tier=value_tier)
    assert len(asked) == 3  # nobody due: the scores are not read


def test_digests_group_per_owner_and_day_without_case_and_default_the_ownerless() -> None:
    customers = [
        Customer(code="A1", name="A1", birthday=date(1990, 1, 3), owner="Alice"),
        Customer(code="A2", name="A2", birthday=date(1990, 1, 2), owner=" alice "),
        Customer(code="B1", name="B1", birthday=date(1990, 1, 2), owner="bob"),
        Customer(code="N1", name="N1", birthday=date(1990, 1, 2)),
    ]
    found = digests(due_reminders(customers, today=date(2026, 12, 31), horizon=7, default_owner="desk"))
    assert [(d.owner.strip().lower(), [r.customer_code for r in d.reminders]) for d in found] == [
        ("alice", ["A2", "A1"]),
        ("bob", ["B1"]),
        ("desk", ["N1"]),
    ]
    assert found[0].id == digest_id("ALICE", date(2026, 12, 31)) != digest_id("alice", date(2027, 1, 1))
    assert ReminderDigest.model_validate_json(found[0].model_dump_json()) == found[0]  # what the UI reads


# --- time zones ----------------------------------------------------------------------------------
STAFF = parse_staff(
    {
        "staff": [
            {"id": "shanghai", "timezone": "Asia/Shanghai", "channels": ["wecom"], "language": "zh"},
            {"id": "la", "name": "Los Angeles", "timezone": "America/Los_Angeles", "channels": ["slack"]},
        ]
    }
)
TZ_CUSTOMERS = [
    Customer(code="S1", name="S1", birthday=date(1980, 3, 10), owner="shanghai"),
    Customer(code="L1", name="L1", birthday=date(1980, 3, 10), owner="la"),
]


def test_the_same_instant_is_another_day_in_shanghai_and_los_angeles() -> None:
    now = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)  # Shanghai: Mar 10 04:00; Los Angeles (PDT): Mar 9 13:00
    found = owner_digests(
        TZ_CUSTOMERS, now=now, staff=STAFF, settings=ReminderSettings(), days=0, due_only=False
    )
    assert [(d.recipient.id, d.digest.day, d.local_time.hour) for d in found] == [
        ("shanghai", date(2026, 3, 10), 4)
    ]  # Los Angeles' birthday is tomorrow there: nothing due with 0 days ahead
    found = owner_digests(
        TZ_CUSTOMERS, now=now, staff=STAFF, settings=ReminderSettings(), days=1, due_only=False
    )
    assert {d.recipient.id: d.digest.day for d in found} == {
        "la": date(2026, 3, 9),
        "shanghai": date(2026, 3, 10),
    }


def test_a_digest_is_due_from_the_send_hour_in_the_owners_zone() -> None:
    settings = ReminderSettings(send_hour=8)
    early = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)  # 04:00 in Shanghai, 13:00 in Los Angeles
    due = owner_digests(TZ_CUSTOMERS, now=early, staff=STAFF, settings=settings, days=1)
    assert [d.recipient.id for d in due] == ["la"]
    later = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, 18:00 (Mar 9) in Los Angeles
    due = owner_digests(TZ_CUSTOMERS, now=later, staff=STAFF, settings=settings, days=1)
    assert [(d.recipient.id, d.digest.id) for d in due] == [
        ("la", digest_id("la", date(2026, 3, 9))),  # the same digest as at 20:00: sent once
        ("shanghai", digest_id("shanghai", date(2026, 3, 10))),
    ]


def test_owners_outside_the_staff_file_get_the_workspace_defaults() -> None:
    settings = ReminderSettings(
        timezone="Asia/Tokyo", default_channels=["desk"], default_language="zh", default_recipient="desk"
    )
    customers = [Customer(code="X", name="X", birthday=date(1980, 3, 10)), *TZ_CUSTOMERS]
    now = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # Tokyo: Mar 10 08:30
    found = {
        d.recipient.id: d for d in owner_digests(customers, now=now, staff=STAFF, settings=settings, days=0)
    }
    desk = found["desk"].recipient
    assert (desk.timezone, desk.channels, desk.language, desk.listed) == (
        "Asia/Tokyo",
        ("desk",),
        "zh",
        False,
    )
    assert found["desk"].digest.day == date(2026, 3, 10)
    assert "shanghai" not in found  # 07:30 there
    listed = STAFF.resolve(" SHANGHAI", settings)
    assert (listed.id, listed.timezone, listed.channels, listed.listed) == (
        "shanghai",
        "Asia/Shanghai",
        ("wecom",),
        True,
    )
    assert STAFF.resolve("la", settings).language == "zh"  # the file gives none: the default


# --- the staff file ------------------------------------------------------------------------------
BAD_STAFF = """\
staff:
  - id: alice
    timezone: Asia/Shanghai
  - id: bob
    timezone: Mars/Olympus
    language: fr
  - {name: no id}
  - id: ALICE
  - just a string
"""


def test_staff_file_errors_name_the_file_the_line_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "staff.yaml"
    path.write_text(BAD_STAFF, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_staff(path)
    errors = caught.value.details["errors"]
    assert f"{path}:4: staff[1].timezone: Value error, unknown time zone 'Mars/Olympus'" in errors[0]
    assert errors[1].startswith(f"{path}:4: staff[1].language: Input should be 'en' or 'zh'")
    assert errors[2].startswith(f"{path}:7: staff[2].id: Field required")
    assert errors[3] == f"{path}:8: staff[3].id: the id 'ALICE' is listed twice"
    assert errors[4] == f"{path}:9: staff[4]: expected a mapping with at least an id"
    assert len(errors) == 5


def test_staff_file_shape_and_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "staff.yaml"
    path.write_text("staff: alice\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected 'staff:' with a list"):
        load_staff(path)
    path.write_text("staff: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read as YAML"):
        load_staff(path)
    with pytest.raises(ConfigError, match=r"staff\[0\]\.extra: Extra inputs"):
        parse_staff([{"id": "a", "extra": 1}])


def test_a_missing_staff_file_is_an_empty_directory_in_the_workspace_dir(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert staff_file(settings, workspace="acme") == tmp_path / "workspaces" / "acme" / "staff.yaml"
    assert len(workspace_staff(settings, workspace="acme")) == 0
    assert isinstance(load_staff(tmp_path / "nowhere.yaml"), StaffDirectory)


def test_workspace_digests_read_the_value_tiers_from_the_score_store(tmp_path: Path) -> None:
    from decimal import Decimal

    from crm.customers import CustomerRecord, build_customer_directory
    from crm.reminders import workspace_digests
    from crm.scores import CustomerScore, ValueTier, build_score_store
    from crm.scores.score import ValueScore

    settings = Settings(home=tmp_path)
    plain = Customer(code="P", name="Plain", birthday=date(1990, 1, 1))
    key = Customer(code="K", name="Key by value", birthday=date(1990, 1, 7))
    now = datetime(2026, 12, 31, 12, tzinfo=UTC)
    with build_customer_directory(settings, workspace="acme") as directory:
        directory.upsert([CustomerRecord(customer=plain), CustomerRecord(customer=key)])
    before = workspace_digests(settings, workspace="acme", now=now)
    assert [r.customer_code for d in before for r in d.digest.reminders] == ["P", "K"]  # by date
    value = ValueScore(tier=ValueTier.key, rank=1, revenue=Decimal(100), share=1.0, cumulative_share=1.0)
    with build_score_store(settings, workspace="acme") as scores:
        scores.replace_all(
            [CustomerScore(customer_id=key.id, customer_code="K", computed_at=now, value=value)]
        )
    after = workspace_digests(settings, workspace="acme", now=now)
    assert [r.customer_code for d in after for r in d.digest.reminders] == [
        "K",
        "P",
    ]  # the key customer first
    assert [r.value_tier for d in after for r in d.digest.reminders] == ["key", None]
