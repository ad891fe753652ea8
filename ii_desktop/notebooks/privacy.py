"""Keep secrets out of the notebook: no API keys, no authorization headers, no passwords.

Events and conversations pass through ``scrub`` before they are stored or imported.
Tools should never put a secret in an event; this is the second line of defence for
what a provider or page might echo back (a key in a URL, a header dict in an error).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"

# Compared with case, dashes and underscores ignored.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxyauthorization",
        "apikey",
        "xapikey",
        "xsubscriptiontoken",
        "accesstoken",
        "refreshtoken",
        "token",
        "secret",
        "clientsecret",
        "password",
        "passwd",
        "cookie",
        "setcookie",
        "headers",
        "requestheaders",
    }
)
SECRET_PARAMS = frozenset(
    {"key", "apikey", "token", "accesstoken", "auth", "password", "secret", "signature", "sig"}
)
_URL = re.compile(r"https?://[^\s<>\"'\])}]+", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def clean_url(url: str) -> str:
    """The URL without user:password and with secret query values redacted."""
    if "@" not in url and "=" not in url:
        return url  # the common case, and cheap
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_norm(k) in SECRET_PARAMS for k, _ in pairs):
                query = urlencode(
                    [(k, REDACTED if _norm(k) in SECRET_PARAMS else v) for k, v in pairs]
                )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return url


def scrub_text(text: str) -> str:
    if "://" in text:
        text = _URL.sub(lambda m: clean_url(m.group(0)), text)
    if "earer" in text or "asic" in text:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return text


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with secret-named fields dropped and secrets in text hidden."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: scrub(item)
            for key, item in value.items()
            if not (isinstance(key, str) and _norm(key) in SECRET_KEYS)
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value
