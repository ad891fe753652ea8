"""What a search provider is, the ways a search can fail, and the HTTP helpers they share.

A provider turns a query into a list of ``SearchHit`` or raises a ``ProviderFailure``.
Each failure carries a stable ``outcome`` word (recorded in the tool's ``attempts``) and
whether trying the same provider again soon may help::

    ProviderFailure
    ├── RateLimited      429 and friends; may carry Retry-After     (retry, then cool down)
    ├── ServerError      5xx                                         (retry)
    ├── SearchTimeout    no answer in time                           (retry)
    ├── EmptyResults     a valid answer with no usable result        (retry)
    ├── BadResponse      not the JSON or HTML the provider speaks    (retry)
    ├── NetworkError     cannot connect at all                       (fall back)
    ├── Rejected         401/403/other 4xx: key or request refused   (fall back)
    ├── MissingKey       no API key configured                       (skip)
    └── Unavailable      provider not set up or not built yet        (skip)

Messages never contain an API key: they are built from status codes and provider
names only, never from request headers or response bodies.

Redirects are never followed by the HTTP client: a keyed provider's key travels in
headers (and Tavily's also in the JSON body) that httpx would send on to wherever the
redirect points. A 3xx from a keyed provider is ``Rejected``; a key-less SearXNG may be
followed by hand, but only on its own host name (the usual http→https upgrade).
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ii_desktop.core.text import valid_unicode
from ii_desktop.core.urls import connect_problem

# Bodies past this size are not a search answer (a misconfigured URL pointing at a file).
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# Same-host redirects followed for a key-less provider before giving up.
MAX_SAME_HOST_REDIRECTS = 3
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class SearchHit:
    """One search result as the app keeps it; ``format_search_results`` makes the model text."""

    url: str
    title: str
    snippet: str
    provider: str

    def to_dict(self) -> dict[str, str]:
        return {
            "url": self.url,
            "title": self.title,
            "snippet": self.snippet,
            "provider": self.provider,
        }


class ProviderFailure(Exception):
    """A provider could not give results; ``message`` is short and names the provider."""

    outcome = "error"
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class RateLimited(ProviderFailure):
    outcome = "rate_limited"
    retryable = True


class ServerError(ProviderFailure):
    outcome = "server_error"
    retryable = True


class SearchTimeout(ProviderFailure):
    outcome = "timeout"
    retryable = True


class EmptyResults(ProviderFailure):
    outcome = "empty"
    retryable = True


class BadResponse(ProviderFailure):
    outcome = "bad_response"
    retryable = True


class NetworkError(ProviderFailure):
    # Connection refused or DNS failure: an immediate retry rarely helps, the next provider may.
    outcome = "network_error"


class Rejected(ProviderFailure):
    outcome = "rejected"


class MissingKey(ProviderFailure):
    outcome = "no_key"


class Unavailable(ProviderFailure):
    outcome = "unavailable"


class SearchProvider(Protocol):
    """One search backend. ``label`` is the name shown to people ("Brave Search")."""

    name: str
    label: str

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]: ...


def clean_text(value: object) -> str:
    """Plain text from a provider field: tags dropped, entities decoded, spaces collapsed,
    and valid Unicode (a JSON answer's ``"\\ud800"`` decodes to a lone surrogate)."""
    if not isinstance(value, str):
        return ""
    return valid_unicode(" ".join(html.unescape(_TAG.sub("", value)).split()))


def collect_hits(
    items: object,
    provider: str,
    label: str,
    max_results: int,
    *,
    url_key: str = "url",
    title_key: str = "title",
    snippet_key: str = "snippet",
) -> list[SearchHit]:
    """Hits from a provider's result list; entries without an http(s) URL are dropped."""
    if not isinstance(items, list):
        raise BadResponse(f"{label} sent results in an unexpected shape")
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        url = item.get(url_key)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        url = valid_unicode(url.strip())
        if url in seen:
            continue
        seen.add(url)
        title = clean_text(item.get(title_key))
        hits.append(SearchHit(url, title or url, clean_text(item.get(snippet_key)), provider))
        if len(hits) >= max_results:
            break
    if not hits:
        raise EmptyResults(f"{label} found no results")
    return hits


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def check_status(response: httpx.Response, label: str, auth_hint: str = "") -> None:
    """Raise the failure a non-success status means; ``auth_hint`` follows a 401/403."""
    code = response.status_code
    if code < 300:
        return
    if code < 400:
        raise redirect_failure(response, label)
    if code == 429:
        raise RateLimited(
            f"{label} is rate-limiting requests (HTTP 429)",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if code >= 500:
        raise ServerError(f"{label} had a server error (HTTP {code})")
    if code in (401, 403):
        hint = f"; {auth_hint}" if auth_hint else ""
        raise Rejected(f"{label} refused the request (HTTP {code}){hint}")
    raise Rejected(f"{label} refused the request (HTTP {code})")


def redirect_target(response: httpx.Response) -> httpx.URL | None:
    """Where a 3xx answer points, or None when it names no usable place."""
    location = response.headers.get("location", "").strip()
    if not location:
        return None
    try:
        return response.url.join(location)
    except httpx.InvalidURL:
        return None


def redirect_failure(response: httpx.Response, label: str) -> Rejected:
    """The failure for a 3xx that is not followed; names the provider and the host only."""
    code = response.status_code
    target = redirect_target(response)
    if target is None or not target.host:
        where = "without a usable Location"
    elif target.host == response.url.host:
        where = f"to another address on {target.host}"
    else:
        where = f"to {target.host}"
    return Rejected(
        f"{label} answered with a redirect (HTTP {code}) {where}; search requests are not "
        f"sent on, so check the {label} URL"
    )


def _redirect_to_follow(response: httpx.Response, label: str, allowed: bool) -> httpx.URL | None:
    """None for an answer that is not a redirect; the URL for one that may be followed.

    Only a key-less GET follows (``allowed``), and only to the same host name with the
    same scheme or https; every other redirect raises ``Rejected``.
    """
    if not 300 <= response.status_code < 400:
        return None
    target = redirect_target(response)
    here = response.url
    if (
        allowed
        and target is not None
        and response.status_code in (301, 302, 303, 307, 308)
        and target.host == here.host
        and target.scheme in ("http", "https")
        and target.scheme in (here.scheme, "https")
    ):
        return target
    raise redirect_failure(response, label)


def _read_limited(response: httpx.Response, label: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise BadResponse(f"{label} sent an answer too large to be search results")
    return bytes(body)


def request_json(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    label: str,
    timeout: float,
    connect_timeout: float,
    auth_hint: str = "",
    follow_same_host: bool = False,
    **kwargs: Any,
) -> Any:
    """Send one request to a trusted search API and decode its JSON answer.

    The client's own redirect following is always off. ``follow_same_host`` lets a GET
    to a provider without a key follow redirects that stay on the same host name; any
    other redirect is ``Rejected``, so the chain moves on to the next provider.
    """
    limits = httpx.Timeout(timeout, connect=min(connect_timeout, timeout))
    follow = follow_same_host and method.upper() == "GET"
    current: str | httpx.URL = url
    hops = 0
    try:
        while True:
            with http.stream(
                method, current, timeout=limits, follow_redirects=False, **kwargs
            ) as response:
                target = _redirect_to_follow(
                    response, label, follow and hops < MAX_SAME_HOST_REDIRECTS
                )
                if target is None:
                    check_status(response, label, auth_hint)
                    body = _read_limited(response, label)
                    break
            current = target
            hops += 1
    except httpx.TimeoutException:
        raise SearchTimeout(f"{label} did not answer within {timeout:g} s") from None
    except httpx.UnsupportedProtocol:
        raise NetworkError(
            f"the {label} address is not a web address (it needs http:// or https://)"
        ) from None
    except httpx.TransportError as exc:
        where = _host(current)
        at = f" at {where}" if where else ""
        raise NetworkError(f"{label} cannot be reached{at}: {connect_problem(str(exc))}") from None
    except httpx.InvalidURL:
        raise NetworkError(f"the {label} address is not a valid web address") from None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than any answer
        raise BadResponse(f"{label} sent an answer that is not valid JSON") from None


def _host(url: str | httpx.URL) -> str:
    """``host:port`` of a URL, never its user name, password or query (keys live there)."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        return ""
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def join_url(base: str, path: str) -> str:
    """``base`` (which may carry a path prefix) joined with an endpoint path."""
    return base.rstrip("/") + "/" + path.lstrip("/")
