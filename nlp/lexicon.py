"""The baseline tagger: lexicons and rules, no weights to download. Issue 5's models replace it.

- English sentiment: VADER's compound score (>= 0.05 positive, <= -0.05 negative).
- Chinese sentiment: a hand-written lexicon (``nlp/data/zh_*.txt``) matched longest-first on the text
  converted to Simplified; negators flip the next sentiment word within 2 characters, degree adverbs
  scale it, a contrast word ("但是") makes what follows outweigh what came before; the sum is squashed
  like VADER's compound so both languages share thresholds.
- Other languages: sentiment ``unscored`` (no confident wrong answer).
- Intents: multi-label regex rules in both languages (``nlp/data/intent_rules.txt``), modest confidences.

Nothing is loaded at import; `warm_up()` (or the first `tag()`) loads VADER, OpenCC and the lexicons.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from typing import TYPE_CHECKING, Any

from core.errors import EnrichmentError
from core.models import Intent, IntentLabel, ModelRef, RawMention, Sentiment, SentimentLabel, Tags
from nlp.language import LanguageDetector

if TYPE_CHECKING:
    from core.settings import Settings

MODEL_NAME = "earful-lexicon"
MODEL_VERSION = "1.0.0"
THRESHOLD = 0.05  # |compound| below this is neutral, in both languages (VADER's convention)
INTENT_MIN_CONFIDENCE = 0.45
_ALPHA = 15.0  # VADER's normalisation constant: compound = s / sqrt(s^2 + alpha)
_WINDOW = 2  # characters between a negator or degree adverb and the sentiment word it modifies
_CLAUSE_END = set("，。！？!?,.;；：:\n、")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def _vader_version() -> str:
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:
        return "missing"


def _data(name: str) -> list[str]:
    """Non-comment lines of a data file shipped in nlp/data/."""
    text = resources.files("nlp.data").joinpath(name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True, slots=True)
class _Rule:
    label: IntentLabel
    confidence: float
    pattern: re.Pattern[str]


class ChineseSentiment:
    """Lexicon scorer for Chinese (Simplified; convert Traditional first)."""

    def __init__(self) -> None:
        self.words: dict[str, float] = {}
        for line in _data("zh_sentiment.txt"):
            word, weight = line.split("\t")
            self.words[word.strip().lower()] = float(weight)
        self.negators = {line.strip() for line in _data("zh_negators.txt")}
        self.degrees = {w.strip(): float(f) for w, f in (line.split("\t") for line in _data("zh_degree.txt"))}
        self.contrasts = {line.strip() for line in _data("zh_contrast.txt")}
        self._longest = max(len(w) for w in (*self.words, *self.negators, *self.degrees, *self.contrasts))

    def _match(self, text: str, start: int) -> tuple[str, str] | None:
        """The longest entry of any kind starting at `start`: (kind, word)."""
        for size in range(min(self._longest, len(text) - start), 0, -1):
            piece = text[start : start + size]
            if piece in self.words:
                return "word", piece
            if piece in self.contrasts:
                return "contrast", piece
            if piece in self.negators:
                return "negator", piece
            if piece in self.degrees:
                return "degree", piece
        return None

    def score(self, text: str) -> float:
        """Compound score in -1..1."""
        text = text.lower()
        total = 0.0
        negations = 0
        negator_end = degree_end = -100
        degree = 1.0
        degree_after_negator = False
        i = 0
        while i < len(text):
            if text[i] in _CLAUSE_END:
                negations, negator_end, degree_end = 0, -100, -100
                i += 1
                continue
            found = self._match(text, i)
            if found is None:
                i += 1
                continue
            kind, word = found
            end = i + len(word)
            if kind == "negator":
                # chained negators ("不是不好") count; a lone one starts a new chain
                negations = negations + 1 if i - negator_end <= _WINDOW else 1
                negator_end = end
            elif kind == "degree":
                degree = self.degrees[word]
                degree_after_negator = i - negator_end <= _WINDOW
                degree_end = end
            elif kind == "contrast":
                total *= 0.5  # "虽然…但是…": the clause after the contrast weighs more
                negations, negator_end, degree_end = 0, -100, -100
            else:
                value = self.words[word]
                negated = i - negator_end <= _WINDOW and negations % 2 == 1
                scaled = i - degree_end <= _WINDOW
                if negated and scaled and degree_after_negator:
                    value *= -0.5  # "不太好": not very good, mildly negative
                else:
                    if scaled:
                        value *= degree
                    if negated:
                        value *= -1
                total += value
                negations, negator_end, degree_end = 0, -100, -100
            i = end
        return total / math.sqrt(total * total + _ALPHA) if total else 0.0


class LexiconTagger:
    """Tagger protocol over lexicons and rules; deterministic, thread-safe after warm-up."""

    def __init__(self, settings: Settings | None = None, *, detector: LanguageDetector | None = None) -> None:
        self.settings = settings
        self.detector = detector or LanguageDetector()
        self._model = ModelRef(name=MODEL_NAME, version=f"{MODEL_VERSION}+vader{_vader_version()}")
        self._lock = threading.Lock()
        self._vader: Any = None
        self._t2s: Any = None
        self._zh: ChineseSentiment | None = None
        self._rules: dict[str, list[_Rule]] = {}

    @property
    def model(self) -> ModelRef:
        return self._model

    @property
    def language_model(self) -> ModelRef:
        return self.detector.model

    def warm_up(self) -> None:
        with self._lock:
            if self._zh is not None:
                return
            import opencc
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            vader = SentimentIntensityAnalyzer()
            for line in _data("en_lexicon.txt"):  # this instance's lexicon only: nothing global changes
                word, valence = line.split("\t")
                vader.lexicon[word.strip()] = float(valence)
            self._vader = vader
            self._t2s = opencc.OpenCC("t2s")
            self._rules = _load_rules()
            self._zh = ChineseSentiment()  # last: its presence means everything above is ready

    def tag(self, mentions: Sequence[RawMention]) -> list[Tags]:
        if not mentions:
            return []
        if self._zh is None:
            self.warm_up()
        return [self.tag_text(_text_of(mention), hint=mention.lang_hint) for mention in mentions]

    def tag_text(self, text: str, *, hint: str | None = None) -> Tags:
        """Tags for one text; `hint` is the language the source claims."""
        if self._zh is None:
            self.warm_up()
        assert self._zh is not None
        lang = self.detector.detect(text, hint)
        if lang == "en":
            compound = self._english(text)
            rule_text = text
        elif lang == "zh":
            rule_text = str(self._t2s.convert(text))
            compound = self._zh.score(rule_text)
        else:
            return Tags(lang=lang, sentiment=Sentiment(label=SentimentLabel.unscored), model=self._model)
        sentiment = _sentiment(compound)
        intents = self._intents(rule_text, lang, sentiment.label)
        return Tags(lang=lang, sentiment=sentiment, intents=intents, model=self._model)

    def _english(self, text: str) -> float:
        """VADER per sentence, averaged over the sentences that carry sentiment: VADER's negation window
        looks 3 tokens back across sentence ends ("...doing nothing. Awful." would read as 'not awful')."""
        scores = [
            float(self._vader.polarity_scores(s)["compound"]) for s in _SENTENCE_RE.split(text) if s.strip()
        ]
        scored = [score for score in scores if score]
        return sum(scored) / len(scored) if scored else 0.0

    def _intents(self, text: str, lang: str, sentiment: SentimentLabel) -> tuple[Intent, ...]:
        hits: dict[IntentLabel, list[float]] = {}
        for rule in self._rules.get(lang, ()):
            if rule.pattern.search(text):
                hits.setdefault(rule.label, []).append(rule.confidence)
        intents = []
        for label, confidences in hits.items():
            confidence = max(confidences) + 0.05 * (len(confidences) - 1)
            confidence += _sentiment_nudge(label, sentiment)
            confidence = round(min(0.9, confidence), 3)
            if confidence >= INTENT_MIN_CONFIDENCE:
                intents.append(Intent(label=label, confidence=confidence))
        # Stable order: the enum's, so equal inputs give equal tags.
        order = list(IntentLabel)
        return tuple(sorted(intents, key=lambda intent: order.index(intent.label)))


def _sentiment_nudge(label: IntentLabel, sentiment: SentimentLabel) -> float:
    if label is IntentLabel.praise:
        return {SentimentLabel.positive: 0.1, SentimentLabel.negative: -0.2}.get(sentiment, 0.0)
    if label is IntentLabel.complaint:
        return {SentimentLabel.negative: 0.1, SentimentLabel.positive: -0.2}.get(sentiment, 0.0)
    if label is IntentLabel.churn_risk and sentiment is SentimentLabel.negative:
        return 0.05
    return 0.0


def _sentiment(compound: float) -> Sentiment:
    compound = max(-1.0, min(1.0, compound))
    if compound >= THRESHOLD:
        label = SentimentLabel.positive
    elif compound <= -THRESHOLD:
        label = SentimentLabel.negative
    else:
        return Sentiment(label=SentimentLabel.neutral, score=round(compound, 4), confidence=0.5)
    # A lexicon's certainty grows with the evidence; cap it: it is a baseline, not an oracle.
    return Sentiment(
        label=label, score=round(compound, 4), confidence=round(min(0.9, 0.5 + abs(compound) / 2), 4)
    )


def _text_of(mention: RawMention) -> str:
    return f"{mention.title}\n{mention.text}" if mention.title else mention.text


def _load_rules() -> dict[str, list[_Rule]]:
    rules: dict[str, list[_Rule]] = {}
    for number, line in enumerate(_data("intent_rules.txt"), 1):
        label, lang, confidence, pattern = line.split("\t", 3)
        flags = re.IGNORECASE if lang == "en" else 0
        try:
            compiled = re.compile(pattern, flags)
        except re.error as exc:  # a broken rule is a packaging bug: fail loudly at warm-up
            raise EnrichmentError(f"intent_rules.txt rule {number} ({label}/{lang}): {exc}") from exc
        rules.setdefault(lang, []).append(_Rule(IntentLabel(label), float(confidence), compiled))
    return rules
