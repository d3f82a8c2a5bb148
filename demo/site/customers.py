"""Deterministic generator of the demo's customer master file, ``data/customers.csv``.

Fictional customers of the demo brands, shaped to show customer linking in `earful demo`:
- most are recurring authors of the demo feed, matched by their platform user id (`demo:u5001`);
- some only by their handle on the demo platform (no user id in the file), one also by a Hacker News
  handle (the replayed HN API);
- a few recurring authors did NOT consent to profiling: they must never be linked;
- the rest have no social presence the demo knows of (a real master file is mostly such people).
The demo items quote no emails, phones or order numbers, so nobody is matched by those here.

Same items, same file, byte for byte (a test checks the checked-in file):

    python -m demo.site.customers generate   # rewrite data/customers.csv
    python -m demo.site.customers check      # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import unicodedata
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from core.customer_keys import MASTER_FILE_COLUMNS
from demo.site.generate import load_items

DATA_FILE = "customers.csv"
SEED = 20261116
PLATFORM = "demo"  # the demo feed's platform
HN_PLATFORM = "hackernews"
TOTAL = 40
BY_USER_ID = 17  # recurring authors matched by platform user id ...
BY_HANDLE = 7  # ... by handle only ...
WITHOUT_CONSENT = 3  # ... and recurring authors who did not consent to profiling (never linked)
NOT_CUSTOMERS = {"u5003", "u5012"}  # news desks, not customers
HN_ALIASES = {"u5033": "priya"}  # the same person on the replayed Hacker News API
TIERS = ("platinum", "gold", "gold", "silver", "silver", "silver", "bronze", "standard", "standard")
COLUMNS = MASTER_FILE_COLUMNS  # the columns crm/master_file.py reads
CITIES = {
    "AU": ("Sydney", "Melbourne"),
    "CA": ("Toronto", "Vancouver"),
    "CN": ("上海", "北京", "广州", "成都"),
    "GB": ("London", "Manchester"),
    "HK": ("Hong Kong",),
    "SG": ("Singapore",),
    "TW": ("台北", "高雄"),
    "US": ("Seattle", "Austin", "Chicago"),
}
PHONE_PREFIX = {
    "AU": "+61 4",
    "CA": "+1 416",
    "CN": "+86 13",
    "GB": "+44 7700",
    "HK": "+852 9",
    "SG": "+65 9",
    "TW": "+886 9",
    "US": "+1 206",
}
# People with no social presence the demo knows of: (name, country).
OFFLINE = (
    ("Elena Duarte", "US"),
    ("Marcus Webb", "GB"),
    ("Sofia Lindqvist", "GB"),
    ("王建国", "CN"),
    ("陈静", "CN"),
    ("Aiko Tanaka", "SG"),
    ("林志豪", "TW"),
    ("Grace Okafor", "CA"),
    ("刘芳", "CN"),
    ("Henry Walsh", "AU"),
    ("黃美玲", "HK"),
    ("Isla Murray", "GB"),
    ("Diego Fernández", "US"),
    ("張家豪", "TW"),
    ("Ruth Abrams", "US"),
)


def recurring_authors(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Authors of the feed with at least two items, most active first (ties by id): one entry each."""
    counts: Counter[str] = Counter()
    first: dict[str, dict[str, Any]] = {}
    for item in items:
        author = item.get("author")
        if isinstance(author, dict) and author.get("id") and author["id"] not in NOT_CUSTOMERS:
            counts[author["id"]] += 1
            first.setdefault(author["id"], author)
    ranked = sorted((uid for uid, n in counts.items() if n >= 2), key=lambda uid: (-counts[uid], uid))
    return [first[uid] for uid in ranked]


def _email(name: str, code: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.lower())  # 'Fernández' -> 'fernandez'
    local = "".join(ch for ch in ascii_name if ch.isascii() and ch.isalnum())
    return f"{local or 'customer'}.{code.lower()}@mail.example"


def _phone(rng: random.Random, country: str) -> str:
    prefix = PHONE_PREFIX.get(country, PHONE_PREFIX["US"])
    return f"{prefix} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"


def _row(rng: random.Random, code: str, name: str, country: str, **keys: str) -> dict[str, str]:
    return {
        "code": code,
        "name": name,
        "tier": rng.choice(TIERS),
        "category": rng.choice(("consumer", "consumer", "consumer", "business")),
        "industry": "",
        "emails": _email(name, code),
        "phones": _phone(rng, country) if rng.random() < 0.6 else "",
        "handles": keys.get("handles", ""),
        "user_ids": keys.get("user_ids", ""),
        "birthday": f"{rng.randrange(1960, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "consent_marketing": rng.choice(("yes", "no")),
        "consent_profiling": keys.get("consent_profiling", "yes"),
        "city": rng.choice(CITIES.get(country, ("",))),
        "country": country,
        "order_numbers": ";".join(f"#A{rng.randrange(10000, 100000)}" for _ in range(rng.randrange(0, 3))),
    }


def generate(items: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """The customers as CSV rows (column -> value), in code order."""
    rng = random.Random(SEED)
    authors = recurring_authors(load_items() if items is None else items)
    wanted = BY_USER_ID + BY_HANDLE + WITHOUT_CONSENT
    if len(authors) < wanted:
        raise ValueError(f"the demo items have {len(authors)} recurring authors; {wanted} are needed")
    # Every third of the first nine refuses profiling: active authors, so their absence shows.
    refusing = {authors[i]["id"] for i in (2, 5, 8)[:WITHOUT_CONSENT]}
    matched = [a for a in authors if a["id"] not in refusing][: BY_USER_ID + BY_HANDLE]
    by_handle = {a["id"] for a in matched[1::3][:BY_HANDLE]}  # spread over busy and quiet authors
    people: list[tuple[str, str, dict[str, str]]] = []
    for author in [a for a in authors if a["id"] in refusing] + matched:
        uid, handle = author["id"], author["handle"]
        handles = [f"{PLATFORM}:@{handle}"] + (
            [f"{HN_PLATFORM}:{HN_ALIASES[uid]}"] if uid in HN_ALIASES else []
        )
        keys = {"handles": ";".join(handles)}
        if uid not in by_handle:
            keys["user_ids"] = f"{PLATFORM}:{uid}"
        if uid in refusing:
            keys["consent_profiling"] = "no"
        people.append((author["name"], author.get("country") or "US", keys))
    people += [(name, country, {}) for name, country in OFFLINE[: TOTAL - len(people)]]
    rng.shuffle(people)  # codes do not give away who matches how
    rows = [
        _row(rng, f"C{n:03d}", name, country, **keys) for n, (name, country, keys) in enumerate(people, 1)
    ]
    return sorted(rows, key=lambda row: row["code"])


def dumps(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def data_path() -> Path:
    return Path(str(resources.files("demo.site.data").joinpath(DATA_FILE)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.site.customers", description=__doc__)
    parser.add_argument("command", choices=("generate", "check"))
    args = parser.parse_args(argv)
    text, path = dumps(generate()), data_path()
    if args.command == "check":
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is stale: run python -m demo.site.customers generate", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} customers to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
