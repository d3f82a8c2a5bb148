"""Sample CSV and JSONL exports for FileSource: the source contract runs on them
(tests/contracts/test_source.py), and the FileSource tests check their line-accurate rejects."""

from __future__ import annotations

import json
from pathlib import Path

from crawlers.sources.file import FieldMapping

MAPPING = FieldMapping(
    native_id="id",
    text="body",
    title="title",
    published_at="date",
    author_handle="user",
    rating="stars",
    product="product",
)

# Line numbers as an editor shows them: line 1 is the header. Row 4 has a quoted newline, so it spans
# lines 4-5 and the next row starts on line 6.
CSV_TEXT = (
    "id,date,user,stars,product,title,body\n"  # 1
    "r1,2026-11-01T10:00:00Z,@ana,5,Aria Buds,Great,Love the sound #quillfinch @quillfinch_help\n"  # 2
    "r2,2026-11-02,bob,1,Aria Buds,,Battery died after a week\n"  # 3
    'r3,1793700000,cy,4,Halo 700,Long one,"First line\nsecond line, with a comma"\n'  # 4-5
    "r4,not a date,dan,3,Halo 700,,Date is wrong\n"  # 6
    "r5,2026-11-03T08:00:00+08:00,eve,2,Halo 700,,\n"  # 7: no text
    "r6,2026-11-03,fay,2,Halo 700\n"  # 8: too few columns
    "r7,2026-11-04,gus,11,Halo 700,,Stars out of range\n"  # 9
    "r8,2026-11-04,hal,three,Halo 700,,Stars not a number\n"  # 10
    "\n"  # 11: blank lines are not rows
    "r9,2026-11-05,ivy,4,Aria Buds,,Fine for the price\n"  # 12
    "r10,2026-11-06,jo,5,Aria Buds,,耳机音质很好\n"  # 13
)

JSONL_LINES = [
    {"id": 1, "text": "first", "created": "2026-11-01T00:00:00Z", "user": {"screen_name": "ana", "id": "u1"}},
    {"id": 2, "text": "second", "created": 1793700000000, "user": {"screen_name": "@bob", "id": "u2"}},
    "{broken json",
    {"id": 4, "created": "2026-11-01T00:00:00Z"},
    [1, 2, 3],
    {"id": 6, "text": "sixth", "created": "2026-11-02T00:00:00Z", "user": {"screen_name": "cy"}},
    {"id": 7, "text": "seventh", "created": "2026-11-03T00:00:00Z"},
]
JSON_MAPPING = FieldMapping(
    native_id="id", text="text", published_at="created", author_handle="user.screen_name", author_id="user.id"
)


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "".join(
            (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines
        ),
        encoding="utf-8",
    )
    return path
