"""What research-run tests share: the model's tool-call text and the local web it uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers.fake_search_servers import FakeResult, FakeSearchServer, default_results
from tests.helpers.page_server import PageServer


def tool_call(name: str, **arguments: object) -> str:
    """A tool call as the model writes it."""
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


@contextmanager
def page_and_search(path: str, page: bytes) -> Iterator[tuple[PageServer, FakeSearchServer]]:
    """A page server holding ``page`` at ``path`` and a SearXNG-like search server whose
    results list that page first (a run may visit only URLs it was shown)."""
    pages = PageServer()
    pages.page(path, page)
    found = [
        FakeResult(pages.url(path), "The page", "What the page says..."),
        *default_results("searxng", "q", 9),
    ]
    search = FakeSearchServer("searxng", results=found)
    try:
        yield pages, search
    finally:
        pages.close()
        search.close()
