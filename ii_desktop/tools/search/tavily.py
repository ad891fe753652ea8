"""Tavily: ``POST /search`` with the API key, answering ``{"results": [{"title", "url",
"content", "score"}, ...]}``.

The key travels both in the body (``api_key``, the documented original form) and as a
bearer token (the current form), so either generation of the API accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ii_desktop.tools.search.provider import (
    BadResponse,
    SearchHit,
    collect_hits,
    join_url,
    request_json,
)

DEFAULT_URL = "https://api.tavily.com"


@dataclass
class TavilyProvider:
    http: httpx.Client
    api_key: str
    base_url: str = DEFAULT_URL
    connect_timeout: float = 10.0
    name: str = "tavily"
    label: str = "Tavily"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        data = request_json(
            self.http,
            "POST",
            join_url(self.base_url, "/search"),
            label=self.label,
            timeout=timeout,
            connect_timeout=self.connect_timeout,
            auth_hint="check the key with `ii-desktop search --set-key tavily`",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "api_key": self.api_key,
                "query": query,
                "max_results": max_results,
                "search_depth": "basic",
            },
        )
        if not isinstance(data, dict):
            raise BadResponse(f"{self.label} sent an answer in an unexpected shape")
        return collect_hits(
            data.get("results", []), self.name, self.label, max_results, snippet_key="content"
        )
