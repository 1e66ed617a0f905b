"""Where a webhook may be delivered (API.md §7, RELIABILITY.md "SSRF").

Two checks, at two moments:

- ``check_url`` when a subscription is created or changed: the URL's form (https, a host, no
  userinfo, no ``localhost`` name) and, when the host is a literal address in any spelling the
  resolver would accept (``127.1``, ``2130706433``, ``0x7f000001``, ``[::ffff:127.0.0.1]``...),
  that it is public. A name is not resolved here: names move, so they are checked at delivery.
- ``resolve`` at every delivery attempt: every A and AAAA address of the host must be public
  (one private address among public ones refuses the attempt), and the caller connects to the
  addresses checked here, never to the name again (webhook_http.py), so a second resolution
  cannot swap in another address.

"Public" is what ``ipaddress`` calls global, minus multicast, with the addresses an IPv6 address
carries (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4) judged as the IPv4 address they reach, and
Teredo and local-use NAT64 refused outright. Nothing here opens a socket.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_MAX_URL_LENGTH = 2048


class TargetRefused(Exception):
    """A webhook target we will not deliver to; ``reason`` is a short machine-readable class."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to ask for there."""

    scheme: str  # "https" ("http" only for a loopback receiver under `make dev`)
    host: str  # as in the URL, lower case, without brackets: the TLS name and the Host header
    port: int
    path: str  # path and query, at least "/"
    literal: IPAddress | None  # the host when it is an address

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        shown = f"[{self.host}]" if isinstance(self.literal, ipaddress.IPv6Address) else self.host
        return shown if self.port == default else f"{shown}:{self.port}"


def is_public(address: IPAddress) -> bool:
    """Whether a webhook may reach ``address``."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _LOCAL_NAT64 or address.teredo is not None:
            return False
        if address.sixtofour is not None:
            return is_public(address.sixtofour)
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an address if it is one in any spelling a resolver accepts, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton takes the legacy IPv4 forms getaddrinfo would resolve: 127.1, 2130706433,
        # 0x7f000001, 0177.0.0.1, 0.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _split(url: str) -> SplitResult:
    if len(url) > _MAX_URL_LENGTH or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise TargetRefused("malformed_url", "The URL is too long or holds spaces or control characters.")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as error:
        raise TargetRefused("malformed_url", "The URL is not a valid absolute URL.") from error
    return parts


def check_url(url: str, *, allow_loopback_http: bool = False) -> Target:
    """The target of ``url`` if its form allows delivery; raises ``TargetRefused``.

    ``allow_loopback_http`` (``make dev --allow-loopback-webhooks`` only; the template never sets
    it) lets ``http://`` and ``https://`` receivers on a loopback address through, and nothing else.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("malformed_url", "The URL has no host.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("userinfo", "The URL may not carry a user name or password.")
    if parts.fragment:
        raise TargetRefused("malformed_url", "The URL may not carry a fragment.")
    literal = literal_address(host)
    loopback_allowed = allow_loopback_http and literal is not None and _is_loopback(literal)
    if scheme not in ("https", "http") or (scheme == "http" and not loopback_allowed):
        raise TargetRefused("not_https", "Webhook URLs must use https.")
    if literal is None and (host == "localhost" or host.endswith(".localhost")):
        raise TargetRefused("private_address", "localhost names are not reachable from the service.")
    if literal is not None and not is_public(literal) and not loopback_allowed:
        raise TargetRefused("private_address", f"{literal} is not a public address.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default_port = 443 if scheme == "https" else 80
    return Target(scheme, str(literal) if literal else host, parts.port or default_port, path, literal)


def resolve(target: Target, *, allow_loopback_http: bool = False) -> list[IPAddress]:
    """Every address of ``target``'s host, each checked; raises ``TargetRefused`` ("dns" when the
    name does not resolve, "private_address" when any address is not public)."""
    if target.literal is not None:
        addresses: list[IPAddress] = [target.literal]
    else:
        try:
            found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise TargetRefused("dns", f"{target.host} does not resolve.") from error
        addresses = []
        for family, _, _, _, sockaddr in found:
            if family in (socket.AF_INET, socket.AF_INET6):
                address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                if address not in addresses:
                    addresses.append(address)
        if not addresses:
            raise TargetRefused("dns", f"{target.host} has no address.")
    for address in addresses:
        if not is_public(address) and not (allow_loopback_http and _is_loopback(address)):
            raise TargetRefused(
                "private_address", f"{target.host} resolves to {address}, which is not public."
            )
    return addresses
