"""Which addresses a page fetch may reach.

Pages are chosen by the model from search results, so every URL is untrusted input: a
hostile page must never steer a request into the user's own network. Only http and
https pass; the host is resolved and every address it resolves to must be public. The
numeric spellings that ``inet_aton`` accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
``127.1``) and the IPv6 forms that embed an IPv4 address are read as the address they
really are. ``ToolSettings.allow_hosts`` lets listed ``host`` or ``host:port`` entries
through; ``allow_private_network`` lifts the guard.

The connection itself is checked again in ``tools.http`` (the address checked is the
address connected to), so this module's URL check is the early, readable refusal.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ii_desktop.core.settings import ToolSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Not covered by ``is_global``/``is_private`` in every Python version.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # reserved, and broadcast
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local (deprecated, still routed by some stacks)
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$")


class GuardError(Exception):
    """A URL the guard refuses. ``kind`` is ``blocked``, ``bad_url`` or ``network``.

    ``message`` is what a person reads: the problem and, with a ``hint``, how to allow
    the page. ``model_message`` is the problem alone, for the model, which cannot
    change the user's settings.
    """

    def __init__(self, kind: str, message: str, hint: str = "") -> None:
        full = f"{message} {hint}" if hint else message
        super().__init__(full)
        self.kind = kind
        self.message = full
        self.model_message = message
        self.hint = hint


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, in any spelling; None for a name."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    return _parse_inet_aton(host)


def _parse_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    # The classic resolver accepts 1 to 4 parts, each decimal, octal (0...) or hex (0x...);
    # the last part fills the remaining bytes. Names like "0x7f.1" must not slip through.
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.match(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, value in enumerate(head):
        number += value << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(inner):
            return False
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip.version == net.version and ip in net for net in _EXTRA_BLOCKED)


@dataclass(frozen=True)
class HostPolicy:
    """The guard's rules, built from ``ToolSettings``."""

    allow_private_network: bool = False
    allow_hosts: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def from_settings(cls, settings: ToolSettings) -> HostPolicy:
        return cls(settings.allow_private_network, frozenset(_parse_allow(settings.allow_hosts)))

    def allows_host(self, host: str, port: int) -> bool:
        """Whether the host is exempt from the address check."""
        if self.allow_private_network:
            return True
        name = canonical_host(host)
        return (name, port) in self.allow_hosts or (name, None) in self.allow_hosts

    def check_addresses(self, host: str, port: int, addresses: Iterable[IPAddress]) -> None:
        """Refuse unless the host is allowed or every address is public."""
        if self.allows_host(host, port):
            return
        for ip in addresses:
            if not is_public_address(ip):
                raise GuardError("blocked", refusal_message(host, ip), allow_hint(host, port))


def _address_words(ip: IPAddress) -> str:
    inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None and not is_public_address(inner):
        return _address_words(inner)
    if ip.is_loopback or ip.is_unspecified:
        return "this computer"
    if ip.is_multicast or (ip.is_reserved and not ip.is_private):
        return "an address that is not public"
    return "a private address"


def refusal_message(host: str, ip: IPAddress) -> str:
    """Why a page at ``host`` (which is or resolves to ``ip``) is not read, naming the
    address once: "127.0.0.1 is this computer", "wiki.lan resolves to 10.0.0.5, a
    private address"."""
    shown = _typed_host(host)
    words = _address_words(ip)
    if parse_ip_literal(host) is None:
        subject = f"{host} resolves to {ip}, {words}"
    elif shown == str(ip) or ip.version == 6:  # IPv6 spellings are all readable
        subject = f"{shown} is {words}"
    else:  # "2130706433", "0x7f.1": say which address it really is
        subject = f"{shown} is {ip}, {words}"
    return f"{subject}; pages on this computer and on private networks are not read."


def allow_hint(host: str, port: int) -> str:
    """How to let pages on ``host`` through: the command-line option and the setting."""
    literal = parse_ip_literal(host)
    entry = (
        _typed_host(host) if literal is not None and literal.version == 6 else canonical_host(host)
    )
    if port and port not in DEFAULT_PORTS.values():
        entry = f"[{entry}]:{port}" if ":" in entry else f"{entry}:{port}"
    return (
        f"To read it anyway, pass --allow-host {entry} on the command line "
        "(or add it to Allowed hosts in Settings)."
    )


def _typed_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def canonical_host(host: str) -> str:
    """Lower case, no brackets or trailing dot; IP literals in their standard spelling."""
    ip = parse_ip_literal(host)
    if ip is not None:
        return str(ip)
    return host.strip().strip("[]").rstrip(".").lower()


def _parse_allow(entries: Iterable[str]) -> Iterable[tuple[str, int | None]]:
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        host, port = entry, None
        if entry.startswith("["):
            close = entry.find("]")
            host, rest = entry[: close + 1], entry[close + 1 :]
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        elif entry.count(":") == 1:
            name, _, digits = entry.partition(":")
            if digits.isdigit():
                host, port = name, int(digits)
        yield canonical_host(host), port


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (the literal itself for an IP)."""
    literal = parse_ip_literal(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


def _refuse_unparsable(url: str, settings: ToolSettings) -> None:
    # httpx rejects some spellings (``0177.0.0.1``) that resolvers accept; a URL aimed
    # at a local address is reported as blocked, not merely as malformed.
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return
    literal = parse_ip_literal(host) if host else None
    if literal is not None and not settings.allow_private_network:
        HostPolicy.from_settings(settings).check_addresses(host or "", 0, [literal])


def check_url(url: str, settings: ToolSettings, *, resolve_names: bool = True) -> httpx.URL:
    """Parse and check one URL (each redirect hop goes through here again).

    With ``resolve_names`` a host name is resolved and its addresses checked too; the
    guarded client repeats that at connect time, so callers using it may skip it.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        _refuse_unparsable(url, settings)
        raise GuardError("bad_url", f"Not a valid URL: {url!r} ({exc}).") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        shown = parsed.scheme or "no scheme"
        raise GuardError("bad_url", f"Only http and https URLs can be visited, not {shown}.")
    host = parsed.host
    if not host:
        raise GuardError("bad_url", f"The URL {url!r} has no host.")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    policy = HostPolicy.from_settings(settings)
    if policy.allows_host(host, port):
        return parsed
    literal = parse_ip_literal(host)
    if literal is not None:
        policy.check_addresses(host, port, [literal])
    elif resolve_names:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise GuardError("network", f"Could not resolve {host}: {exc}.") from None
        policy.check_addresses(host, port, addresses)
    return parsed
