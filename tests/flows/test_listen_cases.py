"""Cases in the listen flow, end to end on SQLite: a file source, the master file imported, the flow run
as plain code (`listen_flow.fn()`); linked complaints open and join cases, a rerun adds nothing, and the
case step's failure neither stops alerting's hook nor the listening (`flows.cases.each_hook`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import StoreUnavailable
from core.models import DEFAULT_WORKSPACE, EnrichedMention
from core.settings import Settings
from crm.cases import CaseFilter, CaseStatus, SQLiteCaseStore
from crm.customers import SQLiteCustomerDirectory
from crm.master_file import import_master_file
from flows.cases import each_hook
from flows.listen import listen_flow
from flows.sources_config import SourceConfig, SourcesConfig
from tests.flows.helpers import make_settings

MASTER = [
    "code,name,handles,user_ids,consent_profiling,owner",
    "C001,Ana Lima,shop:@ana_l,shop:u1,yes,li.wei",
    "C002,Ben Stone,shop:@benny,shop:u2,yes,",
]
EXPORT = [
    "id,body,created,uid,user,name",
    "1,Battery died after a week and I want a refund,2026-01-01T10:00:00Z,u1,ana_l,Ana Lima",
    "2,Love the new earbuds,2026-01-02T10:00:00Z,u2,benny,Ben Stone",
    "3,Still broken and this is unacceptable,2026-01-03T10:00:00Z,u1,ana_l,Ana Lima",
    "4,Broken on arrival and I want a refund,2026-01-04T10:00:00Z,u2,benny,Ben Stone",
    "5,Broken on arrival and I want a refund,2026-01-05T10:00:00Z,u9,stranger,Sam",
    "6,Terrible service and I want a refund,2026-01-20T10:00:00Z,u1,ana_l,Ana Lima",
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
    return _settings(tmp_path)


def _settings(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path / "home")
    master = tmp_path / "customers.csv"
    master.write_text("\n".join(MASTER) + "\n", encoding="utf-8")
    with SQLiteCustomerDirectory.from_settings(settings, workspace=DEFAULT_WORKSPACE) as directory:
        assert import_master_file(master, directory).created == 2
    return settings


def _sources(tmp_path: Path) -> SourcesConfig:
    export = tmp_path / "export.csv"
    export.write_text("\n".join(EXPORT) + "\n", encoding="utf-8")
    return SourcesConfig(
        sources=(SourceConfig(name="shop", type="file", path=str(export), platform="shop", mapping=MAPPING),)
    )


def test_linked_complaints_open_and_join_cases(settings: Settings, tmp_path: Path) -> None:
    report = listen_flow.fn(sources=_sources(tmp_path), settings=settings)
    assert report.ok
    assert report.cases is not None
    assert (report.cases.complaints, report.cases.opened, report.cases.errors) == (4, 3, [])
    with (
        SQLiteCaseStore(settings, workspace=DEFAULT_WORKSPACE) as cases,
        SQLiteCustomerDirectory.from_settings(settings, workspace=DEFAULT_WORKSPACE) as directory,
    ):
        ana, ben = directory.by_code("C001"), directory.by_code("C002")
        assert ana is not None
        assert ben is not None
        anas = cases.list(CaseFilter(customer_id=ana.id))
        # 1 and 3 (two days apart) share a case; 6 comes 17 days later: a new case
        assert [len(c.mention_ids) for c in anas] == [1, 2]
        assert {c.assignee for c in anas} == {"li.wei"}  # the account owner
        assert all(c.status is CaseStatus.new for c in anas)
        (bens,) = cases.list(CaseFilter(customer_id=ben.id))
        assert bens.assignee is None
        assert len(bens.mention_ids) == 1  # the praise opened nothing; the stranger is nobody's case
        before = cases.list()

    again = listen_flow.fn(sources=_sources(tmp_path), settings=settings)  # a rerun, a replay
    assert again.cases is not None
    assert again.cases.opened == again.cases.joined == 0
    with SQLiteCaseStore(settings, workspace=DEFAULT_WORKSPACE) as cases:
        assert cases.list() == before


def test_each_hook_isolates_failures_and_reports_the_first() -> None:
    seen: list[str] = []

    def alerting(batch: Sequence[EnrichedMention]) -> None:
        seen.append("alerting")
        raise StoreUnavailable("alert store down")

    def case_step(batch: Sequence[EnrichedMention]) -> None:
        seen.append("cases")

    def caller(batch: Sequence[EnrichedMention]) -> None:
        seen.append("caller")
        raise ValueError("bug")

    hook = each_hook(alerting, None, case_step, caller)
    assert hook is not None
    with pytest.raises(StoreUnavailable, match="alert store down"):
        hook([])
    assert seen == ["alerting", "cases", "caller"]
    assert each_hook(None, case_step) is case_step
    assert each_hook(None, None) is None


def test_a_failing_case_step_does_not_stop_listening(settings: Settings, tmp_path: Path) -> None:
    """The case tables are unreadable (a newer schema): the batches are stored all the same, the
    failure is reported; a later run with the tables fixed opens the cases (the rule is idempotent)."""
    import sqlite3

    with SQLiteCaseStore(settings, workspace=DEFAULT_WORKSPACE) as cases:
        cases.ensure_ready()
    conn = sqlite3.connect(settings.sqlite_path)
    conn.execute("UPDATE earful_meta SET value = '99' WHERE key = 'crm_cases_schema_version'")
    conn.commit()
    report = listen_flow.fn(sources=_sources(tmp_path), settings=settings)
    assert report.totals["indexed"] == len(EXPORT) - 1
    assert report.cases is not None
    assert report.cases.opened == 0
    assert report.cases.errors
    assert any("after_write" in e for s in report.sources for e in s.errors)
    conn.execute("UPDATE earful_meta SET value = '1' WHERE key = 'crm_cases_schema_version'")
    conn.commit()
    conn.close()
    with SQLiteCaseStore(settings, workspace=DEFAULT_WORKSPACE) as cases:
        assert cases.count() == 0
