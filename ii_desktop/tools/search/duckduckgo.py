"""DuckDuckGo, key-less, through the ``ddgs`` package's DuckDuckGo HTML engine.

``DDGS().text()`` cannot be pointed at another host, fans out to several scraped
engines at once and turns every HTTP status into "No results found", which hides rate
limits. So this provider uses ddgs's DuckDuckGo engine piece by piece: its form payload,
its browser-impersonating HTTP client (plain clients are blocked far sooner) and its
result parser, while it reads the status itself and posts to ``{base_url}/html/``.

DuckDuckGo signals rate limiting with 202 (an "anomaly" challenge page), 403, 418 or
429, and sometimes with a 200 challenge page; all of them count as a rate limit.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ii_desktop.core.urls import connect_problem
from ii_desktop.tools.search.provider import (
    BadResponse,
    NetworkError,
    RateLimited,
    SearchHit,
    SearchTimeout,
    ServerError,
    collect_hits,
    join_url,
)

DEFAULT_URL = "https://html.duckduckgo.com"
RATE_LIMIT_STATUSES = (202, 403, 418, 429)
_CHALLENGE_MARKERS = ("anomaly-modal", "bots use DuckDuckGo too")
_REDIRECT_TARGET = re.compile(r"[?&]uddg=([^&]+)")


def _target_url(href: str) -> str:
    """The result's own URL; older pages link through ``duckduckgo.com/l/?uddg=...``."""
    if href.startswith("//"):
        href = "https:" + href
    match = _REDIRECT_TARGET.search(href) if "duckduckgo.com/l/" in href else None
    return unquote(match.group(1)) if match else href


@dataclass
class DuckDuckGoProvider:
    base_url: str = DEFAULT_URL
    region: str = "wt-wt"  # no region bias
    name: str = "ddgs"
    label: str = "DuckDuckGo"
    _engine: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _get_engine(self) -> Any:
        # imported on first use: ddgs loads every engine module and lxml on import
        with self._lock:
            if self._engine is None:
                from ddgs.engines.duckduckgo import Duckduckgo

                self._engine = Duckduckgo(timeout=None)
            return self._engine

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

        engine = self._get_engine()
        payload = engine.build_payload(
            query=query, region=self.region, safesearch="moderate", timelimit=None, page=1
        )
        try:
            response = engine.http_client.request(
                "POST", join_url(self.base_url, "/html/"), data=payload, timeout=timeout
            )
        except RatelimitException:
            raise RateLimited(f"{self.label} is rate-limiting requests") from None
        except TimeoutException:
            raise SearchTimeout(f"{self.label} did not answer within {timeout:g} s") from None
        except DDGSException as exc:
            reason = connect_problem(str(exc))
            raise NetworkError(f"{self.label} cannot be reached: {reason}") from None
        status = response.status_code
        if status in RATE_LIMIT_STATUSES:
            raise RateLimited(f"{self.label} is rate-limiting requests (HTTP {status})")
        if status >= 500:
            raise ServerError(f"{self.label} had a server error (HTTP {status})")
        if status != 200:
            raise BadResponse(f"{self.label} answered with HTTP {status}")
        text = response.text
        if any(marker in text for marker in _CHALLENGE_MARKERS):
            raise RateLimited(f"{self.label} asked for a bot check (rate-limited)")
        try:
            parsed = engine.post_extract_results(engine.extract_results(text))
        except Exception:  # lxml raises several types on pages that are not HTML
            raise BadResponse(f"{self.label} sent a page that could not be read") from None
        items = [{"url": _target_url(r.href), "title": r.title, "snippet": r.body} for r in parsed]
        return collect_hits(items, self.name, self.label, max_results)
