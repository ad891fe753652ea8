"""The ``local`` search provider: ``web_search`` answered from the pages notebooks saved.

Research then works offline over what was read before. Results carry the saved pages'
URLs, so a following ``web_visit`` can be answered from the page cache too. Ranking is
FTS5's bm25 with page titles weighted above body text; any query word may match, so a
long model-written query still finds pages that share only some of its words.
"""

from __future__ import annotations

from ii_desktop.notebooks.saved_pages import NotebookPageCache
from ii_desktop.notebooks.search import flat, match_expression
from ii_desktop.notebooks.store import NotebookStore
from ii_desktop.tools.base import MAX_SEARCH_RESULTS, format_search_results

PROVIDER_NAME = "local"
PROVIDER_LABEL = "Your notebooks"
SNIPPET_TOKENS = 40


class LocalPageSearch:
    """Searches the saved pages of every notebook. Thread-safe (the store is)."""

    name = PROVIDER_NAME
    label = PROVIDER_LABEL

    def __init__(self, store: NotebookStore, page_cache: NotebookPageCache | None = None) -> None:
        self.store = store
        self.page_cache = page_cache  # told which pages were offered, to serve them

    def search(self, query: str, limit: int = MAX_SEARCH_RESULTS) -> list[dict[str, str]]:
        """Up to ``limit`` results as ``{url, title, snippet}``, best first."""
        expression = match_expression(query, any_word=True)
        if expression is None or limit < 1:
            return []
        with self.store.reading() as conn:
            rows = conn.execute(
                "SELECT p.final_url, p.title, "
                f"snippet(pages_fts, 1, '', '', '…', {SNIPPET_TOKENS}) "
                "FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid "
                "WHERE pages_fts MATCH ? ORDER BY bm25(pages_fts, 4.0, 1.0) LIMIT ?",
                (expression, limit),
            ).fetchall()
        if self.page_cache is not None:
            self.page_cache.serve_any_age([url for url, _, _ in rows])
        return [
            {"url": url, "title": flat(title) or url, "snippet": flat(snippet)}
            for url, title, snippet in rows
        ]

    def results_text(self, query: str) -> str:
        """The trained ``web_search`` text for these results (empty when none match)."""
        return format_search_results(self.search(query))
