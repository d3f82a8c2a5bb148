"""Duplicates: the same mention reached twice is kept once; copies and near-copies are flagged.

- Same id (platform + native id, e.g. one review reached from two listing pages): the later one is
  dropped; ids are deterministic, so the store would merge them anyway.
- Cross-post: the same normalised text under another id (posted on two sites, two platforms).
- Near-duplicate: MinHash over character shingles (works for Chinese, which has no spaces) with an LSH
  index, both from datasketch; estimated Jaccard similarity at or above the threshold. MinHash rather
  than SimHash because mentions are short: one changed word in a review moves a SimHash by ~10 bits.

Flagged mentions keep their own id and gain ``metadata``: ``duplicate_kind`` ('cross_post' or
'near_duplicate'), ``duplicate_of`` (the id of the first one seen) and ``similarity``.

datasketch imports scipy (~2 s), so spider subprocesses use ``near_duplicates=False`` (same id and
cross-posts only) and the parent's Source adapters do the near-duplicate pass once per source.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.ids import content_hash
from core.models import RawMention

SHINGLE = 4


class Verdict(StrEnum):
    unique = "unique"
    same_id = "same_id"
    cross_post = "cross_post"
    near_duplicate = "near_duplicate"


@dataclass(frozen=True)
class Match:
    verdict: Verdict
    original_id: str | None = None
    similarity: float = 0.0


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    norm = normalise(text)
    if len(norm) <= size:
        return {norm.encode()}
    return {norm[i : i + size].encode() for i in range(len(norm) - size + 1)}


class Deduplicator:
    """Remembers the last `max_entries` mentions of a run (or of a long-lived source)."""

    def __init__(
        self,
        threshold: float = 0.85,
        *,
        near_duplicates: bool = True,
        num_perm: int = 64,
        min_chars: int = 40,
        max_entries: int = 50_000,
    ) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.min_chars = min_chars  # short texts ("Great!") repeat by chance: not evidence of copying
        self.max_entries = max_entries
        self._ids: OrderedDict[str, Match] = OrderedDict()  # id -> the verdict it got first
        self._texts: OrderedDict[str, str] = OrderedDict()  # content hash -> first id
        self._hashes: OrderedDict[str, Any] = OrderedDict()  # id -> MinHash
        self._lsh: Any = None
        if near_duplicates:
            from datasketch import MinHashLSH  # type: ignore[import-untyped,unused-ignore]

            self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.counts: dict[Verdict, int] = dict.fromkeys(Verdict, 0)

    def check(self, mention: RawMention) -> Match:
        """What `mention` is relative to those seen before; remembers it unless it is a same-id repeat."""
        mid = mention.id
        if mid in self._ids:
            self.counts[Verdict.same_id] += 1
            return Match(Verdict.same_id, mid, 1.0)
        match = self._classify(mention)
        self._ids[mid] = match
        if len(self._ids) > self.max_entries:
            self._ids.popitem(last=False)
        self.counts[match.verdict] += 1
        return match

    def _classify(self, mention: RawMention) -> Match:
        mid = mention.id
        if mention.metadata.get("duplicate_kind"):  # already judged upstream (the spider process)
            return Match(Verdict.unique)
        text = mention.text
        if len(normalise(text)) < self.min_chars:
            return Match(Verdict.unique)
        digest = content_hash(text)
        first = self._texts.get(digest)
        if first is not None:
            return Match(Verdict.cross_post, first, 1.0)
        self._texts[digest] = mid
        if len(self._texts) > self.max_entries:
            self._texts.popitem(last=False)
        if self._lsh is None:
            return Match(Verdict.unique)
        return self._near(mid, text)

    def _near(self, mid: str, text: str) -> Match:
        from datasketch import MinHash  # type: ignore[import-untyped,unused-ignore]

        mh = MinHash(num_perm=self.num_perm)
        mh.update_batch(list(shingles(text)))
        best: tuple[float, str] | None = None
        for key in self._lsh.query(mh):
            similarity = float(mh.jaccard(self._hashes[key]))
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, key)
        self._hashes[mid] = mh
        self._lsh.insert(mid, mh)
        while len(self._hashes) > self.max_entries:
            key, _ = self._hashes.popitem(last=False)
            self._lsh.remove(key)
        if best is not None:
            return Match(Verdict.near_duplicate, best[1], round(best[0], 3))
        return Match(Verdict.unique)

    def apply(self, mention: RawMention, *, keep_repeats: bool = False) -> RawMention | None:
        """The mention, flagged when it copies an earlier one; a same-id repeat is None, or with
        `keep_repeats` (a source re-reading a page) returned again with the flags it got the first time."""
        match = self.check(mention)
        if match.verdict is Verdict.same_id:
            if not keep_repeats:
                return None
            match = self._ids[mention.id]
        if match.verdict is Verdict.unique:
            return mention
        metadata = {
            **mention.metadata,
            "duplicate_kind": match.verdict.value,
            "duplicate_of": match.original_id,
            "similarity": match.similarity,
        }
        return mention.model_copy(update={"metadata": metadata})
