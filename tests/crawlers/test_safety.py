"""The SSRF guard and size limits (the crawls that prove them end to end are in spiders/test_politeness)."""

from __future__ import annotations

import pytest

from core.errors import ResponseTooLarge, UnsafeTarget
from crawlers.safety import TargetGuard, read_limited

REFUSED = [
    "http://127.0.0.1/",
    "http://localhost:8080/x",
    "http://app.localhost/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        TargetGuard().check_url(url, resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://x/",
        "http://user:pw@example.com/",
        "http:///nohost",
    ],
)
def test_schemes_credentials_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        TargetGuard().check_url(url, resolve=False)


def test_public_addresses_pass() -> None:
    guard = TargetGuard()
    guard.check_url("https://93.184.216.34/page", resolve=False)
    guard.check_url("https://example.com/page", resolve=False)  # names are checked after resolution
    guard.check_address("example.com", "93.184.216.34")


def test_resolved_private_address_is_refused() -> None:
    # what GuardedResolver does with the address a name resolved to (DNS rebinding)
    with pytest.raises(UnsafeTarget, match=r"evil\.example"):
        TargetGuard().check_address("evil.example", "127.0.0.1")


def test_explicit_allowances() -> None:
    tests = TargetGuard.loopback_allowed()
    tests.check_url("http://127.0.0.1:8000/", resolve=False)
    tests.check_url("http://localhost:8000/", resolve=False)
    tests.check_url("http://[::1]:8000/", resolve=False)
    with pytest.raises(UnsafeTarget):
        tests.check_url("http://10.0.0.1/", resolve=False)  # loopback allowed, the rest of private still not
    intranet = TargetGuard.from_config(allowed=["10.1.0.0/16", "wiki.corp"])
    intranet.check_address("anything", "10.1.2.3")
    intranet.check_address("wiki.corp", "192.168.0.5")
    with pytest.raises(UnsafeTarget):
        intranet.check_address("other.corp", "192.168.0.5")
    TargetGuard(allow_private=True).check_url("http://192.168.0.1/", resolve=False)


def test_read_limited() -> None:
    assert read_limited([b"ab", b"cd"], 4, "u") == b"abcd"
    assert read_limited([b"ab"] * 100, 0, "u") == b"ab" * 100
    with pytest.raises(ResponseTooLarge, match="larger than 3 bytes"):
        read_limited([b"ab", b"cd"], 3, "u")
