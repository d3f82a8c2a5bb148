"""The encoder: device choice, batching under a token budget, pooling of sentences and clauses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from core.errors import ModelUnavailable
from core.settings import Settings
from nlp.encoder import CPU_TOKEN_BUDGET, GPU_TOKEN_BUDGET, Encoder, resolve_device
from nlp.testing import raw_mention
from nlp.transformer_tagger import TransformerTagger


def test_device_is_checked_and_auto_by_default() -> None:
    assert Settings().nlp.device == "auto"
    assert Settings(nlp={"device": "cuda:1"}).nlp.device == "cuda:1"
    with pytest.raises(ValidationError):
        Settings(nlp={"device": "gpu"})
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        Encoder(device="tpu")
    assert TransformerTagger(Settings(nlp={"device": "cpu"})).encoder.requested_device == "cpu"


def test_auto_picks_a_gpu_only_when_torch_sees_one() -> None:
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("cuda:3") == "cuda:3"


def test_a_missing_gpu_is_model_unavailable_not_a_silent_cpu_run() -> None:
    missing = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU torch sees (cuda:0 on a CPU box)
    encoder = Encoder(device=missing)
    with pytest.raises(ModelUnavailable, match=f"'{missing}' was asked for"):
        encoder.load()
    assert not encoder.loaded


@pytest.mark.model
def test_pooling_matches_the_token_states(warm_transformer: TransformerTagger) -> None:
    """Sentence and clause vectors are the normalised means of the right token states, whatever the
    batch and padding the text went through."""
    encoder = warm_transformer.encoder
    texts = ["The sound is amazing but the delivery took three weeks.", "味道很好，但是送餐太慢了。", "ok"]
    ids = encoder.tokenize(texts)
    spans = [[(1, 4), (4, len(ids[0]) - 1)], [(2, 5)], []]
    sentences, clause_vectors = encoder.embed_ids_with_spans(ids, spans)
    assert [len(v) for v in clause_vectors] == [2, 1, 0]
    for i, seq in enumerate(ids):
        with torch.inference_mode():
            hidden = encoder.model(input_ids=torch.tensor([seq], device=encoder.device)).last_hidden_state[0]
        hidden = hidden.float().cpu()
        expected = torch.nn.functional.normalize(hidden.mean(0), dim=-1).numpy()
        np.testing.assert_allclose(sentences[i], expected, atol=1e-5)
        for k, (first, last) in enumerate(spans[i]):
            span = torch.nn.functional.normalize(hidden[first:last].mean(0), dim=-1).numpy()
            np.testing.assert_allclose(clause_vectors[i][k], span, atol=1e-5)


@pytest.mark.model
def test_batches_stay_under_the_token_budget(
    warm_transformer: TransformerTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = warm_transformer.encoder
    assert encoder.token_budget is None  # the device's default
    seen: list[tuple[int, int]] = []
    forward = encoder._forward

    def spy(batch: list[list[int]], spans: object) -> object:
        seen.append((len(batch), len(batch[-1])))
        return forward(batch, spans)  # type: ignore[arg-type]

    monkeypatch.setattr(encoder, "_forward", spy)
    texts = [f"review number {i} " + "very long words " * (i % 40) for i in range(120)]
    vectors = encoder.embed(texts)
    assert vectors.shape == (120, encoder.spec.dim)
    assert sum(rows for rows, _width in seen) == 120
    budget = CPU_TOKEN_BUDGET if encoder.device == "cpu" else GPU_TOKEN_BUDGET
    assert all(rows * width <= budget and rows <= encoder.batch_size for rows, width in seen)
    assert len(seen) > 1


@pytest.mark.model
def test_a_text_repeated_in_a_batch_is_encoded_once(
    warm_transformer: TransformerTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    probabilities = warm_transformer._probabilities

    def spy(texts: list[str]) -> object:
        encoded.extend(texts)
        return probabilities(texts)

    monkeypatch.setattr(warm_transformer, "_probabilities", spy)
    retweet = "RT @acme: the new firmware bricked my router, support is not answering"
    batch = [raw_mention(retweet, 0), raw_mention("這家外送很快，推薦！", 1), raw_mention(retweet, 2)]
    batch.append(raw_mention("这家外送很快，推荐！", 3))  # the same text once converted to Simplified
    tags = warm_transformer.tag(batch)
    assert encoded == [retweet, "这家外送很快，推荐！"]
    assert tags[0] == tags[2]
    assert tags[1] == tags[3]
    assert tags[0] == warm_transformer.tag([raw_mention(retweet, 5)])[0]  # the same tags as when alone
