"""Duplicate detection: pairs of customers of one workspace that are probably one person.

Two kinds of evidence, added up as Fellegi-Sunter match weights (bits: log2 of how much likelier the
agreement is between two records of one person than between two records of different people):

- **exact keys**: the same e-mail, phone or platform user id (normalised as the directory does,
  core/customer_keys.py). One shared key is strong evidence, not proof: a family shares a landline.
- **fuzzy fields**: name (word order, case and accents ignored; Jaro-Winkler per word), birthday
  (exact, one digit off, or day and month swapped), postal code, city and address. A field missing on
  either side says nothing; a field that disagrees counts against.

`score` turns the weight into a probability-like number in [0, 1] with a prior of `PRIOR_BITS` (most
pairs that share a block are different people). Pairs are only compared within blocks: records that
share an exact key, a postal code, a birthday or a name word; a block of more than `MAX_BLOCK`
records (a common surname) is too common to tell anything and is not used.

The shipped threshold, `DEFAULT_MIN_SCORE`, is the one the FEBRL check (bench/febrl.py) measures.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from pydantic import Field

from core.customer_keys import normalize_email, normalize_phone, normalize_platform
from core.models import Customer, Frozen
from crm.identity.similarity import jaro_winkler, token_similarity, tokens

DEFAULT_MIN_SCORE = 0.9
PRIOR_BITS = -10.0  # log2 prior odds that a blocked pair is one person
MAX_BLOCK = 300
KEY_BITS = 14.0  # a shared e-mail, phone or platform user id

_DIGITS = re.compile(r"\D")


class IdentityRecord(Frozen):
    """What the matcher compares of a customer; `from_customer` maps a master-file row onto it."""

    id: str
    code: str
    name: str = ""
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    birthday: str | None = Field(None, description="Digits, YYYYMMDD")
    keys: tuple[str, ...] = Field((), description="Exact keys: 'email:...', 'phone:...', 'user_id:...'")

    @classmethod
    def from_customer(cls, customer: Customer) -> IdentityRecord:
        keys: dict[str, None] = {}
        for contact in customer.contacts:
            if contact.kind == "email" and (email := normalize_email(contact.value)):
                keys[f"email:{email}"] = None
            elif contact.kind == "phone" and (phone := normalize_phone(contact.value)):
                keys[f"phone:{phone}"] = None
        for handle in customer.handles:
            if handle.user_id and handle.user_id.strip():
                keys[f"user_id:{normalize_platform(handle.platform)}:{handle.user_id.strip()}"] = None
        return cls(
            id=customer.id,
            code=customer.code,
            name=customer.name,
            address=customer.address,
            city=customer.city,
            postcode=customer.postal_code,
            birthday=customer.birthday.strftime("%Y%m%d") if customer.birthday else None,
            keys=tuple(keys),
        )


class DuplicateCandidate(Frozen):
    """Two customers that may be one person: the score and, per field, why."""

    first: str = Field(description="Customer id (the lower code of the two)")
    second: str = Field(description="Customer id")
    first_code: str
    second_code: str
    score: float = Field(ge=0, le=1)
    weight: float = Field(description="Match weight in bits; `score` is its logistic with the prior")
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Profile:
    record: IdentityRecord
    name: tuple[str, ...]
    address: tuple[str, ...]
    city: str
    postcode: str
    birthday: str
    keys: frozenset[str]


def _profile(record: IdentityRecord) -> _Profile:
    return _Profile(
        record=record,
        name=tokens(record.name),
        address=tokens(record.address),
        city=" ".join(tokens(record.city)),
        postcode=_DIGITS.sub("", record.postcode or "") or (record.postcode or "").strip().casefold(),
        birthday=_DIGITS.sub("", record.birthday or ""),
        keys=frozenset(record.keys),
    )


def _blocks(p: _Profile) -> set[str]:
    out = {f"k:{key}" for key in p.keys}
    if p.postcode:
        out.add(f"p:{p.postcode}")
    if p.birthday:
        out.add(f"b:{p.birthday}")
    out.update(f"n:{word}" for word in p.name if len(word) > 1 or not word.isascii())
    return out


def _one_edit(a: str, b: str) -> bool:
    """Same length, one character different or two neighbours swapped: a typing error."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])


def _name(a: _Profile, b: _Profile) -> tuple[float, str] | None:
    if not a.name or not b.name:
        return None
    sim, unpaired = token_similarity(a.name, b.name)
    if sim >= 0.97:
        return (7.0, "same name") if not unpaired else (3.0, "name contained in the other")
    if sim >= 0.9:
        return (5.0, f"names alike ({sim:.2f})") if not unpaired else (2.0, f"names partly alike ({sim:.2f})")
    if sim >= 0.8:
        return 1.0, f"names somewhat alike ({sim:.2f})"
    return -6.0, f"names differ ({sim:.2f})"


def _birthday(a: _Profile, b: _Profile) -> tuple[float, str] | None:
    if not a.birthday or not b.birthday:
        return None
    if a.birthday == b.birthday:
        return 10.0, "same birthday"
    swapped = len(b.birthday) == 8 and a.birthday == b.birthday[:4] + b.birthday[6:] + b.birthday[4:6]
    if swapped or _one_edit(a.birthday, b.birthday):
        return 3.0, "birthdays one typo apart"
    return -6.0, "birthdays differ"


def _postcode(a: _Profile, b: _Profile) -> tuple[float, str] | None:
    if not a.postcode or not b.postcode:
        return None
    if a.postcode == b.postcode:
        return 5.0, "same postal code"
    if _one_edit(a.postcode, b.postcode):
        return 1.0, "postal codes one typo apart"
    return -3.0, "postal codes differ"


def _city(a: _Profile, b: _Profile) -> tuple[float, str] | None:
    if not a.city or not b.city:
        return None
    sim = jaro_winkler(a.city, b.city)
    if sim >= 0.95:
        return 3.0, "same city"
    if sim >= 0.85:
        return 1.5, f"cities alike ({sim:.2f})"
    return -2.0, "cities differ"


def _address(a: _Profile, b: _Profile) -> tuple[float, str] | None:
    if not a.address or not b.address:
        return None
    sim, _ = token_similarity(a.address, b.address)
    if sim >= 0.95:
        return 6.0, "same address"
    if sim >= 0.85:
        return 3.0, f"addresses alike ({sim:.2f})"
    return -3.0, f"addresses differ ({sim:.2f})"


# Cheapest first, each with the most it can add: `compare` stops once the rest cannot reach the floor.
_FIELDS = ((_birthday, 10.0), (_postcode, 5.0), (_city, 3.0), (_name, 7.0), (_address, 6.0))


def compare(a: _Profile, b: _Profile, floor: float = -math.inf) -> tuple[float, list[str]] | None:
    """The match weight of two records (bits) and the reasons for it; None as soon as the weight
    cannot reach `floor` any more (most blocked pairs are told apart by birthday and postal code)."""
    weight = 0.0
    reasons: list[str] = []
    shared = sorted(a.keys & b.keys)
    if shared:
        weight += KEY_BITS
        reasons.append("same " + ", ".join(_mask(key) for key in shared))
    still = sum(most for _, most in _FIELDS)
    for field, most in _FIELDS:
        still -= most
        found = field(a, b)
        if found is not None:
            weight += found[0]
            reasons.append(found[1])
        if weight + still < floor:
            return None
    return weight, reasons


def score_of(weight: float) -> float:
    """The weight with the prior, as a number in [0, 1]."""
    return 1.0 / (1.0 + math.pow(2.0, -(weight + PRIOR_BITS)))


def weight_for(score: float) -> float:
    """The weight whose score is `score` (the inverse of `score_of`); -inf for 0."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return math.log2(score / (1.0 - score)) - PRIOR_BITS


def _mask(key: str) -> str:
    """Reasons are printed: show which key, not the whole address or number."""
    kind, _, value = key.partition(":")
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"e-mail {local[:1]}***@{domain}"
    if kind == "phone":
        return f"phone ***{value[-4:]}"
    return f"platform user id {value}"


def candidate_pairs(profiles: Sequence[_Profile]) -> set[tuple[int, int]]:
    """Index pairs of records that share a block (blocks over `MAX_BLOCK` records are skipped)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for key in _blocks(p):
            blocks[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            pairs.update(combinations(members, 2))
    return pairs


def find_duplicates(
    records: Iterable[IdentityRecord], *, min_score: float = DEFAULT_MIN_SCORE
) -> list[DuplicateCandidate]:
    """Every pair with a score of at least `min_score`, best first."""
    profiles = [_profile(r) for r in records]
    floor = weight_for(min_score)
    found: list[DuplicateCandidate] = []
    for i, j in sorted(candidate_pairs(profiles)):
        compared = compare(profiles[i], profiles[j], floor)
        if compared is None:
            continue
        weight, reasons = compared
        score = score_of(weight)
        if score < min_score:
            continue
        a, b = sorted((profiles[i].record, profiles[j].record), key=lambda r: (r.code, r.id))
        found.append(
            DuplicateCandidate(
                first=a.id,
                second=b.id,
                first_code=a.code,
                second_code=b.code,
                score=round(score, 6),
                weight=round(weight, 3),
                reasons=tuple(reasons),
            )
        )
    found.sort(key=lambda c: (-c.score, c.first_code, c.second_code))
    return found
