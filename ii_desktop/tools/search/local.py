"""The ``local`` provider: answers from pages saved in the user's notebooks, offline."""

from __future__ import annotations

from typing import Protocol

from ii_desktop.tools.search.provider import EmptyResults, SearchHit


class SavedPageIndex(Protocol):
    """What the notebooks offer (``notebooks.local_search.LocalPageSearch``)."""

    def search(self, query: str, limit: int = 10) -> list[dict[str, str]]: ...


class LocalProvider:
    name = "local"
    label = "your notebooks"

    def __init__(self, index: SavedPageIndex) -> None:
        self.index = index

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        hits = [
            SearchHit(r["url"], r["title"], r["snippet"], self.name)
            for r in self.index.search(query, max_results)
        ]
        if not hits:
            raise EmptyResults("no saved page in your notebooks matches")
        return hits
