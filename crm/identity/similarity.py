"""String similarity for duplicate detection: Jaro-Winkler (Winkler 1990) and a word-order-insensitive
token similarity built on it. Written here (about forty lines) rather than taken from a library: the
matcher needs nothing else, and a runtime dependency for it would be heavier than the code."""

from __future__ import annotations

from nlp.linking.scorer import fold

PREFIX_SCALE = 0.1
MAX_PREFIX = 4


def jaro(a: str, b: str) -> float:
    """Jaro similarity in [0, 1]: matching characters within half the longer length, less transpositions."""
    if a == b:
        return 1.0 if a else 0.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(la, lb) // 2 - 1
    matched_b = [False] * lb
    matches_a: list[str] = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not matched_b[j] and b[j] == ch:
                matched_b[j] = True
                matches_a.append(ch)
                break
    m = len(matches_a)
    if not m:
        return 0.0
    matches_b = [b[j] for j in range(lb) if matched_b[j]]
    transpositions = sum(x != y for x, y in zip(matches_a, matches_b, strict=True)) / 2
    return (m / la + m / lb + (m - transpositions) / m) / 3


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler in [0, 1]: Jaro, raised for a common prefix of up to four characters."""
    j = jaro(a, b)
    prefix = 0
    for x, y in zip(a[:MAX_PREFIX], b[:MAX_PREFIX], strict=False):
        if x != y:
            break
        prefix += 1
    return j + prefix * PREFIX_SCALE * (1 - j)


def tokens(text: str | None) -> tuple[str, ...]:
    """Words for comparison (nlp's `fold`: accents and case folded, Chinese split per character)."""
    return tuple(fold(text)) if text else ()


def token_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, int]:
    """How alike two word lists are, whatever their order: each word of the shorter list is paired with
    its most similar word of the longer one (Jaro-Winkler), averaged by length. Returns that and the
    number of words of the longer list left unpaired (a missing middle name, a missing surname)."""
    if not a or not b:
        return 0.0, 0
    if "".join(a) == "".join(b) or sorted(a) == sorted(b):
        return 1.0, 0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    free = list(long_)
    total = weight = 0.0
    for word in sorted(short, key=len, reverse=True):
        best_at, best = 0, -1.0
        for k, other in enumerate(free):
            s = jaro_winkler(word, other)
            if s > best:
                best_at, best = k, s
        free.pop(best_at)
        size = max(len(word), 1)
        total += best * size
        weight += size
    return total / weight, len(long_) - len(short)
