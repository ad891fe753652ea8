"""Serper: Google results through ``POST /search`` with an ``X-API-KEY`` header.

This is the provider the model's authors used, so its answers match training best.
Reply shape: ``{"searchParameters": {...}, "organic": [{"title", "link", "snippet",
"position"}, ...]}``.
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

DEFAULT_URL = "https://google.serper.dev"


@dataclass
class SerperProvider:
    http: httpx.Client
    api_key: str
    base_url: str = DEFAULT_URL
    connect_timeout: float = 10.0
    name: str = "serper"
    label: str = "Serper"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        data = request_json(
            self.http,
            "POST",
            join_url(self.base_url, "/search"),
            label=self.label,
            timeout=timeout,
            connect_timeout=self.connect_timeout,
            auth_hint="check the key with `ii-desktop search --set-key serper`",
            headers={"X-API-KEY": self.api_key},
            json={"q": query, "num": max_results},
        )
        if not isinstance(data, dict):
            raise BadResponse(f"{self.label} sent an answer in an unexpected shape")
        return collect_hits(
            data.get("organic", []), self.name, self.label, max_results, url_key="link"
        )
