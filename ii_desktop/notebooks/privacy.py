"""Keep secrets out of the notebook: no API keys, no authorization headers, no passwords.

Only structured places and known secrets are changed, never prose:

- a URL, wherever it appears (a field of its own or inside text): its ``user:password@``
  part is dropped, and the values of query (or fragment) parameters named like secrets
  (``api_key``, ``private_token``, ``sessionid``, ``X-Amz-Signature``...) are replaced;
- an HTTP credential written out in text (``Bearer eyJhbGciOi...``, ``Basic dXNlcjpw...``)
  loses its token;
- an API key this process has read (``secrets.known_key_values``) is replaced wherever it
  appears, so a server that echoes the key in an error leaves no trace of it;
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

from ii_desktop.tools.secrets import known_key_values

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
# A query or fragment parameter whose name holds one of these (in any case, whatever
# the separators) carries a secret: private_token, sessionid, X-Amz-Signature, auth_code.
_SECRET_PARAM_PART = re.compile(
    r"token|secret|pass|pwd|auth|session|sessid|sig|jwt|credential|code|key|csrf|xsrf"
)
# Short names that are secrets only as a word of their own (not "inside" or "spine").
SECRET_PARAM_WORDS = frozenset({"sid", "otp", "pin", "hmac"})
# Everyday words that merely contain those letters keep their values, whether they are the
# whole name or one word of it (author_id, search_keywords, country_code).
PLAIN_PARAM_WORDS = frozenset(
    {
        "keyword",
        "keywords",
        "keyboard",
        "monkey",
        "turkey",
        "hockey",
        "author",
        "authors",
        "authorid",
        "authorname",
        "authority",
        "design",
        "designs",
        "designer",
        "assign",
        "assigned",
        "assignee",
        "signal",
        "insight",
        "insights",
        "passage",
        "passenger",
        "passengers",
        "compass",
        "postcode",
        "zipcode",
        "postalcode",
        "countrycode",
        "langcode",
        "languagecode",
        "currencycode",
        "areacode",
        "barcode",
        "unicode",
        "encode",
        "decode",
        "codec",
        "statuscode",
        "errorcode",
        "sourcecode",
    }
)
_PARAM_SEPARATOR = re.compile(r"(&amp;|&|;)")
# Words of a parameter name: split at separators and where camelCase changes case.
_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# A URL of any scheme inside text; it ends at white space, quotes or closing brackets.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"'`\])}]+", re.IGNORECASE)
_TRAILING = ".,;:!?"
# An HTTP credential in text: the scheme, the space, then a token68 (RFC 9110).
_CREDENTIAL = re.compile(r"\b(Bearer|Basic)([ \t]+)([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def secret_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a secret, by the pattern above."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if any(word in SECRET_PARAM_WORDS for word in words):
        return True
    whole = "".join(words)
    if not _SECRET_PARAM_PART.search(whole) or whole in PLAIN_PARAM_WORDS:
        return False
    return any(_SECRET_PARAM_PART.search(w) and w not in PLAIN_PARAM_WORDS for w in words)


def _clean_params(params: str) -> str:
    """``a=1&api_key=x`` with secret values replaced; every other byte kept."""
    if "=" not in params:
        return params
    # the separators are kept (every other piece): "&", the older ";", and "&amp;" in HTML
    pieces = _PARAM_SEPARATOR.split(params)
    for i in range(0, len(pieces), 2):
        name, eq, _ = pieces[i].partition("=")
        if eq and secret_param(unquote_plus(name)):
            pieces[i] = f"{name}={REDACTED}"
    return "".join(pieces)


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


def _credential_token(token: str) -> bool:
    """Whether the word after "Bearer" or "Basic" is a credential rather than prose: a
    long run with a digit, base64 padding, or the mixed case of base64 ("tokenisation",
    "JavaScript" and "COVID-19" have none of these)."""
    if len(token) >= 8 and token.endswith("="):
        return True
    if len(token) >= 16 and any(ch.isdigit() for ch in token):
        return True
    rest = token[1:]
    return (
        len(token) >= 12
        and sum(ch.isupper() for ch in rest) >= 3
        and sum(ch.islower() for ch in rest) >= 3
    )


def _clean_credential(match: re.Match[str]) -> str:
    if not _credential_token(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}[redacted]"


def scrub_text(text: str) -> str:
    """``text`` with the URLs in it cleaned and credentials and known API keys redacted;
    the words around them are never changed."""
    if "://" in text:
        text = _URL.sub(_clean_match, text)
    text = _CREDENTIAL.sub(_clean_credential, text)
    for key in known_key_values():
        if key in text:
            text = text.replace(key, "[redacted]")
    return text


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
