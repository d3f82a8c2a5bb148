"""One definition of tokenisation and normalisation for every engine (Elasticsearch, SQLite, matcher).

Why in Python: the Elasticsearch that tests run (Maven's integ-test-zip) has no analysis-common module,
so no stemmer and no cjk_bigram filter. Analysing here and indexing pre-analysed token streams with the
built-in `whitespace` analyzer works on every distribution and guarantees that the three engines see
exactly the same tokens at exactly the same positions.

Rules:
- normalisation per character: NFKC (full-width to half-width), accents stripped, case folded,
  Traditional Chinese converted to Simplified (OpenCC t2s);
- a token is a run of letters/digits (words), or a single CJK character: Chinese is matched as a
  sequence of characters, and proximity (NEAR/n) counts tokens, so one Chinese character is one token;
- `stems` is the English Snowball stem of each word token (CJK tokens unchanged), same positions;
- `bigrams` are overlapping pairs of adjacent CJK characters within a run (a lone character stays a
  unigram), for recall-oriented Chinese full text.
"""

from __future__ import annotations

import itertools
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x3040, 0x30FF),  # kana: treated like Han, one token per character
)
_CJK_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in _CJK_RANGES)
# Words are letters and digits only (no underscore, apostrophes dropped: "don't" -> "dont"), so that any
# engine's simple tokenizer (SQLite's unicode61, Elasticsearch's whitespace) sees the same tokens.
_TOKEN_RE = re.compile(rf"[{_CJK_CLASS}]|[^\W_{_CJK_CLASS}]+(?:['’][^\W_{_CJK_CLASS}]+)*")
_HAS_CJK = re.compile(f"[{_CJK_CLASS}]")


def is_cjk(char: str) -> bool:
    return bool(_HAS_CJK.fullmatch(char))


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised
    start: int  # offsets into the *original* text, for highlighting
    end: int
    position: int

    @property
    def cjk(self) -> bool:
        return len(self.text) == 1 and is_cjk(self.text)


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    if _HAS_CJK.search(folded):  # kana voicing marks are part of the letter, not accents (で is not て)
        return folded
    folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return folded.casefold()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the offset of its source character."""
    if text.isascii():  # the common case: folding is lower(), one character for one
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        folded = char.lower() if char.isascii() else _fold_char(char)
        out.append(folded)
        offsets.extend([i] * len(folded))
    normalized = "".join(out)
    if _HAS_CJK.search(normalized):
        converted = _t2s().convert(normalized)
        # t2s is character-for-character for almost all text; if a phrase mapping changed the length,
        # fall back to converting character by character so offsets stay exact.
        normalized = (
            converted
            if len(converted) == len(normalized)
            else "".join(_t2s().convert(c) if is_cjk(c) else c for c in normalized)
        )
    return normalized, offsets


def normalize(text: str) -> str:
    return normalize_with_offsets(text)[0]


def tokenize(text: str) -> list[Token]:
    normalized, offsets = normalize_with_offsets(text)
    tokens: list[Token] = []
    for position, match in enumerate(_TOKEN_RE.finditer(normalized)):
        start, end = match.span()
        tokens.append(
            Token(
                text=match.group().replace("’", "").replace("'", ""),
                start=offsets[start] if offsets else 0,
                end=(offsets[end - 1] + 1) if offsets else 0,
                position=position,
            )
        )
    return tokens


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """English Snowball stem of a normalised word; CJK characters and digits are unchanged."""
    if len(word) < 3 or not word.isascii() or not word.isalpha():
        return word
    result: str = _stemmer().stemWord(word)
    return result


def bigrams(tokens: list[Token]) -> list[str]:
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        out.extend(a + b for a, b in itertools.pairwise(run))
        run.clear()

    previous_end = -1
    for token in tokens:
        if not token.cjk or token.start != previous_end:  # punctuation or a word breaks the run
            flush()
        if token.cjk:
            run.append(token.text)
        previous_end = token.end
    flush()
    return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the index stores for one text: space-joined streams for a whitespace analyzer."""

    terms: str
    stems: str
    bigrams: str


def analyze(text: str | None) -> Analysis:
    if not text:
        return Analysis("", "", "")
    tokens = tokenize(text)
    return Analysis(
        terms=" ".join(t.text for t in tokens),
        stems=" ".join(stem(t.text) for t in tokens),
        bigrams=" ".join(bigrams(tokens)),
    )


def query_words(text: str) -> list[list[str]]:
    """Plain full-text query terms: each inner list is a required unit (a word, or a run of CJK
    characters that must occur in sequence). Words are stemmed, CJK characters are not."""
    units: list[list[str]] = []
    run: list[str] = []
    previous_end = -1
    for token in tokenize(text):
        if run and (not token.cjk or token.start != previous_end):
            units.append(run)
            run = []
        previous_end = token.end
        if token.cjk:
            run.append(token.text)
        else:
            units.append([stem(token.text)])
    if run:
        units.append(run)
    return units


# --- analysis, fast -------------------------------------------------------------------------------
# `analyze_fast` is `index.analysis.analyze` computed with less Python per character: the writer runs
# it on every mention, and it dominates the client's share of indexing time. Tests check it against
# `analyze` on arbitrary text; if the rules in index/analysis.py change, those tests say so.
_RUN_RE = re.compile(rf"[{_CJK_CLASS}]+|[^\W_{_CJK_CLASS}]+(?:['’][^\W_{_CJK_CLASS}]+)*")
# _TOKEN_RE restricted to lowercased ASCII, where a word character is [a-z0-9]: the same matches, faster.
_ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_IRREGULAR: set[str] = set()  # characters whose folded form is not exactly one character


class _FoldTable(dict[int, str]):
    """ord(char) -> folded char, as `normalize_with_offsets` folds it; filled on first sight, so that
    `str.translate` folds a whole text at C speed."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char.lower() if char.isascii() else _fold_char(char)
        if len(folded) != 1:
            _IRREGULAR.add(char)
        self[code] = folded
        return folded


class _StemCache(dict[str, str]):
    def __missing__(self, word: str) -> str:
        if len(self) > 500_000:  # bound the memory of a long-running writer
            self.clear()
        stemmed = stem(word)
        self[word] = stemmed
        return stemmed


_FOLD = _FoldTable()
_STEMS = _StemCache()


def _stems(tokens: list[str]) -> str:
    return " ".join(map(_STEMS.__getitem__, tokens))


def analyze_fast(text: str | None) -> Analysis:
    """Exactly `index.analysis.analyze(text)`, faster.

    Where every character folds to exactly one character (nearly all text), offsets are the identity,
    so a run of CJK characters is one regex match and forms one bigram run; otherwise (ligatures,
    combining marks, 'ß'...) the offsets of `normalize_with_offsets` decide, token by token.
    """
    if not text:
        return Analysis("", "", "")
    if text.isascii():
        tokens: list[str] = _ASCII_TOKEN_RE.findall(text.lower())
        if "'" in text:
            tokens = [t.replace("'", "") for t in tokens]
        return Analysis(" ".join(tokens), _stems(tokens), "")
    normalized = text.translate(_FOLD)
    if not _IRREGULAR.isdisjoint(text):
        return _analyze_with_offsets(text)
    if _HAS_CJK.search(normalized):  # as normalize_with_offsets does
        converted = _t2s().convert(normalized)
        normalized = (
            converted
            if len(converted) == len(normalized)
            else "".join(_t2s().convert(c) if is_cjk(c) else c for c in normalized)
        )
    terms: list[str] = []
    stems: list[str] = []
    grams: list[str] = []
    for token in _RUN_RE.findall(normalized):
        if _is_cjk_char(token[0]):  # a run of adjacent CJK characters: one token each, stems unchanged
            terms.extend(token)
            stems.extend(token)
            if len(token) == 1:
                grams.append(token)
            else:
                grams.extend(map(operator.add, token, token[1:]))
        else:
            if "'" in token or "’" in token:
                token = token.replace("’", "").replace("'", "")
            terms.append(token)
            stems.append(_STEMS[token])
    return Analysis(" ".join(terms), " ".join(stems), " ".join(grams))


def _analyze_with_offsets(text: str) -> Analysis:
    """The general case: one pass over the tokens, a CJK run broken by any gap in the original text."""
    normalized, offsets = normalize_with_offsets(text)
    terms: list[str] = []
    grams: list[str] = []
    run: list[str] = []
    previous_end = -1
    for match in _TOKEN_RE.finditer(normalized):
        token = match.group()
        start, end = match.span()
        if len(token) == 1 and _is_cjk_char(token):
            if run and offsets[start] != previous_end:
                grams.extend(_run_bigrams(run))
                run = []
            run.append(token)
        else:
            if run:
                grams.extend(_run_bigrams(run))
                run = []
            token = token.replace("’", "").replace("'", "")
        previous_end = offsets[end - 1] + 1
        terms.append(token)
    if run:
        grams.extend(_run_bigrams(run))
    return Analysis(" ".join(terms), _stems(terms), " ".join(grams))


@lru_cache(maxsize=65536)
def _is_cjk_char(char: str) -> bool:
    return is_cjk(char)


def _run_bigrams(run: list[str]) -> list[str]:
    if len(run) == 1:
        return run
    return [a + b for a, b in itertools.pairwise(run)]
