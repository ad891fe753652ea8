"""SearXNG: the user's own metasearch instance, ``GET /search?q=..&format=json``.

Reply shape: ``{"query", "number_of_results", "results": [{"url", "title", "content",
"engine", ...}], "answers", "suggestions", "unresponsive_engines"}``. Instances answer
403 to ``format=json`` unless ``json`` is listed under ``search.formats`` in their
settings.yml, the most common setup mistake, so that case gets its own message.
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

JSON_DISABLED_HINT = (
    "the instance may not allow JSON output: add `json` under `search: formats:` in its "
    "settings.yml"
)


@dataclass
class SearxngProvider:
    http: httpx.Client
    base_url: str
    connect_timeout: float = 10.0
    name: str = "searxng"
    label: str = "SearXNG"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        base = self.base_url.rstrip("/")
        # accept the instance root or its /search endpoint
        url = base if base.endswith("/search") else join_url(base, "/search")
        data = request_json(
            self.http,
            "GET",
            url,
            label=self.label,
            timeout=timeout,
            connect_timeout=self.connect_timeout,
            auth_hint=JSON_DISABLED_HINT,
            # no key to leak: an instance moved to https on its own host still answers
            follow_same_host=True,
            params={"q": query, "format": "json"},
            headers={"Accept": "application/json"},
        )
        if not isinstance(data, dict):
            raise BadResponse(f"{self.label} sent an answer in an unexpected shape")
        return collect_hits(
            data.get("results", []), self.name, self.label, max_results, snippet_key="content"
        )
