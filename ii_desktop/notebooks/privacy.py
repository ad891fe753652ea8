"""Keep secrets out of the notebook: no API keys, no authorization headers, no passwords.

Only structured places are changed, never prose:

- a URL, wherever it appears (a field of its own or inside text): its ``user:password@``
  part is dropped, and the values of query (or fragment) parameters named like secrets
  (``api_key``, ``token``, ``sig``...) are replaced;
- a dict entry whose key names a secret or a header that carries one (``Authorization``,
  ``X-API-KEY``, ``Cookie``, ``password``...) is dropped.

Everything else is kept exactly as written: "Basic research" and "Bearer bonds" are words,
not credentials. ``scrub`` is applied to every value the notebook writes (event payloads,
saved pages, conversations, the run's question, answer and error, notebook titles) and to
everything imported. Tools should never put a secret in an event; this is the second line
of defence for what a provider or page might echo back.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

# What a secret query value becomes; percent-encoded, so the URL stays one URL and a
# second scrub finds nothing more to change.
REDACTED = "%5Bredacted%5D"

# Dict keys, compared with case, dashes and underscores ignored.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
        "apikey",
        "xapikey",
        "xsubscriptiontoken",
        "xauthtoken",
        "accesstoken",
        "refreshtoken",
        "token",
        "secret",
        "clientsecret",
        "password",
        "passwd",
        "headers",
        "requestheaders",
    }
)
# URL query and fragment parameter names, compared the same way.
SECRET_PARAMS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "authtoken",
        "auth",
        "password",
        "passwd",
        "secret",
        "clientsecret",
        "signature",
        "sig",
        "xamzsignature",
        "xamzcredential",
        "xamzsecuritytoken",
        "xgoogsignature",
        "xgoogcredential",
    }
)
# A URL of any scheme inside text; it ends at white space, quotes or closing brackets.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"'`\])}]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def _clean_params(params: str) -> str:
    """``a=1&api_key=x`` with secret values replaced; every other byte kept."""
    if "=" not in params:
        return params
    pieces = params.split("&")
    for i, piece in enumerate(pieces):
        name, eq, _ = piece.partition("=")
        if eq and _norm(unquote_plus(name)) in SECRET_PARAMS:
            pieces[i] = f"{name}={REDACTED}"
    return "&".join(pieces)


def clean_url(url: str) -> str:
    """The URL without ``user:password@`` and with secret parameter values redacted.

    Only those parts change; the rest of the URL is kept byte for byte.
    """
    start = url.find("://")
    if start < 0 or ("@" not in url and "=" not in url):
        return url  # the common case, and cheap
    start += 3
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if found >= 0:
            end = min(end, found)
    authority = url[start:end]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    rest = url[end:]
    rest, hash_mark, fragment = rest.partition("#")
    path, question_mark, query = rest.partition("?")
    return (
        url[:start]
        + authority
        + path
        + question_mark
        + _clean_params(query)
        + hash_mark
        + _clean_params(fragment)
    )


def _clean_match(match: re.Match[str]) -> str:
    found = match.group(0)
    url = found.rstrip(_TRAILING)  # sentence punctuation after a URL is not part of it
    return clean_url(url) + found[len(url) :]


def scrub_text(text: str) -> str:
    """``text`` with the URLs in it cleaned; the words around them are never changed."""
    if "://" not in text:
        return text
    return _URL.sub(_clean_match, text)


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with secret-named entries dropped and URLs cleaned."""
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
