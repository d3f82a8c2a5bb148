"""`ReportStoreContract`: what every report store (brands and report definitions) must do, as a pytest
suite to subclass.

    class TestMyReportStore(ReportStoreContract):
        @pytest.fixture
        def stores_in(self) -> Iterator[MakeReportStore]:
            yield lambda workspace: MyReportStore(..., workspace=workspace)  # fresh, closed after

Stored times are the models' own (`T0`...) except `updated_at`, which a save sets to now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.models import utcnow
from reports.brands import Brand, BrandRole
from reports.definitions import ReportDefinition, ReportFormat
from reports.schedule import ReportSchedule

MakeReportStore = Callable[[str], Any]  # workspace -> a fresh report store of that workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=3)


def brand(name: str, query: str = "acme", role: BrandRole = BrandRole.own, **fields: Any) -> Brand:
    return Brand(name=name, query=query, role=role, **{"created_at": T0, "updated_at": T0, **fields})


def definition(name: str, **fields: Any) -> ReportDefinition:
    return ReportDefinition(name=name, **{"created_at": T0, "updated_at": T0, **fields})


class ReportStoreContract:
    @pytest.fixture
    def stores_in(self) -> MakeReportStore:
        raise NotImplementedError("subclasses provide a `stores_in` fixture")

    @pytest.fixture
    def store(self, stores_in: MakeReportStore) -> Any:
        return stores_in("default")

    def test_a_new_store_holds_nothing(self, store: Any) -> None:
        store.ensure_ready()
        store.ensure_ready()  # idempotent
        assert store.workspace == "default"
        assert store.list_brands() == []
        assert store.list_reports() == []
        assert store.get_brand("acme") is None
        assert store.get_report("weekly") is None
        assert store.delete_brand("acme") is False
        assert store.delete_report("weekly") is False

    # --- brands ----------------------------------------------------------------------------------
    def test_a_brand_round_trips_and_is_found_whatever_its_case(self, store: Any) -> None:
        acme = brand("Acme  Watches", 'acme OR "acme watch" NEAR/3 strap', description="Our brand <b>")
        before = utcnow()
        saved = store.save_brand(acme)
        assert saved.model_dump(exclude={"updated_at"}) == acme.model_dump(exclude={"updated_at"})
        assert saved.name == "Acme Watches"  # whitespace normalised by the model
        assert saved.created_at == T0
        assert saved.updated_at >= before
        assert store.get_brand("Acme Watches") == saved
        assert store.get_brand("  ACME   watches ") == saved
        assert store.get_brand("acme") is None
        assert store.list_brands() == [saved]

    def test_replacing_a_brand_keeps_its_first_created_at(self, store: Any) -> None:
        first = store.save_brand(brand("Acme", "acme"))
        second = store.save_brand(
            Brand(name="ACME", query="acme OR acmewatch", role=BrandRole.product_line, created_at=T1)
        )
        assert second.created_at == T0 == first.created_at
        assert second.updated_at >= first.updated_at
        assert (second.name, second.query, second.role) == (
            "ACME",
            "acme OR acmewatch",
            BrandRole.product_line,
        )
        assert store.get_brand("acme") == second
        assert store.list_brands() == [second]  # one brand: the key is the case-folded name

    def test_brands_are_listed_own_then_product_lines_then_competitors_by_name(self, store: Any) -> None:
        for name, role in (
            ("Zeta", BrandRole.competitor),
            ("acme lite", BrandRole.product_line),
            ("Acme", BrandRole.own),
            ("beta", BrandRole.competitor),
            ("Acme Pro", BrandRole.product_line),
            ("Alpha", BrandRole.competitor),
        ):
            store.save_brand(brand(name, role=role))
        assert [b.name for b in store.list_brands()] == [
            "Acme",
            "acme lite",
            "Acme Pro",
            "Alpha",
            "beta",
            "Zeta",
        ]

    def test_a_deleted_brand_is_gone(self, store: Any) -> None:
        store.save_brand(brand("Acme"))
        kept = store.save_brand(brand("Beta", "beta", BrandRole.competitor))
        assert store.delete_brand(" ACME ") is True
        assert store.get_brand("Acme") is None
        assert store.delete_brand("acme") is False
        assert store.list_brands() == [kept]
        again = store.save_brand(brand("Acme", created_at=T1))  # a new brand: its own created_at
        assert again.created_at == T1

    def test_chinese_and_other_unicode_names(self, store: Any) -> None:
        xiaomi = store.save_brand(brand("小米", "小米 OR xiaomi"))
        huawei = store.save_brand(brand("华为 手机", "华为 OR huawei", BrandRole.competitor))
        strasse = store.save_brand(brand("Straße", "strasse", BrandRole.competitor))
        assert store.get_brand("小米") == xiaomi
        assert store.get_brand("华为  手机") == huawei
        assert store.get_brand("STRASSE") == strasse  # case-folded: ß is ss
        assert [b.name for b in store.list_brands()] == ["小米", "Straße", "华为 手机"]
        assert store.delete_brand("小米") is True
        assert store.get_brand("小米") is None

    # --- report definitions ----------------------------------------------------------------------
    def test_a_definition_round_trips(self, store: Any) -> None:
        weekly = definition(
            "weekly-acme",
            title="Acme 周报",
            brands=("Acme", "小米"),
            period="last-7-days",
            timezone="Asia/Shanghai",
            language="zh",
            formats=(ReportFormat.pdf, ReportFormat.xlsx),
            schedule=ReportSchedule(cron="0 9 * * 1"),
            channels=("brand-team", "wecom"),
        )
        before = utcnow()
        saved = store.save_report(weekly)
        assert saved.model_dump(exclude={"updated_at"}) == weekly.model_dump(exclude={"updated_at"})
        assert saved.updated_at >= before
        assert store.get_report("weekly-acme") == saved
        assert store.get_report("weekly") is None
        daily = store.save_report(definition("daily", schedule=ReportSchedule(every=86_400)))
        assert store.get_report("daily") == daily
        assert daily.schedule == ReportSchedule(every=86_400)

    def test_replacing_a_definition_keeps_its_first_created_at(self, store: Any) -> None:
        first = store.save_report(definition("weekly", period="last-week"))
        second = store.save_report(ReportDefinition(name="weekly", period="last-month", created_at=T1))
        assert second.created_at == T0 == first.created_at
        assert second.updated_at >= first.updated_at
        assert store.get_report("weekly") == second
        assert second.period == "last-month"
        assert store.list_reports() == [second]

    def test_definitions_are_listed_by_name_and_deleted(self, store: Any) -> None:
        for name in ("weekly", "Daily", "monthly-zh", "adhoc.1"):
            store.save_report(definition(name))
        assert [d.name for d in store.list_reports()] == ["Daily", "adhoc.1", "monthly-zh", "weekly"]
        assert store.delete_report("monthly-zh") is True
        assert store.delete_report("monthly-zh") is False
        assert store.get_report("monthly-zh") is None
        assert [d.name for d in store.list_reports()] == ["Daily", "adhoc.1", "weekly"]

    # --- isolation -------------------------------------------------------------------------------
    def test_a_workspace_sees_nothing_of_another(self, stores_in: MakeReportStore) -> None:
        acme, beta = stores_in("acme"), stores_in("beta")
        assert (acme.workspace, beta.workspace) == ("acme", "beta")
        mine = acme.save_brand(brand("小米", "小米"))
        acme.save_report(definition("weekly", brands=("小米",)))
        assert beta.get_brand("小米") is None
        assert beta.list_brands() == []
        assert beta.get_report("weekly") is None
        assert beta.list_reports() == []
        assert beta.delete_brand("小米") is False
        assert beta.delete_report("weekly") is False
        # the same names in beta are two other things
        theirs = beta.save_brand(brand("小米", "xiaomi", BrandRole.competitor, created_at=T1))
        beta.save_report(definition("weekly", language="zh", created_at=T1))
        assert theirs.created_at == T1  # not acme's
        assert acme.get_brand("小米") == mine
        assert acme.get_report("weekly").language == "en"
        assert beta.delete_brand("小米") is True
        assert beta.delete_report("weekly") is True
        assert acme.list_brands() == [mine]
        assert [d.name for d in acme.list_reports()] == ["weekly"]


__all__ = ["T0", "T1", "MakeReportStore", "ReportStoreContract", "brand", "definition"]
