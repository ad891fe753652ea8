"""Turn the configured provider names into ready providers, or the reason one is not ready.

Keys are looked up per query, so a key stored while the app runs is used at once. A
provider that cannot run (no key, no SearXNG URL, no notebook store)
becomes a note in the chain's attempts instead of an error.
"""

from __future__ import annotations

import threading

import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools import secrets
from ii_desktop.tools.search import brave, duckduckgo, serper, tavily
from ii_desktop.tools.search.brave import BraveProvider
from ii_desktop.tools.search.chain import Slot
from ii_desktop.tools.search.duckduckgo import DuckDuckGoProvider
from ii_desktop.tools.search.local import LocalProvider, SavedPageIndex
from ii_desktop.tools.search.provider import MissingKey, Unavailable
from ii_desktop.tools.search.searxng import SearxngProvider
from ii_desktop.tools.search.serper import SerperProvider
from ii_desktop.tools.search.tavily import TavilyProvider

DEFAULT_URLS: dict[str, str] = {
    "ddgs": duckduckgo.DEFAULT_URL,
    "serper": serper.DEFAULT_URL,
    "tavily": tavily.DEFAULT_URL,
    "brave": brave.DEFAULT_URL,
}


class ProviderRegistry:
    """Builds providers for each query; keeps the DuckDuckGo engine (and its connections)."""

    def __init__(self, local: SavedPageIndex | None = None) -> None:
        self._ddgs: dict[str, DuckDuckGoProvider] = {}
        self._lock = threading.Lock()
        self._local = LocalProvider(local) if local is not None else None

    def slots(self, settings: ToolSettings, http: httpx.Client) -> list[Slot]:
        return [self._slot(name, settings, http) for name in settings.search_providers]

    def _slot(self, name: str, settings: ToolSettings, http: httpx.Client) -> Slot:
        url = settings.provider_urls.get(name) or DEFAULT_URLS.get(name, "")
        connect = settings.connect_timeout
        if name == "ddgs":
            with self._lock:
                return self._ddgs.setdefault(url, DuckDuckGoProvider(base_url=url))
        if name == "searxng":
            if not url:
                return name, Unavailable(
                    "no SearXNG URL is configured (set one in Settings or pass --searxng-url)"
                )
            return SearxngProvider(http, url, connect_timeout=connect)
        if name == "local":
            if self._local is None:
                return name, Unavailable("your notebooks cannot be searched here")
            return self._local
        try:
            key = secrets.get_api_key(name)
        except secrets.KeychainError as exc:
            return name, MissingKey(exc.message)
        if name == "serper":
            return SerperProvider(http, key, url, connect_timeout=connect)
        if name == "tavily":
            return TavilyProvider(http, key, url, connect_timeout=connect)
        if name == "brave":
            return BraveProvider(http, key, url, connect_timeout=connect)
        return name, Unavailable(f"unknown search provider {name!r}")
