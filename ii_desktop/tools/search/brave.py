"""Brave Search: ``GET /res/v1/web/search`` with an ``X-Subscription-Token`` header.

Reply shape: ``{"type": "search", "web": {"results": [{"title", "url", "description"},
...]}}``; descriptions carry ``<strong>`` highlighting, which ``clean_text`` drops. A
query with no web results has no ``web`` section at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ii_desktop.tools.search.provider import (
    BadResponse,
    EmptyResults,
    SearchHit,
    collect_hits,
    join_url,
    request_json,
)

DEFAULT_URL = "https://api.search.brave.com"


@dataclass
class BraveProvider:
    http: httpx.Client
    api_key: str
    base_url: str = DEFAULT_URL
    connect_timeout: float = 10.0
    name: str = "brave"
    label: str = "Brave Search"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        data = request_json(
            self.http,
            "GET",
            join_url(self.base_url, "/res/v1/web/search"),
            label=self.label,
            timeout=timeout,
            connect_timeout=self.connect_timeout,
            auth_hint="check the key with `ii-desktop search --set-key brave`",
            headers={"X-Subscription-Token": self.api_key, "Accept": "application/json"},
            params={"q": query, "count": max_results},
        )
        if not isinstance(data, dict):
            raise BadResponse(f"{self.label} sent an answer in an unexpected shape")
        web = data.get("web")
        if web is None:
            raise EmptyResults(f"{self.label} found no results")
        if not isinstance(web, dict):
            raise BadResponse(f"{self.label} sent results in an unexpected shape")
        return collect_hits(
            web.get("results", []), self.name, self.label, max_results, snippet_key="description"
        )
