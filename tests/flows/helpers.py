"""Shared pieces of the flow tests: a CSV export with malformed rows, settings, a store that fails."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import StoreUnavailable
from core.models import DEFAULT_WORKSPACE, EnrichedMention, WritePolicy
from core.settings import Settings
from flows.sources_config import SourceConfig, SourcesConfig
from index.backends.sqlite import SQLiteMentionStore
from index.base import UpsertResult

# Physical line numbers matter: malformed rows are reported as `export.csv:<line>`.
CSV_LINES = [
    "id,body,created,user",  # 1
    "1,Great battery life on the Aria Buds,2026-01-01T10:00:00Z,alice",  # 2   batch 1
    "2,,2026-01-02T10:00:00Z,bob",  # 3: no text
    "3,耳机电池很好，音质也不错,2026-01-03T10:00:00Z,carol",  # 4
    "4,Shipping was slow and support never answered,2026-01-04T10:00:00Z,dave",  # 5
    "5,The app crashed twice today,yesterday,erin",  # 6: unparseable date (cursor 6: a fetch consumes
    # the rejected rows before the row that would exceed its limit)
    "6,Love the Halo 700 noise cancelling,2026-01-05T10:00:00Z,frank",  # 7   batch 2
    "7,too,many,columns,here",  # 8: wrong number of columns
    "8,外卖送得太慢了，客服也不回复,2026-01-06T10:00:00Z,gina",  # 9
    "9,How do I pair two devices?,2026-01-07T10:00:00Z,hank",  # 10  (cursor 10)
    "10,I will cancel my subscription,2026-01-08T10:00:00Z,ivy",  # 11  batch 3
    "11,Refund took three weeks,2026-01-09T10:00:00Z,jack",  # 12  (cursor 12)
]
VALID = 8
REJECTED_LOCATORS = ["export.csv:3", "export.csv:6", "export.csv:8"]
FIRST_BATCH_CURSOR = "6"
LAST_LINE = str(len(CSV_LINES))
MAPPING = {"native_id": "id", "text": "body", "published_at": "created", "author_handle": "user"}


def write_export(directory: Path, lines: Sequence[str] = CSV_LINES) -> Path:
    path = directory / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def file_sources(path: Path, name: str = "export") -> SourcesConfig:
    return SourcesConfig(sources=(SourceConfig(name=name, type="file", path=str(path), mapping=MAPPING),))


def make_settings(home: Path, **overrides: Any) -> Settings:
    listen = {"batch_size": 3, "task_retries": 2, "task_retry_delay": 0, **overrides.pop("listen", {})}
    return Settings(home=home, listen=listen, **overrides)


class FlakyStore(SQLiteMentionStore):
    """A real SQLite store whose upserts fail (StoreUnavailable) on the given call numbers (1-based)."""

    def __init__(
        self,
        settings: Settings,
        fail_on: set[int] | None = None,
        fail_always: bool = False,
        *,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> None:
        super().__init__(settings, workspace=workspace)
        self.fail_on = fail_on or set()
        self.fail_always = fail_always
        self.upsert_calls = 0

    def upsert(
        self, mentions: Sequence[EnrichedMention], policy: WritePolicy = WritePolicy.overwrite
    ) -> UpsertResult:
        self.upsert_calls += 1
        if self.fail_always or self.upsert_calls in self.fail_on:
            raise StoreUnavailable(f"injected failure on upsert call {self.upsert_calls}")
        return super().upsert(mentions, policy)
