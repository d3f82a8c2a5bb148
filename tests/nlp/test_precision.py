"""nlp.precision: bf16 is opt-in, recorded in the model version, and close to fp32."""

from __future__ import annotations

import numpy as np
import pytest

from core.settings import Settings
from nlp.catalog import E5_SMALL
from nlp.encoder import Encoder
from nlp.transformer_tagger import TransformerTagger


def test_precision_is_checked_and_fp32_by_default() -> None:
    assert Settings().nlp.precision == "fp32"
    with pytest.raises(ValueError, match="fp32 or bf16"):
        Encoder(E5_SMALL, precision="int4")


@pytest.mark.model
def test_bf16_is_recorded_and_close_to_fp32() -> None:
    fp32 = TransformerTagger(Settings())
    bf16 = TransformerTagger(Settings(nlp={"precision": "bf16"}))
    assert fp32.encoder is not bf16.encoder  # separately shared encoders, one per precision
    assert bf16.model.version == fp32.model.version + "+bf16"
    texts = ["The sound is amazing but the delivery took three weeks.", "客服态度很差，再也不买了。"]
    a, b = fp32.encoder.embed(texts), bf16.encoder.embed(texts)
    cosines = (a * b).sum(1)  # both L2-normalised
    assert np.all(cosines > 0.99)
    assert not np.array_equal(a, b)  # bf16 really ran
