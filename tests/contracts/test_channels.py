"""The channel contract over every registered ``earful.channels`` entry point, each against its real
local receiver (HTTP servers that verify the platform's signature, an SMTP server with STARTTLS and
AUTH), plus the meta-test that no registered channel goes without a contract run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.testing import CASE_BUILDERS, ChannelCase, ChannelContract
from core.registry import CHANNELS


@pytest.fixture(params=sorted(CASE_BUILDERS))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChannelCase]:
    with CASE_BUILDERS[request.param](tmp_path) as built:
        yield built


class TestChannels(ChannelContract):
    pass


def test_every_registered_channel_has_a_contract_run() -> None:
    assert set(CHANNELS.names()) == set(CASE_BUILDERS)


def test_each_case_builds_the_registered_class() -> None:
    for kind in CHANNELS.names():
        assert CHANNELS.load(kind).kind == kind  # type: ignore[attr-defined]
