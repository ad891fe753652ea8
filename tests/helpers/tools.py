"""Deterministic stand-ins for web_search and web_visit, for tests about the agent's logic
(what the tools return is not what those tests are about)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ii_desktop.tools.base import (
    WEB_SEARCH_SCHEMA,
    WEB_VISIT_SCHEMA,
    SourceRef,
    ToolContext,
    ToolOutput,
    format_search_results,
    truncate_page_text,
)


class StaticSearch:
    name = "web_search"
    schema = WEB_SEARCH_SCHEMA

    def __init__(self, results: list[dict[str, str]] | None = None, delay: float = 0.0) -> None:
        self.results = results or [
            {
                "url": "https://example.org/paris",
                "title": "Paris - Example",
                "snippet": "Paris is the capital of France...",
            },
            {"url": "https://example.org/france", "title": "France", "snippet": "A country."},
        ]
        self.delay = delay
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        with self._lock:
            self.calls.append(args)
        time.sleep(self.delay)
        return ToolOutput(
            ok=True,
            text=format_search_results(self.results),
            sources=tuple(SourceRef(r["url"], r["title"]) for r in self.results),
            data={"query": args["query"], "provider": "static", "results": self.results},
        )


class StaticVisit:
    name = "web_visit"
    schema = WEB_VISIT_SCHEMA

    def __init__(
        self, pages: dict[str, str] | None = None, delay: float = 0.0, fail: Exception | None = None
    ) -> None:
        self.pages = pages or {}
        self.delay = delay
        self.fail = fail
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        url = args["url"]
        with self._lock:
            self.calls.append(url)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            deadline = time.monotonic() + self.delay
            while time.monotonic() < deadline:
                if ctx.cancel.is_set():
                    return ToolOutput.failure("cancelled", "cancelled")
                time.sleep(0.01)
            if self.fail is not None:
                raise self.fail
            body = self.pages.get(url, f"The page at {url} says Paris is the capital of France.")
            text, truncated = truncate_page_text(body)
            return ToolOutput(
                ok=True,
                text=text,
                sources=(SourceRef(url, f"Title of {url}", "page"),),
                data={
                    "url": url,
                    "final_url": url,
                    "title": f"Title of {url}",
                    "truncated": truncated,
                    "full_text": body,
                },
            )
        finally:
            with self._lock:
                self.active -= 1
