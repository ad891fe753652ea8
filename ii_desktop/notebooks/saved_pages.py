"""Pages read in earlier runs, served again to ``web_visit`` without a download.

``NotebookPageCache`` is a drop-in for the session's ``tools.page_cache.PageCache``: a
miss in memory falls back to the newest saved read of the URL, rebuilt into exactly the
result the visit gave then (the trained text, sources and ``data``), with ``fetched``
telling its age and ``from_notebook`` saying so in words for the user ("from your
notebook, read 1 Dec 2026"); the model's text stays exactly the trained visit text.
Only pages younger than ``max_age`` are served (None: any age), except the pages the
``local`` search provider just offered, which are served at any age: that search is
research over what was read before, however long ago. The visit tool applies today's
page guard to a served page as to a new visit.
"""

from __future__ import annotations

import time
from typing import Any

from ii_desktop.notebooks.errors import NotebookError
from ii_desktop.notebooks.records import SavedPage
from ii_desktop.notebooks.store import NotebookStore
from ii_desktop.tools.base import SourceRef, ToolOutput, truncate_page_text
from ii_desktop.tools.page_cache import PageCache, cache_key

DEFAULT_MAX_AGE = 7 * 24 * 3600.0
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def read_on(fetched: float) -> str:
    """The day a page was read, as "1 Dec 2026" (local time, in any locale)."""
    day = time.localtime(fetched)
    return f"{day.tm_mday} {_MONTHS[day.tm_mon - 1]} {day.tm_year}"


def from_notebook_note(fetched: float) -> str:
    """What a user view says of a visit answered from the notebooks."""
    return f"from your notebook, read {read_on(fetched)}"


def visit_output(page: SavedPage) -> ToolOutput:
    """The ``web_visit`` result a saved page stands for."""
    text = page.model_text or truncate_page_text(page.full_text)[0]
    return ToolOutput(
        ok=True,
        text=text,
        sources=(SourceRef(page.final_url, page.title, "page"),),
        data={**page.to_data(), "from_notebook": from_notebook_note(page.fetched)},
    )


class SavedPages:
    """Lookups of saved pages by URL (as asked for or after redirects)."""

    def __init__(self, store: NotebookStore) -> None:
        self.store = store

    def get(self, url: str, max_age: float | None = None) -> dict[str, Any] | None:
        """The page in ``web_visit``'s ``data`` shape (plus ``fetched``), if fresh enough."""
        page = self.page(url, max_age)
        return page.to_data() if page else None

    def page(self, url: str, max_age: float | None = None) -> SavedPage | None:
        try:
            page = self.store.page(cache_key(url)) or self.store.page(url)
        except NotebookError:  # a store problem must never fail a visit
            return None
        if page is None or (max_age is not None and time.time() - page.fetched > max_age):
            return None
        return page


class NotebookPageCache(PageCache):
    """The session page cache, backed by the pages the notebooks saved."""

    def __init__(
        self,
        store: NotebookStore,
        max_age: float | None = DEFAULT_MAX_AGE,
        **limits: Any,
    ) -> None:
        super().__init__(**limits)
        self.saved = SavedPages(store)
        self.max_age = max_age
        self.saved_hits = 0
        self._any_age: set[str] = set()

    def serve_any_age(self, urls: list[str]) -> None:
        """Serve these saved pages whatever their age (the local search offered them)."""
        self._any_age.update(urls)

    def get(self, url: str) -> ToolOutput | None:
        found = super().get(url)
        if found is not None:
            return found
        page = self.saved.page(url, None if url in self._any_age else self.max_age)
        if page is None:
            return None
        output = visit_output(page)
        self.put(output, url, page.url, page.final_url)
        self.saved_hits += 1
        return output
