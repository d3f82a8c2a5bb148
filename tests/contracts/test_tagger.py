"""The tagger contract over every registered ``earful.taggers`` entry point. The transformer runs with its
real weights, so its cases carry the ``model`` marker; it is warmed up once per session.

`TAGGER_CASES` is the table: kind -> how to build the tagger, and the markers its cases carry.
tests/contracts/test_registry_coverage.py checks that it covers every entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from core.registry import TAGGERS
from nlp.base import Tagger
from nlp.lexicon import LexiconTagger
from nlp.testing import TaggerContract


@dataclass(frozen=True)
class TaggerCase:
    #: A tagger under test; the fixtures it needs come from the test's request.
    build: Callable[[pytest.FixtureRequest], Tagger]
    marks: tuple[pytest.MarkDecorator, ...] = ()


def _lexicon(request: pytest.FixtureRequest) -> Tagger:
    return LexiconTagger()


def _transformer(request: pytest.FixtureRequest) -> Tagger:
    tagger: Tagger = request.getfixturevalue("warm_transformer")  # loading the encoder takes seconds
    return tagger


TAGGER_CASES: dict[str, TaggerCase] = {
    "lexicon": TaggerCase(_lexicon),
    "transformer": TaggerCase(_transformer, marks=(pytest.mark.model,)),
}


@pytest.fixture(params=[pytest.param(kind, marks=TAGGER_CASES[kind].marks) for kind in sorted(TAGGER_CASES)])
def kind(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class TestTaggers(TaggerContract):
    @pytest.fixture
    def tagger(self, kind: str, request: pytest.FixtureRequest) -> Tagger:
        return TAGGER_CASES[kind].build(request)


def test_each_case_builds_the_registered_class(kind: str, request: pytest.FixtureRequest) -> None:
    registered = TAGGERS.load(kind)
    assert isinstance(registered, type)
    assert isinstance(TAGGER_CASES[kind].build(request), registered)
