"""Guards against server-side request forgery and oversized responses.

A crawler follows URLs that strangers wrote, so every target is checked: only http(s), and never a
private, loopback, link-local, multicast or reserved address unless the configuration allows it
(tests allow loopback explicitly). Host names are checked after resolution, so a public name that
resolves to 127.0.0.1 is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.errors import ResponseTooLarge, UnsafeTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.IPv4Network("100.64.0.0/10"))  # CGNAT
    )


@dataclass(frozen=True)
class TargetGuard:
    """Decides whether a URL (or a resolved address) may be fetched."""

    allow_private: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()
    schemes: frozenset[str] = field(default_factory=lambda: frozenset({"http", "https"}))

    @classmethod
    def from_config(cls, allow_private: bool = False, allowed: Iterable[str] = ()) -> TargetGuard:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in allowed:
            entry = entry.strip().lower()
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(allow_private, frozenset(hosts), tuple(networks))

    @classmethod
    def loopback_allowed(cls) -> TargetGuard:
        """What tests use: loopback explicitly allowed, everything else private still refused."""
        return cls.from_config(allowed=["127.0.0.0/8", "::1/128", "localhost"])

    def check_address(self, host: str, address: str) -> None:
        """Refuse `address` (what `host` resolved to) unless it is public or explicitly allowed."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError as exc:
            raise UnsafeTarget(f"{host!r} resolved to an invalid address {address!r}") from exc
        if self.allow_private or _is_public(ip):
            return
        if host.lower().rstrip(".") in self.allowed_hosts or any(ip in net for net in self.allowed_networks):
            return
        raise UnsafeTarget(
            f"refusing {host!r}: {ip} is a private, loopback or link-local address "
            "(allow it with crawl.allowed_hosts or crawl.allow_private_networks)",
            details={"host": host, "address": str(ip)},
        )

    def check_url(self, url: str, *, resolve: bool = True) -> None:
        """Check scheme and host; with `resolve`, names are resolved and every address is checked."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in self.schemes:
            raise UnsafeTarget(
                f"refusing {url!r}: scheme {parts.scheme!r} is not allowed", details={"url": url}
            )
        host = (parts.hostname or "").lower()
        if not host:
            raise UnsafeTarget(f"refusing {url!r}: no host", details={"url": url})
        if parts.username or parts.password:
            raise UnsafeTarget(
                f"refusing {url!r}: credentials in URLs are not followed", details={"url": url}
            )
        literal = _literal_ip(host)
        if literal is not None:
            self.check_address(host, literal)
            return
        if host == "localhost" or host.endswith(".localhost"):
            self.check_address(host, "127.0.0.1")
            return
        if not resolve or self.allow_private:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeTarget(f"cannot resolve {host!r}: {exc}", details={"url": url}) from exc
        for info in infos:
            self.check_address(host, str(info[4][0]))


def _literal_ip(host: str) -> str | None:
    """The address if `host` is an IP literal, including the forms browsers accept (decimal, octal)."""
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:  # 2130706433, 0x7f000001, 0177.0.0.1: inet_aton accepts what many HTTP stacks accept
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError):
        return None


def read_limited(chunks: Iterable[bytes], max_bytes: int, url: str) -> bytes:
    """Join `chunks`, refusing to hold more than `max_bytes` (0: no limit)."""
    buf = bytearray()
    for chunk in chunks:
        buf.extend(chunk)
        if max_bytes and len(buf) > max_bytes:
            raise ResponseTooLarge(
                f"{url}: response larger than {max_bytes} bytes", details={"url": url, "max_bytes": max_bytes}
            )
    return bytes(buf)
