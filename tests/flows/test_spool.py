"""The spool keeps batches the store would not take; the rejected log keeps input that was not a mention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import PartialWriteError, StoreUnavailable
from core.models import EnrichedMention, Rejected, WritePolicy
from flows.spool import RejectedLog, Spool, batch_hash
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
    spool = Spool(tmp_path / "spool")
    batch = mentions(3)
    path = spool.put("my source/1", batch)
    assert path.name == f"my_source_1--{batch_hash(batch)}.jsonl"
    assert [p.name for p in (tmp_path / "spool").iterdir()] == [path.name]  # no temporary file left
    assert spool.load(path) == batch
    assert spool.put("my source/1", batch) == path  # same batch, same file
    assert spool.pending() == [path]


def test_drain_indexes_then_deletes_and_is_idempotent(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.put("a", mentions(3))
    spool.put("b", mentions(2, start=2))  # overlaps: ids are deterministic, nothing doubles
    store = DictStore()
    report = spool.drain(store)  # type: ignore[arg-type]
    assert (report.files, report.mentions, report.created, report.updated) == (2, 5, 4, 1)
    assert len(store.docs) == 4
    assert spool.pending() == []
    assert spool.drain(store).files == 0  # type: ignore[arg-type]


def test_drain_keeps_files_when_the_store_is_down(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
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
    spool = Spool(tmp_path)
    good = spool.put("a", mentions(1))
    bad = tmp_path / "a--deadbeef.jsonl"
    bad.write_text('{"not": "a mention"}\n', encoding="utf-8")
    report = spool.drain(DictStore())  # type: ignore[arg-type]
    assert report.files == 1
    assert not good.exists()
    assert report.quarantined == ["a--deadbeef.jsonl.corrupt"]
    assert (tmp_path / "a--deadbeef.jsonl.corrupt").exists()
    assert "a--deadbeef.jsonl:1" in report.errors[0]

    refused = spool.put("a", mentions(1, start=9))
    report = spool.drain(DictStore(refuse=True))  # type: ignore[arg-type]
    assert report.quarantined == [refused.name + ".failed"]
    assert spool.pending() == []


def test_rejected_log_appends_per_source(tmp_path: Path) -> None:
    log = RejectedLog(tmp_path)
    assert log.append("s", []) is None
    items = [
        Rejected(source="s", locator="f.csv:3", reason="missing text", raw="a,,b"),
        Rejected(source="s", locator="f.csv:9", reason="日期无效"),
    ]
    path = log.append("s", items[:1])
    log.append("s", items[1:])
    assert path == tmp_path / "s.jsonl"
    assert log.read("s") == items
