"""Prefect for the flow tests: a private home and quiet logs, set before Prefect is first imported, and
one test harness (a temporary Prefect server and database) for the whole session: it is slow to start."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator

import pytest

if "prefect" not in sys.modules:
    _home = tempfile.mkdtemp(prefix="earful-prefect-")
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
    os.environ["PREFECT_HOME"] = _home
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def lexicon_tagger(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The flow tests test plumbing, not models: the fast lexicon tagger, not the default transformer
    (whose model takes seconds to load). Tests of the real model (marked `model`) set
    EARFUL_NLP__TAGGER=transformer or pass `nlp={"tagger": "transformer"}`."""
    from core.settings import get_settings

    monkeypatch.setenv("EARFUL_NLP__TAGGER", "lexicon")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
