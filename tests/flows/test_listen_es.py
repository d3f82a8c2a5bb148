"""Elasticsearch stops in the middle of a listen run: the batch it could not take is spooled, the cursor
stays after the last indexed batch, and once it is back a rerun indexes every row exactly once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from core.errors import ListenIncomplete
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from flows.listen import ProgressEvent, listen_flow
from flows.spool import Spool
from index.backends.elasticsearch import ElasticsearchMentionStore
from tests.flows.helpers import (
    FIRST_BATCH_CURSOR,
    LAST_LINE,
    VALID,
    file_sources,
    make_settings,
    write_export,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def _es_settings(home: Path, url: str) -> Settings:
    return make_settings(
        home,
        store={"backend": "elasticsearch"},
        # No client-side retries and a short timeout: a stopped node fails fast; the task retries once.
        elasticsearch={"hosts": [url], "index_prefix": "flowtest", "max_retries": 0, "request_timeout": 10},
        listen={"task_retries": 1},
    )


def test_node_stops_mid_run_batch_spooled_cursor_kept_rerun_indexes_all_once(
    tmp_path: Path, es_node_factory: Callable[[], Any]
) -> None:
    node = es_node_factory()
    settings = _es_settings(tmp_path / "home", node.url)
    sources = file_sources(write_export(tmp_path))

    def stop_after_first_batch(event: ProgressEvent) -> None:
        if event.kind == "batch" and event.batch == 1:
            node.stop()  # the 1st batch is indexed and its cursor saved; the 2nd upsert meets a dead node

    with pytest.raises(ListenIncomplete) as info:
        listen_flow(sources=sources, settings=settings, progress=stop_after_first_batch)
    source = info.value.report.source("export")
    assert source.status == "failed"
    assert "StoreUnavailable" in source.errors[0]
    assert source.indexed == 3
    assert source.cursor == FIRST_BATCH_CURSOR
    spool = Spool(settings.spool_dir, workspace=DEFAULT_WORKSPACE)
    spooled = spool.pending()
    assert [str(p) for p in spooled] == source.spooled
    assert [m.native_id for m in spool.load(spooled[0])] == ["6", "8", "9"]  # the 2nd batch, intact

    node.start()
    with closing(ElasticsearchMentionStore(settings, workspace=DEFAULT_WORKSPACE)) as store:
        cursor = store.load_cursor("export")
        assert cursor is not None
        assert cursor.value == FIRST_BATCH_CURSOR  # not advanced past the last indexed batch
        store.refresh()
        assert store.count() == 3

        report = listen_flow(sources=sources, settings=settings)
        assert report.ok
        assert (report.drain.files, report.drain.mentions) == (1, 3)
        assert report.source("export").cursor == LAST_LINE
        assert not spool.pending()
        store.refresh()
        assert store.count() == VALID
        ids = [m.id for m in store.export()]
        assert len(ids) == len(set(ids)) == VALID


def test_follow_indexes_into_elasticsearch_and_saves_the_cursor(
    tmp_path: Path, es_url: str, es_prefix: str
) -> None:
    from flows.follow import follow_listen

    settings = make_settings(
        tmp_path / "home",
        store={"backend": "elasticsearch"},
        elasticsearch={"hosts": [es_url], "index_prefix": es_prefix},
        listen={"flush_age": 0.1, "poll_interval": 0.2},
    )
    announced: list[str] = []
    report = follow_listen(
        sources=file_sources(write_export(tmp_path)),
        settings=settings,
        follow_for=1.5,
        after_write=lambda mentions: announced.extend(m.id for m in mentions),
    )
    assert report.stopped_by == "limit"
    assert (report.source("export").indexed, report.source("export").cursor) == (VALID, LAST_LINE)
    with closing(ElasticsearchMentionStore(settings, workspace=DEFAULT_WORKSPACE)) as store:
        store.refresh()
        assert sorted(m.id for m in store.export()) == sorted(announced)
        assert len(announced) == VALID
        assert store.load_cursor("export").value == LAST_LINE  # type: ignore[union-attr]
