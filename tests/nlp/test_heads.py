"""Heads: safetensors round trip, deterministic training, weak aspect labels, the dev split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nlp.catalog import ASPECT_LABELS, INTENT_LABELS, SENTIMENT_LABELS
from nlp.heads import Heads, file_sha256, load_heads, save_heads
from nlp.training.data import Example, is_dev
from nlp.training.train import train_heads, weak_aspects


def _synthetic(n: int = 60, dim: int = 16) -> tuple[np.ndarray, list[Example]]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    examples = []
    for i in range(n):
        sentiment = int(x[i, 0] > 0) * 2  # negative / positive by the first coordinate
        intents = {"complaint": int(x[i, 1] > 0), "question": int(x[i, 2] > 0)}
        text = ["the app crashed", "delivery was late", "great price", "nice"][i % 4]
        examples.append(Example(f"syn:{i}", text, "en", "synthetic", sentiment, intents))
    return x, examples


def test_save_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(1)
    heads = Heads(16, hidden=8)
    path = tmp_path / "heads.safetensors"
    sha = save_heads(heads, path, {"seed": "1"})
    assert sha == file_sha256(path)
    loaded, meta = load_heads(path)
    assert meta["seed"] == "1"
    assert loaded.sentiment_labels == SENTIMENT_LABELS
    assert loaded.intent_labels == INTENT_LABELS
    assert loaded.aspect_labels == ASPECT_LABELS
    x = torch.randn(5, 16)
    for a, b in zip(heads(x), loaded(x), strict=True):
        assert torch.equal(a, b)
    assert path.stat().st_size < 100_000


def test_training_is_deterministic_and_learns(tmp_path: Path) -> None:
    x, examples = _synthetic()
    first = train_heads(x, examples, seed=7, epochs=300)
    second = train_heads(x, examples, seed=7, epochs=300)
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert save_heads(first, a) == save_heads(second, b), "same data + seed must give byte-identical heads"
    with torch.inference_mode():
        sentiment, intents, _ = first(torch.from_numpy(x))
    predicted = sentiment.argmax(-1).numpy()
    gold = np.array([e.sentiment for e in examples])
    assert (predicted == gold).mean() > 0.9
    complaint = (torch.sigmoid(intents[:, INTENT_LABELS.index("complaint")]) >= 0.5).numpy()
    assert (complaint == (x[:, 1] > 0)).mean() >= 0.85
    other = train_heads(x, examples, seed=8, epochs=300)
    assert save_heads(other, tmp_path / "c.safetensors") != file_sha256(a)


def test_weak_aspects() -> None:
    labels = dict(zip(ASPECT_LABELS, weak_aspects("The app crashed and support was rude"), strict=True))
    assert labels["app_or_website"] == 1
    assert labels["service"] == 1
    assert labels["other"] == 0
    assert dict(zip(ASPECT_LABELS, weak_aspects("快递太慢了"), strict=True))["delivery"] == 1
    assert weak_aspects("I am so happy today")[-1] == 1  # "app" inside "happy" is no aspect


def test_dev_split_is_stable_and_about_15_percent() -> None:
    texts = [f"text number {i}" for i in range(4000)]
    share = sum(is_dev(t) for t in texts) / len(texts)
    assert 0.12 < share < 0.18
    assert [is_dev(t) for t in texts[:50]] == [is_dev(t) for t in texts[:50]]
    assert is_dev("  same text ") == is_dev("same text")
