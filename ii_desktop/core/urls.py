"""Addresses the user types for servers (a SearXNG instance, a model server), checked
when they are read, and plain words for why a server could not be reached."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ii_desktop.core.errors import UsageError

WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def _suggested_scheme(host: str) -> str:
    # servers on this machine or the local network rarely speak https
    name = host.lower()
    if name in _LOCAL_NAMES or _IPV4.match(name) or name.endswith((".local", ".lan")):
        return "http"
    return "https"


def web_url_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a server address, as a clause that starts with
    the address ("127.0.0.1:8765 has no http:// ..."); None when it is usable."""
    text = value.strip()
    if not text:
        return "is empty; give an address like http://127.0.0.1:8080"
    if any(ch.isspace() for ch in text):
        return f"{text} contains a space; give one address like http://127.0.0.1:8080"
    if not _SCHEME.match(text):
        if "://" in text or text.startswith(("/", ":")):
            return f"{text} is not a web address; give one like http://127.0.0.1:8080"
        host = re.split(r"[:/?#]", text, maxsplit=1)[0]
        scheme = _suggested_scheme(host)
        return f"{text} has no http:// or https:// in front; did you mean {scheme}://{text}?"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return f"{text} is not a valid web address (check the host and the port number)"
    if parts.scheme.lower() not in WEB_SCHEMES:
        return f"{text} starts with {parts.scheme}://; only http:// and https:// addresses work"
    if not parts.hostname:
        return f"{text} names no host; give one like http://127.0.0.1:8080"
    if port == 0:
        return f"{text} has port 0; give the port the server listens on"
    return None


def check_web_url(value: str, label: str) -> str:
    """``value`` stripped, or ``UsageError`` saying what is wrong; ``label`` names the
    address ("The SearXNG address")."""
    problem = web_url_problem(value)
    if problem is not None:
        raise UsageError(f"{label} {problem}.")
    return value.strip()


def connect_problem(detail: str) -> str:
    """Why a connection failed, in words, from the error text the network stack gave."""
    text = detail.lower()
    if any(
        word in text
        for word in (
            "name resolution",
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
            "could not resolve",
            "dns",
        )
    ):
        return "its name could not be looked up (no network connection, or a typo in the address)"
    if "refused" in text:
        return "nothing answers at that address (is the server running, on that port?)"
    if "unreachable" in text or "no route" in text:
        return "the network cannot reach it (no network connection?)"
    if "timed out" in text or "timeout" in text:
        return "it did not answer in time (a slow or missing network connection?)"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return "its secure connection could not be set up (check http:// versus https://)"
    return "the connection failed (no network connection, or the host is down)"
