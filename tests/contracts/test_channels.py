"""The channel contract over every registered ``earful.channels`` entry point, each against its real
local receiver (HTTP servers that verify the platform's signature, an SMTP server with STARTTLS and
AUTH), plus the meta-test that no registered channel goes without a contract run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.testing import (
    CASE_BUILDERS,
    PLATFORM_FAULTS,
    ChannelCase,
    ChannelContract,
    Fault,
    PlatformCodeContract,
)
from core.registry import CHANNELS


@pytest.fixture(params=sorted(CASE_BUILDERS))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChannelCase]:
    with CASE_BUILDERS[request.param](tmp_path) as built:
        yield built


class TestChannels(ChannelContract):
    pass


_CODED = [(kind, fault) for kind in sorted(PLATFORM_FAULTS) for fault in sorted(PLATFORM_FAULTS[kind])]


@pytest.fixture(params=_CODED, ids=[f"{kind}-{fault}" for kind, fault in _CODED])
def coded_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ChannelCase, Fault]]:
    kind, fault = request.param
    with CASE_BUILDERS[kind](tmp_path) as built:
        yield built, fault


class TestPlatformCodes(PlatformCodeContract):
    pass


@pytest.mark.parametrize("kind", sorted(CASE_BUILDERS))
def test_platform_faults_table_matches_the_receivers(kind: str, tmp_path: Path) -> None:
    """A receiver scripts exactly the platform faults the table lists for its kind, so no case is left out."""
    with CASE_BUILDERS[kind](tmp_path) as built:
        scriptable = {
            fault
            for fault in (Fault.platform_error, Fault.platform_rate_limited)
            if built.receiver.inject(fault)
        }
    assert scriptable == PLATFORM_FAULTS.get(kind, frozenset())


def test_every_registered_channel_has_a_contract_run() -> None:
    assert set(CHANNELS.names()) == set(CASE_BUILDERS)


def test_each_case_builds_the_registered_class() -> None:
    for kind in CHANNELS.names():
        assert CHANNELS.load(kind).kind == kind  # type: ignore[attr-defined]
