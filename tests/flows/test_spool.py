"""The spool keeps batches the store would not take; the rejected log keeps input that was not a mention."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import PartialWriteError, StoreUnavailable
from core.models import DEFAULT_WORKSPACE, EnrichedMention, Rejected, WritePolicy
from crawlers.rejected import RejectedLog
from flows.spool import Spool, batch_hash
from index.base import UpsertResult


def mentions(n: int, start: int = 0) -> list[EnrichedMention]:
    return [
        EnrichedMention(
            platform="web",
            native_id=f"m{i}",
            source="s",
            text=f"text {i} 电池",
            published_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for i in range(start, start + n)
    ]


class DictStore:
    """The smallest store `drain` needs: upsert by id into a dict; fails while `down` > 0."""

    def __init__(self, down: int = 0, refuse: bool = False) -> None:
        self.docs: dict[str, EnrichedMention] = {}
        self.down = down
        self.refuse = refuse
        self.calls = 0

    def upsert(
        self, batch: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        self.calls += 1
        if self.down:
            self.down -= 1
            raise StoreUnavailable("down")
        if self.refuse:
            raise PartialWriteError("mapping", failures=[{"id": batch[0].id, "reason": "bad"}])
        created = sum(1 for m in batch if m.id not in self.docs)
        self.docs.update({m.id: m for m in batch})
        return UpsertResult(created=created, updated=len(batch) - created)


def test_put_is_atomic_named_by_source_and_hash_and_round_trips(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", workspace=DEFAULT_WORKSPACE)
    batch = mentions(3)
    path = spool.put("my source/1", batch)
    assert path.name == f"my_source_1--{batch_hash(batch)}.jsonl"
    assert path.parent == tmp_path / "spool" / "workspaces" / "default"
    assert [p.name for p in spool.directory.iterdir()] == [path.name]  # no temporary file left
    assert spool.load(path) == batch
    assert spool.put("my source/1", batch) == path  # same batch, same file
    assert spool.pending() == [path]


def test_drain_indexes_then_deletes_and_is_idempotent(tmp_path: Path) -> None:
    spool = Spool(tmp_path, workspace=DEFAULT_WORKSPACE)
    spool.put("a", mentions(3))
    spool.put("b", mentions(2, start=2))  # overlaps: ids are deterministic, nothing doubles
    store = DictStore()
    report = spool.drain(store)  # type: ignore[arg-type]
    assert (report.files, report.mentions, report.created, report.updated) == (2, 5, 4, 1)
    assert len(store.docs) == 4
    assert spool.pending() == []
    assert spool.drain(store).files == 0  # type: ignore[arg-type]


def test_drain_keeps_files_when_the_store_is_down(tmp_path: Path) -> None:
    spool = Spool(tmp_path, workspace=DEFAULT_WORKSPACE)
    first = spool.put("a", mentions(2))
    second = spool.put("a", mentions(2, start=5))
    store = DictStore(down=1)
    with pytest.raises(StoreUnavailable):
        spool.drain(store)  # type: ignore[arg-type]
    assert set(spool.pending()) == {first, second}
    report = spool.drain(store)  # type: ignore[arg-type]
    assert report.files == 2
    assert len(store.docs) == 4


def test_unreadable_or_refused_files_are_quarantined_not_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, workspace=DEFAULT_WORKSPACE)
    good = spool.put("a", mentions(1))
    bad = spool.directory / "a--deadbeef.jsonl"
    bad.write_text('{"not": "a mention"}\n', encoding="utf-8")
    report = spool.drain(DictStore())  # type: ignore[arg-type]
    assert report.files == 1
    assert not good.exists()
    assert report.quarantined == ["a--deadbeef.jsonl.corrupt"]
    assert (spool.directory / "a--deadbeef.jsonl.corrupt").exists()
    assert "a--deadbeef.jsonl:1" in report.errors[0]

    refused = spool.put("a", mentions(1, start=9))
    report = spool.drain(DictStore(refuse=True))  # type: ignore[arg-type]
    assert report.quarantined == [refused.name + ".failed"]
    assert spool.pending() == []


def test_rejected_log_appends_per_source(tmp_path: Path) -> None:
    log = RejectedLog(tmp_path, workspace=DEFAULT_WORKSPACE)
    assert log.append("s", []) is None
    items = [
        Rejected(source="s", locator="f.csv:3", reason="missing text", raw="a,,b"),
        Rejected(source="s", locator="f.csv:9", reason="日期无效"),
    ]
    path = log.append("s", items[:1])
    log.append("s", items[1:])
    assert path == tmp_path / "workspaces" / "default" / "s.jsonl"
    assert log.read("s") == items
    assert all(json.loads(line)["workspace"] == "default" for line in path.read_text().splitlines())


# --- workspaces ------------------------------------------------------------------------------------
def test_spools_of_two_workspaces_are_apart(tmp_path: Path) -> None:
    default, acme = Spool(tmp_path, workspace=DEFAULT_WORKSPACE), Spool(tmp_path, workspace="acme")
    mine = acme.put("a", mentions(2))
    assert mine.parent == tmp_path / "workspaces" / "acme"
    assert json.loads(mine.read_text().splitlines()[0])["workspace"] == "acme"
    assert default.pending() == []
    assert default.drain(DictStore()).files == 0  # type: ignore[arg-type]
    # a file of acme's that lands in default's directory is never upserted into default's store
    stray = default.directory / mine.name
    default.directory.mkdir(parents=True)
    stray.write_bytes(mine.read_bytes())
    store = DictStore()
    report = default.drain(store)  # type: ignore[arg-type]
    assert report.quarantined == [mine.name + ".corrupt"]
    assert "belongs to workspace 'acme'" in report.errors[0]
    assert store.docs == {}
    assert acme.drain(store).files == 1  # type: ignore[arg-type]
    assert len(store.docs) == 2


def test_files_from_before_workspaces_belong_to_default(tmp_path: Path) -> None:
    """Spool files and rejected files written directly in the root, records without a workspace."""
    spool_root, rejected_root = tmp_path / "spool", tmp_path / "rejected"
    spool_root.mkdir()
    rejected_root.mkdir()
    old_batch = mentions(3)
    old = spool_root / f"a--{batch_hash(old_batch)}.jsonl"
    old.write_text("".join(m.model_dump_json() + "\n" for m in old_batch), encoding="utf-8")
    item = Rejected(source="s", locator="f.csv:3", reason="missing text")
    (rejected_root / "s.jsonl").write_text(item.model_dump_json() + "\n", encoding="utf-8")

    acme = Spool(spool_root, workspace="acme")
    assert acme.pending() == []
    assert RejectedLog(rejected_root, workspace="acme").read("s") == []
    default = Spool(spool_root, workspace=DEFAULT_WORKSPACE)
    assert default.pending() == [old]
    assert default.load(old) == old_batch
    store = DictStore()
    assert default.drain(store).files == 1  # type: ignore[arg-type]
    assert not old.exists()
    assert len(store.docs) == 3
    log = RejectedLog(rejected_root, workspace=DEFAULT_WORKSPACE)
    newer = Rejected(source="s", locator="f.csv:4", reason="empty")
    log.append("s", [newer])
    assert log.read("s") == [item, newer]  # before workspaces first
