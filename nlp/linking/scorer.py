"""A candidate's keys and soft signals -> a confidence in [0, 1], with the evidence for it.

Each piece of evidence has a weight: the probability that it alone identifies the customer. Weights
combine as independent evidence (noisy-OR: 1 - prod(1 - w)), so two weak signals beat one, and nothing
but a platform user id reaches 1.0 (others are capped at 0.99).

keys (candidates.py):   platform user id 1.0 · handle on this platform 0.85 · email 0.8 · phone 0.8
                        order number 0.7 · the same handle on another platform 0.35
signals:                display name (or handle) like the customer's name: up to 0.5
                        author location names the customer's city 0.3, or only the country 0.1
                        profile text names the customer (name, code) 0.3
penalty:                a display name clearly unlike the customer's name: x0.9
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from core.models import Customer, RawMention
from nlp.linking.candidates import Candidate, KeyKind

KEY_WEIGHTS: dict[KeyKind, float] = {
    "platform_user_id": 1.0,
    "handle": 0.85,
    "email": 0.8,
    "phone": 0.8,
    "order_number": 0.7,
    "handle_elsewhere": 0.35,
}
NAME_WEIGHT = 0.5
NAME_MIN_SIMILARITY = 0.6  # below: no name evidence
NAME_MISMATCH_BELOW = 0.35  # below: the name speaks against the candidate
MISMATCH_FACTOR = 0.9
CITY_WEIGHT = 0.3
COUNTRY_WEIGHT = 0.1
PROFILE_WEIGHT = 0.3
CAP = 0.99

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Score:
    confidence: float
    evidence: tuple[str, ...]
    strongest: KeyKind
    key_confidence: float  # what the keys alone give: decides whether the link is 'scored'


def fold(text: str) -> list[str]:
    """Words for comparison: NFKC, accents stripped, case-folded; CJK runs split per character."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words: list[str] = []
    for word in _WORD.findall(plain):
        if any("\u4e00" <= ch <= "\u9fff" for ch in word):
            words.extend(word)  # Chinese names have no spaces: compare characters
        else:
            words.append(word)
    return words


def name_similarity(a: str, b: str) -> float:
    """0..1: how alike two names are, ignoring case, accents, word order and spacing ('analima' ~
    'Ana Lima' is 1.0)."""
    wa, wb = fold(a), fold(b)
    if not wa or not wb:
        return 0.0
    compact_a, compact_b = "".join(wa), "".join(wb)
    if compact_a == compact_b:
        return 1.0
    sorted_ratio = SequenceMatcher(None, " ".join(sorted(wa)), " ".join(sorted(wb))).ratio()
    compact_ratio = SequenceMatcher(None, compact_a, compact_b).ratio()
    return max(sorted_ratio, compact_ratio)


def noisy_or(weights: list[float]) -> float:
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return 1.0 - miss


def score(mention: RawMention, candidate: Candidate) -> Score:
    customer = candidate.customer
    keys = sorted(candidate.hits, key=lambda hit: -KEY_WEIGHTS[hit.kind])
    evidence = [hit.evidence for hit in keys]
    key_weights = [KEY_WEIGHTS[kind] for kind in {hit.kind for hit in keys}]
    key_confidence = noisy_or(key_weights)
    weights = list(key_weights)
    factor = 1.0
    author = mention.author
    if author is not None:
        name_weight, name_evidence, mismatch = _name_signal(author.display_name, author.handle, customer)
        if name_weight:
            weights.append(name_weight)
            evidence.append(name_evidence)
        elif mismatch:
            factor = MISMATCH_FACTOR
            evidence.append(name_evidence)
        place = _location_signal(author.location, customer)
        if place:
            weights.append(place[0])
            evidence.append(place[1])
        if author.profile_text and _profile_names(author.profile_text, customer):
            weights.append(PROFILE_WEIGHT)
            evidence.append("profile text names the customer")
    strongest = keys[0].kind
    confidence = 1.0 if strongest == "platform_user_id" else min(CAP, noisy_or(weights) * factor)
    return Score(round(confidence, 4), tuple(evidence), strongest, key_confidence)


def _name_signal(display_name: str | None, handle: str | None, customer: Customer) -> tuple[float, str, bool]:
    """(weight, evidence, mismatch). A handle like the name counts less than a display name."""
    best, evidence = 0.0, ""
    if display_name and fold(display_name):
        sim = name_similarity(display_name, customer.name)
        if sim < NAME_MISMATCH_BELOW:  # a chosen display name outweighs a handle that looks alike
            return 0.0, f"display name {display_name!r} unlike {customer.name!r}", True
        best, evidence = sim, f"display name {display_name!r} ~ {customer.name!r} ({sim:.2f})"
    if handle:
        sim = 0.8 * name_similarity(handle, customer.name)
        if sim > best:
            best, evidence = sim, f"handle @{handle.lstrip('@')} ~ {customer.name!r} ({sim:.2f})"
    if best >= NAME_MIN_SIMILARITY:
        return NAME_WEIGHT * best, evidence, False
    return 0.0, "", False


def _location_signal(location: str | None, customer: Customer) -> tuple[float, str] | None:
    if not location:
        return None
    words = fold(location)
    joined = " ".join(words)
    if customer.city and (city := " ".join(fold(customer.city))) and _contains(joined, city):
        return CITY_WEIGHT, f"location {location!r} names the city {customer.city}"
    if customer.country and (country := " ".join(fold(customer.country))) and _contains(joined, country):
        return COUNTRY_WEIGHT, f"location {location!r} names the country {customer.country}"
    return None


def _profile_names(profile: str, customer: Customer) -> bool:
    text = " ".join(fold(profile))
    name = " ".join(fold(customer.name))
    code = " ".join(fold(customer.code))
    return bool(name and _contains(text, name)) or bool(code and _contains(text, code))


def _contains(text: str, phrase: str) -> bool:
    """Whole-word containment of a folded phrase in folded text (CJK folds per character, so it works)."""
    return f" {phrase} " in f" {text} "
