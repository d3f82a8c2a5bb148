"""The listen flow over a real file source and the real SQLite store: under Prefect's test harness (tasks,
retries decided by the error type, a Failed run) and as plain code (`run_listen`, `listen_flow.fn()`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ConfigError, ListenIncomplete, SourceError
from core.models import DEFAULT_WORKSPACE, SourceCursor
from core.registry import SOURCES, STORES
from core.settings import Settings
from crawlers.base import FetchResult
from crawlers.sources.file import FileSource
from flows.listen import ListenReport, ProgressEvent, listen_flow, run_listen
from flows.sources_config import SourceConfig, SourcesConfig
from flows.spool import Spool
from flows.wiring import build_enricher, build_sources
from index.backends.sqlite import SQLiteMentionStore
from index.base import MentionFilter, SearchRequest
from tests.flows.helpers import (
    FIRST_BATCH_CURSOR,
    LAST_LINE,
    REJECTED_LOCATORS,
    VALID,
    FlakyStore,
    file_sources,
    make_settings,
    write_export,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[SQLiteMentionStore]:
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as s:
        yield s


def _flaky_backend(name: str, **kwargs: object) -> list[FlakyStore]:
    """Register a FlakyStore factory as a store backend; the list collects the stores the flow builds."""
    built: list[FlakyStore] = []

    def factory(settings: Settings, *, workspace: str) -> FlakyStore:
        built.append(FlakyStore(settings, workspace=workspace, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    STORES.register(name, factory)
    return built


def _ids_once(store: SQLiteMentionStore) -> list[str]:
    ids = [m.id for m in store.export()]
    assert len(ids) == len(set(ids))
    return ids


# --- under Prefect -------------------------------------------------------------------------------
@pytest.mark.usefixtures("prefect_harness")
class TestUnderPrefect:
    def test_valid_rows_indexed_rejected_reported_cursor_saved_then_rerun_is_a_no_op(
        self, settings: Settings, export: Path, store: SQLiteMentionStore
    ) -> None:
        events: list[ProgressEvent] = []
        report = listen_flow(sources=file_sources(export), settings=settings, progress=events.append)

        assert report.ok
        assert report.flow_run_id
        source = report.source("export")
        assert (source.status, source.fetched, source.indexed, source.created) == ("ok", VALID, VALID, VALID)
        assert source.batches == 3
        assert source.exhausted
        assert source.rejected == 3
        assert [r.locator for r in source.rejected_samples] == REJECTED_LOCATORS
        reasons = [r.reason for r in source.rejected_samples]
        assert "missing text" in reasons[0]
        assert "published_at" in reasons[1]
        assert "columns" in reasons[2]
        assert source.cursor == LAST_LINE
        assert store.count() == VALID
        assert store.count(MentionFilter(sources=("export",))) == VALID
        assert store.load_cursor("export") == SourceCursor(
            source="export",
            value=LAST_LINE,
            updated_at=store.load_cursor("export").updated_at,  # type: ignore[union-attr]
        )
        kept = [json.loads(line) for line in Path(source.rejected_file or "").read_text().splitlines()]
        assert [k["locator"] for k in kept] == REJECTED_LOCATORS
        assert [e.kind for e in events] == [
            "drained",
            "source_started",
            "batch",
            "batch",
            "batch",
            "source_finished",
        ]
        assert sum(e.indexed for e in events) == VALID

        hit = store.search(SearchRequest(text="电池")).hits[0]
        assert hit.native_id == "3"
        assert hit.models

        again = listen_flow(sources=file_sources(export), settings=settings)
        source = again.source("export")
        assert (source.fetched, source.indexed, source.rejected, source.cursor) == (0, 0, 0, LAST_LINE)
        assert store.count() == VALID
        assert len(Path(report.source("export").rejected_file or "").read_text().splitlines()) == 3

    def test_a_retryable_store_error_is_retried_by_the_task(self, settings: Settings, export: Path) -> None:
        built = _flaky_backend("flaky-once", fail_on={2})  # the 2nd upsert fails once, its retry succeeds
        report = listen_flow(sources=file_sources(export), settings=settings, store="flaky-once")
        assert report.ok
        assert report.source("export").indexed == VALID
        assert built[0].upsert_calls == 4  # 3 batches + 1 retry
        assert not Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE).pending()

    def test_store_down_after_retries_spools_keeps_cursor_fails_the_run_next_run_drains(
        self, settings: Settings, export: Path, store: SQLiteMentionStore
    ) -> None:
        # 1st batch goes in; the 2nd fails on its try and both retries (task_retries=2): calls 2, 3, 4.
        built = _flaky_backend("flaky-down", fail_on={2, 3, 4})
        with pytest.raises(ListenIncomplete) as info:
            listen_flow(sources=file_sources(export), settings=settings, store="flaky-down")
        report = info.value.report
        source = report.source("export")
        assert not report.ok
        assert source.status == "failed"
        assert "StoreUnavailable" in source.errors[0]
        assert built[0].upsert_calls == 4
        assert source.indexed == 3
        assert source.cursor == FIRST_BATCH_CURSOR
        assert store.load_cursor("export").value == FIRST_BATCH_CURSOR  # type: ignore[union-attr]
        spooled = Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE).pending()
        assert [str(p) for p in spooled] == source.spooled
        assert len(Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE).load(spooled[0])) == 3
        assert source.rejected == 2  # only the committed batch's rejections (lines 3, 6) are recorded yet
        assert info.value.to_dict()["error"]["code"] == "listen_incomplete"

        again = listen_flow(sources=file_sources(export), settings=settings)  # store is back (plain sqlite)
        assert again.ok
        assert (again.drain.files, again.drain.mentions, again.drain.created) == (1, 3, 3)
        assert not Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE).pending()
        assert again.source("export").cursor == LAST_LINE
        assert len(_ids_once(store)) == VALID
        assert report.source("export").created + again.drain.created + again.source("export").created == VALID
        rejected = Path(again.source("export").rejected_file or "").read_text().splitlines()
        assert [json.loads(r)["locator"] for r in rejected] == REJECTED_LOCATORS  # each once

    def test_a_non_retryable_error_is_not_retried(self, settings: Settings, export: Path) -> None:
        calls: list[int] = []

        class BrokenSource(FileSource):
            def fetch(self, cursor: SourceCursor | None, limit: int) -> FetchResult:
                calls.append(limit)
                raise SourceError("the export is corrupt")

        SOURCES.register("broken-file", BrokenSource)
        config = SourcesConfig(
            sources=(
                SourceConfig(name="broken", type="broken-file", path=str(export)),
                *file_sources(export).sources,
            )
        )
        with pytest.raises(ListenIncomplete) as info:
            listen_flow(sources=config, settings=settings)
        report = info.value.report
        assert calls == [3]  # SourceError is not retryable: one try
        assert report.source("broken").status == "failed"
        assert "corrupt" in report.source("broken").errors[0]
        assert report.source("export").status == "ok"
        assert report.source("export").indexed == VALID


# --- without Prefect -----------------------------------------------------------------------------
def _run(settings: Settings, export: Path, store: SQLiteMentionStore) -> ListenReport:
    wired = build_sources(file_sources(export), settings, workspace=DEFAULT_WORKSPACE)
    return run_listen(wired.sources, build_enricher(settings, workspace=DEFAULT_WORKSPACE), store, settings)


def test_run_listen_spools_on_store_failure_and_the_next_run_indexes_everything_once(
    settings: Settings, export: Path
) -> None:
    with FlakyStore(settings, fail_on={2}) as flaky:  # plain steps have no retries: the 2nd batch spools
        report = _run(settings, export, flaky)
        source = report.source("export")
        assert not report.ok
        assert source.batches == 2
        assert source.indexed == 3
        assert len(source.spooled) == 1
        assert flaky.load_cursor("export").value == FIRST_BATCH_CURSOR  # type: ignore[union-attr]
        assert flaky.count() == 3

        report = _run(settings, export, flaky)
        assert report.ok
        assert report.drain.files == 1
        assert report.source("export").cursor == LAST_LINE
        assert len(_ids_once(flaky)) == VALID


def test_drain_failure_skips_sources_and_keeps_the_spool(settings: Settings, export: Path) -> None:
    flaky = FlakyStore(settings, fail_on={2})
    with flaky:
        _run(settings, export, flaky)
        flaky.fail_always = True
        report = _run(settings, export, flaky)
        assert not report.ok
        assert report.drain.remaining == 1
        assert report.source("export").status == "skipped"
        assert len(Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE).pending()) == 1


def test_max_batches_stops_each_source(settings: Settings, export: Path, store: SQLiteMentionStore) -> None:
    limited = settings.model_copy(update={"listen": settings.listen.model_copy(update={"max_batches": 1})})
    report = _run(limited, export, store)
    assert report.ok
    assert report.source("export").batches == 1
    assert not report.source("export").exhausted
    assert store.count() == 3
    assert store.load_cursor("export") is not None
    assert store.load_cursor("export").value == FIRST_BATCH_CURSOR  # type: ignore[union-attr]


def test_listen_flow_fn_runs_the_same_code_without_prefect(
    settings: Settings, export: Path, store: SQLiteMentionStore
) -> None:
    report = listen_flow.fn(sources=file_sources(export), settings=settings)
    assert report.ok
    assert report.flow_run_id is None
    assert store.count() == VALID


def test_listen_flow_fn_raises_with_the_report(settings: Settings, export: Path) -> None:
    built = _flaky_backend("flaky-fn", fail_always=True)
    with pytest.raises(ListenIncomplete) as info:
        listen_flow.fn(sources=file_sources(export), settings=settings, store="flaky-fn")
    assert info.value.report.source("export").spooled
    assert built[0].upsert_calls == 1


def test_a_source_lacking_configuration_is_disabled_and_the_others_go_on(
    settings: Settings, export: Path, store: SQLiteMentionStore
) -> None:
    config = SourcesConfig(
        sources=(
            SourceConfig(name="nopath", type="file"),  # FileSource raises NotConfigured without a path
            SourceConfig(name="off", type="file", enabled=False, path=str(export)),
            *file_sources(export).sources,
        )
    )
    wired = build_sources(config, settings, workspace=DEFAULT_WORKSPACE)
    assert set(wired.sources) == {"export"}
    assert wired.disabled["off"] == "enabled: false"
    assert "not configured" in wired.disabled["nopath"]
    report = run_listen(
        wired.sources,
        build_enricher(settings, workspace=DEFAULT_WORKSPACE),
        store,
        settings,
        disabled=wired.disabled,
    )
    assert report.ok
    assert {s.source: s.status for s in report.sources} == {
        "export": "ok",
        "nopath": "disabled",
        "off": "disabled",
    }


def test_unknown_source_type_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no-such-type"):
        build_sources(
            SourcesConfig(sources=(SourceConfig(name="x", type="no-such-type"),)),
            settings,
            workspace=DEFAULT_WORKSPACE,
        )


# --- workspaces ------------------------------------------------------------------------------------
def test_a_run_is_for_one_workspace(settings: Settings, export: Path, store: SQLiteMentionStore) -> None:
    """A sources file naming its workspace: mentions, cursors, rejected items and health land there,
    and the same export listened to for `default` afterwards is another workspace's data."""
    config = file_sources(export).model_copy(update={"workspace": "acme"})
    report = listen_flow.fn(sources=config, settings=settings)
    assert report.ok
    assert report.workspace == "acme"
    assert store.count() == 0  # `store` is default's
    assert store.load_cursor("export") is None
    with SQLiteMentionStore(settings, workspace="acme") as acme:
        assert acme.count() == VALID
        assert acme.load_cursor("export") is not None
    rejected = settings.rejected_dir / "workspaces" / "acme" / "export.jsonl"
    assert [json.loads(line)["workspace"] for line in rejected.read_text().splitlines()] == ["acme"] * len(
        REJECTED_LOCATORS
    )
    health = settings.home / "health" / "workspaces" / "acme" / "export.json"
    assert json.loads(health.read_text())["workspace"] == "acme"

    again = listen_flow.fn(sources=file_sources(export), settings=settings)  # no workspace: default
    assert again.workspace == DEFAULT_WORKSPACE
    assert again.totals["created"] == VALID  # the same mentions, created again: another workspace
    assert store.count() == VALID
    with pytest.raises(ConfigError, match="acme"):
        listen_flow.fn(sources=config, settings=settings, workspace="other")
