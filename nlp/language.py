"""Language detection: ISO 639-1 codes ('en', 'zh', 'ja'...) or 'und' when unsure.

Scripts decide first (a text that is mostly Han is Chinese, kana means Japanese, Hangul Korean): that
is reliable even for two-character posts where statistical detectors give up. Latin-script text goes to
CLD2 (pycld2, when installed) with a stopword check, because CLD2 calls short French or Spanish
'English' with high confidence; without CLD2, stopwords alone decide. Traditional and Simplified
Chinese are both 'zh'.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from core.models import ModelRef

DETECTOR_NAME = "earful-langid"
DETECTOR_VERSION = "1.0.0"
UNDETERMINED = "und"

_URL_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_HANDLE_RE = re.compile(r"[@#][\w.]+#?")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# A few frequent function words per language: enough to tell English from its Latin-script neighbours.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the a an and or but is are was were be been am i you he she it we they my your our their "
        "this that these those of to in on at for with from by not no do does did have has had will would "
        "can could should just so very what how why when where who which if there it's i'm don't can't won't",
        "fr": "le la les un une des et ou mais est sont était je tu il elle nous vous ils ne pas du de au "
        "aux ce cette pour avec sur dans qui que très",
        "de": "der die das ein eine und oder aber ist sind war ich du er sie wir ihr nicht kein mit für "
        "auf von zu den dem des sehr auch noch",
        "es": "el la los las un una y o pero es son era yo tú él ella nosotros no con para por en del "
        "que muy también este esta",
        "it": "il lo la gli le un una e o ma è sono era io tu lui lei noi non con per di del che molto "
        "anche questo questa",
        "pt": "o a os as um uma e ou mas é são era eu tu ele ela nós não com para por em do da que "
        "muito também este esta",
        "nl": "de het een en of maar is zijn was ik jij hij zij wij niet met voor op van te dat erg ook",
    }.items()
}
#: Every language's function words: words that say nothing about what a text is about.
STOPWORDS: frozenset[str] = frozenset().union(*_STOPWORDS.values())
_CLD2_MAP = {"zh-Hant": "zh", "zh": "zh", "un": UNDETERMINED, "xx-Qaai": UNDETERMINED}


def _script(char: str) -> str | None:
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    ):
        return "han"
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "THAI", "DEVANAGARI"):
        if name.startswith(script):
            return script.lower()
    return "other"


# Scripts that name their language (or a default one) on their own.
_SCRIPT_LANG = {
    "hangul": "ko",
    "greek": "el",
    "hebrew": "he",
    "thai": "th",
    "arabic": "ar",
    "devanagari": "hi",
}


@runtime_checkable
class LanguageAware(Protocol):
    """A tagger that sets `Tags.lang` names the detector that did it, so the enrichment records it."""

    @property
    def language_model(self) -> ModelRef: ...


class LanguageDetector:
    """Stateless and cheap; CLD2 is imported on first use."""

    def __init__(self, *, use_cld2: bool = True) -> None:
        self._use_cld2 = use_cld2

    @property
    def model(self) -> ModelRef:
        cld2 = _cld2_version() if self._use_cld2 else None
        return ModelRef(
            name=DETECTOR_NAME, version=f"{DETECTOR_VERSION}+" + (f"cld2-{cld2}" if cld2 else "scripts")
        )

    def detect(self, text: str, hint: str | None = None) -> str:
        """The language of `text`; `hint` (what the source claims) settles texts too short to tell."""
        lang = self._detect(text)
        if lang == UNDETERMINED and hint:
            return normalize_lang(hint)
        return lang

    def _detect(self, text: str) -> str:
        clean = _HANDLE_RE.sub(" ", _URL_RE.sub(" ", text))
        counts: dict[str, int] = {}
        for char in clean:
            script = _script(char)
            if script:
                counts[script] = counts.get(script, 0) + 1
        letters = sum(counts.values())
        if not letters:
            return UNDETERMINED
        han, kana = counts.get("han", 0), counts.get("kana", 0)
        if kana and kana >= 0.1 * (han + kana):
            return "ja"
        # Chinese: Han characters carry several times the meaning of a Latin letter, so a third of the
        # letters being Han ("Aria 耳机音质很好") is already mostly Chinese.
        if han and han * 3 >= letters - han:
            return "zh"
        dominant = max(counts, key=lambda s: counts[s])
        if dominant in _SCRIPT_LANG:
            return _SCRIPT_LANG[dominant]
        if dominant == "cyrillic":
            return self._cld2(clean) or "ru"
        if dominant != "latin":
            return self._cld2(clean) or UNDETERMINED
        return self._latin(clean)

    def _latin(self, text: str) -> str:
        words = [w.lower() for w in _WORD_RE.findall(text)]
        hits = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
        best = max(hits, key=lambda lang: hits[lang])
        cld2 = self._cld2(text)
        if cld2 and cld2 != "en":
            return cld2
        if cld2 == "en" and hits[best] > hits["en"]:
            return best  # CLD2 says English but the function words say otherwise
        if cld2 == "en":
            return "en"
        # Stopwords alone: at least one, and more than any other language's.
        if hits[best] and sorted(hits.values())[-2] < hits[best]:
            return best
        return UNDETERMINED

    def _cld2(self, text: str) -> str | None:
        cld2 = _cld2_module() if self._use_cld2 else None
        if cld2 is None:
            return None
        try:
            reliable, _bytes, details = cld2.detect(text)
        except Exception:  # CLD2 rejects some invalid UTF-8 / control characters: treat as unknown
            return None
        code = str(details[0][1])
        if not reliable or code in ("un", "xx-Qaai"):
            return None
        return normalize_lang(_CLD2_MAP.get(code, code))


def normalize_lang(tag: str) -> str:
    """'zh-TW', 'zh_Hans', 'EN-us' -> 'zh', 'zh', 'en': the primary ISO 639-1 subtag."""
    primary = tag.replace("_", "-").split("-")[0].strip().lower()
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else UNDETERMINED


@lru_cache(maxsize=1)
def _cld2_module() -> Any:
    try:
        import pycld2  # type: ignore[import-untyped]  # no stubs; used through Any
    except ImportError:
        return None
    return pycld2


@lru_cache(maxsize=1)
def _cld2_version() -> str | None:
    if _cld2_module() is None:
        return None
    try:
        return metadata.version("pycld2")
    except metadata.PackageNotFoundError:
        return "unknown"


@lru_cache(maxsize=1)
def default_detector() -> LanguageDetector:
    return LanguageDetector()


def detect_language(text: str, hint: str | None = None) -> str:
    return default_detector().detect(text, hint)
